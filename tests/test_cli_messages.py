"""Usage errors say what was expected, in one line, with exit status 2."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("vcsim", "--port", "abc"), "'abc' is not a port number (0-65535)"),
        (("run", "x", "--port", "abc"), "'abc' is not a port number (0-65535)"),
        (("vcsim", "--vms", "x"), "'x' is not a whole number (0 or more)"),
        (("broker", "--backoff-scale", "-1"), "-1.0 is not in the range x>=0"),
        (("broker", "--backoff-scale", "fast"), "'fast' is not a factor (0 or more)"),
        (("validate", "--jobs", "many"), "'many' is not a whole number (1 or more)"),
    ],
)
def test_a_bad_number_says_what_is_expected(cli, tmp_path, args, message):
    result = cli(*args, cwd=tmp_path)
    assert result.exit_code == 2
    assert message in result.output
    assert "valid integer" not in result.output and "valid float" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("spec", ["3/2", "0/2", "x"])
def test_a_malformed_shard_is_a_usage_error(cli, tmp_path, spec):
    result = cli("validate", "--shard", spec, cwd=tmp_path)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: --shard {spec}: ")
    assert result.output.rstrip().endswith("validate --help)")  # prog name: main here


def test_clean_says_how_many_notebooks_are_clean(cli, tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("a", "b"):
        nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), folder / f"{name}.ipynb")
    checked = cli("clean", "--check", "notebooks/", cwd=tmp_path)
    assert checked.exit_code == 0
    assert checked.output == "2 notebooks clean\n"
    dirty = nbformat.read(folder / "b.ipynb", as_version=4)
    dirty.cells[0].outputs = [new_output("stream", text="1\n")]
    nbformat.write(dirty, folder / "b.ipynb")
    cleaned = cli("clean", "notebooks/", cwd=tmp_path)
    assert cleaned.output == "cleaned notebooks/b.ipynb\n1 notebook already clean\n"
