# SPDX-License-Identifier: Apache-2.0
"""Turn a ``send_invite`` job payload into an iMIP message (RFC 6047).

    multipart/mixed
      multipart/alternative
        text/plain                                  what, when (in the event's zone), where
        text/html                                   the same, for mail clients that show HTML
        text/calendar; method=…; charset=UTF-8      the iTIP object (RFC 6047 §2.4)
      application/ics; name=invite.ics              the same object as an attachment

The calendar part is what calendar-aware clients act on; the bodies make the message readable
anywhere else, and the attachment lets people import it by hand. The iCalendar object comes
from ``domain.itip`` through ``domain.invites.Invitation``.
"""

from __future__ import annotations

import datetime as dt
import html
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from calgate.domain import model, times
from calgate.domain.invites import Invitation
from calgate.mail.message import envelope

SUBJECT_PREFIXES = {"new": "Invitation", "updated": "Updated invitation", "cancelled": "Cancelled"}
_INTROS = {
    "new": "You are invited to this event.",
    "updated": "This event has changed.",
    "cancelled": "This event has been cancelled.",
    "uninvited": "You are no longer invited to this event.",
}


def _day(day: dt.date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _zone_label(tzid: str, moment: dt.datetime, short: bool) -> str:
    """"Europe/London, GMT" (or "GMT" when ``short``); the zone id alone when the zone has no
    lettered abbreviation ("-03") or is named by it ("Etc/UTC")."""
    abbreviation = moment.tzname() or ""
    if not abbreviation.isalpha() or abbreviation in tzid:
        return tzid
    return abbreviation if short else f"{tzid}, {abbreviation}"


def when(event: model.Event, dash: str = "–", short: bool = False) -> str:
    """The event's time as people read it, in the event's own zone(s)."""
    start = times.parse_event_time(event.start, "start", None)
    end = times.parse_event_time(event.end, "end", None)
    if start.all_day or end.all_day:
        first = start.value if not isinstance(start.value, dt.datetime) else start.value.date()
        end_day = end.value if not isinstance(end.value, dt.datetime) else end.value.date()
        last = end_day - dt.timedelta(days=1)  # all-day ends are exclusive
        if last <= first:
            return f"{_day(first)} (all day)"
        return f"{_day(first)} {dash} {_day(last)} (all day)"
    assert isinstance(start.value, dt.datetime) and isinstance(end.value, dt.datetime)
    begins = start.value.astimezone(ZoneInfo(start.tzid))
    ends = end.value.astimezone(ZoneInfo(end.tzid))
    if start.tzid != end.tzid:
        return (
            f"{_day(begins)}, {begins:%H:%M} ({_zone_label(start.tzid, begins, short)}) {dash} "
            f"{_day(ends)}, {ends:%H:%M} ({_zone_label(end.tzid, ends, short)})"
        )
    finish = f"{ends:%H:%M}" if ends.date() == begins.date() else f"{_day(ends)}, {ends:%H:%M}"
    return f"{_day(begins)}, {begins:%H:%M} {dash} {finish} ({_zone_label(start.tzid, begins, short)})"


def subject(invitation: Invitation) -> str:
    # An ASCII dash (an en dash would turn the whole subject into RFC 2047 encoded words) and
    # the short zone label, as calendar services write theirs: "… @ Tue 1 Dec 2026, 15:00 - 16:00 (GMT)".
    return f"{SUBJECT_PREFIXES[invitation.kind]}: {invitation.event.summary} @ {when(invitation.event, '-', short=True)}"


def _details(invitation: Invitation) -> list[tuple[str, str]]:
    event = invitation.event
    rows = [("When", when(event))]
    where = (event.location or {}).get("description")
    if where:
        rows.append(("Where", where))
    if event.url:
        rows.append(("Link", event.url))
    who = [a.name or a.email for a in invitation.attendees()]
    if len(who) > 1:
        rows.append(("Who", ", ".join(who)))
    return rows


def _intro(invitation: Invitation) -> str:
    return _INTROS["uninvited" if invitation.uninvited else invitation.kind]


def _footer(invitation: Invitation) -> str:
    sender = invitation.application_name or "calgate"
    if invitation.method == "CANCEL":
        return f"Sent by calgate for {sender}. Your calendar app can remove the event for you."
    return f"Sent by calgate for {sender}. Accept or decline in your calendar app; {sender} sees your answer."


def text_body(invitation: Invitation) -> str:
    event = invitation.event
    lines = [_intro(invitation), "", event.summary, ""]
    lines += [f"{label + ':':<7}{value}" for label, value in _details(invitation)]
    if event.description:
        lines += ["", event.description]
    lines += ["", "-- ", _footer(invitation)]
    return "\n".join(lines) + "\n"


def html_body(invitation: Invitation) -> str:
    event = invitation.event
    e = html.escape
    rows = "".join(
        f'<tr><th scope="row" style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">{e(label)}</th>'
        f"<td>{e(value)}</td></tr>"
        for label, value in _details(invitation)
    )
    description = ""
    if event.description:
        description = "<p>" + "<br>".join(e(line) for line in event.description.splitlines()) + "</p>"
    cancelled = invitation.method == "CANCEL"
    title = f"<s>{e(event.summary)}</s>" if cancelled else e(event.summary)
    return (
        "<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">"
        f"<p>{e(_intro(invitation))}</p>"
        f"<h1 style=\"font-size:1.3em\">{title}</h1>"
        f"<table>{rows}</table>{description}"
        f"<p style=\"color:#666;font-size:.9em\">{e(_footer(invitation))}</p>"
        "</body></html>\n"
    )


def compose_invitation(payload: dict[str, Any], organizer: str, message_key: str) -> EmailMessage:
    """The iMIP message for one ``send_invite`` job; ``message_key`` is the job id."""
    invitation = Invitation.from_payload(payload)
    message = envelope(
        sender=organizer,
        sender_name=invitation.application_name or "calgate",
        to=invitation.to.email,
        to_name=invitation.to.name,
        subject=subject(invitation),
        message_key=message_key,
        application_id=invitation.application_id,
    )
    calendar = invitation.ical(organizer)
    message.set_content(text_body(invitation))
    message.add_alternative(html_body(invitation), subtype="html")
    message.add_alternative(
        calendar.decode("utf-8"), subtype="calendar", charset="UTF-8", params={"method": invitation.method}
    )
    message.add_attachment(calendar, maintype="application", subtype="ics", filename="invite.ics")
    return message
