# SPDX-License-Identifier: Apache-2.0
"""Schemathesis against a live calgate, with real credentials: no 5xx, and every answer as
``/openapi.json`` describes it (status code, content type, headers, body schema).

One server per backend (SQLite and PostgreSQL), ``CALGATE_RATE_LIMIT=0``, holding an application
with a person connected in No Access mode (every scope), an application calendar, a service
account, events, an availability rule, available periods and a channel. Every operation of the
document goes through four phases that schemathesis generates: its coverage phase (a fixed set
of boundary, missing and wrong-typed values for each parameter and property, and methods the
path does not have), the document's examples, then Hypothesis over positive data (what the
document allows) and negative data (what it does not). Requests carry the credentials the
operation's ``security`` names (the person's or the application calendar's token, the API key,
the service account's token), and about half the time real ids (calendar, event, rule,
channel, page tokens), a real time zone, real members or the real client credentials, so the
fuzzing gets past the 404s and 422s. Times and dates are generated with the first and last days
a datetime holds, DST changes and days near today mixed in (``FORMATS``). Between operations
the fixture's events, periods, rule and channel are put back (``restore``): deletes must not
leave the next operation nothing to find.

**Budget**: at least ``BUDGET`` generated requests per backend (about 3,800 are sent), counted
as they go and checked at the end. The default run is derandomized (CI sends the same requests
every time); ``CALGATE_FUZZ_SEED=<n>`` explores others, ``CALGATE_FUZZ_SCALE=<x>`` multiplies
the Hypothesis examples. Shrinking is off: it costs hundreds of requests per failure, and the
first failing request is reported as sent.

**Known bugs**: ``BUGS`` names each server bug the fuzzing found, and ``EXCLUDED`` marks the
operations it breaks. There, and only there, a 5xx whose logged exception is that bug's does
not fail the run (it is counted and printed); anything else still does. Remove the entries
when the bug is fixed; ``CALGATE_FUZZ_STRICT=1`` ignores them all.

**Nothing leaves the machine**: the job runner is stopped once the setup is done (channel
callbacks, invitations and Enterprise Connect authorizations stay queued), and every provider
URL points at a closed loopback port.

(Longer than a module should be: it is one harness, the fixture world, the sending and the
steering, which make sense only together.)
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import json
import logging
import os
import random
import re
import time
import traceback
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import unregister_string_format
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from calgate.api import openapi
from calgate.domain import enterprise_connect
from calgate.domain.model import utcnow
from tests.support.api import bearer, connect_and_exchange, token_request
from tests.support.application_calendars import make_application_calendar
from tests.support.factories import AppCredentials, make_application
from tests.support.server import LiveServer, database_url, make_settings

BACKENDS = ["sqlite", "postgresql"]
BUDGET = 2000  # generated requests per backend, at least
SCALE = float(os.environ.get("CALGATE_FUZZ_SCALE", "1"))
SEED = os.environ.get("CALGATE_FUZZ_SEED")
STRICT = os.environ.get("CALGATE_FUZZ_STRICT", "") not in ("", "0")
EXAMPLES, POSITIVE, NEGATIVE = 5, 20, 15  # Hypothesis max_examples per operation and phase (times SCALE)
FULL_SCOPE = (
    "read_account list_calendars create_calendar read_events create_event delete_event "
    "change_participation_status free_busy_write"
)
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens there, nothing leaves
ZONES = ["Europe/London", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu", "Etc/UTC"]
FMT = "%Y-%m-%dT%H:%M:%SZ"
T = TypeVar("T")

# -- known server bugs ----------------------------------------------------------------------------
# Each: what is wrong, and a pattern for the exception the server logs ("Type: message" and the
# last calgate frames, as ``ServerErrors`` writes them). Fixed ones stay as a record.
BUGS: dict[str, tuple[str, str]] = {
    "tzid-type": (  # fixed in e7cee49: a 422
        "times.zone() is given a tzid that is not a string ({\"time\": …, \"tzid\": [..]} in an event or period "
        "time, or an availability constraint's tzid) and calls str methods on it: AttributeError/TypeError, 500",
        r"(AttributeError: '\w+' object has no attribute 'startswith'|TypeError: argument of type '\w+' is not iterable)"
        r"[\s\S]*times\.py:\d+ in zone",
    ),
    "tzid-oserror": (  # fixed: a 422
        "times.zone() catches only ZoneInfoNotFoundError and ValueError, but ZoneInfo raises OSError for a tzid that "
        "names a directory of the zone database (\"America\", \"Europe\", \"Etc\": IsADirectoryError) or is too long "
        "for a file name (ENAMETOOLONG): 500 instead of a 422, wherever a tzid is read",
        r"(IsADirectoryError|OSError): \[Errno \d+\] [^\n]*zoneinfo",
    ),
    "date-overflow": (  # fixed in e7cee49: Times and Dates outside the years 1000 to 9000 are a 422
        "a Time or Date near year 1 or 9999 overflows when converted (a Time with an offset past 0001-01-01 or "
        "9999-12-31 UTC in times.parse_time_or_date; a Date's local midnight in reads._bound and EventTime.instant): "
        "OverflowError, 500 instead of a 422",
        r"OverflowError: date value out of range",
    ),
    "reminders-type": (  # fixed in e7cee49: a 422
        "events.EventInput.from_params iterates `reminders` without checking it is a list (\"reminders\": 1): "
        "TypeError, 500",
        r"TypeError: '\w+' object is not iterable[\s\S]*events\.py:\d+ in from_params",
    ),
    "nul-postgresql": (  # fixed in e7cee49: a 422 in parameters, a 404 in a path
        "on PostgreSQL a string with a NUL character (\\u0000) in an id, a credential or a field reaches SQL: "
        "psycopg.DataError, 500 (SQLite stores it)",
        r"DataError: \(psycopg\.DataError\) PostgreSQL text fields cannot contain NUL",
    ),
}
# "METHOD /path" (or "*": every operation) -> the open bugs above that it shows.
EXCLUDED: dict[str, list[str]] = {}  # every bug above is fixed
BUG_BACKENDS = {"nul-postgresql": {"postgresql"}}


def known_bug(label: str, backend: str, raised: str) -> str | None:
    """The known bug an exception raised by ``label`` is, if it is one excluded there."""
    if STRICT:
        return None
    for name in [*EXCLUDED.get(label, []), *EXCLUDED.get("*", [])]:
        if backend in BUG_BACKENDS.get(name, {backend}) and re.search(BUGS[name][1], raised):
            return name
    return None


# -- the world ----------------------------------------------------------------------------------


class ServerErrors(logging.Handler):
    """What the server raised: uvicorn logs each unhandled exception, and the batch endpoint
    each failed entry, with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.raised: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/calgate/" in f.filename]
            where = "".join(f"\n    {f.filename.split('/src/')[-1]}:{f.lineno} in {f.name}" for f in frames[-3:])
            self.raised.append(f"server raised {type(exc).__name__}: {exc}{where}")


@dataclasses.dataclass
class Actor:
    """An account the fuzzer acts as, and the ids it owns."""

    token: str
    sub: str
    calendar_id: str
    profile_id: str
    event_refs: list[str] = dataclasses.field(default_factory=list)  # event_uids and event_ids
    refresh_token: str = ""


@dataclasses.dataclass
class World:
    server: LiveServer
    backend: str
    creds: AppCredentials
    person: Actor
    room: Actor
    service_account_token: str
    channel_id: str
    pages: dict[str, list[str]]  # page route -> real page tokens (the person's)
    server_errors: ServerErrors
    rule_ids: tuple[str, ...] = ("fuzz/rule",)
    sent: int = 0
    statuses: dict[str, collections.Counter[int]] = dataclasses.field(default_factory=lambda: collections.defaultdict(collections.Counter))
    crashes: dict[str, str] = dataclasses.field(default_factory=dict)  # unknown server exception -> its first request
    known: collections.Counter[tuple[str, str]] = dataclasses.field(default_factory=collections.Counter)  # (bug, operation)
    slowest: dict[str, tuple[float, str]] = dataclasses.field(default_factory=dict)  # operation -> its slowest request

    @property
    def url(self) -> str:
        return self.server.url


def serve_openapi(server: LiveServer) -> None:
    """Serve ``api.openapi``'s document at /openapi.json unless the application does already
    (``create_app`` with ``openapi_url=None`` and the router included)."""
    app = server.app
    if app.openapi_url is None:
        return
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != "/openapi.json"]
    app.openapi_url = None
    app.include_router(openapi.router)


# Times and dates as generated, plus what breaks date arithmetic: the first and last days a
# datetime can hold (with offsets that push past them), the edges of the years calgate takes
# (1000 to 9000), DST changes, and days near today, where reads and availability have something
# to find.
_TODAY = dt.date.today()
_DAYS = st.one_of(
    st.dates(),
    st.integers(-60, 420).map(lambda days: _TODAY + dt.timedelta(days=days)),
    st.sampled_from([dt.date(1, 1, 1), dt.date(1, 1, 2), dt.date(9999, 12, 30), dt.date(9999, 12, 31),
                     dt.date(999, 12, 31), dt.date(1000, 1, 1), dt.date(9000, 12, 31), dt.date(9001, 1, 1),
                     dt.date(2024, 2, 29), dt.date(2026, 3, 8), dt.date(2026, 3, 29), dt.date(2026, 10, 25), dt.date(2026, 11, 1)]),
).map(dt.date.isoformat)
_CLOCK = st.builds("{:02d}:{:02d}:{:02d}".format, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]), st.integers(0, 59))
_OFFSET = st.one_of(st.just("Z"), st.builds("{}{:02d}:{:02d}".format, st.sampled_from("+-"), st.integers(0, 14), st.sampled_from([0, 30, 45])))
FORMATS = {"date": _DAYS, "date-time": st.builds("{}T{}{}".format, _DAYS, _CLOCK, _OFFSET)}


@pytest.fixture(scope="module", autouse=True)
def time_formats() -> Iterator[None]:
    for name, strategy in FORMATS.items():
        schemathesis.openapi.format(name, strategy)
    try:
        yield
    finally:
        for name in FORMATS:
            unregister_string_format(name)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    providers = {
        f"{name}_url": CLOSED
        for name in ("google_auth", "google_token", "google_revoke", "google_api", "google_userinfo", "google_directory", "microsoft_graph")
    }
    with database_url(request.param, directory) as url:
        server = LiveServer(make_settings(url, directory, rate_limit=0, page_size=2, microsoft_authority=CLOSED, **providers))
        serve_openapi(server)
        server.start()
        errors = ServerErrors()
        loggers = [logging.getLogger("uvicorn.error"), logging.getLogger("calgate")]
        for logger in loggers:
            logger.addHandler(errors)
        try:
            yield populate(server, request.param, errors)
        finally:
            for logger in loggers:
                logger.removeHandler(errors)
            server.stop()


def populate(server: LiveServer, backend: str, errors: ServerErrors) -> World:
    creds = make_application(server.services, features={"no_calendar"}, name="Fuzz Scheduling")
    connected = connect_and_exchange(server, creds, scope=FULL_SCOPE)  # needs the job runner: the code is mailed
    server.services.jobs.stop()  # from here on nothing is delivered: see the module docstring
    person = _actor(server, connected.access_token, connected.account_id, refresh_token=connected.refresh_token)
    room_tokens = make_application_calendar(server, creds, "fuzz-room")
    room = _actor(server, room_tokens.access_token, room_tokens.sub)
    world = World(
        server=server, backend=backend, creds=creds, person=person, room=room,
        service_account_token=_service_account(server, creds), channel_id="", pages={}, server_errors=errors,
    )
    with httpx.Client(base_url=server.url) as client:
        restore(world, client)
        for actor in (person, room):
            read = _ok(client.get("/v1/events", params={"tzid": "Europe/London", "include_managed": "true"}, headers=bearer(actor.token)), 200)
            actor.event_refs = [e["event_uid"] for e in read["events"]] + [f"fuzz-{i}" for i in (0, 1, 3, "day")]
        for route, path in (("/v1/events/pages/{token}", "/v1/events"), ("/v1/free_busy/pages/{token}", "/v1/free_busy"),
                            ("/v1/available_periods/pages/{token}", "/v1/available_periods")):
            first = _ok(client.get(path, params={"tzid": "Europe/London", "include_managed": "true"}, headers=bearer(person.token)), 200)
            world.pages[route] = [first["pages"]["next_page"].rsplit("/", 1)[1]]
    return world


def _actor(server: LiveServer, token: str, sub: str, refresh_token: str = "") -> Actor:
    calendar = _ok(httpx.get(f"{server.url}/v1/calendars", headers=bearer(token)), 200)["calendars"][0]
    return Actor(token, sub, calendar["calendar_id"], calendar["profile_id"], refresh_token=refresh_token)


def restore(world: World, client: httpx.Client) -> None:
    """The fixture's events (one deleted), available periods, rule and channel, as they were
    (not counted: these are no generated requests). Upserting what is there changes nothing."""
    start = dt.datetime.combine(_TODAY + dt.timedelta(days=1), dt.time(9), tzinfo=dt.timezone.utc)
    for actor in (world.person, world.room):
        headers = bearer(actor.token)
        for i in range(5):
            at = start + dt.timedelta(hours=i)
            end = (at + dt.timedelta(minutes=45)).strftime(FMT)
            event: dict[str, Any] = {"event_id": f"fuzz-{i}", "summary": f"Fuzz {i}", "start": at.strftime(FMT), "end": end}
            if i == 1:
                event.update(start={"time": at.strftime(FMT), "tzid": "Asia/Kathmandu"}, location={"description": "Room 1"},
                             reminders=[{"minutes": 10}], url="https://app.example/1", color="#49BED8", transparency="transparent",
                             tags={"private": [{"value": "fuzz"}]},
                             attendees={"invite": [{"email": "guest@example.org", "display_name": "Guest"}, {"email": "other@example.org"}]})
            _ok(client.post(f"/v1/calendars/{actor.calendar_id}/events", json=event, headers=headers), 202)
        day = (start + dt.timedelta(days=2)).date()
        all_day = {"event_id": "fuzz-day", "summary": "All day", "start": day.isoformat(), "end": (day + dt.timedelta(days=1)).isoformat()}
        _ok(client.post(f"/v1/calendars/{actor.calendar_id}/events", json=all_day, headers=headers), 202)
        _ok(client.request("DELETE", f"/v1/calendars/{actor.calendar_id}/events", json={"event_id": "fuzz-2"}, headers=headers), 202)
    headers = bearer(world.person.token)
    for i in range(3):
        at = start + dt.timedelta(days=i)
        period = {"available_period_id": f"fuzz-period-{i}", "start": at.strftime(FMT), "end": (at + dt.timedelta(hours=4)).strftime(FMT)}
        _ok(client.post("/v1/available_periods", json=period, headers=headers), 202)
    rule = {"availability_rule_id": world.rule_ids[0], "tzid": "Europe/London", "calendar_ids": [world.person.calendar_id],
            "weekly_periods": [{"day": d, "start_time": "09:00", "end_time": "17:30"} for d in ("monday", "tuesday", "friday")]}
    _ok(client.post("/v1/availability_rules", json=rule, headers=headers), 200)
    channel = _ok(client.post("/v1/channels", json={"callback_url": f"{CLOSED}/fuzz"}, headers=headers), 200)  # the open one, or a new one
    world.channel_id = channel["channel"]["channel_id"]


def _ok(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def _service_account(server: LiveServer, creds: AppCredentials) -> str:
    """A service account's token, as Enterprise Connect's Allow makes one (its organization's
    credentials are never used: no provider is reached)."""
    services = server.services
    with services.uow() as uow:
        app = uow.applications.get(creds.application_id)
        request = enterprise_connect.EnterpriseRequest(
            client_id=creds.client_id, redirect_uri=creds.redirect_uri, scope=enterprise_connect.ACCOUNTS_MANAGE,
            delegated_scope="free_busy_write", state=None, access_mode="read_write", provider="google", code_challenge=None,
        )
        sealed = services.box.seal(json.dumps({"type": "service_account", "client_email": "calgate@fuzz.test"}))
        code = enterprise_connect.allow(uow, app, request, "fuzz.test", "admin@fuzz.test", sealed, utcnow(), 600)
        uow.commit()
    return str(_ok(token_request(server, creds, code), 200)["access_token"])


# -- the fuzzing ---------------------------------------------------------------------------------


def batch_entries_are_no_server_errors(ctx: Any, response: Any, case: Any) -> None:
    """POST /v1/batch answers 207 even when an entry failed inside: a 500 there is a server error too."""
    if case.operation.label != "POST /v1/batch" or response.status_code != 207:
        return
    entries = json.loads(response.content).get("batch", [])
    failed = [i for i, entry in enumerate(entries) if isinstance(entry, dict) and entry.get("status", 0) >= 500]
    if failed:
        raise AssertionError(f"batch entries {failed} answered 500")


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    batch_entries_are_no_server_errors,
]


@dataclasses.dataclass
class Outcome:
    label: str
    phase: str
    sent: int
    seconds: float
    failures: list[str] = dataclasses.field(default_factory=list)


def test_schemathesis(world: World) -> None:
    schema = schemathesis.openapi.from_url(f"{world.url}/openapi.json")
    outcomes: list[Outcome] = []
    with requests.Session() as session, httpx.Client(base_url=world.url) as client:
        for result in schema.get_all_operations():
            operation = result.ok()
            restore(world, client)
            outcomes.append(_cover(world, session, schema, operation))
            phases: list[tuple[str, Any, int]] = []
            examples = schema.get_strategies_from_examples(operation)
            if examples:
                phases.append(("examples", st.one_of(examples), EXAMPLES))
            phases.append(("positive", operation.as_strategy(GenerationMode.POSITIVE), POSITIVE))
            if _has_inputs(operation):
                phases.append(("negative", operation.as_strategy(GenerationMode.NEGATIVE), NEGATIVE))
            for phase, strategy, count in phases:
                outcomes.append(_fuzz(world, session, operation, phase, strategy, max(1, round(count * SCALE))))
    _print_report(world, outcomes)
    failures = [f"{o.label} ({o.phase}):\n{failure}" for o in outcomes for failure in o.failures]
    failures += [f"server exception {n} of {len(world.crashes)}, first seen at {where}" for n, where in enumerate(world.crashes.values(), 1)]
    assert not failures, "\n\n".join(failures)
    assert world.sent >= BUDGET, f"only {world.sent} requests were generated; the budget is {BUDGET}"


def _print_report(world: World, outcomes: list[Outcome]) -> None:
    """Shown with -s or on failure: requests and time per phase, answers per operation, known bugs met."""
    lines = [f"{o.label:72} {o.phase:9} {o.sent:5} {o.seconds:6.1f}s" for o in outcomes]
    lines.append(f"{'total (' + world.backend + ')':82} {world.sent:5} {sum(o.seconds for o in outcomes):6.1f}s")
    lines += [f"{label:72} {dict(sorted(counts.items()))}" for label, counts in world.statuses.items()]
    lines += [f"known bug {bug} at {label}: {count} requests" for (bug, label), count in sorted(world.known.items())]
    slowest = sorted(world.slowest.items(), key=lambda item: -item[1][0])[:3]
    lines += [f"slowest {label}: {took:.2f}s\n  {curl[:2000]}" for label, (took, curl) in slowest]
    print("\n" + "\n".join(lines))


def _has_inputs(operation: Any) -> bool:
    definition = operation.definition.raw
    return bool(definition.get("parameters") or definition.get("requestBody"))


def _send(world: World, session: requests.Session, case: Any, headers: dict[str, str]) -> str | None:
    """Send the case and run the checks; what went wrong, if anything (the server's exception
    first, when it raised one). A server exception that is a known bug of the operation counts
    as nothing wrong."""
    raised = len(world.server_errors.raised)
    # Sent with our own session: Case.call counts the session's pooled connections in a way
    # the urllib3 installed here does not support (schemathesis 4.32).
    kwargs = case.as_transport_kwargs(base_url=world.url, headers=headers)
    sent_at = time.monotonic()
    try:
        response = session.request(**kwargs, timeout=60, allow_redirects=False)
    except requests.ConnectionError:
        # uvicorn closes the connection after an unhandled exception (whose 500 the previous
        # request got); the request sent on that kept-alive connection goes again on a new one.
        response = session.request(**kwargs, timeout=60, allow_redirects=False)
    world.sent += 1
    label = case.operation.label
    took = time.monotonic() - sent_at
    if took > world.slowest.get(label, (0.0, ""))[0]:
        world.slowest[label] = (took, case.as_curl_command(headers=headers))
    world.statuses[label][response.status_code] += 1
    deadline = time.monotonic() + 1
    while response.status_code >= 500 and len(world.server_errors.raised) == raised and time.monotonic() < deadline:
        time.sleep(0.01)  # uvicorn logs the exception just after the 500 has gone out
    crashes = world.server_errors.raised[raised:]
    known = [known_bug(label, world.backend, crash) for crash in crashes]
    if crashes and all(known):
        for bug in known:
            world.known[(str(bug), label)] += 1
        return None
    try:
        case.validate_response(response, checks=CHECKS, headers=headers, transport_kwargs=kwargs)
    except BaseException as exc:  # schemathesis raises a BaseExceptionGroup of failures
        problems = "\n".join([*crashes, *(str(e) for e in getattr(exc, "exceptions", [exc]))])
        problem = f"{problems}\n{case.as_curl_command(headers=headers)}\n-> {response.status_code} {response.text[:600]}"
        for crash in crashes:  # every distinct server exception, even one met after a phase's first failure
            world.crashes.setdefault(crash, f"{label}:\n{problem}")
        return problem
    return None


def _cover(world: World, session: requests.Session, schema: Any, operation: Any) -> Outcome:
    """Schemathesis's coverage phase for the operation (all of its cases; one failure of each
    kind is reported)."""
    before, started = world.sent, time.monotonic()
    choices = Seeded(random.Random(f"{SEED}:{operation.label}"))
    failures: dict[str, str] = {}
    cases = schema.iter_coverage_cases(
        operation, generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=schema.config.generation_for(operation=operation),
    )
    for case in cases:
        problem = _send(world, session, case, _credentials(world, operation, case, choices))
        if problem is not None:
            failures.setdefault(problem.splitlines()[0], problem)
    return Outcome(operation.label, "coverage", world.sent - before, time.monotonic() - started, list(failures.values()))


def _fuzz(world: World, session: requests.Session, operation: Any, phase: str, strategy: Any, max_examples: int) -> Outcome:
    """Hypothesis over the strategy; the first failure is reported, as sent."""
    before, started = world.sent, time.monotonic()
    failure: list[str] = []

    @settings(
        max_examples=max_examples, deadline=None, database=None, derandomize=SEED is None, print_blob=False,
        suppress_health_check=list(HealthCheck), report_multiple_bugs=False, phases=(Phase.explicit, Phase.generate),
    )
    @given(case=strategy, data=st.data())
    def run(case: Any, data: st.DataObject) -> None:
        problem = _send(world, session, case, _credentials(world, operation, case, Drawn(data)))
        if problem is not None:
            failure[:] = [problem]
            raise AssertionError(problem)

    if SEED is not None:
        run = seed(int(SEED))(run)
    try:
        run()
    except Exception as exc:
        # A failure is recorded already (Hypothesis's replay of it may even pass, the server's
        # state having moved on: FlakyFailure); anything else is generation failing.
        if not failure:
            failure[:] = ["".join(traceback.format_exception(exc))]
    return Outcome(operation.label, phase, world.sent - before, time.monotonic() - started, failure)


# -- credentials and real ids --------------------------------------------------------------------


class Drawn:
    """Choices drawn by Hypothesis, as part of the example."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def pick(self, values: Sequence[T], label: str) -> T:
        return self.data.draw(st.sampled_from(values), label=label)

    def maybe(self, label: str) -> bool:
        return self.data.draw(st.booleans(), label=f"real {label}")


class Seeded:
    """Choices from a seeded random generator (the coverage phase, which Hypothesis does not drive)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, values: Sequence[T], label: str) -> T:
        return self.rng.choice(list(values))

    def maybe(self, label: str) -> bool:
        return self.rng.random() < 0.5


Choices = Drawn | Seeded


def _credentials(world: World, operation: Any, case: Any, choices: Choices) -> dict[str, str]:
    """The credentials the operation's ``security`` names (one of them, chosen), after real ids
    were steered into the case."""
    schemes = {name for requirement in operation.definition.raw.get("security", [{}]) for name in requirement}
    options: list[tuple[str, Actor | None]] = []
    if "accessToken" in schemes:
        options += [(world.person.token, world.person), (world.room.token, world.room)]
    if "apiKey" in schemes:
        options.append((world.creds.client_secret, None))
    if "serviceAccountToken" in schemes:
        options.append((world.service_account_token, None))
    token, actor = choices.pick(options, "credentials") if options else (None, None)
    _steer(world, operation, case, actor or world.person, choices)
    return bearer(token) if token else {}


def _steer(world: World, operation: Any, case: Any, actor: Actor, choices: Choices) -> None:
    """Real values into about half of the places that take them. Never a real profile id into
    the path (revoking the profile would end the run) nor a real token into a revocation."""
    path: dict[str, Any] = case.path_parameters if isinstance(case.path_parameters, dict) else {}
    real: dict[str, Sequence[str]] = {
        "calendar_id": [actor.calendar_id],
        "event_uid": actor.event_refs,
        "availability_rule_id": world.rule_ids,
        "channel_id": [world.channel_id],
        "token": world.pages.get(operation.path, []),
    }
    for name, values in real.items():
        if name in path and values and choices.maybe(name):
            path[name] = choices.pick(values, name)
    query: dict[str, Any] = case.query if isinstance(case.query, dict) else {}
    if "tzid" in query and choices.maybe("tzid"):
        query["tzid"] = choices.pick(ZONES, "tzid")
    if "calendar_ids[]" in query and choices.maybe("calendar_ids"):
        query["calendar_ids[]"] = [actor.calendar_id]
    body = case.body
    if not isinstance(body, dict):
        return
    if "client_id" in body and choices.maybe("client credentials"):
        body.update(client_id=world.creds.client_id, client_secret=world.creds.client_secret)
    if "refresh_token" in body and choices.maybe("refresh token"):
        body["refresh_token"] = world.person.refresh_token
    if operation.path == "/v1/calendars" and "profile_id" in body and choices.maybe("profile_id"):
        body["profile_id"] = actor.profile_id
    if isinstance(body.get("calendar_ids"), list) and choices.maybe("calendar_ids"):
        body["calendar_ids"] = [actor.calendar_id]
    subs = [world.person.sub, world.room.sub]
    for group in _groups(body):
        members = group.get("members") if isinstance(group, dict) else None
        for index, member in enumerate(members if isinstance(members, list) else []):
            if choices.maybe("member"):
                sub = choices.pick(subs, "sub")
                if isinstance(member, dict):
                    member["sub"] = sub
                else:
                    members[index] = sub


def _groups(body: dict[str, Any]) -> Iterator[Any]:
    """Participant groups of an availability body, or of each sequenced availability step."""
    steps = body.get("sequence")
    for holder in [body, *(steps if isinstance(steps, list) else [])]:
        participants = holder.get("participants") if isinstance(holder, dict) else None
        yield from participants if isinstance(participants, list) else []


# -- the document against the application ------------------------------------------------------


def _routes(routes: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every HTTP route, flat or behind included routers (newer FastAPI)."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            for context in contexts():
                for method in context.methods or ():
                    yield method, prefix + context.path
        elif getattr(route, "methods", None):
            for method in route.methods:
                yield method, prefix + route.path
        elif hasattr(route, "routes") and getattr(route, "path", None) is not None:
            yield from _routes(route.routes, prefix + route.path)


UNDOCUMENTED = {("DELETE", "/v1/available_periods/")}  # PHP's spelling; the document mentions it


def test_the_document_describes_every_api_route(world: World) -> None:
    served = {
        (method, re.sub(r":path}", "}", path))
        for method, path in _routes(world.server.app.routes)
        if method != "HEAD" and (path.startswith("/v1/") or path.startswith("/oauth/token")) and (method, path) not in UNDOCUMENTED
    }
    described = {(method.upper(), path) for path, item in openapi.document()["paths"].items() for method in item}
    assert sorted(served - described) == [], "routes the document does not describe"
    assert sorted(described - served) == [], "operations the application does not have"


def test_openapi_json_names_the_public_url(world: World) -> None:
    response = httpx.get(f"{world.url}/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["openapi"].startswith("3.1")
    assert body["servers"] == [{"url": world.server.settings.public_url}]


def test_docs_render_every_operation(world: World) -> None:
    response = httpx.get(f"{world.url}/docs")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert not re.search(r"<script|<link|\ssrc=", page), "the page must be self-contained"
    for path, item in openapi.document()["paths"].items():
        for method, operation in item.items():
            assert f'id="op-{operation["operationId"]}"' in page, (method, path)
    for name in openapi.document()["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
