# SPDX-License-Identifier: Apache-2.0
"""The busy timeline never disagrees with the events (issue 18), on SQLite and PostgreSQL.

A Hypothesis state machine drives a live calgate through random sequences of what changes a
calendar's busy time: event upserts, new and changed (timed in UTC, Asia/Kathmandu's +05:45
and Europe/Berlin, all-day, transparent), the participation status endpoint (tentative,
declined, accepted; on the application's events and on imported ones), deletes (single, bulk
DELETE /v1/events, POST /v1/batch with entries that fail beside ones that succeed) and
``calgate import`` of a generated .ics (one-off, daily series, all-day, zero-length,
cancelled, transparent, tentative and declined invitations). After every step:

- each of the run's calendars has a stored timeline equal to a rebuild from its rows
  (``BusyTimelines.of_calendars`` vs ``from_rows``, ``CalendarBusy.same_entries``; at the
  end, every calendar in the database);
- each calendar's timeline holds exactly the busy and tentative entries (times, status,
  event_id, zone) of the events the machine knows it wrote (its own model, not calgate's rules);
- GET /v1/free_busy lists exactly those entries, and POST /v1/availability answers exactly
  what a brute-force minute grid over them gives (one member, several calendars, two
  members, tentative_as_busy false, explain with calendar_ids, excluded_events).

Two accounts take part: application calendar A (default zone Asia/Kathmandu, so all-day
events span Kathmandu's midnights for Availability) with two calendars, and application
calendar B (UTC) with one.

Separate tests follow: syncs from a real Radicale, in read_write mode (events created,
changed and deleted there) and free_busy mode (busy blocks replaced), and, through the domain,
every change of every kind of event one commit at a time (the stored timeline is revised,
not rebuilt, when only ORM-tracked events changed).

A failing run is shrunk to a short sequence of steps; with a live server that can take
minutes.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from calgate import cli_operations
from calgate.domain import accounts, application_calendars, applications, authorization, ics_import
from calgate.domain.model import utcnow
from calgate.services import create_services
from tests.integration.store._timelines import Seen, assert_consistent, entries
from tests.support.api import bearer
from tests.support.caldav import connect_caldav
from tests.support.cli import run_cli
from tests.support.factories import AppCredentials, make_application
from tests.support.syncing import eventually, sync_and_wait

UTC = dt.timezone.utc
BASE = dt.datetime(2027, 1, 11, tzinfo=UTC)  # a Monday
ZONES = ("Etc/UTC", "Asia/Kathmandu", "Europe/Berlin")
EVENT_IDS = ("a", "b", "c")
UIDS = ("ics-1@example.com", "ics-2@example.com", "ics-3@example.com", "ics-4@example.com")
FREE_BUSY = {"from": "2027-01-04", "to": "2027-01-22", "include_managed": "true"}  # around everything written
AVAILABILITY = (dt.datetime(2027, 1, 10, tzinfo=UTC), dt.datetime(2027, 1, 17, tzinfo=UTC))
MINUTE = dt.timedelta(minutes=1)
REDIRECT = "http://localhost:9999/callback"
DURATION = 30  # minutes

SETTINGS = settings(
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),  # shrinking is slow enough
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# -- when an event happens ----------------------------------------------------------------


@dataclass(frozen=True)
class Timed:
    quarter: int  # quarters of an hour after BASE
    minutes: int  # 0: zero-length (only an .ics can say that)
    tzid: str
    local: bool  # the API gets the local time with its offset, else UTC

    @property
    def start(self) -> dt.datetime:
        return BASE + dt.timedelta(minutes=15 * self.quarter)

    def span(self, day: int = 0) -> tuple[dt.datetime, dt.datetime]:
        start = self.start + dt.timedelta(days=day)
        return start, start + dt.timedelta(minutes=self.minutes)

    def wire(self) -> tuple[Any, Any]:
        def one(moment: dt.datetime) -> Any:
            if self.local:
                return {"time": moment.astimezone(ZoneInfo(self.tzid)).isoformat(), "tzid": self.tzid}
            text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            return text if self.tzid == "Etc/UTC" else {"time": text, "tzid": self.tzid}

        start, end = self.span()
        return one(start), one(end)


@dataclass(frozen=True)
class AllDay:
    day: int  # days after BASE
    days: int
    tzid: str | None  # None: a plain Date

    def span(self, day: int = 0) -> tuple[dt.date, dt.date]:
        first = BASE.date() + dt.timedelta(days=self.day + day)
        return first, first + dt.timedelta(days=self.days)

    def wire(self) -> tuple[Any, Any]:
        start, end = (d.isoformat() for d in self.span())
        if self.tzid is None:
            return start, end
        return {"time": start, "tzid": self.tzid}, {"time": end, "tzid": self.tzid}


When = Timed | AllDay

DURATIONS = st.sampled_from([15, 30, 45, 60, 90, 120, 180])
TIMED = st.builds(Timed, st.integers(0, 4 * 96 - 1), DURATIONS, st.sampled_from(ZONES), st.booleans())
ALL_DAY = st.builds(AllDay, st.integers(0, 3), st.integers(1, 2), st.sampled_from((None, *ZONES)))
WHEN = st.one_of(TIMED, TIMED, ALL_DAY)
TRANSPARENCY = st.sampled_from(["opaque", "opaque", "transparent"])


# -- what the machine knows it wrote ------------------------------------------------------


@dataclass
class Held:
    """One event as the machine knows it: its time, transparency and the owner's answer."""

    when: When
    transparency: str
    participation: str
    event_id: str | None = None  # the application's own event
    day: int = 0  # an imported series' occurrence: days after its first

    @property
    def status(self) -> str | None:
        if self.transparency == "transparent" or self.participation == "declined":
            return None
        return "tentative" if self.participation == "tentative" else "busy"

    @property
    def tzid(self) -> str:
        """The zone its times are shown in: the API's tzid; an imported Time's TZID (else
        UTC); an imported Date's none (UTC)."""
        if isinstance(self.when, AllDay):
            return (self.when.tzid if self.event_id else None) or "Etc/UTC"
        return self.when.tzid

    def wire_span(self) -> tuple[str, str]:
        start, end = self.when.span(self.day)
        if isinstance(start, dt.datetime):
            return start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")  # type: ignore[union-attr]
        return start.isoformat(), end.isoformat()

    def instants(self, tzid: str) -> tuple[dt.datetime, dt.datetime]:
        """When it blocks time for a reader whose midnights are in ``tzid``."""
        start, end = self.when.span(self.day)
        if isinstance(start, dt.datetime):
            return start, end  # type: ignore[return-value]
        zone = ZoneInfo(tzid)
        return (dt.datetime.combine(start, dt.time(), zone).astimezone(UTC), dt.datetime.combine(end, dt.time(), zone).astimezone(UTC))


@dataclass
class Calendar:
    id: str
    account: int  # index into the machine's accounts
    api: dict[str, Held] = field(default_factory=dict)  # live managed events by event_id
    imported: dict[str, list[Held]] = field(default_factory=dict)  # live imported occurrences by UID

    def held(self) -> list[Held]:
        return [*self.api.values(), *(h for series in self.imported.values() for h in series)]

    def seen(self) -> list[Any]:
        """The timeline entries its events make (free ones make none), with their zones."""
        return sorted(((*h.wire_span(), h.status, h.event_id, False, h.tzid) for h in self.held() if h.status), key=repr)


@dataclass
class Account:
    sub: str
    email: str
    headers: dict[str, str]
    tzid: str
    calendars: list[int]  # indices into the machine's calendars


# -- an .ics to import --------------------------------------------------------------------

KATHMANDU = (
    "BEGIN:VTIMEZONE\r\nTZID:Asia/Kathmandu\r\nBEGIN:STANDARD\r\nDTSTART:19860101T000000\r\n"
    "TZOFFSETFROM:+0530\r\nTZOFFSETTO:+0545\r\nTZNAME:+0545\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
)
PARTSTATS = {"ACCEPTED": "accepted", "DECLINED": "declined", "TENTATIVE": "tentative", "NEEDS-ACTION": "needs_action", "": "needs_action"}


@dataclass(frozen=True)
class Vevent:
    uid: str
    when: When
    count: int  # occurrences: 1 a one-off event, else a daily RRULE
    transp: str | None  # TRANSP
    status: str | None  # STATUS
    partstat: str | None  # the owner's ATTENDEE PARTSTAT ("": none given); None: not invited

    def text(self, owner: str) -> str:
        lines = [f"UID:{self.uid}", "DTSTAMP:20260101T000000Z", "SUMMARY:Imported"]
        if isinstance(self.when, AllDay):
            start, end = self.when.span()
            lines += [f"DTSTART;VALUE=DATE:{start:%Y%m%d}", f"DTEND;VALUE=DATE:{end:%Y%m%d}"]
        else:
            start, end = self.when.span()
            if self.when.tzid == "Asia/Kathmandu":
                zone = ZoneInfo(self.when.tzid)
                lines.append(f"DTSTART;TZID=Asia/Kathmandu:{start.astimezone(zone):%Y%m%dT%H%M%S}")
                if self.when.minutes:
                    lines.append(f"DTEND;TZID=Asia/Kathmandu:{end.astimezone(zone):%Y%m%dT%H%M%S}")
            else:
                lines.append(f"DTSTART:{start:%Y%m%dT%H%M%SZ}")
                if self.when.minutes:
                    lines.append(f"DURATION:PT{self.when.minutes}M")
            # no DTEND nor DURATION: a zero-length event (RFC 5545 §3.6.1)
        if self.count > 1:
            lines.append(f"RRULE:FREQ=DAILY;COUNT={self.count}")
        if self.transp:
            lines.append(f"TRANSP:{self.transp}")
        if self.status:
            lines.append(f"STATUS:{self.status}")
        if self.partstat is not None:
            parameter = f";PARTSTAT={self.partstat}" if self.partstat else ""
            lines.append(f"ATTENDEE;CN=Owner{parameter}:mailto:{owner}")
        return "BEGIN:VEVENT\r\n" + "\r\n".join(lines) + "\r\nEND:VEVENT\r\n"

    def held(self) -> list[Held]:
        """What calgate keeps of it, by the rules of RFC 5545 and Cronofy's statuses."""
        if self.status == "CANCELLED":
            return []
        answer = "accepted" if self.partstat is None else PARTSTATS[self.partstat]
        if answer == "declined":
            participation = "declined"
        elif self.status == "TENTATIVE" or answer in ("tentative", "needs_action"):
            participation = "tentative"
        else:
            participation = "accepted"
        transparency = "transparent" if self.transp == "TRANSPARENT" else "opaque"
        return [Held(self.when, transparency, participation, day=day) for day in range(self.count)]


ICS_TIMED = st.builds(Timed, st.integers(0, 4 * 96 - 1), st.sampled_from([0, 15, 30, 60, 120]), st.sampled_from(["Etc/UTC", "Asia/Kathmandu"]), st.just(False))
VEVENT = st.builds(
    Vevent,
    st.sampled_from(UIDS),
    st.one_of(ICS_TIMED, ICS_TIMED, ALL_DAY),
    st.sampled_from([1, 1, 2, 3]),
    st.sampled_from([None, None, "OPAQUE", "TRANSPARENT"]),
    st.sampled_from([None, None, "CONFIRMED", "TENTATIVE", "CANCELLED"]),
    st.sampled_from([None, None, "ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION", ""]),
)
VEVENTS = st.lists(VEVENT, min_size=1, max_size=3, unique_by=lambda v: v.uid)


def ics(vevents: list[Vevent], owner: str) -> str:
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calgate tests//EN\r\n" + KATHMANDU + "".join(v.text(owner) for v in vevents) + "END:VCALENDAR\r\n"


# -- the reference answers ----------------------------------------------------------------


def free_minutes(held: list[Held], tzid: str, tentative: bool, excluded: frozenset[str] = frozenset()) -> list[bool]:
    """A minute grid over the Availability window: True where none of ``held`` blocks the minute."""
    start, end = AVAILABILITY
    grid = [True] * int((end - start) / MINUTE)
    for h in held:
        if h.status is None or (h.status == "tentative" and not tentative) or (h.event_id is not None and h.event_id in excluded):
            continue
        first, last = h.instants(tzid)
        for minute in range(max(0, int((first - start) / MINUTE)), min(len(grid), -int(-(last - start) // MINUTE))):
            grid[minute] = False
    return grid


def periods(grid: list[bool]) -> list[tuple[str, str]]:
    """The free runs at least DURATION minutes long, as Availability's periods."""
    out, run = [], None
    for minute, free in enumerate([*grid, False]):
        if free and run is None:
            run = minute
        elif not free and run is not None:
            if minute - run >= DURATION:
                out.append(tuple((AVAILABILITY[0] + m * MINUTE).strftime("%Y-%m-%dT%H:%M:%SZ") for m in (run, minute)))
            run = None
    return out  # type: ignore[return-value]


# -- the machine --------------------------------------------------------------------------


class Timelines(RuleBasedStateMachine):
    """Set by the test: the live server, a developer, an HTTP client, a folder."""

    server: Any
    developer_id: str
    http: httpx.Client
    folder: Path

    def __init__(self) -> None:
        super().__init__()
        self.steps = 0
        self.accounts: list[Account] = []
        self.calendars: list[Calendar] = []
        # Deleted managed events (upserted again, they come back with their old answer) and
        # whether an imported UID is a series, by (calendar id, event_id or UID).
        self.deleted: dict[tuple[str, str], Held] = {}
        self.recurring: dict[tuple[str, str], bool] = {}
        services, now = self.server.services, utcnow()
        # An application of its own per run (its rate limit, 1,200 requests a minute, is never
        # reached), and its two application calendars, made through the domain (quicker than HTTP).
        with services.uow() as uow:
            app, secret = applications.create(uow, services.box, self.developer_id, "Timelines", [REDIRECT], {"no_calendar"})
            uow.commit()
        self.app = AppCredentials(app.client_id, secret, REDIRECT, app.id)
        for tzid, count in (("Asia/Kathmandu", 2), ("Etc/UTC", 1)):
            with services.uow() as uow:
                made = application_calendars.authorize(uow, app.client_id, secret, f"room-{len(self.accounts)}", now, 3600)
                made.account.default_tzid = tzid
                uow.commit()
            with services.uow() as uow:
                caller = authorization.authenticate(uow, made.tokens.access_token, now)
                for n in range(count - 1):
                    accounts.create_calendar(uow, caller, made.profile.id, f"Second {n}", None)
                uow.commit()
                ids = [c.id for c in sorted(uow.calendars.of_account(made.account.id), key=lambda c: not c.primary)]
            first = len(self.calendars)
            self.accounts.append(Account(made.account.id, made.account.email, bearer(made.tokens.access_token), tzid, list(range(first, first + count))))
            self.calendars += [Calendar(c, len(self.accounts) - 1) for c in ids]

    # -- writes --

    def _upsert(self, event_id: str, when: When, transparency: str) -> dict[str, Any]:
        start, end = when.wire()
        body = {"event_id": event_id, "summary": f"Event {event_id}", "start": start, "end": end}
        if transparency != "opaque" or self.steps % 2:
            body["transparency"] = transparency
        return body

    def _upserted(self, calendar: Calendar, event_id: str, when: When, transparency: str) -> None:
        old = calendar.api.get(event_id) or self.deleted.get((calendar.id, event_id))
        participation = old.participation if old is not None else "accepted"  # an upsert keeps the answer
        calendar.api[event_id] = Held(when, transparency, participation, event_id)
        self.deleted.pop((calendar.id, event_id), None)

    def _gone(self, calendar: Calendar, event_id: str) -> None:
        held = calendar.api.pop(event_id, None)
        if held is not None:
            self.deleted[(calendar.id, event_id)] = held

    @rule(calendar=st.integers(0, 2), event_id=st.sampled_from(EVENT_IDS), when=WHEN, transparency=TRANSPARENCY)
    def upsert(self, calendar: int, event_id: str, when: When, transparency: str) -> None:
        cal = self.calendars[calendar]
        body = self._upsert(event_id, when, transparency)
        response = self.http.post(f"/v1/calendars/{cal.id}/events", json=body, headers=self.accounts[cal.account].headers)
        assert response.status_code == 202, response.text
        self._upserted(cal, event_id, when, transparency)

    @rule(calendar=st.integers(0, 2), event_id=st.sampled_from(EVENT_IDS))
    def delete(self, calendar: int, event_id: str) -> None:
        cal = self.calendars[calendar]
        url = f"/v1/calendars/{cal.id}/events"
        response = self.http.request("DELETE", url, json={"event_id": event_id}, headers=self.accounts[cal.account].headers)
        assert response.status_code == 202, response.text
        self._gone(cal, event_id)

    @rule(account=st.integers(0, 1), which=st.sampled_from(["all", "first", "last", "both"]))
    def bulk_delete(self, account: int, which: str) -> None:
        owner = self.accounts[account]
        mine = {"all": owner.calendars, "first": owner.calendars[:1], "last": owner.calendars[-1:], "both": owner.calendars}[which]
        body: dict[str, Any] = {"delete_all": True} if which == "all" else {"calendar_ids": [self.calendars[c].id for c in mine]}
        response = self.http.request("DELETE", "/v1/events", json=body, headers=owner.headers)
        assert response.status_code == 202, response.text
        for c in mine:
            for event_id in list(self.calendars[c].api):
                self._gone(self.calendars[c], event_id)

    @rule(
        account=st.integers(0, 1),
        entries=st.lists(
            st.one_of(
                st.tuples(st.just("POST"), st.integers(0, 2), st.sampled_from(EVENT_IDS), WHEN, TRANSPARENCY),
                st.tuples(st.just("DELETE"), st.integers(0, 2), st.sampled_from(EVENT_IDS)),
                st.tuples(st.just("BACKWARDS"), st.integers(0, 2), st.sampled_from(EVENT_IDS)),
            ),
            min_size=1,
            max_size=6,
        ),
    )
    def batch(self, account: int, entries: list[tuple[Any, ...]]) -> None:
        """POST /v1/batch: each entry on its own; another account's calendar and an event that
        ends before it starts fail in their entry and change nothing."""
        owner = self.accounts[account]
        requests = []
        for method, calendar, event_id, *rest in entries:
            cal = self.calendars[calendar]
            if method == "POST":
                data = self._upsert(event_id, *rest)
            elif method == "BACKWARDS":
                data = {"event_id": event_id, "summary": "Backwards", "start": "2027-01-12T10:00:00Z", "end": "2027-01-12T09:00:00Z"}
            else:
                data = {"event_id": event_id}
            requests.append({"method": "DELETE" if method == "DELETE" else "POST", "relative_url": f"/v1/calendars/{cal.id}/events", "data": data})
        response = self.http.post("/v1/batch", json={"batch": requests}, headers=owner.headers)
        assert response.status_code == 207, response.text
        answers = [r["status"] for r in response.json()["batch"]]
        for (method, calendar, event_id, *rest), status in zip(entries, answers, strict=True):
            cal = self.calendars[calendar]
            if cal.account != account or method == "BACKWARDS":
                assert status in (403, 404, 422), (method, calendar, status)
            elif method == "POST":
                assert status == 202, response.text
                self._upserted(cal, event_id, *rest)
            else:
                assert status == 202, response.text
                self._gone(cal, event_id)

    @rule(calendar=st.integers(0, 2), event_id=st.sampled_from(EVENT_IDS), status=st.sampled_from(["tentative", "declined", "accepted"]))
    def answer(self, calendar: int, event_id: str, status: str) -> None:
        """The participation status endpoint, naming the application's event by its event_id."""
        cal = self.calendars[calendar]
        url = f"/v1/calendars/{cal.id}/events/{event_id}/participation_status"
        response = self.http.post(url, json={"status": status}, headers=self.accounts[cal.account].headers)
        if event_id not in cal.api:
            assert response.status_code == 404, response.text
            return
        assert response.status_code == 202, response.text
        cal.api[event_id].participation = status

    @rule(calendar=st.integers(0, 2), uid=st.sampled_from(UIDS), status=st.sampled_from(["tentative", "declined", "accepted"]))
    def answer_imported(self, calendar: int, uid: str, status: str) -> None:
        """The participation status endpoint on an imported one-off event, by its event_uid."""
        cal = self.calendars[calendar]
        series = cal.imported.get(uid)
        if not series or len(series) != 1 or series[0].day or self.recurring.get((cal.id, uid)):
            return
        event_uid = ics_import.event_uid(cal.id, uid, None)
        url = f"/v1/calendars/{cal.id}/events/{event_uid}/participation_status"
        response = self.http.post(url, json={"status": status}, headers=self.accounts[cal.account].headers)
        assert response.status_code == 202, response.text
        series[0].participation = status

    @rule(calendar=st.integers(0, 2), vevents=VEVENTS)
    def import_ics(self, calendar: int, vevents: list[Vevent]) -> None:
        """``calgate import`` of a generated file into the calendar: the UIDs it holds take the
        file's occurrences, the others are left alone."""
        cal = self.calendars[calendar]
        owner = self.accounts[cal.account]
        path = self.folder / f"export-{secrets.token_hex(4)}.ics"
        path.write_text(ics(vevents, owner.email), newline="")
        result = run_cli(
            self.server.services, self.folder, "import", path, "--account", owner.sub, "--calendar", cal.id,
            "--from", "2027-01-01", "--to", "2027-01-31",
        )
        assert result.exit_code == 0, result.output
        for vevent in vevents:
            cal.imported[vevent.uid] = vevent.held()
            self.recurring[(cal.id, vevent.uid)] = vevent.count > 1

    # -- after every step --

    @invariant()
    def agrees(self) -> None:
        self.steps += 1
        stored = assert_consistent(self.server.services, [c.id for c in self.calendars])
        for cal in self.calendars:
            assert entries(stored[cal.id], zones=True) == cal.seen(), cal.id
        for account in self.accounts:
            self._free_busy(account)
        self._availability()

    def _free_busy(self, account: Account) -> None:
        tzid = ("Etc/UTC", "Asia/Kathmandu")[self.steps % 2]
        response = self.http.get("/v1/free_busy", params={**FREE_BUSY, "tzid": tzid}, headers=account.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["pages"]["total"] == 1
        answered = sorted(((b["calendar_id"], b["start"], b["end"], b["free_busy_status"], b.get("event_id")) for b in body["free_busy"]), key=repr)
        expected = sorted(
            ((self.calendars[c].id, *h.wire_span(), h.status, h.event_id)
             for c in account.calendars for h in self.calendars[c].held() if h.status),
            key=repr,
        )
        assert answered == expected

    def _availability(self) -> None:
        """One query per account, varied by step (tentative_as_busy false, explain with one of
        the calendars, excluded_events); every fourth step one with both accounts."""
        variant = self.steps % 4
        for account in self.accounts:
            member: dict[str, Any] = {"sub": account.sub}
            calendars = account.calendars
            extra: dict[str, Any] = {}
            if variant == 1:
                extra["tentative_as_busy"] = False
            elif variant == 2:
                extra["explain"] = True
                calendars = calendars[:1]
                member["calendar_ids"] = [self.calendars[c].id for c in calendars]
            elif variant == 3:
                extra["excluded_events"] = [{"event_id": "a"}]
            held = [h for c in calendars for h in self.calendars[c].held()]
            grid = free_minutes(held, account.tzid, variant != 1, frozenset({"a"}) if variant == 3 else frozenset())
            assert self._ask([member], extra) == periods(grid), (account.sub, variant)
        if variant == 0:
            grids = [free_minutes([h for c in a.calendars for h in self.calendars[c].held()], a.tzid, True) for a in self.accounts]
            both = [a and b for a, b in zip(*grids, strict=True)]
            assert self._ask([{"sub": a.sub} for a in self.accounts], {}) == periods(both)

    def _ask(self, members: list[dict[str, Any]], extra: dict[str, Any]) -> list[tuple[str, str]]:
        body = {
            "participants": [{"members": members, "required": "all"}],
            "required_duration": {"minutes": DURATION},
            "query_periods": [{"start": AVAILABILITY[0].strftime("%Y-%m-%dT%H:%M:%SZ"), "end": AVAILABILITY[1].strftime("%Y-%m-%dT%H:%M:%SZ")}],
            **extra,
        }
        response = self.http.post("/v1/availability", json=body, headers=bearer(self.app.client_secret))
        assert response.status_code == 200, response.text
        return [(p["start"], p["end"]) for p in response.json()["available_periods"]]


@pytest.fixture
def one_services(calgate: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``calgate import`` builds its services from the environment on every run and never
    closes them (a process that exits does not need to); hundreds of runs in one test would
    use up PostgreSQL's connections. Here every run shares one set, built from the same settings."""
    services = create_services(calgate.services.settings)
    monkeypatch.setattr(cli_operations, "_services", lambda: services)
    yield
    services.db.dispose()


def test_the_busy_timeline_agrees_with_the_events_after_random_writes_and_imports(calgate, one_services, tmp_path):
    app = make_application(calgate.services, features={"no_calendar"}, redirect_uri=REDIRECT)
    with calgate.services.uow() as uow:
        developer_id = uow.applications.get(app.application_id).developer_id
    with httpx.Client(base_url=calgate.url, timeout=30) as http:

        class Machine(Timelines):
            pass

        Machine.server, Machine.developer_id, Machine.http, Machine.folder = calgate, developer_id, http, tmp_path
        run_state_machine_as_test(Machine, settings=SETTINGS)
    assert_consistent(calgate.services)  # and every calendar the runs left behind


# -- syncs from a real CalDAV server ------------------------------------------------------

SYNC_DAY = dt.datetime.now(UTC).date() + dt.timedelta(days=3)  # inside the window a sync reads


def on(day: int, hhmm: str) -> str:
    """The wire's UTC Time of HH:MM on SYNC_DAY + day."""
    return f"{SYNC_DAY + dt.timedelta(days=day)}T{hhmm[:2]}:{hhmm[2:]}:00Z"


def ical(day: int, hhmm: str) -> str:
    return f"{SYNC_DAY + dt.timedelta(days=day):%Y%m%d}T{hhmm}00Z"


def resource(uid: str, *lines: str, zone: str = "") -> str:
    body = "\r\n".join([f"UID:{uid}", "DTSTAMP:20260101T000000Z", "SUMMARY:Synced", *lines])
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calgate tests//EN\r\n{zone}BEGIN:VEVENT\r\n{body}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"


def synced(calgate: Any, person: Any, expected: list[Seen]) -> None:
    """After a sync: the account's timelines equal their rebuilds, hold ``expected``, and
    Free/Busy lists the same."""
    sync_and_wait(calgate, person.account_id)
    with calgate.services.uow() as uow:
        calendar_ids = [c.id for c in uow.calendars.of_account(person.account_id)]
    stored = assert_consistent(calgate.services, calendar_ids)
    assert sorted((e for c in calendar_ids for e in entries(stored[c])), key=repr) == sorted(expected, key=repr)
    window = {"tzid": "Etc/UTC", "from": str(SYNC_DAY - dt.timedelta(days=1)), "to": str(SYNC_DAY + dt.timedelta(days=5)), "include_managed": "true"}
    answer = httpx.get(f"{calgate.url}/v1/free_busy", params=window, headers=person.headers)
    assert answer.status_code == 200, answer.text
    listed = sorted(((b["start"], b["end"], b["free_busy_status"], b.get("event_id")) for b in answer.json()["free_busy"]), key=repr)
    assert listed == sorted((e[:4] for e in expected), key=repr)


def test_caldav_syncs_in_read_write_mode_keep_the_timeline_in_step(calgate, radicale):
    """Events created, changed and deleted at Radicale, then synced (new occurrences inserted in
    bulk, changed ones updated, lost ones marked deleted), and the application's own event
    written into the calendar and read back."""
    app = make_application(calgate.services, features={"free_busy"})
    user = radicale.new_user()
    collection = radicale.make_calendar(user, "work", "Work")
    put = lambda name, *lines, zone="": radicale.put(f"{collection}{name}.ics", resource(f"{name}-uid", *lines, zone=zone))  # noqa: E731
    put("single", f"DTSTART:{ical(0, '0900')}", f"DTEND:{ical(0, '1000')}")
    put("allday", f"DTSTART;VALUE=DATE:{SYNC_DAY:%Y%m%d}", f"DTEND;VALUE=DATE:{SYNC_DAY + dt.timedelta(days=1):%Y%m%d}")
    put("daily", f"DTSTART:{ical(0, '1300')}", f"DTEND:{ical(0, '1330')}", "RRULE:FREQ=DAILY;COUNT=3")
    put("maybe", f"DTSTART:{ical(0, '1500')}", f"DTEND:{ical(0, '1600')}", "STATUS:TENTATIVE")
    put("free", f"DTSTART:{ical(0, '1700')}", f"DTEND:{ical(0, '1800')}", "TRANSP:TRANSPARENT")
    local = f"{SYNC_DAY:%Y%m%d}T200000"  # 20:00 in Kathmandu, 14:15Z
    put("kathmandu", f"DTSTART;TZID=Asia/Kathmandu:{local}", "DURATION:PT1H", zone=KATHMANDU)
    person = connect_caldav(calgate, app, radicale.url, user, "read_write")
    synced(calgate, person, [
        (on(0, "0900"), on(0, "1000"), "busy", None, False),
        (str(SYNC_DAY), str(SYNC_DAY + dt.timedelta(days=1)), "busy", None, False),
        *[(on(d, "1300"), on(d, "1330"), "busy", None, False) for d in range(3)],
        (on(0, "1500"), on(0, "1600"), "tentative", None, False),
        (on(0, "1415"), on(0, "1515"), "busy", None, False),
    ])

    # Moved, deleted, an occurrence excluded, answers changed, one new; and the application's event.
    put("single", f"DTSTART:{ical(0, '1100')}", f"DTEND:{ical(0, '1200')}")
    radicale.delete(f"{collection}allday.ics")
    put("daily", f"DTSTART:{ical(0, '1300')}", f"DTEND:{ical(0, '1330')}", "RRULE:FREQ=DAILY;COUNT=3", f"EXDATE:{ical(1, '1300')}")
    put("maybe", f"DTSTART:{ical(0, '1500')}", f"DTEND:{ical(0, '1600')}", "STATUS:CONFIRMED")
    put("free", f"DTSTART:{ical(0, '1700')}", f"DTEND:{ical(0, '1800')}", "TRANSP:OPAQUE")
    put("new", f"DTSTART:{ical(2, '1900')}", f"DTEND:{ical(2, '1930')}")
    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]
    body = {"event_id": "booking", "summary": "Interview", "start": on(1, "1600"), "end": on(1, "1700")}
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=person.headers).status_code == 202
    eventually(lambda: [h for h in radicale.list_hrefs(collection) if "evt_" in h])  # written into the calendar
    second = [
        (on(0, "1100"), on(0, "1200"), "busy", None, False),
        *[(on(d, "1300"), on(d, "1330"), "busy", None, False) for d in (0, 2)],
        (on(0, "1500"), on(0, "1600"), "busy", None, False),
        (on(0, "1700"), on(0, "1800"), "busy", None, False),
        (on(0, "1415"), on(0, "1515"), "busy", None, False),
        (on(2, "1900"), on(2, "1930"), "busy", None, False),
        (on(1, "1600"), on(1, "1700"), "busy", "booking", False),
    ]
    synced(calgate, person, second)
    synced(calgate, person, second)  # a sync that finds nothing new changes nothing

    # Everything deleted at Radicale (the application's event too): the timeline empties.
    for href in radicale.list_hrefs(collection):
        radicale.delete(href)
    synced(calgate, person, [])


def test_caldav_syncs_in_free_busy_mode_replace_the_busy_blocks(calgate, radicale):
    """free_busy mode keeps no events, only the busy blocks of a free-busy query, replaced
    whole when they differ: each sync's timeline holds exactly the server's blocks."""
    app = make_application(calgate.services, features={"free_busy"})
    user = radicale.new_user()
    collection = radicale.make_calendar(user, "private", "Private")
    put = lambda name, *lines: radicale.put(f"{collection}{name}.ics", resource(f"{name}-uid", *lines))  # noqa: E731
    put("a", f"DTSTART:{ical(0, '1000')}", f"DTEND:{ical(0, '1100')}")
    put("b", f"DTSTART:{ical(0, '1300')}", f"DTEND:{ical(0, '1330')}", "STATUS:TENTATIVE")
    put("c", f"DTSTART:{ical(0, '1500')}", f"DTEND:{ical(0, '1600')}", "TRANSP:TRANSPARENT")
    put("d", f"DTSTART:{ical(1, '0800')}", f"DTEND:{ical(1, '0900')}", "RRULE:FREQ=DAILY;COUNT=2")
    person = connect_caldav(calgate, app, radicale.url, user, access_mode="free_busy")
    synced(calgate, person, [
        (on(0, "1000"), on(0, "1100"), "busy", None, True),
        (on(0, "1300"), on(0, "1330"), "tentative", None, True),
        (on(1, "0800"), on(1, "0900"), "busy", None, True),
        (on(2, "0800"), on(2, "0900"), "busy", None, True),
    ])

    put("a", f"DTSTART:{ical(0, '1030')}", f"DTEND:{ical(0, '1200')}")  # moved and longer
    put("b", f"DTSTART:{ical(0, '1300')}", f"DTEND:{ical(0, '1330')}")  # now busy
    put("c", f"DTSTART:{ical(0, '1500')}", f"DTEND:{ical(0, '1600')}", "STATUS:TENTATIVE")  # now tentative
    radicale.delete(f"{collection}d.ics")
    synced(calgate, person, [
        (on(0, "1030"), on(0, "1200"), "busy", None, True),
        (on(0, "1300"), on(0, "1330"), "busy", None, True),
        (on(0, "1500"), on(0, "1600"), "tentative", None, True),
    ])

    for href in radicale.list_hrefs(collection):
        radicale.delete(href)
    synced(calgate, person, [])


# -- every change of every kind of event, one by one --------------------------------------

KINDS: dict[str, When] = {
    "timed in UTC": Timed(36, 60, "Etc/UTC", False),
    "timed in Kathmandu": Timed(50, 45, "Asia/Kathmandu", True),
    "all-day in Kathmandu": AllDay(1, 2, "Asia/Kathmandu"),
    "all-day": AllDay(2, 1, None),
}


def test_each_change_of_an_event_revises_its_entries_and_no_other(services):
    """Through the domain, one commit per change, beside events that do not change: for every
    pair of kinds, an event moves from one to the other (timed ↔ all-day: the index ↔ kept
    apart), is answered tentative, declined and accepted, made transparent and opaque, moved
    back, deleted and upserted again. After each change the stored timeline equals the
    rebuild and holds what the events say."""
    from calgate.domain import events as domain_events
    from tests.support.people import connect_no_access, upsert as put

    app = make_application(services, features={"no_calendar"})
    ada = connect_no_access(services, app, "ada@example.com")
    held: dict[str, Held] = {}

    def write(event_id: str, when: When, transparency: str = "opaque") -> None:
        start, end = when.wire()
        put(services, ada, event_id=event_id, start=start, end=end, transparency=transparency)
        old = held.get(event_id)
        held[event_id] = Held(when, transparency, old.participation if old else "needs_action", event_id)

    def answer(event_id: str, status: str) -> None:
        with services.uow() as uow:
            event = uow.events.by_event_id(ada.calendar_id, event_id)
            domain_events.set_participation_status(uow, ada.caller.account.id, event.id, status, utcnow())
            uow.commit()
        held[event_id].participation = status

    def check(step: str) -> None:
        stored = assert_consistent(services, [ada.calendar_id])[ada.calendar_id]
        expected = sorted(((*h.wire_span(), h.status, h.event_id, False, h.tzid) for h in held.values() if h.status), key=repr)
        assert entries(stored, zones=True) == expected, step

    write("timed neighbour", Timed(40, 30, "Etc/UTC", False))
    write("all-day neighbour", AllDay(1, 1, "Asia/Kathmandu"))
    for n, (first, then) in enumerate((a, b) for a in KINDS for b in KINDS):
        x, case = f"x{n}", f"{first} → {then}"
        write(x, KINDS[first])
        check(f"{case}: created")
        answer(x, "tentative")
        check(f"{case}: tentative")
        write(x, KINDS[then])
        check(f"{case}: moved, still tentative")
        answer(x, "declined")
        check(f"{case}: declined")
        answer(x, "accepted")
        check(f"{case}: accepted")
        write(x, KINDS[then], "transparent")
        check(f"{case}: transparent")
        write(x, KINDS[first])
        check(f"{case}: opaque, moved back")
        with services.uow() as uow:
            domain_events.delete(uow, ada.caller, ada.calendar_id, x, utcnow())
            uow.commit()
        deleted = held.pop(x)
        check(f"{case}: deleted")
        write(x, KINDS[then])
        held[x].participation = deleted.participation
        check(f"{case}: upserted again")
