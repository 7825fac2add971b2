# SPDX-License-Identifier: Apache-2.0
"""The availability explorer: "why is this slot not offered?" answered with a picture.

The developer picks accounts of an application (or pastes an availability request), and the
explorer runs it through ``api.availability.answer``, the very function behind
``POST /v1/availability``, with calgate's ``explain`` and ``include_member_statuses`` turned
on. It draws a week grid (``lanes``): one lane per member with the parts of the week that
member cannot take and why (the explanations), and one lane with the available periods or
slots. Below it, the request as run, as JSON, ``curl`` and pycronofy (``snippets``), so
copying it gives exactly what is drawn. Bad input is the API's 422 shown on the page.

In free_busy mode the explanations carry no event details by construction, and nothing here
adds any: a bar's label is its reason and, when the answer gives one, its ``event_id``.

Only the application's owner sees it; anyone else gets the same 404 as for an unknown id.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from calgate.api import availability, availability_wire, params
from calgate.api.deps import ServicesDep
from calgate.api.errors import validation_body
from calgate.domain import account_overview, times
from calgate.domain.account_overview import AccountSummary
from calgate.domain.errors import ValidationFailed
from calgate.domain.model import Application, Developer, utcnow
from calgate.services import Services
from calgate.web.dashboard import lanes, snippets
from calgate.web.dashboard._session import DeveloperDep, owned_application, page, to_sign_in
from calgate.web.pages import FormDep, field_errors

router = APIRouter()
PATH = "/dashboard/apps/{application_id}/explorer"

REASONS = {  # the explanations' reasons, in words (the legend)
    "busy": "Busy: an event",
    "tentative": "Tentative: an event not yet accepted (busy unless tentative_as_busy is false)",
    "outside_availability_rules": "Outside the person's availability rules",
    "buffer": "Buffer before or after an event",
    "constraint": "Constraint reached (events per day or week)",
    "source_unavailable": "Calendar source cannot vouch (stale or needs relink)",
}
AVAILABLE = "available"
FORMATS = ("periods", "slots")
DEFAULT_DURATION, DEFAULT_TZID = "30", "Etc/UTC"
EXTENSIONS = {"explain": True, "include_member_statuses": True}


@dataclass
class Choice:
    """What the form holds (as typed, so a mistake keeps it)."""

    members: list[str] = field(default_factory=list)
    duration: str = DEFAULT_DURATION
    week: str = ""
    tzid: str = DEFAULT_TZID
    response_format: str = "periods"
    managed: bool = True
    request_json: str = ""


@dataclass
class Drawing:
    rows: list[lanes.Lane]
    ticks: list[lanes.Tick]
    legend: list[tuple[str, str]]
    available: list[lanes.Bar]
    caption: str
    noun: str  # "available periods" or "available slots"


def _load(services: Services, developer: Developer, application_id: str) -> tuple[Application, list[AccountSummary]]:
    """The developer's application (else the 404 page) and its accounts."""
    stale_after = dt.timedelta(seconds=services.settings.stale_after)
    app = owned_application(services, developer, application_id)
    with services.uow() as uow:
        accounts = account_overview.of_application(uow, app.id, utcnow(), stale_after)
    return app, accounts


def _render(
    request: Request, developer: Developer, app: Application, accounts: list[AccountSummary], choice: Choice,
    status: int = 200, **context: Any,
) -> HTMLResponse:
    return page(
        request, "explorer.html", developer, status=status, app=app, accounts=accounts, form=choice,
        formats=FORMATS, labels={a.id: account_label(a) for a in accounts}, **context,
    )


@router.get(PATH)
def explorer_page(application_id: str, request: Request, developer: DeveloperDep, services: ServicesDep) -> Response:
    if developer is None:
        return to_sign_in()
    app, accounts = _load(services, developer, application_id)
    choice = Choice(week=lanes.week_start(utcnow().date()).isoformat())
    return _render(request, developer, app, accounts, choice)


@router.post(PATH)
def run(application_id: str, request: Request, form: FormDep, developer: DeveloperDep, services: ServicesDep) -> Response:
    if developer is None:
        return to_sign_in()
    app, accounts = _load(services, developer, application_id)
    choice = posted(form, [a.id for a in accounts])
    try:
        tz = times.zone(choice.tzid.strip(), "tzid")
        body = {**request_body(choice, tz), **EXTENSIONS}
        answer = availability.answer(services, app, body)
    except ValidationFailed as exc:
        return _render(
            request, developer, app, accounts, choice, 422, errors=field_errors(exc), problem=_pretty(validation_body(exc))
        )
    public_url = services.settings.public_url
    return _render(
        request, developer, app, accounts, choice,
        drawing=draw(body, answer, {a.id: account_label(a) for a in accounts}, tz),
        request_json=snippets.pretty_json(body),
        curl=snippets.curl(public_url, body),
        pycronofy=snippets.pycronofy(public_url, app.client_id, body),
        answer_json=_pretty(answer),
    )


def _pretty(body: object) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False)


def account_label(account: AccountSummary) -> str:
    return account.email or account.application_calendar_id or account.name or account.id


def posted(form: dict[str, str], subs: list[str]) -> Choice:
    """The form as typed; only the application's own accounts can be ticked."""
    return Choice(
        members=[sub for sub in subs if form.get(f"member_{sub}")],
        duration=form.get("duration", ""),
        week=form.get("week", ""),
        tzid=form.get("tzid", "") or DEFAULT_TZID,
        response_format=form.get("response_format", "periods"),
        managed=bool(form.get("managed")),
        request_json=form.get("request_json", ""),
    )


def request_body(choice: Choice, tz: ZoneInfo) -> dict[str, Any]:
    """The availability request: the pasted JSON as-is, else the one the picked fields make."""
    if choice.request_json.strip():
        return pasted(choice.request_json)
    return picked(choice, tz)


def pasted(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise _invalid("request_json", f"The availability request is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise _invalid("request_json", "The availability request must be a JSON object")
    if params.unstorable(body):
        raise _invalid("request_json", "The request must not contain the NUL character (\\u0000) or a lone surrogate")
    return body


def picked(choice: Choice, tz: ZoneInfo) -> dict[str, Any]:
    """One group of the ticked accounts (all required) over the chosen week in ``tz``."""
    errors: dict[str, list[tuple[str, str]]] = {}
    if not choice.members:
        errors["members"] = [("errors.required", "Tick at least one account (or paste a request)")]
    duration = choice.duration.strip()
    if not (duration.isascii() and duration.isdigit()):
        errors["duration"] = [("errors.invalid", "The duration must be a whole number of minutes")]
    try:
        monday = lanes.week_start(dt.date.fromisoformat(choice.week.strip()))
        week = [times.format_time(lanes.midnight(day, tz)) for day in (monday, monday + dt.timedelta(days=7))]
    except (ValueError, OverflowError):
        errors["week"] = [("errors.invalid", "The week must be a date such as 2027-01-11")]
    if choice.response_format not in FORMATS:
        errors["response_format"] = [("errors.invalid", f"The response format must be one of {', '.join(FORMATS)}")]
    if errors:
        raise ValidationFailed(errors)
    member = (lambda sub: {"sub": sub, "managed_availability": True}) if choice.managed else (lambda sub: {"sub": sub})
    return {
        "participants": [{"members": [member(sub) for sub in choice.members], "required": "all"}],
        "required_duration": {"minutes": int(duration)},
        "query_periods": [{"start": week[0], "end": week[1]}],
        "response_format": choice.response_format,
    }


def _invalid(name: str, description: str) -> ValidationFailed:
    return ValidationFailed.single(name, "invalid", description)


def _instant(value: str) -> dt.datetime:
    return times.parse_time(value, "time")


def _every_hours(span: dt.timedelta) -> int:
    """Ticks every day over a week, more often over shorter spans."""
    if span <= dt.timedelta(days=1):
        return 2
    return 6 if span <= dt.timedelta(days=3) else 24


def _status_detail(status: dict[str, Any] | None) -> str:
    if status is None:
        return ""
    return status["status"] + (f": {status['detail']}" if status.get("detail") else "")


def _reason_label(part: dict[str, Any], start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> str:
    """The reason and, when the answer names it, the application's event_id (no other detail:
    in free_busy mode the answer has none to give), then the local times."""
    reason = str(part["reason"]).replace("_", " ")
    named = f"{reason} · {part['event_id']}" if part.get("event_id") else reason
    return f"{named} ({lanes.local_label(start, end, tz)})"


def draw(body: dict[str, Any], answer: dict[str, Any], labels: dict[str, str], tz: ZoneInfo) -> Drawing:
    """The grid of ``answer`` to ``body`` over its query periods' span: a lane per member, then
    the available lane."""
    periods = availability_wire.availability(body).query.periods
    begin, end = min(p.start for p in periods).astimezone(tz), max(p.end for p in periods).astimezone(tz)
    rows = _member_lanes(answer, labels, begin, end, tz)
    slots = "available_slots" in answer
    found = lanes.Lane(label="Available slots" if slots else "Available", begin=begin, end=end, key=AVAILABLE)
    for item in answer["available_slots" if slots else "available_periods"]:
        start, stop = _instant(item["start"]), _instant(item["end"])
        found.place(start, stop, AVAILABLE, lanes.local_label(start, stop, tz))
    rows.append(found)
    legend = [*REASONS.items(), (AVAILABLE, "Available slot" if slots else "Available period")]
    caption = f"{begin:%a %d %b %Y %H:%M} to {end:%a %d %b %Y %H:%M} ({tz.key}); each bar's times are in its tooltip"
    ticks = lanes.hour_ticks(rows[0], _every_hours(end - begin))
    return Drawing(rows, ticks, legend, found.bars, caption, "available slots" if slots else "available periods")


def _member_lanes(
    answer: dict[str, Any], labels: dict[str, str], begin: dt.datetime, end: dt.datetime, tz: ZoneInfo
) -> list[lanes.Lane]:
    """One lane per member: its explanations as bars, its source status under its name."""
    statuses = {s["sub"]: s for s in answer.get("member_statuses", [])}
    explained = {e["sub"]: e["unavailable"] for e in answer.get("explanations", [])}
    rows = []
    for sub in dict.fromkeys([*explained, *statuses]):
        detail = _status_detail(statuses.get(sub))
        lane = lanes.Lane(label=labels.get(sub, sub), begin=begin, end=end, key=sub, detail=detail)
        for part in explained.get(sub, []):
            start, stop = _instant(part["start"]), _instant(part["end"])
            lane.place(start, stop, part["reason"], _reason_label(part, start, stop, tz))
        rows.append(lane)
    return rows
