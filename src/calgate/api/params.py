# SPDX-License-Identifier: Apache-2.0
"""Lenient request parsing, as the official SDKs need (wire notes §1.3).

Parameters come from the query string and from a JSON or form body, on any method, GET
included. An empty body, ``{}`` and ``[]`` mean "no parameters". ``Content-Encoding`` is never
used to decode a request body (the C# SDK sends a bogus one).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from calgate.api import wire_json
from calgate.domain.errors import ValidationFailed


async def read_params(request: Request) -> dict[str, Any]:
    """Query parameters overlaid by body parameters. ``name[]`` keys become lists. A NUL
    character anywhere is a 422 (no database keeps one in text: PostgreSQL refuses it)."""
    params = await _read_params(request)
    if unstorable(params):
        raise ValidationFailed.single(
            "body", "invalid", "The request must not contain the NUL character (\\u0000) or a lone surrogate (\\ud800-\\udfff)"
        )
    return params


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # no database stores these in text, and no UTF-8 encodes a lone surrogate


def unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(unstorable(v) for v in value)
    return False


async def _read_params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    _merge(params, list(request.query_params.multi_items()))
    body = await request.body()
    if not body.strip():
        return params
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        _merge(params, parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        return params
    try:
        data = wire_json.loads(body)
    except ValueError:
        if content_type in ("", "application/json"):
            raise ValidationFailed.single("body", "invalid", "The request body is not valid JSON") from None
        return params
    if isinstance(data, dict):
        params.update(data)
    elif not (isinstance(data, list) and not data):
        raise ValidationFailed.single("body", "invalid", "The request body must be a JSON object")
    return params


def _merge(params: dict[str, Any], pairs: list[tuple[str, str]]) -> None:
    for key, value in pairs:
        if key.endswith("[]"):
            params.setdefault(key[:-2], []).append(value)
        else:
            params[key] = value


def text(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed.single(name, "invalid", f"{name} must be a string")
    return value


def boolean(params: dict[str, Any], name: str, default: bool = False) -> bool:
    """true/false in any case (pycronofy sends Python's True/False), 1/0, or JSON booleans."""
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValidationFailed.single(name, "invalid", f"{name} must be true or false")
