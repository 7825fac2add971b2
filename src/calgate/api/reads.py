# SPDX-License-Identifier: Apache-2.0
"""What Read Events and Free/Busy share on the wire (wire notes §4.3, §5, §7): their query
parameters, the signed page tokens behind ``next_page`` and the ``pages`` envelope.

A page token is the domain's ``reads.Cursor`` signed with the server's secret key (the old
keys still open tokens while rotating), salted per resource so an events token is no
free/busy token. It names the grant that started the read; the domain refuses it to anyone
else. ``next_page`` is absolute, from ``CALGATE_PUBLIC_URL``, and carries no query string:
the Node SDK appends the original options to it, and the page routes ignore them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from itsdangerous import BadSignature, URLSafeSerializer

from calgate.api.errors import json_response
from calgate.api.params import boolean
from calgate.config import Settings
from calgate.domain import reads, times
from calgate.domain.errors import NotFound
from calgate.domain.authorization import Caller
from calgate.domain.model import utcnow
from calgate.services import Services

PATHS = {
    reads.EVENTS: "/v1/events/pages",
    reads.FREE_BUSY: "/v1/free_busy/pages",
    reads.AVAILABLE_PERIODS: "/v1/available_periods/pages",
}


def query(request: Request, params: dict[str, Any]) -> reads.Query:
    """The read's parameters from the query string or a JSON body (pycronofy sends ``{}``)."""
    flags = {name: boolean(params, name) for name in reads.FLAGS}
    values = {name: params.get(name) for name in ("tzid", "from", "to", "last_modified")}
    calendar_ids = params.get("calendar_ids")
    plain = request.query_params.getlist("calendar_ids")
    if isinstance(calendar_ids, str) and len(plain) > 1:  # calendar_ids=a&calendar_ids=b
        calendar_ids = plain + request.query_params.getlist("calendar_ids[]")
    values["calendar_ids"] = calendar_ids
    return reads.Query.parse(values, flags, utcnow())


def _serializer(settings: Settings, kind: str) -> URLSafeSerializer:
    keys = [*settings.old_keys, settings.secret_key.get_secret_value()]  # newest last
    return URLSafeSerializer(keys, salt=f"calgate.pages.{kind}")


def open_cursor(settings: Settings, kind: str, token: str) -> reads.Cursor:
    try:
        data = _serializer(settings, kind).loads(token)
    except BadSignature:
        raise NotFound("page") from None
    return reads.Cursor.from_data(data)


Reader = Callable[[Any, Caller, "reads.Query | reads.Cursor", int, dt.datetime], "reads.Page[Any]"]


def respond(
    services: Services,
    caller: Caller,
    request: reads.Query | reads.Cursor,
    read: Reader,
    key: str,
    shape: Callable[[Any, reads.Query], dict[str, Any]],
) -> JSONResponse:
    """One page of a paged read, as ``{"pages": …, key: [shape(item, query), …]}`` (the
    query says how to show them: ``localized_times``, ``include_geo``…)."""
    settings = services.settings
    with services.reader() as uow:
        page = read(uow, caller, request, settings.page_size, utcnow())
    query = page.cursor.query
    return json_response({"pages": pages(settings, page), key: [shape(item, query) for item in page.items]})


def pages(settings: Settings, page: reads.Page[Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"current": page.current, "total": page.total}
    if page.next is not None:
        token = _serializer(settings, page.next.kind).dumps(page.next.to_data())
        body["next_page"] = f"{settings.public_url}{PATHS[page.next.kind]}/{token}"
    return body


def event_time(value: times.EventTime, localized: bool) -> str | dt.datetime | dict[str, str]:
    """A plain Time (UTC) or Date, or ``{"time": local time with offset or date, "tzid"}``."""
    if localized:
        return {"time": value.localized(), "tzid": value.tzid}
    moment = value.value
    if isinstance(moment, dt.datetime) and moment.tzinfo is times.UTC:
        return moment  # wire_json writes it as value.wire() would, faster
    return value.wire()
