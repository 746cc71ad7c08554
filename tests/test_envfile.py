"""Env files: exactly the KEY=VALUE subset that kubectl, kustomize, docker and dotenv agree on."""

import pytest

from knotebook.errors import EnvFileError
from knotebook.project import envfile


def test_parses_strict_lines_comments_and_blank_lines():
    text = "\ufeff# settings\nENV1=VALUE1\n\n  ENV2=a=b c\nEMPTY=\n"
    assert envfile.parse(text) == {"ENV1": "VALUE1", "ENV2": "a=b c", "EMPTY": ""}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("ENV1 = VALUE1", "spaces around '='"),
        ("ENV1= VALUE1", "spaces around '='"),
        ("ENV1 =VALUE1", "spaces around '='"),
        ("export ENV1=VALUE1", "'export' prefix"),
        ('ENV1="quoted value"', "quotes around the value"),
        ("JUST_A_WORD", "expected KEY=VALUE"),
        ("1ENV=x", "invalid variable name"),
        ("MY-VAR=x", "invalid variable name"),
        ("PORT=9000", "reserved by Knative"),
        ("ENV1=value   ", "trailing whitespace"),
        ("ENV1=a\r", "Windows line ending"),
    ],
)
def test_rejects_what_kubectl_or_docker_would_reject_with_file_and_line(line, reason):
    with pytest.raises(EnvFileError) as info:
        envfile.parse(f"# header\nOK=1\n{line}\n", "k8s/function.env")
    assert str(info.value).startswith("k8s/function.env:3: ")
    assert reason in str(info.value)


def test_duplicate_keys_are_rejected():
    with pytest.raises(EnvFileError, match=r"f.env:2: ENV1 is set twice"):
        envfile.parse("ENV1=a\nENV1=b\n", "f.env")


def test_render_round_trips_and_refuses_multiline_values():
    values = {"B": "2", "A": "x=y"}
    assert envfile.render(values) == "B=2\nA=x=y\n"
    assert envfile.parse(envfile.render(values)) == values
    with pytest.raises(ValueError, match="spans lines"):
        envfile.render({"A": "line1\nline2"})


def test_read_reports_missing_and_non_utf8_files(tmp_path):
    with pytest.raises(EnvFileError, match="No such file"):
        envfile.read(tmp_path / "nope.env")
    bad = tmp_path / "bad.env"
    bad.write_bytes(b"A=\xff\n")
    with pytest.raises(EnvFileError, match=r"bad.env:1: not UTF-8"):
        envfile.read(bad)
