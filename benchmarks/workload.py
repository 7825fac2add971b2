# SPDX-License-Identifier: Apache-2.0
"""The mixed workload of the load and fault runs, and the checks that follow it.

- ``seed``: an application and its people (No Calendar Access accounts with a hosted
  calendar, through the domain's own connect functions, as ``tests/support/people.py`` does),
  busy events in their calendars (one ORM bulk insert, no invitations), and an availability
  rule each (over HTTP, once the API is up: ``add_rules``).
- ``Load``: closed-loop clients (httpx, async) on loopback, each repeating a random pick of
  ``POST /v1/availability`` (the API key, 2–3 people, managed availability), ``GET
  /v1/free_busy`` (a person's token) and ``POST /v1/calendars/{id}/events`` (a person's token:
  a new event with one guest, or a change to one of the client's earlier events). Every answer
  is kept: status, transport error, latency; every upsert with what it asked for.
- ``verify``: after the queue is drained, the database and the SMTP server against what was
  acknowledged: every upsert answered 2xx is there with its content; every version of every
  stored event reached each of its recipients exactly once; nothing else was sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import random
import re
import secrets
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import httpx

from benchmarks.cluster import Delivery

UTC = dt.timezone.utc
INVITE_KINDS = ("send_invite", "send_mail", "provider_write")
ROUTES = ("POST /v1/availability", "GET /v1/free_busy", "POST /v1/calendars/{id}/events")
AVAILABILITY, FREE_BUSY, UPSERT = ROUTES


def window_start() -> dt.date:
    """The Monday a week or two ahead: every read and write of a run falls in its week."""
    today = dt.date.today()
    return today + dt.timedelta(days=7 + (7 - today.weekday()) % 7)


def wire(t: dt.datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- seeding -----------------------------------------------------------------------------------


@dataclass
class Person:
    account_id: str
    email: str
    calendar_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Seeded:
    application_id: str
    api_key: str
    people: list[Person]
    busy_events: int


def services_for(database_url: str, directory: Path, secret_key: str):  # type: ignore[no-untyped-def]
    from calgate.config import Settings
    from calgate.services import create_services

    return create_services(Settings(database_url=database_url, mail_dir=directory / "seed-mail", secret_key=secret_key,  # type: ignore[arg-type]
                                    organizer_email="calendar@calgate.test", run_jobs_in_process=False))


def migrate(database_url: str, directory: Path, secret_key: str) -> None:
    from calgate.store.migrate import upgrade

    services = services_for(database_url, directory, secret_key)
    upgrade(services.db.engine)
    services.db.dispose()


def _connect(services, creds, email_address: str, name: str) -> Person:  # type: ignore[no-untyped-def]
    """tests/support/people.connect_no_access, keeping the access token."""
    from sqlalchemy import select

    from calgate.domain import authorization, connect
    from calgate.domain.model import Job, utcnow
    from tests.support.connect import authorize_params

    now = utcnow()
    with services.uow() as uow:
        app, request = connect.validate_request(uow, authorize_params(creds))
        verification = connect.start_email_verification(uow, app, name, email_address, now, 900)
        uow.commit()
    with services.uow() as uow:
        job = uow.session.scalars(select(Job).where(Job.kind == "send_mail").order_by(Job.created_at.desc())).first()
        code = re.search(r"\b(\d{6})\b", job.payload["text"]).group(1)  # type: ignore[union-attr]
        # the code was read here; the message itself need not go out (it is no invitation)
        uow.session.delete(job)
        uow.commit()
    with services.uow() as uow:
        verified = connect.check_email_code(uow, verification.id, code, now)
        issued = connect.allow_hosted(uow, app, request, verified, name, now, 600)
        uow.commit()
    with services.uow() as uow:
        tokens = authorization.exchange_code(uow, creds.client_id, creds.client_secret, issued, creds.redirect_uri, None, now, 24 * 3600)
        uow.commit()
    with services.uow() as uow:
        caller = authorization.authenticate(uow, tokens.access_token, now)
        [calendar] = uow.calendars.of_account(caller.account.id)
    return Person(caller.account.id, email_address, calendar.id, tokens.access_token)


def seed(database_url: str, directory: Path, secret_key: str, people: int = 20, busy_per_person: int = 100, rng_seed: int = 7) -> Seeded:
    from sqlalchemy import insert

    from calgate.domain import ids, model
    from tests.support.factories import make_application

    services = services_for(database_url, directory, secret_key)
    try:
        creds = make_application(services, features={"no_calendar", "free_busy"}, name="Load")
        seeded = [_connect(services, creds, f"person{i}-{secrets.token_hex(2)}@example.com", f"Person {i}") for i in range(people)]
        rng = random.Random(rng_seed)
        monday = dt.datetime.combine(window_start(), dt.time(), UTC)
        now = model.utcnow()
        rows = []
        for person in seeded:
            for number in range(busy_per_person):
                start = monday + dt.timedelta(days=rng.randrange(7), minutes=rng.randrange(7 * 4, 19 * 4) * 15)
                end = start + dt.timedelta(minutes=rng.choice((15, 30, 45, 60)))
                rows.append({
                    "id": ids.new_id("evt"), "calendar_id": person.calendar_id, "account_id": person.account_id,
                    "application_id": None, "event_id": None, "summary": "Busy", "start": {"time": wire(start), "tzid": "Etc/UTC"},
                    "end": {"time": wire(end), "tzid": "Etc/UTC"}, "start_at": start, "end_at": end, "reminders": [],
                    "transparency": "opaque", "attendees": [], "participation_status": "accepted", "sequence": 0,
                    "fingerprint": "", "deleted": False, "created_at": now, "updated_at": now,
                })
        with services.uow() as uow:
            for chunk in range(0, len(rows), 5000):
                uow.session.execute(insert(model.Event), rows[chunk : chunk + 5000])
            uow.commit()
        return Seeded(creds.application_id, creds.client_secret, seeded, len(rows))
    finally:
        services.db.dispose()


def add_rules(url: str, seeded: Seeded) -> None:
    """Working hours (Monday to Friday, 09:00–17:00 London) for everyone, over HTTP."""
    periods = [{"day": day, "start_time": "09:00", "end_time": "17:00"} for day in ("monday", "tuesday", "wednesday", "thursday", "friday")]
    with httpx.Client(base_url=url, timeout=30) as client:
        for person in seeded.people:
            body = {"availability_rule_id": "working_hours", "tzid": "Europe/London", "weekly_periods": periods}
            response = client.post("/v1/availability_rules", json=body, headers=person.headers)
            response.raise_for_status()


# -- the load -----------------------------------------------------------------------------------


@dataclass
class Sample:
    route: str
    started: float  # monotonic
    ms: float
    status: int | None  # None: no answer (a transport error)
    error: str | None = None


@dataclass
class UpsertAttempt:
    calendar_id: str
    event_id: str
    summary: str
    guest: str
    person: int
    status: int | None
    started: float


@dataclass
class LoadResult:
    samples: list[Sample] = field(default_factory=list)
    upserts: list[UpsertAttempt] = field(default_factory=list)
    began: float = 0.0
    ended: float = 0.0

    @property
    def seconds(self) -> float:
        return self.ended - self.began

    def acknowledged(self) -> list[UpsertAttempt]:
        return [u for u in self.upserts if u.status is not None and 200 <= u.status < 300]


@dataclass
class RouteFigures:
    route: str
    requests: int
    ok: int
    per_second: float
    p50: float
    p99: float
    statuses: dict[str, int]  # "200": n, "500": n, "transport: ConnectError": n


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def figures(result: LoadResult, since: float | None = None, until: float | None = None) -> list[RouteFigures]:
    rows = []
    for route in ROUTES:
        samples = [s for s in result.samples if s.route == route and (since is None or s.started >= since) and (until is None or s.started < until)]
        ok = [s.ms for s in samples if s.status is not None and 200 <= s.status < 300]
        statuses = Counter(str(s.status) if s.status is not None else f"transport: {s.error}" for s in samples)
        seconds = ((until or result.ended) - (since or result.began)) or 1.0
        rows.append(RouteFigures(route, len(samples), len(ok), len(samples) / seconds, percentile(ok, 0.5), percentile(ok, 0.99), dict(sorted(statuses.items()))))
    return rows


class Load:
    """``clients`` closed loops; each request waits for the previous one of its client."""

    def __init__(self, url: str, seeded: Seeded, clients: int = 8, mix: tuple[float, float, float] = (0.3, 0.3, 0.4),
                 update_share: float = 0.25, rng_seed: int = 11, timeout: float = 30.0, prefix: str = "load", guests: bool = True) -> None:
        self.url = url
        self.seeded = seeded
        self.clients = clients
        self.mix = mix
        self.update_share = update_share
        self.rng_seed = rng_seed
        self.timeout = timeout
        self.prefix = prefix
        self.guests = guests
        self.monday = dt.datetime.combine(window_start(), dt.time(), UTC)
        self.result = LoadResult()
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self, seconds: float) -> LoadResult:
        limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients)
        async with httpx.AsyncClient(base_url=self.url, timeout=self.timeout, limits=limits) as client:
            self.result.began = time.monotonic()
            deadline = self.result.began + seconds
            await asyncio.gather(*(self._client(client, n, deadline) for n in range(self.clients)))
            self.result.ended = time.monotonic()
        return self.result

    async def _client(self, client: httpx.AsyncClient, number: int, deadline: float) -> None:
        rng = random.Random(self.rng_seed * 1000 + number)
        mine: list[tuple[str, str, int, str]] = []  # acknowledged events: (calendar_id, event_id, person, guest)
        counter = 0
        while time.monotonic() < deadline and not self._stop.is_set():
            pick = rng.random()
            if pick < self.mix[0]:
                await self._availability(client, rng)
            elif pick < self.mix[0] + self.mix[1]:
                await self._free_busy(client, rng)
            else:
                counter += 1
                await self._upsert(client, rng, number, counter, mine)

    async def _timed(self, route: str, call) -> tuple[Sample, httpx.Response | None]:  # type: ignore[no-untyped-def]
        started = time.monotonic()
        try:
            response = await call()
        except httpx.HTTPError as exc:
            sample = Sample(route, started, (time.monotonic() - started) * 1000, None, type(exc).__name__)
            self.result.samples.append(sample)
            return sample, None
        sample = Sample(route, started, (time.monotonic() - started) * 1000, response.status_code)
        self.result.samples.append(sample)
        return sample, response

    async def _availability(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        members = rng.sample(self.seeded.people, rng.choice((2, 3)))
        body = {
            "participants": [{"members": [{"sub": p.account_id, "managed_availability": True} for p in members], "required": "all"}],
            "required_duration": {"minutes": 30},
            "query_periods": [{"start": wire(self.monday), "end": wire(self.monday + dt.timedelta(days=7))}],
        }
        headers = {"Authorization": f"Bearer {self.seeded.api_key}"}
        await self._timed(AVAILABILITY, lambda: client.post("/v1/availability", json=body, headers=headers))

    async def _free_busy(self, client: httpx.AsyncClient, rng: random.Random) -> None:
        person = rng.choice(self.seeded.people)
        params = {"from": self.monday.date().isoformat(), "to": (self.monday + dt.timedelta(days=7)).date().isoformat(), "tzid": "Etc/UTC"}
        await self._timed(FREE_BUSY, lambda: client.get("/v1/free_busy", params=params, headers=person.headers))

    async def _upsert(self, client: httpx.AsyncClient, rng: random.Random, number: int, counter: int, mine: list[tuple[str, str, int, str]]) -> None:
        if mine and rng.random() < self.update_share:
            calendar_id, event_id, index, guest = rng.choice(mine)  # a change to an earlier event: a new SEQUENCE
        else:
            index = rng.randrange(len(self.seeded.people))
            calendar_id, event_id = self.seeded.people[index].calendar_id, f"{self.prefix}-{number}-{counter}"
            guest = f"guest{rng.randrange(50)}@example.net"
        person = self.seeded.people[index]
        start = self.monday + dt.timedelta(days=rng.randrange(7), minutes=rng.randrange(9 * 4, 17 * 4) * 15)
        summary = f"Meeting {event_id} #{counter}"
        body = {
            "event_id": event_id, "summary": summary, "start": wire(start), "end": wire(start + dt.timedelta(minutes=30)),
            "tzid": "Europe/London",
        }
        if self.guests:
            body["attendees"] = {"invite": [{"email": guest, "display_name": "Guest"}]}
        sample, _ = await self._timed(UPSERT, lambda: client.post(f"/v1/calendars/{calendar_id}/events", json=body, headers=person.headers))
        self.result.upserts.append(UpsertAttempt(calendar_id, event_id, summary, guest, index, sample.status, sample.started))
        if sample.status is not None and 200 <= sample.status < 300 and all(m[1] != event_id for m in mine):
            mine.append((calendar_id, event_id, index, guest))


# -- after the run ------------------------------------------------------------------------------


def drain(services, timeout: float = 120, *, hurry: bool = False, kinds: tuple[str, ...] = INVITE_KINDS) -> float:  # type: ignore[no-untyped-def]
    """Wait until no job of ``kinds`` is pending; seconds waited. ``hurry``: a job waiting out
    its retry backoff is made due now (what the passage of time would do), never a leased one."""
    from sqlalchemy import func, select, update

    from calgate.domain.model import Job, utcnow

    began = time.monotonic()
    while True:
        with services.uow() as uow:
            if hurry:
                uow.session.execute(
                    update(Job).where(Job.status == "pending", Job.kind.in_(kinds), Job.run_after > utcnow(), Job.locked_until.is_(None))
                    .values(run_after=utcnow())
                )
                uow.commit()
            pending = uow.session.scalar(select(func.count()).select_from(Job).where(Job.status == "pending", Job.kind.in_(kinds)))
        if not pending:
            return time.monotonic() - began
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"{pending} jobs still pending after {timeout:.0f}s")
        time.sleep(0.25)


def end_leases(services) -> int:  # type: ignore[no-untyped-def]
    """Leases of pending jobs end now: what 5 minutes would do to the jobs of a killed worker.
    Only while no worker runs (a live worker's lease must hold)."""
    from sqlalchemy import update

    from calgate.domain.model import Job, utcnow

    with services.uow() as uow:
        count = uow.session.execute(
            update(Job).where(Job.status == "pending", Job.locked_until.is_not(None), Job.locked_until > utcnow()).values(locked_until=utcnow())
        ).rowcount
        uow.commit()
    return int(count or 0)


@dataclass
class Sent:
    message_id: str
    recipient: str
    uid: str | None
    sequence: int | None
    method: str | None


def parse(delivery: Delivery) -> Sent:
    message = email.message_from_bytes(delivery.data, policy=default_policy)
    uid = sequence = method = None
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            text = re.sub(r"\r?\n[ \t]", "", part.get_content())  # unfold
            uid = re.search(r"^UID:(.*)$", text, re.M).group(1).strip()  # type: ignore[union-attr]
            sequence = int(re.search(r"^SEQUENCE:(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
            method = re.search(r"^METHOD:(.*)$", text, re.M).group(1).strip()  # type: ignore[union-attr]
            break
    return Sent(str(message["Message-ID"]), delivery.rcpt_tos[0].lower(), uid, sequence, method)


@dataclass
class Verdict:
    acknowledged: int
    acknowledged_events: int
    lost: list[str]  # acknowledged upserts not (or not so) in the database
    stored_events: int
    unacknowledged_but_stored: int
    expected_invites: int
    delivered: int  # messages the SMTP server accepted (invitations)
    distinct_message_ids: int
    sent_twice: list[str]  # Message-IDs accepted more than once
    duplicate_versions: list[str]  # (uid, recipient, sequence) delivered more than once
    missing: list[str]  # (uid, recipient, sequence) expected, never delivered
    unexpected: list[str]  # delivered, for no stored version
    jobs: dict[str, int]  # "kind status": count

    @property
    def ok(self) -> bool:
        jobs_ok = all(k.endswith(" done") for k in self.jobs if k.split()[0] in ("send_invite", "provider_write"))
        return not (self.lost or self.sent_twice or self.duplicate_versions or self.missing or self.unexpected) and jobs_ok

    def summary(self) -> str:
        return (
            f"{self.acknowledged} upserts acknowledged ({self.acknowledged_events} events), lost {len(self.lost)}; "
            f"{self.stored_events} events stored ({self.unacknowledged_but_stored} of them from unacknowledged attempts); "
            f"{self.expected_invites} invitations due, {self.delivered} accepted by SMTP, {self.distinct_message_ids} distinct Message-IDs, "
            f"sent twice {len(self.sent_twice)}, same version twice {len(self.duplicate_versions)}, missing {len(self.missing)}, "
            f"unexpected {len(self.unexpected)}; jobs {self.jobs}"
        )


def verify(services, seeded: Seeded, result: LoadResult, deliveries: list[Delivery]) -> Verdict:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from calgate.domain.model import Event, Job

    emails = {p.account_id: p.email.lower() for p in seeded.people}
    with services.uow() as uow:
        events = list(uow.session.scalars(select(Event).where(Event.application_id == seeded.application_id)))
        jobs = {f"{kind} {status}": n for kind, status, n in uow.session.execute(
            select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status))}
    stored = {(e.calendar_id, e.event_id): e for e in events}

    attempts: dict[tuple[str, str], list[UpsertAttempt]] = defaultdict(list)
    for attempt in sorted(result.upserts, key=lambda u: u.started):
        attempts[(attempt.calendar_id, attempt.event_id)].append(attempt)
    lost = []
    for key, tries in attempts.items():
        acked = [i for i, t in enumerate(tries) if t.status is not None and 200 <= t.status < 300]
        if not acked:
            continue
        event = stored.get(key)
        if event is None or event.deleted:
            lost.append(f"{key[1]}: acknowledged, not in the database")
            continue
        # the last acknowledged content, or that of a later attempt whose answer was lost
        allowed = {t.summary for t in tries[acked[-1]:]}
        if event.summary not in allowed:
            lost.append(f"{key[1]}: holds {event.summary!r}, acknowledged {tries[acked[-1]].summary!r}")
        if event.sequence < len(acked) - 1:
            lost.append(f"{key[1]}: SEQUENCE {event.sequence} after {len(acked)} acknowledged versions")

    expected: set[tuple[str, str, int]] = set()
    for event in events:
        recipients = {emails.get(event.account_id, "")} | {a["email"].lower() for a in event.attendees}
        for sequence in range(event.sequence + 1):
            expected |= {(event.ical_uid, r, sequence) for r in recipients}
    sent = [parse(d) for d in deliveries]
    invites = [s for s in sent if s.uid is not None]
    by_id = Counter(s.message_id for s in invites)
    versions = Counter((s.uid, s.recipient, s.sequence) for s in invites)
    acknowledged_attempts = result.acknowledged()
    unacked_stored = sum(1 for key in stored if key not in {k for k, tries in attempts.items() if any(t.status and 200 <= t.status < 300 for t in tries)})
    return Verdict(
        acknowledged=len(acknowledged_attempts),
        acknowledged_events=len({(u.calendar_id, u.event_id) for u in acknowledged_attempts}),
        lost=lost,
        stored_events=len(events),
        unacknowledged_but_stored=unacked_stored,
        expected_invites=len(expected),
        delivered=len(invites),
        distinct_message_ids=len(by_id),
        sent_twice=sorted(m for m, n in by_id.items() if n > 1),
        duplicate_versions=sorted(str(v) for v, n in versions.items() if n > 1),
        missing=sorted(str(v) for v in expected - set(versions)),
        unexpected=sorted(str(v) for v in set(versions) - expected),  # type: ignore[operator]
        jobs=dict(sorted(jobs.items())),
    )


def render_figures(rows: list[RouteFigures]) -> list[str]:
    lines = [
        "| route | requests | 2xx | throughput (req/s) | p50 (ms) | p99 (ms) | answers |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        answers = ", ".join(f"{k}: {v}" for k, v in r.statuses.items())
        lines.append(f"| `{r.route}` | {r.requests:,} | {r.ok:,} | {r.per_second:.1f} | {r.p50:.1f} | {r.p99:.1f} | {answers} |")
    total = sum(r.requests for r in rows)
    ok = sum(r.ok for r in rows)
    seconds = total / sum(r.per_second for r in rows) if rows and sum(r.per_second for r in rows) else 1
    lines.append(f"| all | {total:,} | {ok:,} | {total / seconds:.1f} | | | |")
    return lines


def stand_in_events(standin: Any, email_address: str) -> list[dict[str, Any]]:
    """The events the Google stand-in holds in ``email_address``'s primary calendar (not cancelled)."""
    with standin.lock:
        events = standin.state.calendar(email_address, "primary").events.values()
        return [dict(e) for e in events if e.get("status") != "cancelled"]


def verify_provider(services, result: LoadResult, standin: Any, emails: dict[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    """Problems with the writes into Google calendars: every acknowledged upsert is in the
    database and at the provider exactly once, with the content calgate holds; every
    ``provider_write`` job done. ``emails``: calendar_id → the person's Google address."""
    from sqlalchemy import select

    from calgate.domain.model import Event, Job

    problems = []
    with services.uow() as uow:
        stored = {(e.calendar_id, e.event_id): e for e in uow.session.scalars(select(Event).where(Event.calendar_id.in_(list(emails))))}
        writes = list(uow.session.scalars(select(Job).where(Job.kind == "provider_write")))
    problems += [f"provider_write {j.id} {j.status}" for j in writes if j.status != "done"]
    held = {email_address: stand_in_events(standin, email_address) for email_address in set(emails.values())}
    for key in {(u.calendar_id, u.event_id) for u in result.acknowledged()}:
        event = stored.get(key)
        if event is None:
            problems.append(f"{key[1]}: acknowledged, not in the database")
            continue
        copies = [e for e in held[emails[key[0]]] if str(e.get("summary", "")).startswith(f"Meeting {key[1]} #")]
        if len(copies) != 1 or copies[0].get("summary") != event.summary:
            problems.append(f"{key[1]}: {len(copies)} copies at the provider ({[c.get('summary') for c in copies]}), calgate holds {event.summary!r}")
    return problems
