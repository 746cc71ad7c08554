"""knotebook parses Python with knotebook.project.syntax.parse, one thread at a time: CPython
before 3.13 shares the AST constructor's recursion count across threads (python/cpython#106905),
and validate parses on a thread pool while the main thread checks exports."""

import ast
import re
import threading
from pathlib import Path

from knotebook.project import syntax

SRC = Path(__file__).resolve().parents[1] / "src" / "knotebook"


def test_no_module_calls_ast_parse_itself():
    offenders = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "syntax.py" and re.search(r"\bast\.parse\(", path.read_text())
    ]
    assert offenders == []


def test_threads_parsing_at_once_all_get_the_tree():
    line = "def f{0}(x):\n    return [[x + {0}] * 2 for _ in range(3)]"
    source = "\n".join(line.format(i) for i in range(300))
    expected = ast.dump(ast.parse(source))
    results: list[str] = []
    errors: list[BaseException] = []

    def work():
        try:
            for _ in range(20):
                results.append(ast.dump(syntax.parse(source)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [expected] * 80
