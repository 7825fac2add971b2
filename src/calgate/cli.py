# SPDX-License-Identifier: Apache-2.0
"""The ``calgate`` command: serve, migrate, manage applications, and run long operations
(``import``, ``sync``) in the foreground with progress bars (rich; plain lines when the output
is not a terminal).

Settings come from ``CALGATE_*`` environment variables (see README, "Configuration").
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from calgate import logs
from calgate.config import Settings
from calgate.domain import applications, ids, model
from calgate.domain.access_modes import FEATURES
from calgate.domain.errors import ValidationFailed
from calgate.services import Services, create_services
from calgate.store.migrate import upgrade

if TYPE_CHECKING:  # rich loads only for the commands that draw progress
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from calgate.domain import ics_import
    from calgate.jobs import sync_now

CLI_OWNER = "cli@calgate.localhost"


class Refused(click.ClickException):
    """A request the command cannot act on as given (unknown account, a calendar that is not
    hosted): exit code 2, as click's usage errors, but without the usage text."""

    exit_code = 2


def _services() -> Services:
    return create_services(Settings())


@click.group()
def main() -> None:
    """calgate: a self-hosted calendar connection service (Cronofy v1 compatible)."""


@main.command()
def migrate() -> None:
    """Upgrade the database to the newest schema."""
    services = _services()
    upgrade(services.db.engine)
    click.echo(f"database at {services.db.engine.url.render_as_string(hide_password=True)} is up to date")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="HTTP worker processes; more than one needs PostgreSQL.")
@click.option("--jobs/--no-jobs", "run_jobs", default=None,
              help="Run the job queue inside the server processes  [default: CALGATE_RUN_JOBS_IN_PROCESS, true]. "
                   "Use --no-jobs when separate `calgate worker` processes run the jobs.")
@click.option("--migrate/--no-migrate", "run_migrations", default=True, show_default=True, help="Upgrade the database first.")
def serve(host: str, port: int, workers: int, run_jobs: bool | None, run_migrations: bool) -> None:
    """Run the HTTP service (API, connect pages, dashboard) and, unless --no-jobs, the job runner."""
    import os

    import uvicorn

    from calgate.app import create_app

    if run_jobs is not None:  # worker processes build their settings from the environment
        os.environ["CALGATE_RUN_JOBS_IN_PROCESS"] = "true" if run_jobs else "false"
    settings = Settings()
    log_config = logs.configure(settings.log_format)
    if workers > 1 and settings.database_url.startswith("sqlite"):
        raise click.UsageError("--workers above 1 needs PostgreSQL: set CALGATE_DATABASE_URL (see README, Production)")
    services = create_services(settings)
    if run_migrations:
        upgrade(services.db.engine)
    if settings.uses_dev_secret:
        logging.getLogger("calgate").warning("CALGATE_SECRET_KEY is not set; using the development key")
    jobs = "jobs in process" if settings.run_jobs_in_process else "no jobs (run `calgate worker`)"
    click.echo(f"calgate on http://{host}:{port}  ({workers} worker(s), {jobs}; dashboard: {settings.public_url}/dashboard)")
    if workers == 1:
        uvicorn.run(create_app(settings, services), host=host, port=port, log_config=log_config)
        return
    services.db.dispose()
    uvicorn.run("calgate.app:create_app", factory=True, host=host, port=port, workers=workers, log_config=log_config)


@main.command()
@click.option("--poll", default=1.0, show_default=True, type=click.FloatRange(0.05, 60),
              help="Seconds between looks at the queue while it is empty.")
def worker(poll: float) -> None:
    """Run queued jobs (mail, push notifications, syncs, writes to providers) until stopped.

    Any number of workers, on any number of machines, may share one PostgreSQL: each job is
    claimed by one of them (SELECT … FOR UPDATE SKIP LOCKED) under a lease; a job whose worker
    died is claimed again when its lease ends. SIGTERM or SIGINT stop it after the job in hand.
    """
    import signal
    import threading

    settings = Settings()
    logs.configure(settings.log_format)
    services = create_services(settings)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    services.jobs.start(poll_seconds=poll)
    click.echo(f"calgate worker on {services.db.engine.url.render_as_string(hide_password=True)}")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        services.jobs.stop()
        services.db.dispose()
    click.echo("calgate worker stopped")


@main.command("inbound-smtp")
@click.option("--host", default=None, help="Address to listen on.  [default: CALGATE_INBOUND_HOST or 127.0.0.1]")
@click.option("--port", default=None, type=int, help="Port to listen on.  [default: CALGATE_INBOUND_PORT or 2525]")
def inbound_smtp(host: str | None, port: int | None) -> None:
    """Receive replies to invitations: an SMTP server for CALGATE_ORGANIZER_EMAIL.

    Point that address's MX (or a forwarding rule) here. Mail to any other address is refused
    with 550; every accepted message gets 250, and what cannot be applied is logged and dropped.
    """
    import signal
    import threading

    from calgate.mail.inbound import InboundServer

    settings = Settings()
    logs.configure(settings.log_format)
    services = create_services(settings)
    server = InboundServer(services.uow, settings.organizer_email, host or settings.inbound_host, port or settings.inbound_port)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    click.echo(f"calgate inbound SMTP on {server.host}:{server.port}, accepting replies to {settings.organizer_email}")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        services.db.dispose()
    click.echo("calgate inbound SMTP stopped")


@main.group()
def apps() -> None:
    """Register and list applications."""


@apps.command("create")
@click.option("--name", required=True, help="Application name shown on the consent screen.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True, help="Registered redirect URI (repeatable).")
@click.option("--enable", "features", multiple=True, type=click.Choice(sorted(FEATURES)), help="Offer an extra access mode (repeatable).")
@click.option("--owner", default=CLI_OWNER, show_default=True, help="Email of the developer who owns it.")
def apps_create(name: str, redirect_uris: tuple[str, ...], features: tuple[str, ...], owner: str) -> None:
    """Create an application; prints its client_id and client_secret as JSON."""
    services = _services()
    with services.uow() as uow:
        developer = uow.developers.by_email(owner.lower())
        if developer is None:
            # "!" is no argon2 hash: nobody can sign in as this owner until they reset it.
            developer = model.Developer(id=ids.new_id("dev"), email=owner.lower(), password_hash="!")
            uow.developers.add(developer)
        try:
            app, secret = applications.create(uow, services.box, developer.id, name, list(redirect_uris), set(features))
        except ValidationFailed as exc:
            raise click.ClickException(str(exc)) from None
        uow.commit()
    click.echo(
        json.dumps(
            {
                "name": app.name,
                "client_id": app.client_id,
                "client_secret": secret,
                "redirect_uris": app.redirect_uris,
                "features": sorted(app.features),
            },
            indent=2,
        )
    )


@apps.command("list")
def apps_list() -> None:
    """List applications as JSON (never their secrets)."""
    services = _services()
    with services.uow() as uow:
        rows = [
            {
                "name": a.name,
                "client_id": a.client_id,
                "redirect_uris": a.redirect_uris,
                "features": sorted(a.features),
                "created_at": a.created_at.isoformat(),
            }
            for a in uow.applications.all()
        ]
    json.dump(rows, sys.stdout, indent=2)
    click.echo()


# --- long operations, with progress ---------------------------------------------------------


@contextmanager
def _progress(console: "Console", *, transient: bool = False) -> Iterator["Progress"]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=transient) as progress:
        yield progress


def _console() -> "Console":
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _window(start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime) -> "ics_import.Window":
    """--from/--to (UTC days, --to included) over the default window a sync keeps."""
    from calgate.domain import ics_import

    default = ics_import.Window.default(now)
    first = start.replace(tzinfo=dt.timezone.utc) if start else default.start
    last = end.replace(tzinfo=dt.timezone.utc) + dt.timedelta(days=1) if end else default.end
    try:
        return ics_import.Window.checked(first, last)
    except ValidationFailed as exc:
        raise Refused(f"--from/--to: {exc}") from None


@main.command("import")
@click.argument("ics_file", type=click.File("rb"))
@click.option("--account", "account_id", required=True, help="The account (acc_… or apc_…) whose hosted calendar takes the events.")
@click.option("--calendar", "calendar_id", default=None, help="A hosted calendar of the account.  [default: its primary hosted calendar]")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day (UTC) of recurring events' occurrences.  [default: 42 days ago]")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day (UTC, included) of recurring events' occurrences.  [default: 201 days ahead]")
@click.option("--skip-broken", is_flag=True, help="Import the events that can be read and list the others, instead of importing nothing.")
def import_ics(ics_file: BinaryIO, account_id: str, calendar_id: str | None, start: dt.datetime | None,
               end: dt.datetime | None, skip_broken: bool) -> None:
    """Import the events of an iCalendar (RFC 5545) file into a hosted calendar.

    Hosted calendars are those calgate keeps itself: a No Calendar Access account's and
    application calendars. Recurring events (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) are
    imported as their occurrences between --from and --to; one-off events wherever they fall.
    Importing the same file again updates what changed and never duplicates (events are keyed
    by UID and RECURRENCE-ID). All or nothing: a file with an event that cannot be read imports
    nothing (exit 1), unless --skip-broken. ICS_FILE may be - for standard input.
    """
    from calgate.domain import ics_import
    from calgate.domain.errors import NotFound
    from calgate.domain.model import utcnow
    from calgate.providers.ical_reader import read_resource

    services = _services()
    window = _window(start, end, utcnow())
    try:
        with services.uow() as uow:
            where = ics_import.target(uow, account_id, calendar_id)
    except NotFound as exc:
        raise Refused(f"no {exc.what} {calendar_id if exc.what == 'calendar' else account_id} here") from None
    except ics_import.NotHosted as exc:
        raise Refused(str(exc)) from None
    data = ics_file.read()
    console = _console()
    with _progress(console) as progress:
        reading = progress.add_task(f"reading {Path(getattr(ics_file, 'name', '-')).name}", total=None)
        try:
            parsed = ics_import.read(
                data, read_resource, where.owners, window, lambda done, total: progress.update(reading, completed=done, total=total)
            )
        except ics_import.NotICalendar as exc:
            raise Refused(f"{getattr(ics_file, 'name', 'ICS_FILE')}: {exc}") from None
        writing = progress.add_task(f"writing into {where.calendar_name}", total=1)
        try:
            report = services.run(lambda uow: ics_import.apply(uow, where, parsed, utcnow(), skip_broken=skip_broken))
        except ics_import.BrokenEvents as exc:
            progress.stop()
            _list_broken(console, exc.broken)
            raise click.ClickException(
                f"nothing imported: {len(exc.broken)} event(s) cannot be read (fix them, or use --skip-broken)"
            ) from None
        progress.update(writing, completed=1)
    _list_broken(console, report.broken)
    console.print(
        f"imported {report.events} event(s) into {where.calendar_id}: {report.created} occurrence(s) new, "
        f"{report.updated} updated, {report.unchanged} unchanged, {report.deleted} removed"
        + (f"; {len(report.broken)} broken event(s) skipped" if report.broken else "")
    )


def _list_broken(console: "Console", broken: "list[ics_import.Broken]") -> None:
    for item in broken:
        console.print(f"broken: {item}", markup=False)


@main.command("sync")
@click.option("--account", "account_id", default=None, help="Sync this account's connected calendars now.")
@click.option("--all", "everyone", is_flag=True, help="Sync every connected profile (bulk re-sync).")
@click.option("--application", "application_id", default=None, help="With --all: only this application's accounts (its id or client_id).")
@click.option("--wait", default=300.0, show_default=True, type=click.FloatRange(0, 3600),
              help="Seconds to wait for a worker's sync of the same account that is already running.")
def sync_command(account_id: str | None, everyone: bool, application_id: str | None, wait: float) -> None:
    """Sync connected calendars now, in the foreground, as the sync job does.

    Each profile's waiting sync job is brought forward and run here, so it never runs beside a
    worker's sync of the same account (that one is waited for). Exit code 1 when any profile
    failed (unreachable server, credentials refused), with the failures listed at the end.
    """
    from calgate.jobs import sync_now

    if bool(account_id) == everyone:
        raise click.UsageError("give either --account ACC_ID or --all")
    if application_id and not everyone:
        raise click.UsageError("--application goes with --all")
    services = _services()
    profiles = _profiles_to_sync(services, account_id, application_id)
    runner = sync_now.SyncNow(
        services.db, services.box, services.providers, dt.timedelta(seconds=services.settings.sync_interval),
        lease_seconds=services.jobs.lease_seconds,
    )
    console = _console()
    outcomes = _sync_all(runner, profiles, console, wait, overall=everyone)
    failed = [o for o in outcomes if not o.ok]
    console.print(f"{len(outcomes) - len(failed)} of {len(outcomes)} profile(s) synced" + (f", {len(failed)} failed" if failed else ""))
    if failed:
        _failures(console, failed)
        sys.exit(1)


def _profiles_to_sync(services: Services, account_id: str | None, application_id: str | None) -> "list[model.Profile]":
    from calgate.jobs import sync_now

    if account_id is not None:
        profiles = sync_now.profiles_of_account(services.db, account_id)
        if profiles is None:
            raise Refused(f"no account {account_id} here")
        if not profiles:
            raise Refused(f"account {account_id} has no connected calendar to sync (calendars calgate hosts need no sync)")
        return profiles
    if application_id is not None:
        with services.uow() as uow:
            if not any(application_id in (a.id, a.client_id) for a in uow.applications.all()):
                raise Refused(f"no application {application_id} here")
    return sync_now.all_profiles(services.db, application_id)


def _sync_all(
    runner: "sync_now.SyncNow", profiles: "list[model.Profile]", console: "Console", wait: float, *, overall: bool
) -> "list[sync_now.Outcome]":
    """Sync each profile in turn: a bar per calendar of the profile being synced, and with
    ``overall`` one over the profiles; a line per profile as it ends."""
    outcomes = []
    with _progress(console) as progress:
        total = progress.add_task(f"syncing {len(profiles)} profile(s)", total=len(profiles)) if overall else None
        for profile in profiles:
            bars = _CalendarBars(progress, f"{profile.provider} {profile.name}")
            outcome = runner.run(profile.id, bars.step, wait=wait)
            bars.close(remove=overall)
            detail = f"synced {outcome.calendars} calendar(s)" if outcome.ok else f"FAILED: {outcome.message}"
            progress.console.print(f"{profile.account_id} {profile.provider} {profile.name}: {detail}", markup=False)
            outcomes.append(outcome)
            if total is not None:
                progress.advance(total)
    return outcomes


class _CalendarBars:
    """One progress bar per calendar of a profile, fed by ``sync_now.Step``s."""

    def __init__(self, progress: "Progress", label: str) -> None:
        self.progress, self.label = progress, label
        self.tasks: list[TaskID] = [progress.add_task(f"{label}: listing calendars", total=None)]
        self.listing = True

    def step(self, step: "sync_now.Step") -> None:
        if step.kind == "calendars":
            self.close(remove=True)
            self.listing = False
            self.tasks = [self.progress.add_task(f"{self.label}: {name}", total=1, start=False) for name in step.names]
        elif step.kind in ("reading", "read") and step.index < len(self.tasks) and not self.listing:
            task = self.tasks[step.index]
            if step.kind == "reading":
                self.progress.start_task(task)
            else:
                self.progress.update(task, completed=1)

    def close(self, *, remove: bool) -> None:
        """Take the bars away (``remove``); a listing that never ended (the sync failed first) always goes."""
        if remove or self.listing:
            for task in self.tasks:
                self.progress.remove_task(task)
            self.tasks = []


def _failures(console: "Console", failed: "list[sync_now.Outcome]") -> None:
    """The failures again at the end, one whole line each (ids never wrapped, easy to grep)."""
    console.print("failed:")
    for outcome in failed:
        console.print(f"  {outcome.account_id} {outcome.profile_id} {outcome.provider} {outcome.name}: {outcome.message}", markup=False)
