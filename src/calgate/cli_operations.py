# SPDX-License-Identifier: Apache-2.0
"""``calgate import`` and ``calgate sync``: long operations run in the foreground with progress
bars (rich; plain lines when the output is not a terminal). Registered on the ``calgate``
group by ``cli``; the work itself is ``domain.ics_import`` and ``jobs.sync_now``.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from calgate.config import Settings
from calgate.domain import model
from calgate.domain.errors import ValidationFailed
from calgate.services import Services, create_services

if TYPE_CHECKING:  # rich loads only for the commands that draw progress
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from calgate.domain import ics_import
    from calgate.jobs import sync_now


class Refused(click.ClickException):
    """A request the command cannot act on as given (unknown account, a calendar that is not
    hosted): exit code 2, as click's usage errors, but without the usage text."""

    exit_code = 2


def _services() -> Services:
    return create_services(Settings())


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


@click.command("import")
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


@click.command("sync")
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
