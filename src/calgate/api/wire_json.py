# SPDX-License-Identifier: Apache-2.0
"""JSON on the wire at orjson's speed, with the standard library's answers (issue 18).

``dumps`` gives the bytes Starlette's ``JSONResponse`` gave (``json.dumps`` with
``ensure_ascii=False`` and compact separators, UTF-8): the same keys in the same order,
non-ASCII as UTF-8, non-string keys as strings. What orjson refuses (an integer beyond 64 bits,
a lone surrogate, a key orjson cannot turn into a string) goes to ``json.dumps``, which answers
or raises as before. One difference is left: NaN and ±Infinity, which JSON cannot express,
become ``null`` where ``json.dumps(allow_nan=False)`` raised (a 500); no answer of calgate holds
a float.

A datetime (which the standard library cannot write) is written by orjson, in UTC as the wire's
Time: ``YYYY-MM-DDTHH:MM:SSZ``, whole seconds, what ``times.format_time`` gives (``reads.
event_time`` hands the large reads' UTC times over as they are: orjson writes them ten times
faster than Python formats them). Whichever path a body takes, a datetime reads the same.

``loads`` gives what ``json.loads`` gives for a request body. orjson reads a subset of what
``json.loads`` reads and, where both read, the same values, except integers beyond 64 bits
(orjson makes them floats: such bodies, and any with 19 digits in a row, go to ``json.loads``).
Whatever orjson refuses goes to ``json.loads`` too, so NaN, a UTF-8 byte order mark, UTF-16,
lone surrogates (``"\\ud800"``, or encoded) and invalid JSON are read, or refused with a
``ValueError``, exactly as before: the callers' 422s do not change.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS
# 2**63 has 19 digits: a shorter integer is exact in orjson. Digits become "0", all else " ",
# then a run of 19 is one bytes.find (a regex takes ten times as long on a large body).
_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_NUMBER = b"0" * 19


def dumps(content: Any) -> bytes:
    try:
        return orjson.dumps(content, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(
            content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"), default=_datetime,
        ).encode("utf-8")


def _datetime(value: Any) -> str:
    """For ``json.dumps``: a datetime (or date, time) as orjson writes it; anything else refused."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return str(orjson.loads(orjson.dumps(value, option=_OPTIONS)))
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def loads(body: bytes) -> Any:
    """``json.loads(body)``, faster. Raises ``ValueError`` for what is no JSON."""
    if body.translate(_DIGITS).find(_LONG_NUMBER) < 0:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return json.loads(body)
