# SPDX-License-Identifier: Apache-2.0
"""The API's description: ``GET /openapi.json`` and ``GET /docs``.

The document is written by hand (``api/openapi.json``, OpenAPI 3.1): the routes parse their
parameters by hand, so FastAPI could not describe them. It is served with ``servers`` set to
``CALGATE_PUBLIC_URL``. ``/docs`` renders the same document as one self-contained HTML page
(no script, no stylesheet from elsewhere): each operation's summary, credentials, parameters,
request body and responses, then the shared schemas they link to.
``tests/fuzz/test_schemathesis.py`` holds the document to what the server answers.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from calgate.api import wire_json
from calgate.api.deps import ServicesDep
from calgate.api.errors import JSON_TYPE

router = APIRouter(include_in_schema=False)

METHODS = ("get", "post", "put", "patch", "delete")
_REQUIRED = ' <span class="required">required</span>'
CONSTRAINTS = (
    "format", "minLength", "maxLength", "pattern", "minimum", "maximum", "minItems", "maxItems", "minProperties", "default",
)


@functools.cache
def document() -> Mapping[str, Any]:
    """The document as shipped (``servers`` not yet filled in). Callers must not change it."""
    text = resources.files("calgate.api").joinpath("openapi.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def served(public_url: str) -> dict[str, Any]:
    """The document as this server answers it: ``servers`` is ``CALGATE_PUBLIC_URL``."""
    return {**document(), "servers": [{"url": public_url}]}


@functools.lru_cache(maxsize=4)
def served_json(public_url: str) -> bytes:
    """``served`` as the bytes of the answer: rendered once per process, not per request."""
    return wire_json.dumps(served(public_url))


@router.get("/openapi.json")
def openapi_json(services: ServicesDep) -> Response:
    return Response(served_json(services.settings.public_url), media_type=JSON_TYPE)


@router.get("/docs")
def docs(services: ServicesDep) -> HTMLResponse:
    return HTMLResponse(render(services.settings.public_url))


# -- rendering ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def render(public_url: str) -> str:
    doc = served(public_url)
    info = doc["info"]
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(info['title'])}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{_e(info['title'])} <small>{_e(info['version'])}</small></h1>",
        f"<p>{_text(info.get('description', ''))}</p>",
        f"<p>Base URL: <code>{_e(public_url)}</code> · the document: <a href=\"/openapi.json\">/openapi.json</a></p>",
        '<nav><h2>Operations</h2>', _contents(doc), "</nav>",
        '<section id="credentials"><h2>Credentials</h2><dl>',
    ]
    for name, scheme in doc["components"]["securitySchemes"].items():
        parts.append(f'<dt id="security-{_e(name)}"><code>{_e(name)}</code></dt><dd>{_text(scheme.get("description", ""))}</dd>')
    parts.append("</dl></section>")
    for tag, operations in _by_tag(doc):
        parts.append(f'<section><h2 id="tag-{_slug(tag)}">{_e(tag)}</h2>')
        parts.extend(_operation(doc, path, method, operation) for path, method, operation in operations)
        parts.append("</section>")
    parts.append('<section id="schemas"><h2>Schemas</h2>')
    for name, schema in doc["components"]["schemas"].items():
        parts.append(f'<article class="schema" id="schema-{_e(name)}"><h3>{_e(name)}</h3>{_schema(schema)}</article>')
    parts.append("</section></main></body></html>")
    return "\n".join(parts)


def _operations(doc: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _by_tag(doc: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, str, Mapping[str, Any]]]]]:
    order = [t["name"] for t in doc.get("tags", [])]
    groups: dict[str, list[tuple[str, str, Mapping[str, Any]]]] = {name: [] for name in order}
    for path, method, operation in _operations(doc):
        groups.setdefault((operation.get("tags") or ["Other"])[0], []).append((path, method, operation))
    return [(tag, ops) for tag, ops in groups.items() if ops]


def _contents(doc: Mapping[str, Any]) -> str:
    items = []
    for tag, operations in _by_tag(doc):
        links = "".join(
            f'<li><a href="#{_anchor(path, method, op)}"><span class="method {method}">{method.upper()}</span> '
            f"<code>{_e(path)}</code></a> {_e(op.get('summary', ''))}</li>"
            for path, method, op in operations
        )
        items.append(f'<li><a href="#tag-{_slug(tag)}">{_e(tag)}</a><ul>{links}</ul></li>')
    return f"<ul>{''.join(items)}</ul>"


def _operation(doc: Mapping[str, Any], path: str, method: str, operation: Mapping[str, Any]) -> str:
    parts = [
        f'<article class="operation" id="{_anchor(path, method, operation)}">',
        f'<h3><span class="method {method}">{method.upper()}</span> <code>{_e(path)}</code></h3>',
        f"<p class=\"summary\">{_e(operation.get('summary', ''))}</p>",
    ]
    if operation.get("description"):
        parts.append(f"<p>{_text(operation['description'])}</p>")
    parts.append(f"<p><strong>Credentials:</strong> {_security(operation.get('security', doc.get('security', [])))}</p>")
    parameters = [_resolve(doc, p) for p in operation.get("parameters", [])]
    if parameters:
        parts.append("<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>schema</th><th>description</th></tr>")
        for p in parameters:
            required = _REQUIRED if p.get("required") else ""
            example = f"<br>e.g. <code>{_e(p['example'])}</code>" if "example" in p else ""
            parts.append(
                f"<tr><td><code>{_e(p['name'])}</code>{required}</td><td>{_e(p['in'])}</td>"
                f"<td>{_schema(p.get('schema', {}))}</td><td>{_text(p.get('description', ''))}{example}</td></tr>"
            )
        parts.append("</table>")
    if "requestBody" in operation:
        request_body = _resolve(doc, operation["requestBody"])
        required = " (required)" if request_body.get("required") else ""
        parts.append(f"<h4>Request body{required}</h4>")
        parts.append(_content(request_body.get("content", {})))
    parts.append("<h4>Responses</h4><dl class=\"responses\">")
    for status, response in operation.get("responses", {}).items():
        response = _resolve(doc, response)
        headers = "".join(
            f"<br>Header <code>{_e(name)}</code>: {_text(header.get('description', ''))} {_schema(header.get('schema', {}))}"
            for name, header in response.get("headers", {}).items()
        )
        parts.append(f"<dt>{_e(status)}</dt><dd>{_text(response.get('description', ''))}{headers}{_content(response.get('content', {}))}</dd>")
    parts.append("</dl></article>")
    return "\n".join(parts)


def _content(content: Mapping[str, Any]) -> str:
    parts = []
    for media_type, media in content.items():
        example = ""
        if "example" in media:
            example = f"<details><summary>Example</summary><pre>{_e(json.dumps(media['example'], indent=2))}</pre></details>"
        parts.append(f'<div class="media"><code>{_e(media_type)}</code> {_schema(media.get("schema", {}))}{example}</div>')
    return "".join(parts)


def _security(requirements: list[Mapping[str, list[str]]]) -> str:
    if not requirements:
        return "none in a header (client credentials, where needed, travel in the body)"
    alternatives = []
    for requirement in requirements:
        names = []
        for name, scopes in requirement.items():
            scope_text = f" with {', '.join(f'<code>{_e(s)}</code>' for s in scopes)}" if scopes else ""
            names.append(f'<a href="#security-{_e(name)}"><code>{_e(name)}</code></a>{scope_text}')
        alternatives.append(" and ".join(names))
    return " or ".join(alternatives)


def _schema(schema: Any) -> str:
    """A schema as nested lists: type and constraints, properties, alternatives; ``$ref``
    becomes a link to the shared schema."""
    if not isinstance(schema, Mapping):
        return ""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a class="ref" href="#schema-{_e(name)}">{_e(name)}</a>'
    words = []
    kind = schema.get("type")
    if kind is not None:
        words.append(" or ".join(kind) if isinstance(kind, list) else str(kind))
    if "const" in schema:
        words.append(f"= <code>{_e(json.dumps(schema['const']))}</code>")
    if "enum" in schema:
        words.append("one of " + ", ".join(f"<code>{_e(json.dumps(v))}</code>" for v in schema["enum"]))
    for key in CONSTRAINTS:
        if key in schema:
            words.append(f"{key} <code>{_e(json.dumps(schema[key]) if key != 'pattern' else schema[key])}</code>")
    if schema.get("deprecated"):
        words.append('<span class="deprecated">deprecated</span>')
    parts = [f'<span class="type">{" · ".join(words)}</span>'] if words else []
    if schema.get("description"):
        parts.append(f'<span class="description">{_text(schema["description"])}</span>')
    if "items" in schema:
        parts.append(f"<div>items: {_schema(schema['items'])}</div>")
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    if properties:
        rows = "".join(
            f"<li><code>{_e(name)}</code>{_REQUIRED if name in required else ''} {_schema(sub)}</li>"
            for name, sub in properties.items()
        )
        parts.append(f"<ul>{rows}</ul>")
    unlisted = sorted(required - set(properties))
    if unlisted:
        parts.append("<div>requires " + ", ".join(f"<code>{_e(n)}</code>" for n in unlisted) + "</div>")
    if isinstance(schema.get("additionalProperties"), Mapping):
        parts.append(f"<div>each other key: {_schema(schema['additionalProperties'])}</div>")
    for key, label in (("allOf", "all of"), ("anyOf", "any of"), ("oneOf", "exactly one of")):
        if key in schema:
            parts.append(f"<div>{label}:<ol>{''.join(f'<li>{_schema(s)}</li>' for s in schema[key])}</ol></div>")
    if "not" in schema:
        parts.append(f"<div>and not: {_schema(schema['not'])}</div>")
    return f'<div class="schema-body">{"".join(parts)}</div>'


def _resolve(doc: Mapping[str, Any], item: Mapping[str, Any]) -> Mapping[str, Any]:
    """A parameter, request body or response, with a local ``$ref`` followed."""
    if "$ref" not in item:
        return item
    target: Any = doc
    for key in item["$ref"].removeprefix("#/").split("/"):
        target = target[key]
    return target  # type: ignore[no-any-return]


def _anchor(path: str, method: str, operation: Mapping[str, Any]) -> str:
    return "op-" + _slug(operation.get("operationId") or f"{method}-{path}")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _text(value: str) -> str:
    """Escaped prose with ``code`` spans."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(value))


_CSS = """
body{font:15px/1.5 system-ui,sans-serif;color:#1d2230;background:#fafbfc;margin:0}
main{max-width:72rem;margin:0 auto;padding:1rem 2rem 4rem}
h1 small{font-weight:normal;color:#667}
h2{border-bottom:2px solid #dde;padding-bottom:.2rem;margin-top:2.5rem}
code,pre{font-family:ui-monospace,monospace;font-size:.9em;background:#eef0f4;border-radius:3px;padding:0 .2em}
pre{padding:.5rem;overflow-x:auto}
article{background:#fff;border:1px solid #dde;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.method{display:inline-block;min-width:4.2em;text-align:center;border-radius:3px;color:#fff;font-size:.8em;font-weight:bold;padding:.1em .3em}
.get{background:#2f6fb0}.post{background:#2c8a4b}.delete{background:#b03a2f}.put,.patch{background:#a36a00}
.summary{font-weight:600}.required{color:#b03a2f;font-size:.8em}.deprecated{color:#a36a00}
.type{color:#445}.description{display:block;color:#333}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #dde;padding:.3rem;text-align:left;vertical-align:top}
.schema-body ul,.schema-body ol{margin:.2rem 0;padding-left:1.4rem}
dl.responses dt{font-weight:bold;margin-top:.4rem}
nav ul{padding-left:1.2rem}
"""
