# SPDX-License-Identifier: Apache-2.0
"""How fast is an Availability query? Writes docs/benchmarks.md (``make bench``).

The data: N participants with 1,000 busy periods each (5–30 minutes, on a 5-minute grid) in a
14-day window, everyone free in two daily "quiet" windows that a few people break into, so
the answers stay non-trivial at every size. The query: the whole 14 days, a 30-minute
duration, a 15-minute start interval, ``periods`` format, everyone required (groups of at most
50, calgate's limit, each required "all").

Four ways to the same answer, side by side in one run, each asserted equal to the others:

1. the engine in process (``availability.engine.available``);
2. ``POST /v1/availability`` over HTTP: a real ``calgate serve`` on loopback, on PostgreSQL
   and on SQLite (``--store`` picks one), loaded with the same people and events in one
   transaction (people through the domain and repositories, events by an ORM bulk insert);
3. PostgreSQL alone: ``range_agg`` over a table of the same busy periods, the free time as a
   multirange difference, filtered in SQL (a private schema, dropped afterwards);
4. a straightforward pure-Python merge (sort, merge, take the gaps).

One file on purpose (past 400 lines): the data, the four ways, their comparison and the report
belong together, and ``make bench`` runs it as a script. PostgreSQL comes from
``CALGATE_TEST_DATABASE_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), as for the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import random
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

UTC = dt.timezone.utc
MINUTE = dt.timedelta(minutes=1)
START = dt.datetime(2027, 3, 1, tzinfo=UTC)  # a Monday
DAYS = 14
PER_PARTICIPANT = 1000
DURATION = dt.timedelta(minutes=30)
INTERVAL = dt.timedelta(minutes=15)
GROUP_SIZE = 50  # calgate's members-per-group limit
QUIET = ((12 * 60, 14 * 60), (18 * 60, 20 * 60))  # minutes of each day everyone keeps free…
INTRUDERS = 0.1  # …except this share of people, each once, somewhere in one of them
SIZES = (2, 10, 50, 200)
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.cluster import libpq, pg_schema  # noqa: E402
from benchmarks.report import write_section  # noqa: E402

Span = tuple[dt.datetime, dt.datetime]


# -- the data ---------------------------------------------------------------------------------


def window(days: int = DAYS) -> Span:
    return START, START + dt.timedelta(days=days)


def generate(participants: int, per_participant: int = PER_PARTICIPANT, days: int = DAYS, seed: int = 7) -> list[list[Span]]:
    """Each participant's busy periods, in no particular order (overlaps allowed)."""
    rng = random.Random(seed)
    total = days * 24 * 60
    quiet = [(d * 1440 + a, d * 1440 + b) for d in range(days) for a, b in QUIET]
    people = []
    for _ in range(participants):
        busy: list[Span] = []
        while len(busy) < per_participant:
            begin = rng.randrange(0, total // 5) * 5
            length = rng.choice((5, 10, 15, 20, 30))
            if any(a < begin + length and begin < b for a, b in quiet):
                continue
            busy.append((START + begin * MINUTE, START + (begin + length) * MINUTE))
        if rng.random() < INTRUDERS:
            a, b = rng.choice(quiet)
            begin = rng.randrange(a, b - 15, 5)
            busy[rng.randrange(len(busy))] = (START + begin * MINUTE, START + (begin + rng.choice((15, 30, 45))) * MINUTE)
        people.append(busy)
    return people


# -- the answer, four ways --------------------------------------------------------------------


def periods_from_free(free: Sequence[Span], duration: dt.timedelta) -> list[Span]:
    """What the ``periods`` format makes of common free time: the free spans at least
    ``duration`` long (the engine does not align periods to ``start_interval``)."""
    return [(start, end) for start, end in free if end - start >= duration]


def python_merge(people: Sequence[Sequence[Span]], span: Span, duration: dt.timedelta = DURATION) -> list[Span]:
    """(4) Sort every busy period of everyone, merge, take the gaps inside ``span``."""
    free: list[Span] = []
    cursor = span[0]
    for start, end in sorted(p for person in people for p in person):
        if end <= cursor:
            continue
        if start >= span[1]:
            break
        if start > cursor:
            free.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < span[1]:
        free.append((cursor, span[1]))
    return periods_from_free(free, duration)


def engine_query(people: Sequence[Sequence[Span]], span: Span, subs: Sequence[str] | None = None):  # type: ignore[no-untyped-def]
    from calgate.domain.availability.types import Group, Interval, Member, Query

    subs = subs or [f"acc_{i:024x}" for i in range(len(people))]
    # (start, end) pairs sorted by start, as Free/Busy hands them over (``busy_time.busy_spans``);
    # each Member indexes them into its Timeline here, once (the "inputs" column).
    members = [Member(sub=sub, busy=busy) for sub, busy in zip(subs, people)]
    groups = tuple(Group(members=tuple(members[i : i + GROUP_SIZE])) for i in range(0, len(members), GROUP_SIZE))
    return Query(periods=(Interval(*span),), duration=DURATION, groups=groups, start_interval=INTERVAL, response_format="periods")


def engine_answer(query) -> list[Span]:  # type: ignore[no-untyped-def]
    """(1) The engine, in process."""
    from calgate.domain.availability import engine

    return [(a.start, a.end) for a in engine.available(query)]


PG_QUERY = """
WITH busy AS (
    SELECT range_agg(during) AS taken FROM {schema}.busy
    WHERE sub = ANY(%(subs)s) AND during && tstzrange(%(start)s, %(end)s)
), free AS (
    SELECT unnest(tstzmultirange(tstzrange(%(start)s, %(end)s)) - coalesce(taken, '{{}}'::tstzmultirange)) AS gap
    FROM busy
)
SELECT lower(gap), upper(gap) FROM free
WHERE upper(gap) - lower(gap) >= make_interval(secs => %(duration)s) ORDER BY lower(gap)
"""


class Postgres:
    """(3) The same busy periods in a PostgreSQL table; the answer from range_agg."""

    def __init__(self, url: str, people: Sequence[Sequence[Span]], subs: Sequence[str]) -> None:
        import psycopg

        self.conn = psycopg.connect(libpq(url), autocommit=True)
        self.schema = f"bench_{secrets.token_hex(4)}"
        with self.conn.cursor() as cur:
            cur.execute(f"CREATE SCHEMA {self.schema}")
            cur.execute(f"CREATE TABLE {self.schema}.busy (sub text NOT NULL, during tstzrange NOT NULL)")
            with cur.copy(f"COPY {self.schema}.busy (sub, during) FROM STDIN") as copy:
                for sub, busy in zip(subs, people):
                    for start, end in busy:
                        copy.write_row((sub, f"[{start.isoformat()},{end.isoformat()})"))
            cur.execute(f"CREATE INDEX ON {self.schema}.busy (sub)")
            cur.execute(f"ANALYZE {self.schema}.busy")
            cur.execute("SELECT version()")
            self.version = str(cur.fetchone()[0]).split(" on ")[0]  # type: ignore[index]

    def answer(self, subs: Sequence[str], span: Span) -> list[Span]:
        params = {"subs": list(subs), "start": span[0], "end": span[1], "duration": DURATION.total_seconds()}
        with self.conn.cursor() as cur:
            cur.execute(PG_QUERY.format(schema=self.schema), params)
            return [(a.astimezone(UTC), b.astimezone(UTC)) for a, b in cur.fetchall()]

    def close(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute(f"DROP SCHEMA {self.schema} CASCADE")
        self.conn.close()


# -- calgate over HTTP --------------------------------------------------------------------------


@dataclass
class Calgate:
    url: str
    api_key: str
    subs: list[str]
    store: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def database(store: str, directory: Path, pg_url: str) -> Iterator[str]:
    if store == "sqlite":
        yield f"sqlite:///{directory / 'calgate.db'}"
        return
    with pg_schema(pg_url) as url:
        yield url


def load(database_url: str, directory: Path, people: Sequence[Sequence[Span]]) -> tuple[str, list[str], float]:
    """An application and its people (No Access accounts with a hosted calendar and a grant)
    through the domain and the repositories, their events by one ORM bulk INSERT in the same
    session, all in one transaction. Returns the API key, the subs and the seconds it took."""
    from sqlalchemy import insert

    from calgate.config import Settings
    from calgate.domain import accounts, applications, developers, ids, model
    from calgate.services import create_services
    from calgate.store.migrate import upgrade

    began = time.perf_counter()
    services = create_services(Settings(database_url=database_url, mail_dir=directory / "mail", secret_key="bench-" + secrets.token_hex(8)))  # type: ignore[arg-type]
    upgrade(services.db.engine)
    now = model.utcnow()
    subs, rows = [], []
    with services.uow() as uow:
        developer = developers.sign_up(uow, "bench@example.com", "correct horse battery")
        app, api_key = applications.create(uow, services.box, developer.id, "Bench", ["http://localhost/cb"], {"no_calendar"})
        for index, busy in enumerate(people):
            account = model.Account(id=ids.new_id("acc"), application_id=app.id, email=f"p{index}@example.com", name=f"Person {index}")
            uow.accounts.add(account)
            profile = accounts.hosted_profile(uow, account, "no_calendar", account.email, account.email, now)
            uow.grants.add(model.Grant(id=ids.new_id("grt"), application_id=app.id, account_id=account.id, scope="free_busy_write", access_mode=profile.access_mode))
            uow.flush()
            [calendar] = uow.calendars.of_account(account.id)
            rows += [
                {
                    "id": ids.new_id("evt"), "calendar_id": calendar.id, "account_id": account.id, "application_id": app.id,
                    "event_id": f"e{number}", "summary": "Busy", "start": {"time": _wire(start), "tzid": "Etc/UTC"},
                    "end": {"time": _wire(end), "tzid": "Etc/UTC"}, "start_at": start, "end_at": end, "reminders": [],
                    "transparency": "opaque", "attendees": [], "participation_status": "accepted", "sequence": 0,
                    "fingerprint": "", "deleted": False, "created_at": now, "updated_at": now,
                }
                for number, (start, end) in enumerate(busy)
            ]
            subs.append(account.id)
        for chunk in range(0, len(rows), 20000):
            uow.session.execute(insert(model.Event), rows[chunk : chunk + 20000])
        uow.commit()
    services.db.dispose()
    return api_key, subs, time.perf_counter() - began


def _wire(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@contextlib.contextmanager
def serve(database_url: str, directory: Path, settings: dict[str, str] | None = None) -> Iterator[str]:
    """``calgate serve`` (one process) on a free loopback port; ``settings``: more environment
    variables (``CALGATE_PAGE_SIZE``…)."""
    port = _free_port()
    env = {
        **os.environ, "CALGATE_DATABASE_URL": database_url, "CALGATE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CALGATE_SECRET_KEY": "bench-" + secrets.token_hex(8), "CALGATE_MAIL_DIR": str(directory / "mail"),
        "CALGATE_RUN_JOBS_IN_PROCESS": "false", **(settings or {}),
    }
    command = [str(Path(sys.executable).parent / "calgate"), "serve", "--no-migrate", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/v1/availability", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("calgate did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def http_body(subs: Sequence[str], span: Span) -> dict[str, object]:
    groups = [{"members": list(subs[i : i + GROUP_SIZE]), "required": "all"} for i in range(0, len(subs), GROUP_SIZE)]
    return {
        "participants": groups, "required_duration": {"minutes": int(DURATION / MINUTE)},
        "start_interval": {"minutes": int(INTERVAL / MINUTE)}, "response_format": "periods",
        "query_periods": [{"start": _wire(span[0]), "end": _wire(span[1])}],
    }


def http_answer(client, calgate: Calgate, subs: Sequence[str], span: Span) -> list[Span]:  # type: ignore[no-untyped-def]
    """(2) POST /v1/availability, with the application's API key."""
    response = client.post(f"{calgate.url}/v1/availability", json=http_body(subs, span), headers={"Authorization": f"Bearer {calgate.api_key}"})
    response.raise_for_status()
    return [(parse_time(p["start"]), parse_time(p["end"])) for p in response.json()["available_periods"]]


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# -- measuring ----------------------------------------------------------------------------------


@dataclass
class Timing:
    runs: int
    p50: float  # milliseconds
    p99: float


def measure(run: Callable[[], object], runs: int, budget: float) -> Timing:
    """``runs`` timed calls after one warm-up, fewer if they pass ``budget`` seconds."""
    run()
    samples: list[float] = []
    began = time.perf_counter()
    while len(samples) < runs and (len(samples) < 3 or time.perf_counter() - began < budget):
        t = time.perf_counter()
        run()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, max(0, round(0.99 * len(samples)) - 1))]
    return Timing(len(samples), statistics.median(samples), p99)


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "CPU": cpu, "cores": str(os.cpu_count()), "Python": platform.python_version(),
        "OS": f"{platform.system()} {platform.release()}", "SQLite": sqlite3.sqlite_version,
    }


def machine_facts(pg_version: str | None, load: tuple[str, str]) -> list[str]:
    """The report's "Machine:" list: ``machine()``, PostgreSQL's version (when it took part) and
    the load average before and after the run."""
    lines = [f"- {k}: {v}" for k, v in machine().items()]
    if pg_version:
        lines.append(f"- PostgreSQL: {pg_version}")
    return lines + [f"- load average (1 min) before / after the run: {load[0]} / {load[1]}", ""]


STORES = ("postgresql", "sqlite")
HTTP_TARGET_MS = 20.0  # issue 18: POST /v1/availability, 50 × 1,000, p50 on each store


def timeline_bytes(database_url: str, directory: Path) -> tuple[float, float, float]:
    """Bytes the stored busy timelines take per 1,000 timed entries: index, details, refs."""
    from sqlalchemy import func, select

    from calgate.store import tables

    from benchmarks.workload import services_for

    services = services_for(database_url, directory, "bench-" + secrets.token_hex(8))
    t = tables.busy_timelines.c
    try:
        with services.reader() as uow:
            size, index, details, refs = uow.session.execute(
                select(func.sum(t.size), func.sum(func.length(t.index)), func.sum(func.length(t.details)), func.sum(func.length(t.refs)))
            ).one()
    finally:
        services.db.dispose()
    per = 1000 / max(1, int(size or 0))
    return int(index) * per, int(details) * per, int(refs) * per


@dataclass
class StoreRun:
    """One store's HTTP timings per size, the seconds its load took, and its timelines' size."""

    http: dict[int, Timing]
    load_seconds: float
    timeline_kb: tuple[float, float, float]


def run(sizes: Sequence[int], stores: Sequence[str], pg_url: str, out: Path | None, runs: int) -> str:
    import httpx

    before = load_average()
    span = window()
    people = generate(max(sizes))
    rows: list[tuple[int, int, dict[str, Timing]]] = []
    by_store: dict[str, StoreRun] = {}
    pg = Postgres(pg_url, people, [f"p{i}" for i in range(len(people))])
    try:
        for size in sizes:  # the engine, PostgreSQL alone and pure Python: once
            group, names = people[:size], [f"p{i}" for i in range(size)]
            handed_over = [sorted(busy) for busy in group]  # as the busy timelines hand them over: sorted
            query = engine_query(handed_over, span, names)
            reference = python_merge(group, span)
            assert engine_answer(query) == reference, f"{size} participants: the engine differs from the pure-Python merge"
            assert pg.answer(names, span) == reference, f"{size} participants: PostgreSQL differs from the pure-Python merge"
            rows.append((size, len(reference), {
                "engine": measure(lambda: engine_answer(query), runs, 20),
                "inputs": measure(lambda: engine_query(handed_over, span, names), runs, 20),
                "postgresql": measure(lambda: pg.answer(names, span), runs, 20),
                "python": measure(lambda: python_merge(group, span), runs, 20),
            }))
            print(f"{size:>4} participants: " + ", ".join(f"{k} p50 {v.p50:.1f} ms" for k, v in rows[-1][2].items()), flush=True)
        version = pg.version
    finally:
        pg.close()
    for store in stores:  # calgate over HTTP, on each store
        with tempfile.TemporaryDirectory() as tmp, database(store, Path(tmp), pg_url) as database_url:
            directory = Path(tmp)
            api_key, subs, load_seconds = load(database_url, directory, people)
            timings: dict[int, Timing] = {}
            with serve(database_url, directory) as url, httpx.Client(timeout=600) as client:
                calgate = Calgate(url, api_key, subs, store)
                for size, answered, _ in rows:
                    names = subs[:size]
                    got = http_answer(client, calgate, names, span)
                    assert got == python_merge(people[:size], span), f"{store}, {size} participants: HTTP differs from the pure-Python merge"
                    heavy = size * PER_PARTICIPANT
                    timings[size] = measure(lambda: http_answer(client, calgate, names, span), max(5, runs // (1 + heavy // 100000)), 30)
                    print(f"{store}, {size:>4} participants: HTTP p50 {timings[size].p50:.1f} ms", flush=True)
            by_store[store] = StoreRun(timings, load_seconds, tuple(b / 1024 for b in timeline_bytes(database_url, directory)))  # type: ignore[arg-type]
    report = render(rows, by_store, version, (before, load_average()))
    if out is not None:
        write_section(out, "availability", report)
    return report


def _store_name(store: str) -> str:
    return "PostgreSQL" if store == "postgresql" else "SQLite"


def render(rows: Sequence[tuple[int, int, dict[str, Timing]]], by_store: dict[str, StoreRun], pg_version: str, load: tuple[str, str]) -> str:
    http_heads = " | ".join(f"POST /v1/availability (HTTP, {_store_name(s)})" for s in by_store)
    lines = [
        "## Availability",
        "",
        "`benchmarks/bench_availability.py`; numbers from one run on the machine below.",
        "",
        f"Each participant has {PER_PARTICIPANT:,} busy periods (5–30 minutes, overlaps allowed) in a {DAYS}-day window;",
        f"the query asks for that whole window, a {int(DURATION / MINUTE)}-minute duration, a {int(INTERVAL / MINUTE)}-minute",
        "start interval (which the engine does not apply to periods: they are the free spans at least as long as the",
        f"duration), `periods` format, everyone required (groups of {GROUP_SIZE}, each `\"all\"`). Every way gave the",
        "same periods (the script asserts it) before being timed. Milliseconds, p50 / p99 over the number of runs in",
        "brackets (one warm-up run first; slow measurements stop early, so their p99 is the slowest run).",
        "",
        f"| participants | busy periods | answer periods | engine (in process) | engine's inputs (built once per read) | {http_heads} | PostgreSQL range_agg | pure-Python merge | PostgreSQL ÷ engine | PostgreSQL ÷ (engine + inputs) |",
        "|---:|---:|---:|---|---|" + "---|" * len(by_store) + "---|---|---:|---:|",
    ]

    def cell(t: Timing) -> str:
        return f"{t.p50:.2f} / {t.p99:.2f} ({t.runs})"

    for size, answer, t in rows:
        cells = [cell(t["engine"]), cell(t["inputs"]), *(cell(r.http[size]) for r in by_store.values()), cell(t["postgresql"]), cell(t["python"])]
        pg = t["postgresql"].p50
        lines.append(
            f"| {size} | {size * PER_PARTICIPANT:,} | {answer} | " + " | ".join(cells)
            + f" | {pg / t['engine'].p50:.1f}× | {pg / (t['engine'].p50 + t['inputs'].p50):.1f}× |"
        )
    target = next((t for size, _, t in rows if size == 50), None)
    if target is not None:
        engine, ratio = target["engine"].p50, target["postgresql"].p50 / target["engine"].p50
        built = target["inputs"].p50
        lines += [
            "",
            "Targets at 50 × 1,000: engine p50 ≤ 5 ms — "
            + (f"**met** ({engine:.2f} ms)" if engine <= 5 else f"**not met** ({engine:.2f} ms)")
            + "; engine ≥ 10× faster than the PostgreSQL query — "
            + (f"**met** ({ratio:.1f}×)." if ratio >= 10 else f"**not met** ({ratio:.1f}×).")
            + f" Counting the building of its inputs too ({built:.2f} ms), the engine takes {engine + built:.2f} ms,"
            + f" {target['postgresql'].p50 / (engine + built):.1f}× faster than PostgreSQL.",
        ]
        for store, r in by_store.items():
            if 50 in r.http:
                p50 = r.http[50].p50
                verdict = "**met**" if p50 <= HTTP_TARGET_MS else "**not met**"
                lines.append(f"HTTP `POST /v1/availability` 50 × 1,000 on {_store_name(store)}, p50 ≤ {HTTP_TARGET_MS:.0f} ms (issue 18): {verdict} ({p50:.2f} ms).")
    lines += [
        "",
        "- **engine**: `availability.engine.available` on the engine's own types: each member's busy time is a",
        "  `Timeline` (busy starts sorted, beside the running maximum of their ends), so the query bisects to the busy",
        "  time near each candidate window instead of passing over all of it.",
        "- **engine's inputs**: building those members from busy periods already in memory and sorted by start (one",
        "  pass and a running maximum per member); the HTTP path no longer pays it: it slices the stored index.",
        "- **HTTP**: `POST /v1/availability` with the API key to `calgate serve` on loopback (its own process, one",
        "  process), on each database. The members' accounts, grants, profiles and calendars in a few queries",
        "  (`domain/participants.py`), then each calendar's stored **busy timeline** (`domain/busy_timeline.py`): its",
        "  index alone (sorted starts and the running maximum of the ends, as integer microseconds) is sliced to the",
        "  window and handed to the engine; then JSON. Loading the people and events (one transaction, the timelines",
        "  built in it): " + ", ".join(f"{_store_name(s)} {r.load_seconds:.1f} s" for s, r in by_store.items()) + ".",
        "- **Memory** of the busy timelines, per 1,000 events as stored ("
        + "; ".join(f"{_store_name(s)}: index {r.timeline_kb[0]:.1f} KB, details {r.timeline_kb[1]:.1f} KB, references {r.timeline_kb[2]:.1f} KB" for s, r in by_store.items())
        + ").",
        "  Availability reads only the index unless it needs more (several calendars per member, excluded events,",
        "  all-day events near the window, tentative time left out).",
        "- **PostgreSQL**: `range_agg` over a table `(sub text, during tstzrange)` with an index on `sub`, the free time",
        "  a multirange difference, filtered by length in the same SQL statement; the loopback round trip included.",
        "- **pure Python**: sort every busy period, merge, take the gaps (the script's `python_merge`).",
        "",
        "Machine:",
        "",
    ]
    lines += machine_facts(pg_version, load)
    return "\n".join(lines)


def load_average() -> str:
    """The 1-minute load average, as the reports quote it before and after a run."""
    with contextlib.suppress(OSError, AttributeError):
        return f"{os.getloadavg()[0]:.2f}"
    return "unknown"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="participant counts, comma-separated")
    parser.add_argument("--store", choices=(*STORES, "both"), default="both", help="calgate's database for the HTTP runs")
    parser.add_argument("--runs", type=int, default=50, help="timed runs per measurement (fewer for slow ones)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md", help="'-' to print only")
    args = parser.parse_args(argv)
    pg_url = os.environ.get("CALGATE_TEST_DATABASE_URL", DEFAULT_PG)
    stores = STORES if args.store == "both" else (args.store,)
    print(run([int(s) for s in args.sizes.split(",")], stores, pg_url, None if str(args.out) == "-" else args.out, args.runs))


if __name__ == "__main__":
    main()
