# SPDX-License-Identifier: Apache-2.0
"""``calgate sync --account …`` and ``calgate sync --all``: CalDAV accounts on a real Radicale,
synced in the foreground by the sync job's own handler, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from calgate.domain import ids, model, sync
from calgate.domain.model import Job, utcnow
from tests.support.cli import run_cli
from tests.support.factories import AppCredentials, make_application
from tests.support.people import connect_no_access
from tests.support.radicale import Radicale, RadicaleUser


_run = run_cli


def ics(uid: str, start: dt.datetime, summary: str) -> str:
    stamp = "%Y%m%dT%H%M%SZ"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//calgate tests//EN", "BEGIN:VEVENT", f"UID:{uid}",
        f"DTSTAMP:{start.strftime(stamp)}", f"DTSTART:{start.strftime(stamp)}",
        f"DTEND:{(start + dt.timedelta(hours=1)).strftime(stamp)}", f"SUMMARY:{summary}", "END:VEVENT", "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def soon(days: int) -> dt.datetime:
    return (utcnow() + dt.timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)


def connect(services, radicale: Radicale, app: AppCredentials, user: RadicaleUser, password: str | None = None) -> model.Profile:
    """A read_write CalDAV account as the connect flow leaves it: credentials sealed, first sync queued."""
    email = f"{user.username}@example.com"
    with services.uow() as uow:
        account = model.Account(id=ids.new_id("acc"), application_id=app.application_id, email=email, name=user.username)
        credentials = {"server_url": radicale.url, "username": user.username, "password": password or user.password, "email": email}
        profile = model.Profile(id=ids.new_id("pro"), account_id=account.id, provider="caldav", access_mode="read_write",
                                name=email, credentials_sealed=services.box.seal(json.dumps(credentials)))
        uow.accounts.add(account)
        uow.profiles.add(profile)
        sync.request_sync(uow, profile, utcnow())
        uow.commit()
    return profile


def summaries(services, account_id: str) -> list[str]:
    with services.uow() as uow:
        return sorted(
            e.summary for c in uow.calendars.of_account(account_id) for e in uow.events.in_calendar(c.id) if not e.deleted
        )


def sync_jobs(services, account_id: str) -> list[tuple[str, dt.datetime]]:
    with services.uow() as uow:
        jobs = uow.session.scalars(select(Job).where(Job.kind == sync.SYNC_JOB, Job.ordering_key == f"sync:{account_id}"))
        return sorted((j.status, j.run_after) for j in jobs)


@pytest.fixture
def app(services) -> AppCredentials:
    return make_application(services, features={"no_calendar"})


@pytest.fixture
def ada(radicale: Radicale) -> RadicaleUser:
    user = radicale.new_user()
    work = radicale.make_calendar(user, "work", "Work")
    radicale.make_calendar(user, "home", "Home")
    radicale.put(f"{work}planning.ics", ics("planning@example.com", soon(3), "Planning"))
    return user


def test_sync_account_reads_the_calendars_now_and_again_after_a_change(services, tmp_path, radicale, app, ada):
    profile = connect(services, radicale, app, ada)
    result = _run(services, tmp_path, "sync", "--account", profile.account_id)
    assert result.exit_code == 0, result.output
    assert "Work" in result.output and "Home" in result.output  # a bar per calendar
    assert "synced 2 calendar(s)" in result.output and "1 of 1 profile(s) synced" in result.output
    assert summaries(services, profile.account_id) == ["Planning"]
    with services.uow() as uow:
        stored = uow.profiles.get(profile.id)
        assert stored.initial_sync_done and stored.last_synced_at is not None

    radicale.put(f"{ada.home}work/review.ics", ics("review@example.com", soon(5), "Design review"))
    before = utcnow()
    result = _run(services, tmp_path, "sync", "--account", profile.account_id)
    assert result.exit_code == 0, result.output
    assert summaries(services, profile.account_id) == ["Design review", "Planning"]
    # Run as the sync job: recorded done, and the chain goes on with exactly one next sync.
    jobs = sync_jobs(services, profile.account_id)
    assert [status for status, _ in jobs] == ["done", "done", "pending"]
    interval = dt.timedelta(seconds=services.settings.sync_interval)
    assert jobs[-1][1] >= before + interval - dt.timedelta(seconds=5)


def test_sync_all_reports_the_account_whose_password_is_wrong(services, tmp_path, radicale, app, ada):
    grace = radicale.new_user()
    radicale.make_calendar(grace, "cal", "Grace's")
    good = connect(services, radicale, app, ada)
    bad = connect(services, radicale, app, grace, password="not-" + grace.password)
    other_app = make_application(services, name="Other")
    elsewhere = connect(services, radicale, other_app, radicale.new_user())

    result = _run(services, tmp_path, "sync", "--all", "--application", app.client_id)
    assert result.exit_code == 1, result.output
    assert "1 of 2 profile(s) synced, 1 failed" in result.output
    failed = result.output[result.output.index("failed:"):]
    assert bad.account_id in failed and good.account_id not in failed
    assert summaries(services, good.account_id) == ["Planning"]
    with services.uow() as uow:
        assert not uow.profiles.get(bad.id).connected  # refused credentials: relink, as the job decides
        assert uow.profiles.get(elsewhere.id).last_synced_at is None  # another application's: not asked for

    result = _run(services, tmp_path, "sync", "--all")  # every application
    assert result.exit_code == 1 and "2 of 3 profile(s) synced, 1 failed" in result.output, result.output
    assert "needs relinking" in result.output


def test_a_sync_a_worker_is_running_is_waited_for_never_overlapped(services, tmp_path, radicale, app, ada):
    profile = connect(services, radicale, app, ada)
    with services.uow() as uow:  # a worker holds the account's sync job under its lease
        [job] = uow.jobs.pending(sync.SYNC_JOB, f"sync:{profile.account_id}")
        job.locked_until = utcnow() + dt.timedelta(minutes=5)
        uow.commit()
    result = _run(services, tmp_path, "sync", "--account", profile.account_id, "--wait", "1")
    assert result.exit_code == 1 and "still running" in result.output, result.output
    assert summaries(services, profile.account_id) == []

    with services.uow() as uow:  # the worker finished (its next sync is queued after it)
        job = uow.jobs.get(job.id)
        job.locked_until, job.status = None, "done"
        sync.request_sync(uow, uow.profiles.get(profile.id), utcnow() + dt.timedelta(minutes=15))
        uow.commit()
    result = _run(services, tmp_path, "sync", "--account", profile.account_id, "--wait", "1")
    assert result.exit_code == 0, result.output
    assert summaries(services, profile.account_id) == ["Planning"]


def test_sync_says_what_it_cannot_do(services, tmp_path, app):
    assert _run(services, tmp_path, "sync").exit_code == 2
    assert _run(services, tmp_path, "sync", "--account", "acc_x", "--all").exit_code == 2
    result = _run(services, tmp_path, "sync", "--account", "acc_nobody")
    assert result.exit_code == 2 and "no account acc_nobody" in result.output
    hosted = connect_no_access(services, app, "ada@example.com")
    result = _run(services, tmp_path, "sync", "--account", hosted.caller.account.id)
    assert result.exit_code == 2 and "no connected calendar" in result.output
    result = _run(services, tmp_path, "sync", "--all", "--application", "nope")
    assert result.exit_code == 2 and "no application nope" in result.output
    result = _run(services, tmp_path, "sync", "--all")
    assert result.exit_code == 0 and "0 of 0 profile(s) synced" in result.output
