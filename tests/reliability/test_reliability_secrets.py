"""function.env values never leave k8s/function.env: not into the image context (pack's
project.toml exclude), not into the bundle's README or other files, not into the logs.

(The executed notebooks of `knotebook validate` are covered by the secret-masking tests of
issue #5.)
"""

import re
import tomllib
import uuid

import pytest
from conftest import run_knotebook
from reliability_support import export, post, serve

from knotebook import events

pytestmark = pytest.mark.slow  # gunicorn processes

SECRET = f"s3cr3t-{uuid.uuid4().hex}"
FUNCTION = """# knotebook: function
import logging
import os

log = logging.getLogger("secrets")
TOKEN = os.environ.get("API_TOKEN", "")


def handler(event):
    data = event.get_data() or {}
    if data.get("action") == "raise":
        raise RuntimeError("vCenter refused the login")
    log.info("authenticated with a token of %d characters", len(TOKEN))
"""


def gitignore_matcher(patterns):
    """pack's exclude semantics: github.com/sabhiram/go-gitignore, the version pack pins.

    A pattern without a slash matches at any depth, one with a leading slash at the root; `*`
    stops at `/`, `**` crosses it; `?` is a literal; a match on a folder covers what is under
    it; `!` re-includes; the last matching pattern wins.
    """
    compiled = []
    for line in patterns:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line[1:] if negate else line
        if line.startswith(("\\#", "\\!")):
            line = line[1:]
        line = re.sub(r"([.$+^(){}|])", r"\\\1", line)
        if line.startswith("/**/"):
            line = line[1:]
        line = line.replace("/**/", "(/|/.+/)").replace("**/", "(|.\0/)").replace("/**", "(|/.\0)")
        line = line.replace("\\*", "\\\0").replace("*", "([^/]*)").replace("?", "\\?")
        line = line.replace("\0", "*")
        expr = line + ("(|.*)$" if line.endswith("/") else "(|/.*)$")
        expr = "^(|/)" + expr[1:] if expr.startswith("/") else "^(|.*/)" + expr
        compiled.append((re.compile(expr), negate))

    def excluded(path):
        result = False
        for regex, negate in compiled:
            if regex.match(path):
                result = not negate
        return result

    return excluded


def test_the_matcher_follows_gitignore_rules():
    excluded = gitignore_matcher(["k8s", "*.env", ".env*", "*.py[cod]", "/top.txt", "!keep.env"])
    assert excluded("k8s/function.env") and excluded("k8s")
    assert excluded("deep/er/local.env") and excluded(".env.local") and excluded("a/.env")
    assert excluded("handler.pyc") and excluded("top.txt")
    assert not excluded("sub/top.txt") and not excluded("keep.env")
    assert not excluded("handler.py") and not excluded("k8sx/a") and not excluded("a.envx")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return export(
        tmp_path_factory.mktemp("secrets"),
        name="secrets",
        function=FUNCTION,
        env_file=f"API_TOKEN={SECRET}\n",
        env_vars=("API_TOKEN",),
    )


def files(folder):
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def test_function_env_holds_the_secret_and_stays_out_of_the_image_context(bundle):
    assert SECRET in (bundle / "k8s" / "function.env").read_text()
    # what a user might leave beside the bundle's files: also never in the context
    (bundle / ".env").write_text(f"API_TOKEN={SECRET}\n")
    (bundle / "extra").mkdir()
    (bundle / "extra" / "local.env").write_text(f"API_TOKEN={SECRET}\n")
    exclude = tomllib.loads((bundle / "project.toml").read_text())["io"]["buildpacks"]["exclude"]
    excluded = gitignore_matcher(exclude)
    context = {name: path for name, path in files(bundle).items() if not excluded(name)}
    for needed in ("handler.py", "Procfile", "requirements.txt", ".python-version"):
        assert needed in context  # the matcher is not vacuous: the build still gets its files
    assert "k8s/function.env" not in context
    leaking = [name for name, path in context.items() if SECRET.encode() in path.read_bytes()]
    assert leaking == [], f"{leaking} would enter the image"


def test_no_generated_file_but_function_env_holds_the_secret(bundle):
    holders = [name for name, path in files(bundle).items() if SECRET.encode() in path.read_bytes()]
    assert set(holders) <= {"k8s/function.env", ".env", "extra/local.env"}
    readme = (bundle / "README.md").read_text()
    assert SECRET not in readme
    assert "function.env" in readme  # it tells where the values go, not what they are


def test_the_secret_reaches_the_function_but_never_its_logs(bundle):
    sample = events.sample("VmCreatedEvent")
    headers, body = events.to_binary(sample)
    with serve(bundle) as server:
        assert post(server, headers, body)[0] == 204
        assert post(server, headers, b'{"action": "raise"}')[0] == 500
        assert post(server, {"Content-Type": "application/json"}, body)[0] == 400
    logs = "\n".join(server.logs)
    assert f"a token of {len(SECRET)} characters" in logs  # the function did get the value
    assert "handler failed" in logs and "rejected request (400)" in logs
    assert SECRET not in logs


def test_knotebook_try_does_not_print_the_secret(bundle):
    done = run_knotebook("try", str(bundle), "--mode", "both", cwd=bundle)
    assert done.returncode == 0, done.stderr
    assert "204" in done.stdout
    assert SECRET not in done.stdout + done.stderr
