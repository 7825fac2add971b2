"""Checks a request against Google's Calendar v3 discovery document, as shipped in
google-api-python-client (``googleapiclient/discovery_cache/documents/calendar.v3.json``).

A request passes when: its HTTP method and path match one method's ``httpMethod`` and
``path`` template (below ``servicePath``); every query parameter is declared on that method
(or is one of the document's global ``parameters``) with ``location: query``, is given once
unless ``repeated``, and fits its ``type`` (boolean, integer with ``minimum``/``maximum``),
``enum`` and ``format`` (date-time: RFC 3339 with an offset; date); every ``required``
parameter is there; and a JSON body is an object whose keys are properties of the method's
``request`` schema (nested objects of a ``$ref`` schema are checked the same way). A body on a
method that declares no request is refused.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import unquote

DOCUMENT = "discovery_cache/documents/calendar.v3.json"


class Invalid(ValueError):
    """The request does not fit the discovery document."""


@dataclass(frozen=True)
class Match:
    method_id: str  # e.g. "calendar.events.list"
    path_params: dict[str, str]
    query: dict[str, list[str]]
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class _Method:
    id: str
    http_method: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]
    literal_parts: int
    spec: dict[str, Any]


@cache
def document() -> dict[str, Any]:
    text = (importlib.resources.files("googleapiclient") / DOCUMENT).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _methods() -> tuple[_Method, ...]:
    found: list[_Method] = []

    def walk(resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for spec in resource.get("methods", {}).values():
                path = spec["path"]
                names = tuple(re.findall(r"\{([^}]+)\}", path))
                regex = re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(path))
                literal = len([part for part in path.split("/") if "{" not in part])
                found.append(_Method(spec["id"], spec["httpMethod"], re.compile(regex), names, literal, spec))
            walk(resource.get("resources", {}))

    walk(document()["resources"])
    found.sort(key=lambda m: -m.literal_parts)  # "events/import" before "events/{eventId}"
    return tuple(found)


def validate(http_method: str, path: str, query: list[tuple[str, str]], body: bytes) -> Match:
    """``path`` is below the service path (``calendars/primary/events``), still percent-encoded."""
    for method in _methods():
        if method.http_method != http_method:
            continue
        hit = method.pattern.fullmatch(path)
        if hit is None:
            continue
        path_params = {name: unquote(value) for name, value in zip(method.names, hit.groups())}
        params = _query(method, query)
        _required(method, path_params, params)
        _body(method, body)
        return Match(method.id, path_params, params, tuple(method.spec.get("scopes", ())))
    raise Invalid(f"no method of the discovery document is {http_method} {path}")


def _query(method: _Method, query: list[tuple[str, str]]) -> dict[str, list[str]]:
    declared = {**document()["parameters"], **method.spec.get("parameters", {})}
    params: dict[str, list[str]] = {}
    for name, value in query:
        params.setdefault(name, []).append(value)
    for name, values in params.items():
        spec = declared.get(name)
        if spec is None or spec.get("location") != "query":
            raise Invalid(f"{method.id}: query parameter {name!r} is not declared")
        if len(values) > 1 and not spec.get("repeated"):
            raise Invalid(f"{method.id}: query parameter {name!r} given {len(values)} times")
        for value in values:
            _check_value(method.id, name, value, spec)
    return params


def _check_value(method_id: str, name: str, value: str, spec: dict[str, Any]) -> None:
    kind = spec.get("type")
    if kind == "boolean" and value not in ("true", "false"):
        raise Invalid(f"{method_id}: {name} must be true or false")
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", value):
            raise Invalid(f"{method_id}: {name} must be an integer")
        if "minimum" in spec and int(value) < int(spec["minimum"]):
            raise Invalid(f"{method_id}: {name} is below {spec['minimum']}")
        if "maximum" in spec and int(value) > int(spec["maximum"]):
            raise Invalid(f"{method_id}: {name} is above {spec['maximum']}")
    if "enum" in spec and value not in spec["enum"]:
        raise Invalid(f"{method_id}: {name} must be one of {spec['enum']}")
    if spec.get("format") == "date-time" and not is_datetime(value):
        raise Invalid(f"{method_id}: {name} is not an RFC 3339 date-time with an offset")
    if spec.get("format") == "date" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise Invalid(f"{method_id}: {name} is not a date")


def is_datetime(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", value):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _required(method: _Method, path_params: dict[str, str], params: dict[str, list[str]]) -> None:
    for name, spec in method.spec.get("parameters", {}).items():
        if spec.get("required") and name not in path_params and name not in params:
            raise Invalid(f"{method.id}: required parameter {name!r} is missing")
    for name, value in path_params.items():
        if not value:
            raise Invalid(f"{method.id}: path parameter {name!r} is empty")


def _body(method: _Method, body: bytes) -> None:
    request = method.spec.get("request")
    if not body.strip():
        return
    if request is None:
        raise Invalid(f"{method.id}: takes no request body")
    try:
        value = json.loads(body)
    except ValueError:
        raise Invalid(f"{method.id}: the body is not JSON") from None
    _check_object(method.id, value, document()["schemas"][request["$ref"]], request["$ref"])


def _check_object(method_id: str, value: Any, schema: dict[str, Any], where: str) -> None:
    if not isinstance(value, dict):
        raise Invalid(f"{method_id}: {where} must be a JSON object")
    properties = schema.get("properties", {})
    for key, item in value.items():
        if key not in properties:
            raise Invalid(f"{method_id}: {where} has no property {key!r}")
        _check_nested(method_id, item, properties[key], f"{where}.{key}")


def _check_nested(method_id: str, value: Any, spec: dict[str, Any], where: str) -> None:
    if value is None:
        return
    if "$ref" in spec:
        _check_object(method_id, value, document()["schemas"][spec["$ref"]], where)
    elif spec.get("type") == "array" and isinstance(value, list) and "$ref" in spec.get("items", {}):
        for item in value:
            _check_object(method_id, item, document()["schemas"][spec["items"]["$ref"]], where + "[]")
    elif spec.get("type") == "object" and "properties" in spec:
        _check_object(method_id, value, spec, where)
    elif spec.get("format") == "date-time" and isinstance(value, str) and not is_datetime(value):
        raise Invalid(f"{method_id}: {where} is not an RFC 3339 date-time with an offset")
