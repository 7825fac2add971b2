"""Which channels a change or a profile event notifies (``domain.channels.notify_change``,
``notify_profile``), and what the job queue then delivers, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from calgate.domain import channels, ids, model
from calgate.domain.model import Job, utcnow
from calgate.jobs.webhooks import raw_body, sign
from tests.support.factories import make_application
from tests.support.people import Person, connect_no_access
from tests.support.webhooks import receiving

SINCE = dt.datetime(2026, 3, 1, 9, 30, 15, tzinfo=dt.timezone.utc)


@pytest.fixture
def app(services):
    return make_application(services, features={"no_calendar"})


@pytest.fixture
def person(services, app) -> Person:
    return connect_no_access(services, app, "ada@example.com")


@pytest.fixture
def receiver():
    with receiving() as receiver:
        yield receiver


def open_channel(services, person: Person, url: str, **filters) -> model.Channel:
    command = channels.ChannelInput(url, filters)
    return services.run(lambda uow: channels.create(uow, person.caller, command, utcnow()))


def foreign_channel(services, person: Person, url: str, **filters) -> model.Channel:
    """A channel on the person's account held by another application (stored directly: no
    token of another application reaches this account)."""
    other = make_application(services)
    channel = model.Channel(ids.new_id("chn"), other.application_id, person.caller.account.id, url, filters)
    with services.uow() as uow:
        uow.channels.add(channel)
        uow.commit()
    return channel


def queued(services, notification: str) -> list[str]:
    """Channel ids with a pending notification of that type, in queue order."""
    with services.uow() as uow:
        jobs = uow.session.scalars(select(Job).where(Job.kind == "push_notification", Job.status == "pending").order_by(Job.created_at))
        return [j.payload["channel_id"] for j in jobs if j.payload["body"]["notification"]["type"] == notification]


def notify(services, person: Person, calendar_ids, **options) -> int:
    return services.run(lambda uow: channels.notify_change(uow, person.caller.account.id, calendar_ids, SINCE, **options))


def test_change_filters_calendar_ids_only_managed_and_the_origin(services, person):
    everything = open_channel(services, person, "https://example.com/all")
    one_calendar = open_channel(services, person, "https://example.com/cal", calendar_ids=[person.calendar_id])
    managed = open_channel(services, person, "https://example.com/managed", only_managed=True)
    foreign = foreign_channel(services, person, "https://example.org/other")
    own_app = person.caller.application.id

    assert notify(services, person, [person.calendar_id]) == 3
    assert queued(services, "change") == [everything.id, one_calendar.id, foreign.id]

    assert notify(services, person, ["cal_somewhere_else"], managed_by=[own_app]) == 3
    assert queued(services, "change")[3:] == [everything.id, managed.id, foreign.id]

    assert notify(services, person, [person.calendar_id], managed_by=[own_app], origin_application_id=own_app) == 1
    assert queued(services, "change")[6:] == [foreign.id]

    assert notify(services, person, [], managed_by=[foreign.application_id], origin_application_id=foreign.application_id) == 1
    assert queued(services, "change")[7:] == [everything.id]


def test_closed_channels_and_other_accounts_are_not_notified(services, app, person):
    kept = open_channel(services, person, "https://example.com/kept")
    gone = open_channel(services, person, "https://example.com/gone")
    services.run(lambda uow: channels.close(uow, person.caller, gone.id, utcnow()))
    someone_else = connect_no_access(services, app, "grace@example.com")
    open_channel(services, someone_else, "https://example.com/grace")

    assert notify(services, person, [person.calendar_id]) == 1
    assert queued(services, "change") == [kept.id]


def test_profile_notifications_go_to_every_open_channel_whatever_its_filters(services, person):
    plain = open_channel(services, person, "https://example.com/plain")
    managed = open_channel(services, person, "https://example.com/managed", only_managed=True, calendar_ids=[person.calendar_id])
    account_id = person.caller.account.id
    for kind in ("profile_disconnected", "profile_initial_sync_completed"):
        assert services.run(lambda uow: channels.notify_profile(uow, account_id, kind)) == 2
        assert queued(services, kind) == [plain.id, managed.id]
    with services.uow() as uow, pytest.raises(ValueError):
        channels.notify_profile(uow, account_id, "gdpr_requested")


def test_the_queue_delivers_signed_notifications_in_order(services, app, person, receiver):
    channel = open_channel(services, person, receiver.url, calendar_ids=[person.calendar_id])
    notify(services, person, [person.calendar_id])
    services.run(lambda uow: channels.notify_profile(uow, person.caller.account.id, "profile_disconnected"))
    services.jobs.run_until_idle()

    verification, change, disconnected = receiver.wait_for(3)
    wire = {"channel_id": channel.id, "callback_url": receiver.url, "filters": {"calendar_ids": [person.calendar_id]}}
    assert change.json == {"notification": {"type": "change", "changes_since": "2026-03-01T09:30:15Z"}, "channel": wire}
    assert verification.json["notification"] == {"type": "verification"}
    assert disconnected.json["notification"] == {"type": "profile_disconnected"}
    for callback in (verification, change, disconnected):
        assert callback.body == raw_body(callback.json)
        assert callback.headers["cronofy-hmac-sha256"] == sign(app.client_secret, callback.body)


def test_a_closed_channels_pending_notifications_are_dropped(services, person, receiver):
    channel = open_channel(services, person, receiver.url)
    notify(services, person, [person.calendar_id])
    services.run(lambda uow: channels.close(uow, person.caller, channel.id, utcnow()))
    services.jobs.run_until_idle()
    assert receiver.requests == []
    with services.uow() as uow:
        jobs = list(uow.session.scalars(select(Job).where(Job.kind == "push_notification")))
    assert [j.status for j in jobs] == ["done", "done"]


def test_an_unreachable_callback_is_kept_for_a_retry(services, person):
    with receiving() as gone:
        url = gone.url
    open_channel(services, person, url)
    services.jobs.run_until_idle()
    with services.uow() as uow:
        [job] = uow.session.scalars(select(Job).where(Job.kind == "push_notification"))
    assert job.status == "pending" and job.attempts == 1
    assert job.last_error.startswith("DeliveryFailed: the callback URL could not be reached: ConnectError")
