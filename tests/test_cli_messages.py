"""Usage errors say what was expected, in one line, with exit status 2."""

import pytest


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
