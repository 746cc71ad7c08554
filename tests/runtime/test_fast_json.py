"""binding.loads (orjson first, json for what orjson refuses) decides exactly as json.loads."""

import importlib.util
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knotebook.runtime import binding

SAME = [
    b'{"Vm": {"Name": "web-01"}, "Key": 9}',
    b'{"a": 1, "a": 2}',  # duplicate keys: the last wins
    b"[1.5, -0.0, 1e5, 18446744073709551615]",
    b"123456789012345678901234567890",  # beyond 64 bits: orjson makes it a float
    b"[-9223372036854775809, 9223372036854775808, -9223372036854775808, 9007199254740993]",
    b"[-0, 1E2, 0.1000000000000000055511151231257827, 5e-324, 2.2250738585072014e-308]",
    b'{"id": "12345678901234567890123", "n": 1234567890123456789012}',
    b"[NaN, Infinity, -Infinity]",  # not JSON, but json.loads takes them
    b'"\\ud800"',  # a lone surrogate
    b'\xef\xbb\xbf{"bom": true}',  # a UTF-8 byte order mark
    '{"utf16": "ü"}'.encode("utf-16"),
    b"1e400",
    b' \n{"x": "\\u00e9"}\t',
]
BAD = [b"", b"{", b'{"a": 1,}', b'"tab\there"', b"\xff\xfe\xfd", b"01"]


@pytest.mark.parametrize("body", SAME)
def test_same_value_as_json(body: bytes) -> None:
    expected = json.loads(body)
    got = binding.loads(body)
    assert json.dumps(got) == json.dumps(expected)  # NaN-safe, type-exact comparison


@pytest.mark.parametrize("body", BAD)
def test_same_error_as_json(body: bytes) -> None:
    try:
        json.loads(body)
    except (ValueError, RecursionError) as exc:
        expected: BaseException = exc
    with pytest.raises(type(expected)) as raised:
        binding.loads(body)
    assert str(raised.value) == str(expected)


@pytest.mark.skipif(importlib.util.find_spec("orjson") is None, reason="orjson is not installed")
def test_nesting_deeper_than_orjson_takes_is_refused_without_json() -> None:
    # json.loads would raise RecursionError too; it is not called (see binding.loads)
    with pytest.raises(RecursionError, match="nested too deeply"):
        binding.loads(b"[" * 5000)
    assert binding.loads(b"[" * 1000 + b"]" * 1000) is not None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(JSON_VALUES, st.booleans())
def test_any_json_text_reads_as_json_reads_it(value: object, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    try:
        expected = json.loads(body)
    except ValueError as exc:
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            binding.loads(body)
        return
    assert json.dumps(binding.loads(body)) == json.dumps(expected)
