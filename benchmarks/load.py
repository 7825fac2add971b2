# SPDX-License-Identifier: Apache-2.0
"""calgate under a mixed load for 60 s: 2 API processes + 2 workers on PostgreSQL (``make load``).

``calgate serve --workers 2 --no-jobs`` and two ``calgate worker`` processes on the machine's
PostgreSQL (a private schema, dropped afterwards; ``CALGATE_TEST_DATABASE_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), mailing through an aiosmtpd server on
loopback that keeps every message it accepted. ``benchmarks/workload.py`` seeds the people and
drives the load (closed-loop httpx clients, async, in this process); afterwards the queue is
drained and the database and the mail server are checked against every answer the clients got.
Writes the "load" section of docs/benchmarks.md.

The fault runs (kill -9 of a worker, PostgreSQL restart, SMTP and provider outages) are tests:
``tests/integration/faults/``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_availability import load_average, machine_facts  # noqa: E402
from benchmarks.cluster import DEFAULT_PG, Cluster, SmtpRecorder, pg_schema, pg_version  # noqa: E402
from benchmarks.cpu import Meter, Usage, named, tree  # noqa: E402
from benchmarks.report import write_section  # noqa: E402
from benchmarks.workload import (  # noqa: E402
    ROUTES, Load, RouteFigures, Verdict, add_rules, drain, figures, migrate, render_figures, seed, services_for, verify,
)


@dataclass
class Outcome:
    """One load run on a fresh schema: the figures per route and the checks after it."""

    rows: list[RouteFigures]
    verdict: Verdict
    drained: float  # seconds the queue took to drain after the load
    errors_logged: int
    cpu: Usage | None = None  # CPU per group of processes while the load ran

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.rows)

    @property
    def clean(self) -> bool:
        return self.verdict.ok and all(r.ok == r.requests for r in self.rows) and self.errors_logged == 0


def load_once(seconds: float, clients: int, people: int, busy: int, warmup: float, pg_url: str, api_processes: int = 2) -> Outcome:
    """``calgate serve --workers api_processes`` and two workers on a private schema, seeded,
    warmed up, under the mix for ``seconds``; then drained and checked."""
    directory = Path(tempfile.mkdtemp(prefix="calgate-load-"))
    smtp = SmtpRecorder().start()
    try:
        with pg_schema(pg_url) as url:
            cluster = Cluster(url, directory, smtp_url=smtp.url, api_processes=api_processes, workers=2)
            migrate(url, directory, cluster.secret_key)
            began = time.monotonic()
            seeded = seed(url, directory, cluster.secret_key, people=people, busy_per_person=busy)
            seeding = time.monotonic() - began
            cluster.start()
            services = services_for(url, directory, cluster.secret_key)
            try:
                add_rules(cluster.url, seeded)
                if warmup:
                    asyncio.run(Load(cluster.url, seeded, clients=clients, prefix="warmup", rng_seed=3).run(warmup))
                    drain(services, timeout=120)
                print(f"{api_processes} API processes: seeded {people} people in {seeding:.1f}s; load for {seconds:.0f}s with {clients} clients", flush=True)
                meter = cpu_meter(cluster)
                meter.start()
                result = asyncio.run(Load(cluster.url, seeded, clients=clients).run(seconds))
                cpu = meter.stop()
                rows = figures(result)
                for row in rows:
                    print(row, flush=True)
                drained = drain(services, timeout=300)
                verdict = verify(services, seeded, result, smtp.deliveries())
                print(verdict.summary(), flush=True)
                errors_logged = cluster.logs().count('"level": "error"')
            finally:
                services.db.dispose()
                cluster.stop()
    finally:
        smtp.stop()
    return Outcome(rows, verdict, drained, errors_logged, cpu)


CPU_GROUPS = ("API processes", "job workers", "PostgreSQL", "load clients and SMTP recorder")


def cpu_meter(cluster: Cluster) -> Meter:
    api = cluster.api
    return Meter({
        CPU_GROUPS[0]: lambda: tree(api.pid) if api is not None else [],
        CPU_GROUPS[1]: lambda: [w.pid for w in cluster.workers],
        CPU_GROUPS[2]: lambda: named("postgres"),
        CPU_GROUPS[3]: lambda: [os.getpid()],
    })


def render_cpu(usage: Usage, requests: int, per_second: float) -> list[str]:
    """Where the run's CPU went, per request, and the throughput it allows on this machine."""
    per_request = usage.per_request_ms(requests)
    cores = usage.cores()
    total = sum(per_request.values())
    calgate = sum(per_request[g] for g in CPU_GROUPS[:3])
    count = os.cpu_count() or 1
    lines = [
        f"**Where the CPU went** while the load ran (user + system seconds from `/proc`, over the {requests:,} requests;",
        "PostgreSQL is every `postgres` process of the machine):",
        "",
        "| processes | CPU ms per request | cores kept busy |",
        "|---|---:|---:|",
    ]
    lines += [f"| {g} | {per_request[g]:.2f} | {cores[g]:.2f} |" for g in CPU_GROUPS]
    lines += [
        f"| all | {total:.2f} | {sum(cores.values()):.2f} of {count} |",
        "",
        f"At {total:.2f} CPU ms a request, {count} cores allow at most {count * 1000 / total:,.0f} req/s with everything on this",
        f"machine (measured: {per_second:,.1f}); calgate's own share (API, workers, PostgreSQL: {calgate:.2f} ms) would allow",
        f"{count * 1000 / calgate:,.0f} req/s with the clients elsewhere, and 500 req/s needs it at {count * 1000 / 500:.1f} ms.",
    ] if total and calgate else []
    return lines


def run(seconds: float, clients: int, people: int, busy: int, warmup: float, pg_url: str) -> tuple[str, bool]:
    before = load_average()
    outcome = load_once(seconds, clients, people, busy, warmup, pg_url)
    report = render(outcome.rows, outcome.verdict, seconds, clients, people, busy, warmup, outcome.drained, outcome.errors_logged,
                    pg_version(pg_url), (before, load_average()), outcome.cpu)
    return report, outcome.clean


def scale(processes: Sequence[int], seconds: float, clients: int, people: int, busy: int, warmup: float, pg_url: str) -> tuple[str, bool]:
    """The same mix with each number of API processes in turn (a fresh schema each)."""
    before = load_average()
    outcomes = {n: load_once(seconds, clients, people, busy, warmup, pg_url, api_processes=n) for n in processes}
    report = render_scaling(outcomes, seconds, clients, people, busy, warmup, pg_version(pg_url), (before, load_average()))
    return report, all(o.clean for o in outcomes.values())


def render(rows, verdict: Verdict, seconds: float, clients: int, people: int, busy: int, warmup: float, drained: float,  # type: ignore[no-untyped-def]
           errors_logged: int, pg_version: str, load: tuple[str, str], cpu: Usage | None = None) -> str:
    total = sum(r.requests for r in rows)
    failed = total - sum(r.ok for r in rows)
    lines = [
        "## Load: 2 API processes + 2 workers on PostgreSQL",
        "",
        "`benchmarks/load.py` (`make load`); numbers from one run on the machine below.",
        "",
        "`calgate serve --workers 2 --no-jobs` and two `calgate worker` processes on PostgreSQL, mailing through an",
        "aiosmtpd server on loopback that keeps every message it accepts. One application with "
        f"{people} people (No Calendar Access, a hosted calendar each with {busy} busy events in the week asked about,",
        "working hours Monday to Friday as an availability rule). "
        f"{clients} closed-loop clients (httpx, async, one process on the same machine: it shares the 2 cores with",
        f"calgate and PostgreSQL) for {seconds:.0f} s after a {warmup:.0f} s warm-up, each repeating a random pick of:",
        "",
        "- 30 % `POST /v1/availability`: the API key, 2–3 people, managed availability (the rule and their events), a",
        "  30-minute duration over one week;",
        "- 30 % `GET /v1/free_busy`: a person's token, one week (the first page, up to 100 blocks);",
        "- 40 % `POST /v1/calendars/{id}/events`: a person's token; a new event with one guest (three quarters) or a",
        "  change to one of the client's earlier events (a new SEQUENCE): each sends an iMIP invitation to the person",
        "  and the guest through the job queue.",
        "",
        "Rate limiting is off for the run (`CALGATE_RATE_LIMIT=0`). Latency in milliseconds over the answers in 2xx;",
        "throughput over the whole run; every other answer and every transport error is counted in \"answers\".",
        "",
    ]
    lines += render_figures(rows)
    if cpu is not None:
        lines += ["", *render_cpu(cpu, total, sum(r.per_second for r in rows))]
    lines += [
        "",
        f"**Errors: {failed}** non-2xx answers or transport errors out of {total:,} requests; {errors_logged} error lines",
        "in the processes' logs.",
        "",
        f"**After the run** (the queue drained {drained:.1f} s after the load stopped):",
        "",
        f"- acknowledged upserts: {verdict.acknowledged:,} ({verdict.acknowledged_events:,} events); in the database with the",
        f"  content last acknowledged: **{verdict.acknowledged - len(verdict.lost):,}**, lost: **{len(verdict.lost)}**;",
        f"- invitations due (each stored event's every SEQUENCE × its person and guest): {verdict.expected_invites:,};",
        f"  accepted by the SMTP server: {verdict.delivered:,}, distinct Message-IDs {verdict.distinct_message_ids:,};",
        f"  **sent twice: {len(verdict.sent_twice)}**, same version twice: {len(verdict.duplicate_versions)}, missing:",
        f"  **{len(verdict.missing)}**, sent for nothing stored: {len(verdict.unexpected)};",
        f"- jobs: {', '.join(f'{k}: {v:,}' for k, v in verdict.jobs.items())}.",
        "",
        "Machine:",
        "",
    ]
    lines += machine_facts(pg_version, load)
    return "\n".join(lines)


def render_scaling(outcomes: dict[int, Outcome], seconds: float, clients: int, people: int, busy: int, warmup: float,
                   pg_version: str, load: tuple[str, str]) -> str:
    short = {"POST /v1/availability": "availability", "GET /v1/free_busy": "free_busy", "POST /v1/calendars/{id}/events": "upsert"}
    lines = [
        f"## Throughput from {min(outcomes)} to {max(outcomes)} API processes",
        "",
        "`benchmarks/load.py --api-processes " + ",".join(map(str, outcomes)) + f" --seconds {seconds:g}` (`make load`, after the main run);",
        "numbers from one run on the machine below.",
        "",
        f"The mix of the load run (\"Load\" above: {clients} closed-loop clients, {people} people with {busy} busy events each, two",
        "`calgate worker` processes sending the invitations, SMTP on loopback), repeated with `calgate serve --workers N",
        f"--no-jobs` for each N, every time on a fresh PostgreSQL schema: {warmup:g} s of warm-up, then {seconds:g} s measured,",
        "then the queue drained and every acknowledged upsert and invitation checked as above. The machine has",
        f"{os.cpu_count()} cores, shared by the API processes, the workers, PostgreSQL and the clients. Milliseconds over",
        "the 2xx answers; \"errors\" counts every other answer and transport error.",
        "",
        "| API processes | req/s | " + " | ".join(f"{short[r]} p50 / p99" for r in ROUTES) + " | CPU ms per request (API / all) | errors | after the run |",
        "|---:|---:|" + "---|" * len(ROUTES) + "---:|---:|---|",
    ]
    for n, o in outcomes.items():
        total = sum(r.requests for r in o.rows)
        rate = sum(r.per_second for r in o.rows)
        cells = [f"{r.p50:.1f} / {r.p99:.1f}" for r in o.rows]
        errors = total - sum(r.ok for r in o.rows)
        v = o.verdict
        after = (f"lost {len(v.lost)}, sent twice {len(v.sent_twice)}, missing {len(v.missing)}"
                 + ("" if o.errors_logged == 0 else f", {o.errors_logged} error log lines"))
        used = o.cpu.per_request_ms(total) if o.cpu is not None else {}
        spent = f"{used[CPU_GROUPS[0]]:.2f} / {sum(used.values()):.2f}" if used else ""
        lines.append(f"| {n} | {rate:.1f} | " + " | ".join(cells) + f" | {spent} | {errors} of {total:,} | {after} |")
    (smallest, first), *rest = outcomes.items()
    base = sum(r.per_second for r in first.rows)
    if base and rest:
        lines += ["", f"Throughput relative to {smallest} API process{'es' if smallest > 1 else ''}: "
                  + ", ".join(f"{n}: {sum(r.per_second for r in o.rows) / base:.2f}×" for n, o in rest) + "."]
    lines += ["", "Machine:", ""]
    lines += machine_facts(pg_version, load)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8, help="concurrent closed-loop clients")
    parser.add_argument("--people", type=int, default=20)
    parser.add_argument("--busy", type=int, default=100, help="busy events per person")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md", help="'-' to print only")
    parser.add_argument("--api-processes", help="e.g. 1,2,4: instead of the load run, the same mix with each number of API "
                        "processes in turn (--seconds each), written as the 'scaling' section")
    args = parser.parse_args(argv)
    pg_url = os.environ.get("CALGATE_TEST_DATABASE_URL", DEFAULT_PG)
    if args.api_processes:
        processes = [int(n) for n in args.api_processes.split(",")]
        report, clean = scale(processes, args.seconds, args.clients, args.people, args.busy, args.warmup, pg_url)
        section = "scaling"
    else:
        report, clean = run(args.seconds, args.clients, args.people, args.busy, args.warmup, pg_url)
        section = "load"
    if str(args.out) != "-":
        write_section(args.out, section, report)
    print(report)
    if not clean:
        sys.exit("load run: errors, losses or duplicates (see the report)")


if __name__ == "__main__":
    main()
