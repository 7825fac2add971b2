# SPDX-License-Identifier: Apache-2.0
"""Where a request's time goes, route by route: cProfile in process. Writes the "profiles"
section of docs/benchmarks.md (``make bench``).

The data of the availability benchmark (``bench_availability.generate`` and ``load``: 50 people
with 1,000 busy events each in 14 days, one transaction) in calgate's database (PostgreSQL, or
SQLite with ``--store sqlite``), then, with no server, each of:

- ``availability.answer(services, application, body)``: the body of ``POST /v1/availability``
  for all 50 people (``bench_availability.http_body``: 14 days, 30 minutes, ``periods``);
- ``GET /v1/free_busy`` for the first person (1,000 events, the 14 days, ``include_managed``,
  as ``bench_free_busy`` asks it): the first page at calgate's default page size (100), and the
  whole answer in one page (``page_size`` 1,000);
- ``POST /v1/calendars/{id}/events`` into that person's calendar: a new event with one guest
  (an iMIP invitation queued, as in the load mix; the job is never run here).

The HTTP routes go through the real application (``calgate.app.create_app``) over httpx's ASGI
transport, on an event loop in this thread. FastAPI runs a sync endpoint or dependency in a
worker thread, which cProfile (one thread) would not see; here ``anyio.to_thread.run_sync`` runs
it inline instead, so the whole request is in the profile (one request at a time: nothing else
changes). The garbage collector is set as ``calgate serve`` sets it (``calgate.gc_tuning``).
Each route: its wall time unprofiled (p50, p99) and the garbage collector's pauses
meanwhile (``gc.callbacks``; cProfile does not see them), then a number of requests under cProfile;
the tables are per request, cumulative time (a function and all it calls) and its share of the
profiled request. Frames of the ASGI plumbing (asyncio, anyio, starlette, fastapi, httpx) and of
this script are left out of the tables, as wrappers of everything; their own time is in the
"own time by package" line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import gc
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_availability import (  # noqa: E402
    Timing, database, generate, http_body, load, load_average, machine_facts, measure, window,
)
from benchmarks.bench_free_busy import free_busy_params, person_token  # noqa: E402
from benchmarks.cluster import DEFAULT_PG, pg_version  # noqa: E402
from benchmarks.report import write_section  # noqa: E402
from benchmarks.workload import wire  # noqa: E402

PEOPLE = 50
TOP = 12
PASS_THROUGH = 0.95  # a function one of whose callees takes this share of its time is a wrapper
PLUMBING = ("/asyncio/", "/anyio/", "/starlette/", "/fastapi/", "/httpx/", "/httpcore/", "/h11/", "/sniffio/",
            "/contextlib.py", "/threading.py", "/selectors.py", "/concurrent/", str(Path(__file__).resolve()))
PACKAGES = (  # own time by package: the first pattern found in the frame's file (or a builtin's name) wins
    ("calgate", ("/src/calgate/",)),
    ("SQLAlchemy", ("/sqlalchemy/", "sqlalchemy.")),
    ("psycopg (and waiting for PostgreSQL)", ("/psycopg", "psycopg")),
    ("sqlite3", ("/sqlite3/", "sqlite3.")),
    ("pydantic", ("/pydantic",)),
    ("JSON (orjson, json)", ("orjson", "/json/", "_json.")),
    ("ASGI stack and test transport (asyncio, anyio, starlette, fastapi, httpx)", PLUMBING[:9]),
)


# -- the application in process ----------------------------------------------------------------


@contextlib.contextmanager
def inline_threads() -> Iterator[None]:
    """``anyio.to_thread.run_sync`` runs the function in this thread (see the docstring)."""
    import anyio.to_thread

    original = anyio.to_thread.run_sync

    async def run_sync(func, *args, **_options):  # type: ignore[no-untyped-def]
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]
    try:
        yield
    finally:
        anyio.to_thread.run_sync = original  # type: ignore[assignment]


class InProcess:
    """calgate's services and application on ``database_url``, and an httpx client on it."""

    def __init__(self, database_url: str, directory: Path, page_size: int) -> None:
        import httpx

        from calgate.app import create_app
        from calgate.config import Settings
        from calgate.services import create_services

        self.settings = Settings(  # type: ignore[call-arg]
            database_url=database_url, mail_dir=directory / "mail", secret_key="bench-" + secrets.token_hex(8),
            public_url="http://calgate.test", page_size=page_size, rate_limit=0, run_jobs_in_process=False,
            organizer_email="calendar@calgate.test",
        )
        self.services = create_services(self.settings)
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(self.settings, self.services)), base_url=self.settings.public_url)

    def call(self, method: str, path: str, token: str, **kwargs: object):  # type: ignore[no-untyped-def]
        response = self.loop.run_until_complete(self.client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs))  # type: ignore[arg-type]
        response.raise_for_status()
        return response

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()
        self.services.db.dispose()


# -- profiles --------------------------------------------------------------------------------------


@dataclass
class Line:
    function: str
    calls: float  # per request
    cumulative: float  # ms per request


@dataclass
class Profile:
    route: str
    what: str
    wall: Timing  # unprofiled
    profiled: float  # ms per request under cProfile
    requests: int
    top: list[Line]
    packages: dict[str, float]  # own ms per request
    collections: Collections


def label(key: tuple[str, int, str]) -> str:
    """``calgate/domain/free_busy.py:30 read_free_busy``, ``sqlalchemy/orm/session.py:… execute``
    or a builtin's own name."""
    filename, line, name = key
    if filename == "~":
        return name
    path = filename.replace(os.sep, "/")
    for marker in ("/src/", "/site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/lib/python3":
                path = path.split("/", 1)[1]
            break
    return f"{path}:{line} {name}"


def package(key: tuple[str, int, str]) -> str:
    where = key[2] if key[0] == "~" else key[0].replace(os.sep, "/")
    for name, patterns in PACKAGES:
        if any(p in where for p in patterns):
            return name
    return "builtins" if key[0] == "~" else "other Python"


def _plumbing(key: tuple[str, int, str]) -> bool:
    filename, _, name = key
    if filename == "~":
        return name in ("<built-in method builtins.exec>", "<method 'run' of '_contextvars.Context' objects>") or "coroutine" in name \
            or "_asyncio." in name or "select.epoll" in name
    return any(p in filename.replace(os.sep, "/") for p in PLUMBING)


def wrappers(stats: dict, hidden: set[tuple[str, int, str]], near: float = PASS_THROUGH) -> set[tuple[str, int, str]]:  # type: ignore[type-arg]
    """The functions one of whose shown callees (not in ``hidden``) takes nearly all of their
    cumulative time: the table shows the callee instead, so a chain of wrappers takes one row."""
    found = set()
    for callee, (*_, callers) in stats.items():
        if callee in hidden:
            continue
        for caller, edge in callers.items():
            if caller != callee and caller in stats and edge[3] >= near * stats[caller][3] > 0:
                found.add(caller)
    return found


def origin(key: tuple[str, int, str]) -> str:
    """The package a frame belongs to: ``calgate``, ``sqlalchemy``, ``psycopg``, ``json``…"""
    filename, _, name = key
    if filename == "~":
        return next((known for known in ("psycopg", "sqlalchemy", "sqlite3", "orjson", "pydantic") if known in name), "builtins")
    path = filename.replace(os.sep, "/")
    if "/src/calgate/" in path:
        return "calgate"
    for marker in ("/site-packages/", "/lib/python3"):
        if marker in path:
            rest = path.split(marker, 1)[1]
            rest = rest.split("/", 1)[1] if marker == "/lib/python3" else rest
            return rest.split("/", 1)[0].removesuffix(".py").removesuffix("_binary")
    return path


def internal(stats: dict, key: tuple[str, int, str]) -> bool:  # type: ignore[type-arg]
    """A library's function called only by that library: the table shows where calgate (or
    another package) calls into the library, not the library's layers."""
    own = origin(key)
    callers = stats[key][4]
    return own not in ("calgate", "builtins") and bool(callers) and all(origin(c) == own for c in callers)


@dataclass
class Collections:
    """The cyclic garbage collector's pauses while the unprofiled requests ran."""

    requests: int = 0
    pauses: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))  # generation → ms each

    def line(self) -> str:
        total = sum(sum(p) for p in self.pauses.values())
        parts = [f"generation {g}: {len(p) / self.requests:.2f} a request, {statistics.mean(p):.2f} ms each (longest {max(p):.1f} ms)"
                 for g, p in sorted(self.pauses.items())]
        return (f"Garbage collector, unprofiled: {total / self.requests:.2f} ms a request on average"
                + (f" ({'; '.join(parts)})" if parts else "") + ".")


@contextlib.contextmanager
def collections() -> Iterator[Collections]:
    """Every collection's pause while inside (``gc.callbacks``)."""
    found, started = Collections(), [0.0]

    def callback(phase: str, info: dict) -> None:  # type: ignore[type-arg]
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            found.pauses[info["generation"]].append((time.perf_counter() - started[0]) * 1000)

    gc.callbacks.append(callback)
    try:
        yield found
    finally:
        gc.callbacks.remove(callback)


def profile(route: str, what: str, call: Callable[[], object], runs: int, budget: float) -> Profile:
    with collections() as collected:
        timing = measure(call, max(5, runs), budget)
    collected.requests = timing.runs + 1  # and the warm-up
    profiler = cProfile.Profile()
    count, began = 0, time.perf_counter()
    profiler.enable()
    while count < runs and (count < 3 or time.perf_counter() - began < budget):
        call()
        count += 1
    profiler.disable()
    per_request = (time.perf_counter() - began) * 1000 / count
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    hidden = {k for k in stats if _plumbing(k) or internal(stats, k)}
    hidden |= wrappers(stats, hidden)
    shown = [k for k in stats if k not in hidden]
    top = sorted(((k, stats[k][3] * 1000 / count) for k in shown), key=lambda kv: -kv[1])[:TOP]
    packages: dict[str, float] = defaultdict(float)
    for key, (_, _, own, _, _) in stats.items():
        packages[package(key)] += own * 1000 / count
    print(f"{route}: {timing.p50:.2f} ms unprofiled, {per_request:.2f} ms under cProfile ({count} requests)", flush=True)
    return Profile(route, what, timing, per_request, count, [Line(label(k), stats[k][1] / count, ms) for k, ms in top], dict(packages), collected)


def run(store: str, pg_url: str, out: Path | None, runs: int) -> str:
    from sqlalchemy import select

    from calgate import gc_tuning
    from calgate.api.availability import answer
    from calgate.domain import model

    before = load_average()
    span = window()
    people = generate(PEOPLE)
    profiles = []
    with tempfile.TemporaryDirectory() as tmp, database(store, Path(tmp), pg_url) as url:
        directory = Path(tmp)
        _, subs, _ = load(url, directory, people)
        per_person = len(people[0])
        del people  # the process's heap as a server's would be, without the generated events
        gc.collect()
        token = person_token(url, directory, subs[0])
        default, whole = InProcess(url, directory, 100), InProcess(url, directory, 1000)
        gc_tuning.settle()  # the collector as `calgate serve` sets it once started
        try:
            with default.services.uow() as uow:
                application = uow.session.scalars(select(model.Application)).one()
                [calendar] = uow.calendars.of_account(subs[0])
            body = http_body(subs, span)
            profiles.append(profile(
                "availability.answer", f"{PEOPLE} people × {per_person:,} events, in process (no HTTP)",
                lambda: answer(default.services, application, body), max(3, runs // 10), 60,
            ))
            params = free_busy_params(span)
            with inline_threads():
                profiles.append(profile(
                    "GET /v1/free_busy", "1,000 events, the first page at the default page size (100 blocks)",
                    lambda: default.call("GET", "/v1/free_busy", token, params=params), runs, 30,
                ))
                profiles.append(profile(
                    "GET /v1/free_busy", "1,000 events, page size 1,000: the whole answer in one page",
                    lambda: whole.call("GET", "/v1/free_busy", token, params=params), runs, 30,
                ))
                counter = iter(range(10**9))

                def upsert() -> object:
                    number = next(counter)
                    start = span[0] + dt.timedelta(days=number % 14, hours=9, minutes=(number * 7) % 480)
                    event = {
                        "event_id": f"profile-{number}", "summary": f"Meeting {number}", "tzid": "Europe/London",
                        "start": wire(start), "end": wire(start + dt.timedelta(minutes=30)),
                        "attendees": {"invite": [{"email": f"guest{number % 50}@example.net", "display_name": "Guest"}]},
                    }
                    return default.call("POST", f"/v1/calendars/{calendar.id}/events", token, json=event)

                profiles.append(profile(
                    "POST /v1/calendars/{id}/events", "a new event with one guest into the 1,000-event calendar",
                    upsert, runs, 30,
                ))
        finally:
            default.close()
            whole.close()
    report = render(profiles, store, pg_version(pg_url) if store == "postgresql" else None, (before, load_average()))
    if out is not None:
        write_section(out, "profiles", report)
    return report


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(profiles: Sequence[Profile], store: str, pg: str | None, load: tuple[str, str]) -> str:
    lines = [
        "## Where the time goes: profiles per route",
        "",
        "`benchmarks/profile_routes.py` (`make bench`); one run on the machine below, calgate's database",
        f"**{'PostgreSQL' if store == 'postgresql' else 'SQLite'}** with the availability benchmark's data ({PEOPLE} people × 1,000 events),",
        "no server: the real application over httpx's ASGI transport in this process (sync endpoints run inline so",
        "cProfile sees them), `availability.answer` called directly. Per request, in milliseconds: the wall time",
        "unprofiled (p50, p99) and the garbage collector's pauses meanwhile (`gc.callbacks`: cProfile does not see them),",
        "the time under cProfile (which inflates many small calls), then the functions with the",
        f"most cumulative time (the top {TOP}) and their share of the profiled request. Left out of the tables: frames of the",
        "ASGI plumbing and of the script; a library's inner layers (a library function shows where another package calls",
        f"into it); and wrappers (a function one of whose callees takes ≥ {PASS_THROUGH:.0%} of its time shows as that callee).",
    ]
    for p in profiles:
        lines += [
            "",
            f"### `{p.route}`: {p.what}",
            "",
            f"Unprofiled: {p.wall.p50:.2f} ms a request at p50, {p.wall.p99:.2f} ms at p99 ({p.wall.runs} requests); under cProfile:",
            f"{p.profiled:.2f} ms a request ({p.requests} requests profiled).",
            "",
            "| function | calls / request | cumulative ms / request | share |",
            "|---|---:|---:|---:|",
        ]
        lines += [f"| `{_cell(line.function)}` | {line.calls:,.0f} | {line.cumulative:.2f} | {line.cumulative / p.profiled:.0%} |" for line in p.top]
        own = sorted(p.packages.items(), key=lambda kv: -kv[1])
        lines += ["", p.collections.line(), "", "Own time by package: " + "; ".join(f"{name} {ms:.2f} ms ({ms / p.profiled:.0%})" for name, ms in own if ms >= 0.005) + "."]
    lines += ["", "Machine:", ""]
    lines += machine_facts(pg, load)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--store", choices=("postgresql", "sqlite"), default="postgresql", help="calgate's database")
    parser.add_argument("--runs", type=int, default=200, help="requests profiled per HTTP route (a tenth for availability; fewer past 30 s)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md", help="'-' to print only")
    args = parser.parse_args(argv)
    pg_url = os.environ.get("CALGATE_TEST_DATABASE_URL", DEFAULT_PG)
    print(run(args.store, pg_url, None if str(args.out) == "-" else args.out, args.runs))


if __name__ == "__main__":
    main()
