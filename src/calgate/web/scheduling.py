# SPDX-License-Identifier: Apache-2.0
"""The Real-Time Scheduling page (``/rts/{token}``, the ``url`` of ``POST
/v1/real_time_scheduling``): the visitor sees the free times in their own time zone, picks
one, gives their name and email address, and the event is booked (``domain/scheduling_booking``).

Plain HTML forms, so it works without JavaScript: the zone is a ``tzid`` query parameter chosen
in a form (a short script only pre-selects the browser's zone on the first visit). Slots are
radio buttons grouped by day in fieldsets; errors are announced (``role="alert"``). A time
taken meanwhile answers 409 with the times left; a completed link shows its booking; a
disabled one the application's message (410); an unknown token is a 404 page.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode, urlsplit, urlunsplit, parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from calgate.api import real_time_scheduling_wire as wire
from calgate.api.deps import ServicesDep
from calgate.domain import model, scheduling_booking, scheduling_links, times
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.model import utcnow
from calgate.services import Services
from calgate.web.pages import FormDep, PageError, field_errors, render

router = APIRouter()
SEE_OTHER = 303


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """The zones a visitor may pick: IANA's region/city names."""
    return tuple(sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "posix/", "right/", "SystemV/"))))


@dataclass(frozen=True)
class Day:
    label: str  # "Tuesday 8 December 2026"
    slots: list[tuple[str, str]]  # (value: ``Choice.key``, label: "09:30 – 10:00")


def _days(choices: list[scheduling_booking.Choice], zone: dt.tzinfo, link: model.SchedulingLink) -> list[Day]:
    """The choices by the local day they start on; a sequence is labelled step by step."""
    days: dict[dt.date, Day] = {}
    for choice in choices:
        start = choice.start.astimezone(zone)
        day = days.setdefault(start.date(), Day(f"{start:%A} {start.day} {start:%B %Y}", []))
        labels = []
        for part in choice.parts:
            begins, ends = part.slot.start.astimezone(zone), part.slot.end.astimezone(zone)
            label = f"{begins:%H:%M} – {ends:%H:%M}"
            if part.sequence_id:
                label += f" {scheduling_links.template_of(link, part.sequence_id).get('summary', part.sequence_id)}"
            labels.append(label)
        day.slots.append((choice.key, ", then ".join(labels)))
    return list(days.values())


def _zone_of(request: Request, link: model.SchedulingLink, form_zone: str | None = None) -> tuple[str, bool]:
    """The zone to show times in, and whether the visitor chose it."""
    chosen = form_zone or request.query_params.get("tzid")
    if chosen:
        try:
            times.zone(chosen)
            return chosen, True
        except ValidationFailed:
            pass
    return link.request.get("tzid") or link.request["event"].get("tzid") or "Etc/UTC", False


UNKNOWN = ("This scheduling link does not exist", "Check that the whole link was copied.", 404)


def _link(services: Services, token: str) -> model.SchedulingLink:
    with services.reader() as uow:
        try:
            return scheduling_links.visited(uow, token)
        except NotFound:
            raise PageError(*UNKNOWN) from None


def _page(request: Request, services: Services, token: str, link: model.SchedulingLink, *, status: int = 200,
          zone_name: str | None = None, errors: dict[str, str] | None = None, form: dict[str, str] | None = None) -> HTMLResponse:
    if link.status == scheduling_links.DISABLED:
        return render(request, "scheduling/closed.html", status=410, link=link, message=link.display_message)
    zone_name, chosen = (zone_name, True) if zone_name else _zone_of(request, link)
    event = link.request["event"]
    if link.status == scheduling_links.COMPLETED:
        booking = link.booking or {}
        if not chosen and booking.get("tzid"):
            zone_name = booking["tzid"]  # the booker coming back: their zone, not the link's
        zone = times.zone(zone_name)
        start = times.parse_time(booking.get("start"), "start").astimezone(zone)
        end = times.parse_time(booking.get("end"), "end").astimezone(zone)
        steps = [
            (scheduling_links.template_of(link, p["sequence_id"]).get("summary", p["sequence_id"]),
             times.parse_time(p["start"], "start").astimezone(zone), times.parse_time(p["end"], "end").astimezone(zone))
            for p in booking.get("sequence", [])
        ]
        return render(request, "scheduling/booked.html", event=event, start=start, end=end, zone_name=zone_name, booking=booking, steps=steps)
    zone = times.zone(zone_name)
    asked = wire.asked(link.request)
    with services.reader() as uow:
        application = uow.applications.get(link.application_id)
        assert application is not None
        invites = scheduling_links.invites_booker(uow, link)
        try:
            slots = scheduling_booking.offered(uow, application, link, asked, utcnow(), _stale(services))
        except ValidationFailed:
            slots = []  # a member who can no longer take part: nothing can be offered
    if not slots:
        services.run(lambda uow: scheduling_booking.no_times_displayed(uow, token, utcnow()))
    return render(
        request, "scheduling/page.html", status=status, token=token, event=event, days=_days(slots, zone, link),
        duration=None if asked.steps else int(asked.query.duration.total_seconds() // 60),
        zone_name=zone_name, zone_chosen=chosen, zones=zone_names(), errors=errors or {}, form=form or {},
        invites=invites, can_refuse=bool(link.request.get("callback_urls", {}).get("no_times_suitable_url")),
    )


def _stale(services: Services) -> dt.timedelta:
    return dt.timedelta(seconds=services.settings.stale_after)


@router.get("/rts/{token}", response_class=HTMLResponse)
def show(token: str, request: Request, services: ServicesDep) -> Response:
    return _page(request, services, token, _link(services, token))


def _after(link: model.SchedulingLink) -> str | None:
    """Where the visitor goes once booked: the completed redirect, else oauth.redirect_uri
    with its ``state``; None: the confirmation page."""
    target = (link.request.get("redirect_urls") or {}).get("completed_url") or link.request["oauth"].get("redirect_uri")
    if not target:
        return None
    state = link.request["oauth"].get("state")
    if state is None:
        return str(target)
    parts = urlsplit(str(target))
    query = urlencode([*parse_qsl(parts.query), ("state", state)])
    return urlunsplit(parts._replace(query=query))


@router.post("/rts/{token}", response_class=HTMLResponse)
def book(token: str, request: Request, form: FormDep, services: ServicesDep) -> Response:
    link = _link(services, token)
    zone_name, _ = _zone_of(request, link, form.get("tzid"))
    errors: dict[str, str] = {}
    try:
        booker = scheduling_booking.Booker.from_form(form.get("email"), form.get("display_name"), zone_name)
    except ValidationFailed as exc:
        errors.update(field_errors(exc))
    key = form.get("slot") or ""
    if not key:
        errors["slot"] = "Choose one of the times"
    if errors:
        return _page(request, services, token, link, status=422, zone_name=zone_name, errors=errors, form=form)
    asked = wire.asked(link.request)
    try:
        booked = services.run(lambda uow: scheduling_booking.book(uow, token, key, booker, asked, utcnow(), _stale(services)))
    except scheduling_booking.LinkClosed as closed:
        return _page(request, services, token, closed.link, zone_name=zone_name)
    except scheduling_booking.SlotTaken:
        taken = {"slot": "That time has just been taken. Please choose another."}
        return _page(request, services, token, _link(services, token), status=409, zone_name=zone_name, errors=taken, form=form)
    except scheduling_booking.TargetGone:
        raise PageError(
            "This link can no longer book a time",
            "A calendar it books into is no longer connected. Ask whoever sent you the link for a new one.", 409,
        ) from None
    after = _after(booked)
    if after is None:
        return RedirectResponse(f"/rts/{token}?{urlencode({'tzid': zone_name})}", status_code=SEE_OTHER)
    return RedirectResponse(after, status_code=SEE_OTHER)


@router.post("/rts/{token}/no_times_suitable", response_class=HTMLResponse)
def no_times_suitable(token: str, request: Request, form: FormDep, services: ServicesDep) -> Response:
    try:
        services.run(lambda uow: scheduling_booking.no_times_suitable(uow, token, utcnow()))
    except NotFound:
        raise PageError(*UNKNOWN) from None
    except scheduling_booking.LinkClosed as closed:
        return _page(request, services, token, closed.link)
    return render(request, "scheduling/told.html")
