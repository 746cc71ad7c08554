"""validate's failure line names the deepest notebook frame, in the source notebook's numbering."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from papermill.exceptions import PapermillExecutionError

from knotebook.validate.execute import describe_failure

FUNCTION = "# knotebook: function\ndef handler(event):\n    x = 1\n    return x / 0\n"
RUN_IT = "try:\n    answer = None\n    handler(EVENT)\nexcept Answer as answer:\n    pass\n"
# What IPython 8 prints on Python 3.11 (colours included): the calling cell's frame points at its
# `except` line, the function cell's frame at the failing line.
TRACEBACK = [
    "\x1b[0;31mZeroDivisionError\x1b[0m          Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[4], line 4\x1b[0m\n"
    "      3     handler(EVENT)\n----> 4 except Answer as answer:",
    "Cell \x1b[0;32mIn[3], line 4\x1b[0m, in \x1b[0;36mhandler\x1b[0;34m(event)\x1b[0m\n"
    "----> 4 x / 0",
    "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
]


def notebooks() -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    params = new_code_cell("EVENT = 'x'", metadata={"tags": ["parameters"]})
    source = new_notebook(cells=[params, new_code_cell(FUNCTION), new_code_cell(RUN_IT)])
    injected = new_code_cell("EVENT = 'y'", metadata={"tags": ["injected-parameters"]})
    code = [params, injected, new_code_cell(FUNCTION), new_code_cell(RUN_IT)]
    for count, cell in enumerate(code, 1):
        cell.execution_count = count
    # papermill puts its error marker first when a cell fails
    marker = new_markdown_cell("An Exception was encountered", metadata={"tags": []})
    marker.metadata["tags"] = ["papermill-error-cell-tag"]
    executed = new_notebook(cells=[marker, *code])
    return source, executed


def error() -> PapermillExecutionError:
    return PapermillExecutionError(3, 4, RUN_IT, "ZeroDivisionError", "division by zero", TRACEBACK)


def test_the_function_cell_and_its_line_not_the_callers_except_clause():
    source, executed = notebooks()
    assert describe_failure(source, error(), injected=True, executed=executed) == (
        "cell 2, line 4: return x / 0: ZeroDivisionError: division by zero"
    )


def test_without_the_executed_notebook_the_failing_cell_is_named():
    source, _ = notebooks()
    assert describe_failure(source, error(), injected=True) == (
        "cell 3, line 4: except Answer as answer:: ZeroDivisionError: division by zero"
    )
