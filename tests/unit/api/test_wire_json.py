# SPDX-License-Identifier: Apache-2.0
"""api/wire_json against the standard library it replaces: the bytes Starlette's JSONResponse
wrote, and what ``json.loads`` read from a request body (the value, with its type, or a
``ValueError``, or the same other error)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calgate.api import wire_json
from calgate.domain.times import format_time


def stdlib_bytes(content: Any) -> bytes:
    """What Starlette's JSONResponse.render gave."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode("utf-8")


def outcome(call: Any, *args: Any) -> tuple[str, Any]:
    try:
        value = call(*args)
    except ValueError:
        return "ValueError", None
    except Exception as exc:  # noqa: BLE001 - the kind of error is what is compared
        return "raised", type(exc)
    return "value", repr(value)  # repr: 1 and 1.0 and True differ


texts = st.text(st.characters(codec="utf-8"), max_size=20)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(texts, inner, max_size=5), max_leaves=25
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_dumps_gives_the_bytes_of_the_standard_library(value: Any) -> None:
    if any(isinstance(v, float) for v in _leaves(value)):
        assert json.loads(wire_json.dumps(value)) == json.loads(stdlib_bytes(value))  # 1e-07 is 1e-7
    else:
        assert wire_json.dumps(value) == stdlib_bytes(value)


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1000, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.timezones()), st.booleans())
def test_a_datetime_is_written_as_the_wires_time_on_either_path(moment: dt.datetime, beyond_64_bits: bool) -> None:
    """In UTC, whole seconds, with Z: what ``format_time`` writes (``reads.event_time`` hands UTC
    times over as they are), through orjson or, beside an integer orjson refuses, json.dumps."""
    utc = moment.astimezone(dt.timezone.utc)
    body = {"start": utc, **({"big": 2**64} if beyond_64_bits else {})}
    assert json.loads(wire_json.dumps(body))["start"] == format_time(moment)


@pytest.mark.parametrize(
    "content",
    [
        {"s": "".join(chr(c) for c in range(0xD800)) + "\ue000\U0010ffff"},  # every character, non-ASCII as UTF-8
        {1: "a", None: "b", True: "c", "d": (1, 2)},  # keys become strings as json.dumps makes them
        {"big": 2**64, "small": -(2**63) - 1},  # beyond 64 bits: the standard library writes them
    ],
)
def test_dumps_of_what_orjson_writes_differently_or_not_at_all(content: Any) -> None:
    assert wire_json.dumps(content) == stdlib_bytes(content)


def test_dumps_refuses_what_the_standard_library_refused() -> None:
    for content in ({"s": "\ud800"}, {(1, 2): "tuple key"}):
        assert outcome(wire_json.dumps, content)[0] != "value"
        assert outcome(wire_json.dumps, content) == outcome(stdlib_bytes, content)


@settings(max_examples=400, deadline=None)
@given(values)
def test_loads_reads_what_json_loads_reads(value: Any) -> None:
    for body in (json.dumps(value).encode(), json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")):
        assert outcome(wire_json.loads, body) == outcome(json.loads, body)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=30) | st.text(max_size=30).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_loads_of_any_bytes_is_json_loads(body: bytes) -> None:
    assert outcome(wire_json.loads, body) == outcome(json.loads, body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"n": 123456789012345678901234567890}',  # orjson would read a float
        b'{"n": 999999999999999999, "m": -999999999999999999}',  # 18 digits: orjson reads them
        b'{"n": 9223372036854775807, "s": "1234567890123456789"}',  # 19 digits: json reads them
        b'{"n": -9223372036854775809}',
        b'{"n": 18446744073709551616}',
        b'{"n": 1' + b"0" * 400 + b"}",
        b'{"f": 1e400}',
        b'{"f": NaN, "g": -Infinity}',
        b'\xef\xbb\xbf{"a": 1}',  # a UTF-8 byte order mark
        '{"a": "\u00e9"}'.encode("utf-16"),
        b'{"s": "\\ud800"}',  # a lone surrogate, escaped
        b'{"s": "\xed\xa0\x80"}',  # and encoded
        b'{"s": "\\u0000"}',
        b'{"a": 1, "a": 2}',
        b'{"a": 1}\x00',
        b"\x0c{}",
        b"{",
        b"[" * 5000,  # too deep: RecursionError, as before
    ],
)
def test_loads_of_what_orjson_reads_differently_or_not_at_all(body: bytes) -> None:
    assert outcome(wire_json.loads, body) == outcome(json.loads, body)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]
