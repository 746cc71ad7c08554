"""Issue 15: every CLI command, fed bad arguments, fails in one line and leaves nothing behind.

The walker enumerates the click group, so a command added later is covered at once: from its
parameters it gets generic bad values (a port out of range, a number that is not one, a choice
that does not exist, an address that is not one, a missing path for every path argument, an
unknown option). ``RECIPES`` adds each command's own bad inputs (URLs, malformed files, a busy
port, missing events...) and the base arguments that get it past its required ones.

Every case asserts: exit status 1 or 2, one ``Error:`` line on stderr (the last; progress lines
before it are allowed, as progress goes to stderr), no "Traceback", no "internal error", and no
process left behind. The generic cases fail while click parses or at the command's first check,
so they run in-process (fast; leftovers: no new child of this process). The recipes run the real
executable in its own session (leftovers: none in its session, none working in the scratch
project, none carrying the case's marker variable).
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from pathlib import Path

import click
import psutil
import pytest
from click.testing import CliRunner
from conftest import KNOTEBOOK, make_project

from knotebook.cli import main
from knotebook.cli.options import Host

pytestmark = pytest.mark.slow

MISSING = "afile.txt/missing"  # under a file: no command can create it, not even as root
BUSY = "@BUSY_PORT@"  # replaced by a port a socket of this test listens on

# Base arguments: enough to get past required ones, so an option's bad value is what fails.
BASE: dict[str, list[str]] = {
    "dev": ["notebooks/vm_created.ipynb"],
    "events save": ["VmCreatedEvent", "-o", "out.json"],
    "events show": ["VmCreatedEvent"],
    "export": ["notebooks/vm_created.ipynb"],
    "new": ["fn-fuzz", "--event", "VmCreatedEvent"],
    "run": ["export/vm-created"],
    "try": ["export/vm-created"],
}

# Each command's own bad inputs (on top of the generic ones).
RECIPES: dict[str, list[list[str]]] = {
    "broker": [["notabundle"], ["badenv"], ["bad.ipynb"], ["export/vm-created", "--port", BUSY]],
    "clean": [["bad.ipynb"], ["empty.ipynb"]],
    "dev": [["bad.txt"], ["notebooks/vm_created.ipynb", "--port", BUSY]],
    "events list": [["--vsphere", "99.x"]],
    "events record": [
        ["--credentials", "bad.env"],
        ["--credentials", "adir"],
        ["--vcenter", "http://[::1"],
        ["--vcenter", "http://127.0.0.1:99999/sdk", "--credentials", "good.env"],
        ["--vcenter", "not a url", "--credentials", "good.env"],
        ["--vcenter", "https://127.0.0.1:1/sdk", "--credentials", "good.env", "--once"],
    ],
    "events samples": [["extra-argument"]],
    "events save": [
        ["NoSuchEvent", "-o", "out.json"],
        ["VmCreatedEvent", "-o", "existing.json"],
        ["VmCreatedEvent", "-o", "adir"],
        ["VmCreatedEvent", "-o", "afile.txt/x.json"],
    ],
    "events show": [
        ["NoSuchEvent"],
        ["VmCreatedEvent", "--set", "novalue"],
        ["VmCreatedEvent", "--set", "Vm.Nmae=web-42"],
        ["VmCreatedEvent", "--set", "Vm.Name.Deep=x"],
        ["VmCreatedEvent", "--time", "not-a-time"],
        ["VmCreatedEvent", "--variant", "nosuch"],
    ],
    "export": [["bad.ipynb"], ["empty.ipynb"], ["notebooks/vm_created.ipynb", "-o", "afile.txt"]],
    "init": [["afile.txt"], ["newproject", "--event", "NoSuchEvent"]],
    "init-ci": [["--path", "adir"], ["--path", "afile.txt/x.yml"]],
    "invoke": [
        ["http://127.0.0.1:99999", "--event", "VmCreatedEvent"],
        ["http://127.0.0.1:abc", "--event", "VmCreatedEvent"],
        ["http://[::1", "--event", "VmCreatedEvent"],
        ["ftp://127.0.0.1/", "--event", "VmCreatedEvent"],
        ["http://127.0.0.1:1", "--event", "VmCreatedEvent"],
        ["http://127.0.0.1:1", "--event", MISSING],
        ["http://127.0.0.1:1", "--event", "bad.json"],
        ["http://127.0.0.1:1", "--event", "NoSuchEvent"],
        ["http://127.0.0.1:1", "--event", "VmCreatedEvent", "--attr", "novalue"],
        ["nosuchfunction", "--event", "VmCreatedEvent"],
    ],
    "lab": [[MISSING + ".ipynb"], ["afile.txt"], ["--port", BUSY]],
    "new": [
        ["Bad Name!", "--event", "VmCreatedEvent"],
        ["fn-fuzz", "--event", "NoSuchEvent"],
        ["fn-fuzz", "--event", "VmCreatedEvent", "--folder", "afile.txt"],
    ],
    "run": [["notabundle"], ["badenv"], ["bad.ipynb"], ["export/vm-created", "--port", BUSY]],
    "source": [
        ["--credentials", "bad.env"],
        ["--to", "http://[::1", "--credentials", "good.env"],
        ["--vcenter", "http://127.0.0.1:99999/sdk", "--credentials", "good.env"],
    ],
    "try": [
        ["notabundle"],
        ["badenv"],
        ["bad.ipynb"],
        ["export/vm-created", "--event", MISSING],
        ["export/vm-created", "--event", "bad.json"],
        ["export/vm-created", "--event", "NoSuchEvent"],
    ],
    "validate": [["--jobs", "0"], ["--events", "NoSuchEvent", "notebooks/vm_created.ipynb"]],
    "vcsim": [["--vms", "-1"], ["--env-file", "adir"], ["--port", BUSY]],
}


def commands(group: click.Group = main, prefix: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name)), command


def generic_cases(name: str, command: click.Command) -> list[list[str]]:
    """Bad values derived from the command's parameters."""
    base = BASE.get(name, [])
    cases = [[*base, "--no-such-option"]]
    for param in command.params:
        if isinstance(param, click.Argument):
            if isinstance(param.type, click.Path):
                cases.append([MISSING])
            continue
        if not isinstance(param, click.Option) or param.is_flag or param.name == "help":
            continue
        flag = max(param.opts, key=len)
        kind = param.type
        if param.name == "port":
            cases += [[*base, flag, "99999"], [*base, flag, "-1"], [*base, flag, "abc"]]
        elif isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)):
            cases.append([*base, flag, "abc"])
        elif isinstance(kind, click.Choice):
            cases.append([*base, flag, "bogus-choice"])
        elif isinstance(kind, Host):
            cases.append([*base, flag, "not-an-address"])
        elif isinstance(kind, click.Path) and kind.exists:
            cases.append([*base, flag, MISSING])
    return cases


GENERIC = [(name, args) for name, command in commands() for args in generic_cases(name, command)]
RECIPE_CASES = [(name, args) for name in sorted(RECIPES) for args in RECIPES[name]]


def test_every_command_has_a_recipe():
    """A new command gets generic cases at once; its own bad inputs belong in RECIPES."""
    names = {name for name, _ in commands()}
    assert names - set(RECIPES) == set(), "add bad-argument recipes for these commands"
    assert set(RECIPES) - names == set(), "recipes for commands that no longer exist"


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("fuzz") / "project")
    proc = subprocess.run(
        [KNOTEBOOK, "export", "notebooks/vm_created.ipynb"], cwd=root, capture_output=True
    )
    assert proc.returncode == 0, proc.stderr
    (root / "bad.ipynb").write_text("{ not json")
    (root / "empty.ipynb").write_text("")
    (root / "bad.json").write_text("{ not json")
    (root / "bad.txt").write_text("not a notebook")
    (root / "bad.env").write_text("VCENTER_USER = me\n")
    (root / "good.env").write_text("VCENTER_USER=me\nVCENTER_PASSWORD=secret\n")
    (root / "afile.txt").write_text("a file where a folder belongs\n")
    (root / "existing.json").write_text('{"mine": true}\n')
    (root / "adir").mkdir()
    (root / "notabundle").mkdir()
    bad = root / "badenv"
    subprocess.run(["cp", "-r", str(root / "export" / "vm-created"), str(bad)], check=True)
    (bad / "k8s" / "function.env").write_text("ENV1 = spaced\n")
    return root


@pytest.fixture(scope="module")
def busy_port():
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        yield str(sock.getsockname()[1])


def leftovers(session: int, root: Path, marker: str) -> list[str]:
    found = []
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        try:
            if proc.pid == os.getpid() or proc.status() == psutil.STATUS_ZOMBIE:
                continue
            mine = os.getsid(proc.pid) == session
            if not mine:
                cwd = proc.cwd()
                mine = cwd == str(root) or cwd.startswith(f"{root}/")
            if not mine:
                mine = proc.environ().get("KNOTEBOOK_FUZZ_MARKER") == marker
        except (psutil.Error, OSError):
            continue
        if mine:
            found.append(f"{proc.pid} {' '.join(proc.info['cmdline'] or [])[:120]}")
    return found


def check_failure(code: int, out: str, err: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code in (1, 2), (code, out[-500:], err[-500:])
    assert "Traceback" not in err + out
    assert "internal error" not in err
    assert [line for line in lines if line.startswith("Error: ")] == lines[-1:], err
    assert lines and lines[-1].startswith("Error: "), err


@pytest.mark.parametrize(("name", "args"), GENERIC, ids=[f"{n}: {' '.join(a)}" for n, a in GENERIC])
def test_generic_bad_arguments_fail_in_one_line(fuzz_project, busy_port, name, args):
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(fuzz_project)
        mp.setenv("VCENTER_URL", "")
        result = runner.invoke(main, [*name.split(), *args], catch_exceptions=False)
    check_failure(result.exit_code, result.stdout, result.stderr)
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert [p for p in left if p.status() != psutil.STATUS_ZOMBIE] == []


@pytest.mark.parametrize(
    ("name", "args"), RECIPE_CASES, ids=[f"{n}: {' '.join(a)}" for n, a in RECIPE_CASES]
)
def test_bad_arguments_fail_in_one_line_and_leave_nothing_behind(
    fuzz_project, busy_port, name, args
):
    existing = (fuzz_project / "existing.json").read_bytes()
    argv = [busy_port if a == BUSY else a for a in [*name.split(), *args]]
    marker = uuid.uuid4().hex
    env = {**os.environ, "KNOTEBOOK_FUZZ_MARKER": marker, "VCENTER_URL": "", "NO_COLOR": "1"}
    env.pop("KNOTEBOOK_DEBUG", None)
    proc = subprocess.Popen(
        [KNOTEBOOK, *argv],
        cwd=fuzz_project,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        pytest.fail(f"knotebook {' '.join(argv)} did not finish in 120 s")
    deadline = time.monotonic() + 10
    while (left := leftovers(proc.pid, fuzz_project, marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    check_failure(proc.returncode, out, err)
    assert left == [], f"left behind: {left}"
    assert (fuzz_project / "existing.json").read_bytes() == existing
