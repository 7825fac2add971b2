# SPDX-License-Identifier: Apache-2.0
"""GET /ics/{token}.ics: a hosted calendar as an iCalendar feed for calendar clients to
subscribe to (calgate's extension; ``domain.subscriptions`` decides what a URL shows).

No authentication: the URL's token is the secret. Every live event becomes a VEVENT (RFC 5545
§3.6.1) with the UID and SEQUENCE its invitations carry, so a client that got an invitation and
subscribes as well sees one event; times keep their zone (TZID plus a VTIMEZONE, §3.6.5).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Response
from icalendar import Calendar
from icalendar import Event as VEvent
from icalendar import Timezone

from calgate.api.deps import ServicesDep
from calgate.domain import model, subscriptions, times

router = APIRouter()
PRODID = "-//calgate//ICS subscription//EN"
REFRESH = dt.timedelta(minutes=15)  # how often clients are asked to poll (RFC 7986 §5.7)
_UTC_ZONES = ("UTC", "Etc/UTC")


@router.api_route("/ics/{token}.ics", methods=["GET", "HEAD"])
def ics_feed(token: str, services: ServicesDep) -> Response:
    with services.uow() as uow:
        feed = subscriptions.feed(uow, token)
    return Response(
        render(feed),
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, no-cache", "Content-Disposition": 'inline; filename="calendar.ics"'},
    )


def render(feed: subscriptions.Feed) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", feed.calendar.name)
    calendar.add("x-wr-calname", feed.calendar.name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT15M")
    for event in feed.events:
        vevent = VEvent()
        vevent.add("uid", feed_uid(event))
        vevent.add("sequence", event.sequence)
        vevent.add("dtstamp", event.updated_at)
        vevent.add("created", event.created_at)
        vevent.add("last-modified", event.updated_at)
        vevent.add("dtstart", _moment(event.start))
        vevent.add("dtend", _moment(event.end))
        vevent.add("summary", event.summary)
        if event.description:
            vevent.add("description", event.description)
        if event.location and event.location.get("description"):
            vevent.add("location", event.location["description"])
        if event.url:
            vevent.add("url", event.url)
        vevent.add("transp", "TRANSPARENT" if event.transparency == "transparent" else "OPAQUE")
        vevent.add("status", "CONFIRMED")
        calendar.add_component(vevent)
    if feed.events:
        # Each VTIMEZONE spells out the zone's transitions over icalendar's default span
        # (1970-2038; a few milliseconds per zone), widened to reach every event.
        first = min(e.start_at for e in feed.events).date() - dt.timedelta(days=1)
        last = max(e.end_at for e in feed.events).date() + dt.timedelta(days=1)
        calendar.add_missing_timezones(
            first_date=min(first, Timezone.DEFAULT_FIRST_DATE), last_date=max(last, Timezone.DEFAULT_LAST_DATE)
        )
    return bytes(calendar.to_ical())


def feed_uid(event: model.Event) -> str:
    """The event's UID; for one occurrence of a recurring event (calgate keeps occurrences,
    not the rule: synced or imported series) the series' UID with the occurrence's original
    start, so that each VEVENT of the feed has a UID of its own."""
    if event.recurrence_id is None:
        return event.ical_uid
    return f"{event.ical_uid}-{''.join(c for c in event.recurrence_id if c.isalnum())}"


def _moment(point: dict[str, str]) -> dt.datetime | dt.date:
    """An event's start or end as stored (``{"time", "tzid"}``), in its own zone."""
    value = times.parse_time_or_date(point["time"], "time")
    tzid = point.get("tzid") or "Etc/UTC"
    if not isinstance(value, dt.datetime) or tzid in _UTC_ZONES:
        return value
    return value.astimezone(ZoneInfo(tzid))
