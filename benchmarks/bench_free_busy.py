# SPDX-License-Identifier: Apache-2.0
"""How fast is Free/Busy? Writes the "free-busy" section of docs/benchmarks.md (``make bench``).

One person with 1,000 busy events in a 14-day window (``bench_availability.generate``: 5–30
minutes each, overlaps allowed), asked for that whole window. Side by side in one run:

1. ``GET /v1/free_busy`` over HTTP with the person's access token against a real ``calgate
   serve`` (one process, loopback), on PostgreSQL and on SQLite (``--store``; both by default).
   The person is a hosted No Calendar account loaded as ``bench_availability.load`` loads its
   people (their events are the application's own, so the read asks ``include_managed=true``,
   as pycronofy does by default); the token is issued on the person's grant through the domain
   (``authorization.issue_tokens``). Each with calgate's default page size (100: ten pages) and
   with ``CALGATE_PAGE_SIZE=1000`` (one page holds everything): the first page, and every page
   (following ``next_page``).
2. The baseline: Radicale's CalDAV ``free-busy-query`` REPORT (RFC 4791 §7.10) over the same
   1,000 events in one calendar, on a Radicale started on loopback as the tests start it
   (``tests/support/radicale.py``), the calendar uploaded in one PUT.

Before anything is timed, every answer's busy time is compared: calgate's blocks (all pages)
merged, Radicale's FREEBUSY periods merged and the generated events merged must be the same
spans. Target (issue 18): calgate ≤ 10 ms p50 and ≥ 30× faster than Radicale's REPORT.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_availability import (  # noqa: E402
    PER_PARTICIPANT, Timing, database, generate, load, load_average, machine_facts, measure, parse_time, serve, window,
)
from benchmarks.cluster import DEFAULT_PG, pg_version  # noqa: E402
from benchmarks.report import write_section  # noqa: E402
from benchmarks.workload import services_for, wire  # noqa: E402

Span = tuple[dt.datetime, dt.datetime]
STORES = ("postgresql", "sqlite")
PAGE_SIZES = (100, 1000)  # calgate's default, and the most CALGATE_PAGE_SIZE allows
TARGET_MS, TARGET_RATIO = 10.0, 30.0
REPORT_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="{start}" end="{end}"/></C:free-busy-query>'
)


# -- busy time, compared ----------------------------------------------------------------------


def merged(spans: Iterable[Span], within: Span | None = None) -> list[Span]:
    """The busy time of ``spans``: sorted, clipped to ``within``, overlapping or touching spans
    joined (as Radicale joins FREEBUSY periods)."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if within is not None:
            start, end = max(start, within[0]), min(end, within[1])
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _ical_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)


def freebusy_periods(ical: str) -> list[tuple[Span, str]]:
    """The FREEBUSY periods of a VFREEBUSY answer (RFC 5545 §3.8.2.6), each with its FBTYPE
    (BUSY when absent). Periods are ``start/end`` in UTC, as Radicale writes them."""
    periods = []
    for line in re.sub(r"\r?\n[ \t]", "", ical).splitlines():
        name, _, value = line.partition(":")
        if name.split(";")[0].upper() != "FREEBUSY":
            continue
        found = re.search(r";FBTYPE=([^;:]+)", name, re.I)
        for period in value.split(","):
            start, _, end = period.partition("/")
            periods.append(((_ical_time(start), _ical_time(end)), found.group(1).upper() if found else "BUSY"))
    return periods


def calendar_of(spans: Sequence[Span]) -> str:
    """One VCALENDAR with an opaque VEVENT per span (Radicale stores each as its own resource)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//calgate//bench free-busy//EN"]
    for number, (start, end) in enumerate(spans):
        lines += ["BEGIN:VEVENT", f"UID:fb-{number}@calgate.test", "DTSTAMP:20260101T000000Z",
                  f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{end:%Y%m%dT%H%M%SZ}", "SUMMARY:Busy", "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR", ""])


# -- calgate ------------------------------------------------------------------------------------


def person_token(database_url: str, directory: Path, sub: str) -> str:
    """An access token for ``sub`` (the one grant ``bench_availability.load`` gave it), issued
    through the domain; it lives a day."""
    from calgate.domain import authorization, model

    services = services_for(database_url, directory, "bench-" + secrets.token_hex(8))
    try:
        with services.uow() as uow:
            account = uow.accounts.get(sub)
            [grant] = uow.grants.of_account(account.application_id, sub)
            token = authorization.issue_tokens(uow, grant, model.utcnow(), 24 * 3600).access_token
            uow.commit()
        return token
    finally:
        services.db.dispose()


def free_busy_params(span: Span) -> dict[str, str]:
    return {"from": wire(span[0]), "to": wire(span[1]), "tzid": "Etc/UTC", "include_managed": "true"}


def first_page(client, url: str, token: str, span: Span) -> dict:  # type: ignore[no-untyped-def,type-arg]
    response = client.get(f"{url}/v1/free_busy", params=free_busy_params(span), headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def all_pages(client, url: str, token: str, span: Span) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    """Every page of the read, the first and then each ``next_page`` in turn."""
    pages = [first_page(client, url, token, span)]
    while "next_page" in pages[-1]["pages"]:
        response = client.get(pages[-1]["pages"]["next_page"], headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()
        pages.append(response.json())
    return pages


def blocks_of(pages: Sequence[dict]) -> list[Span]:  # type: ignore[type-arg]
    return [(parse_time(b["start"]), parse_time(b["end"])) for page in pages for b in page["free_busy"]]


# -- Radicale -----------------------------------------------------------------------------------


def radicale_report(client, collection: str, span: Span) -> str:  # type: ignore[no-untyped-def]
    body = REPORT_BODY.format(start=f"{span[0]:%Y%m%dT%H%M%SZ}", end=f"{span[1]:%Y%m%dT%H%M%SZ}")
    response = client.request("REPORT", collection, content=body.encode(), headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    response.raise_for_status()
    return response.text  # type: ignore[no-any-return]


@dataclass
class Baseline:
    timing: Timing
    periods: int  # FREEBUSY periods in the answer (Radicale joins overlapping events)
    upload: float  # seconds
    version: str


def run_radicale(spans: Sequence[Span], span: Span, expected: list[Span], runs: int) -> Baseline:
    import httpx
    import radicale

    from tests.support.radicale import Radicale

    with tempfile.TemporaryDirectory() as tmp:
        server = Radicale(Path(tmp)).start()
        try:
            user = server.new_user()
            collection = server.make_calendar(user, "busy", "Busy")
            with httpx.Client(auth=(user.username, user.password), timeout=600) as client:
                began = time.perf_counter()
                client.put(collection, content=calendar_of(spans).encode(), headers={"Content-Type": "text/calendar; charset=utf-8"}).raise_for_status()
                upload = time.perf_counter() - began
                assert len(server.list_hrefs(collection)) == len(spans), "Radicale did not store one resource per event"
                periods = freebusy_periods(radicale_report(client, collection, span))
                assert {kind for _, kind in periods} == {"BUSY"}, f"unexpected FBTYPEs {sorted({k for _, k in periods})}"
                assert merged(p for p, _ in periods) == expected, "Radicale's FREEBUSY is not the events' busy time"
                timing = measure(lambda: radicale_report(client, collection, span), runs, 60)
        finally:
            server.stop()
    return Baseline(timing, len(periods), upload, radicale.VERSION)


# -- the run ------------------------------------------------------------------------------------


@dataclass
class Row:
    store: str
    page_size: int
    pages: int
    first: Timing
    whole: Timing  # the same measurement as ``first`` when one page holds everything


def run_calgate(store: str, people: Sequence[Sequence[Span]], span: Span, expected: list[Span], pg_url: str, runs: int) -> tuple[list[Row], float]:
    import httpx

    rows = []
    with tempfile.TemporaryDirectory() as tmp, database(store, Path(tmp), pg_url) as url:
        directory = Path(tmp)
        _, subs, seconds = load(url, directory, people)
        token = person_token(url, directory, subs[0])
        for size in PAGE_SIZES:
            settings = {"CALGATE_PAGE_SIZE": str(size), "CALGATE_RATE_LIMIT": "0"}
            with serve(url, directory, settings) as base, httpx.Client(timeout=60) as client:
                pages = all_pages(client, base, token, span)
                blocks = blocks_of(pages)
                assert len(blocks) == len(people[0]), f"{store}, pages of {size}: {len(blocks)} blocks for {len(people[0])} events"
                assert len(pages) == math.ceil(len(blocks) / size) and pages[0]["pages"]["total"] == len(pages)
                assert merged(blocks, span) == expected, f"{store}, pages of {size}: calgate's blocks are not the events' busy time"
                first = measure(lambda: first_page(client, base, token, span), runs, 30)
                whole = first if len(pages) == 1 else measure(lambda: all_pages(client, base, token, span), runs, 30)
            rows.append(Row(store, size, len(pages), first, whole))
            print(f"{store}, page size {size}: first page p50 {first.p50:.2f} ms, all {len(pages)} pages p50 {whole.p50:.2f} ms", flush=True)
    return rows, seconds


def run(stores: Sequence[str], pg_url: str, out: Path | None, runs: int, radicale_runs: int) -> str:
    before = load_average()
    span = window()
    people = generate(1)
    expected = merged(people[0], span)
    baseline = run_radicale(people[0], span, expected, radicale_runs)
    print(f"Radicale free-busy-query: p50 {baseline.timing.p50:.1f} ms", flush=True)
    rows, loads = [], {}
    for store in stores:
        found, loads[store] = run_calgate(store, people, span, expected, pg_url, runs)
        rows += found
    version = pg_version(pg_url) if "postgresql" in stores else None
    report = render(rows, baseline, len(expected), loads, version, (before, load_average()))
    if out is not None:
        write_section(out, "free-busy", report)
    return report


def _cell(t: Timing) -> str:
    return f"{t.p50:.2f} / {t.p99:.2f} ({t.runs})"


def render(rows: Sequence[Row], baseline: Baseline, busy_spans: int, loads: dict[str, float], pg: str | None, load: tuple[str, str]) -> str:
    radicale = baseline.timing.p50
    names = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
    lines = [
        "## Free/Busy",
        "",
        "`benchmarks/bench_free_busy.py`; numbers from one run on the machine below.",
        "",
        f"One person, {PER_PARTICIPANT:,} busy events (5–30 minutes, overlaps allowed: {busy_spans} separate busy spans) in a",
        "14-day window, asked for that whole window. calgate: `GET /v1/free_busy` with the person's token",
        "(`include_managed=true`: the hosted calendar's events are the application's own, as in the availability",
        "benchmark) to `calgate serve` on loopback, one process. Radicale: a `free-busy-query` REPORT (RFC 4791",
        f"§7.10) on one calendar holding the same {PER_PARTICIPANT:,} events, one resource each (uploaded in one PUT,",
        f"{baseline.upload:.1f} s), Radicale {baseline.version} on loopback with htpasswd authentication, as the tests",
        "run it. Before timing, calgate's blocks (every page) and Radicale's FREEBUSY periods, each merged, were",
        "asserted to be the same busy time as the generated events. Milliseconds, p50 / p99 over the runs in brackets",
        "(one warm-up first); the ratio is Radicale's p50 over calgate's.",
        "",
        "| calgate's database | page size | pages | first page | every page (the whole answer) | Radicale ÷ first page | Radicale ÷ whole answer |",
        "|---|---:|---:|---|---|---:|---:|",
    ]
    for r in rows:
        size = f"{r.page_size:,}" + (" (default)" if r.page_size == 100 else " (`CALGATE_PAGE_SIZE=1000`)")
        whole = "the first page" if r.pages == 1 else _cell(r.whole)
        lines.append(f"| {names[r.store]} | {size} | {r.pages} | {_cell(r.first)} | {whole} | {radicale / r.first.p50:.1f}× | {radicale / r.whole.p50:.1f}× |")
    lines += [
        f"| Radicale `free-busy-query` REPORT | | 1 | {_cell(baseline.timing)} ({baseline.periods} FREEBUSY periods) | the same | | |",
        "",
    ]
    for store in dict.fromkeys(r.store for r in rows):
        mine = {r.page_size: r for r in rows if r.store == store}
        one, default = mine.get(1000), mine.get(100)
        verdicts = []
        for label, timing in (("the whole answer in one page (page size 1,000)", one.whole if one else None),
                              ("the first page at the default 100", default.first if default else None),
                              ("all ten pages at 100", default.whole if default else None)):
            if timing is None:
                continue
            ratio = radicale / timing.p50
            met = timing.p50 <= TARGET_MS and ratio >= TARGET_RATIO
            verdicts.append(f"{label}: {timing.p50:.2f} ms, {ratio:.0f}× — {'**met**' if met else '**not met**'}")
        lines.append(f"- {names[store]} (target ≤ {TARGET_MS:.0f} ms p50 and ≥ {TARGET_RATIO:.0f}× Radicale): " + "; ".join(verdicts) + ".")
    for r in rows:
        if r.pages > 1:
            ratio = r.whole.p50 / r.first.p50
            why = (": every page costs about what the first does (each reads and scans the calendar's whole busy timeline and"
                   " keeps its share)") if ratio >= 0.7 * r.pages else ""
            lines.append(f"- {names[r.store]}, all {r.pages} pages of {r.page_size}: {ratio:.1f}× the first page{why}.")
    lines += [
        "- p99 includes the server's cyclic garbage collector: a collection of its oldest generation stops a request for",
        "  as long as \"Where the time goes\" measures (its \"Garbage collector\" lines).",
        "- Loading the person and events (one transaction, as `bench_availability.load`): "
        + ", ".join(f"{names[s]} {v:.1f} s" for s, v in loads.items()) + ".",
        "",
        "Machine:",
        "",
    ]
    lines += machine_facts(pg, load)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--store", choices=(*STORES, "both"), default="both", help="calgate's database")
    parser.add_argument("--runs", type=int, default=200, help="timed runs of each calgate measurement (fewer past 30 s)")
    parser.add_argument("--radicale-runs", type=int, default=30, help="timed runs of Radicale's REPORT (fewer past 60 s)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md", help="'-' to print only")
    args = parser.parse_args(argv)
    stores = STORES if args.store == "both" else (args.store,)
    pg_url = os.environ.get("CALGATE_TEST_DATABASE_URL", DEFAULT_PG)
    print(run(stores, pg_url, None if str(args.out) == "-" else args.out, args.runs, args.radicale_runs))


if __name__ == "__main__":
    main()
