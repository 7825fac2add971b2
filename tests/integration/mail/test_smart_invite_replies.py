"""Replies to Smart Invites: the recipient's calendar app answers the REQUEST it got over SMTP
with an iTIP REPLY to calgate's inbound receiver; the recipient's status changes and the
invitation's callback_url gets a signed notification, retried until it answers 2xx. Forged
and stale answers change nothing and notify no one."""

from __future__ import annotations

import datetime as dt

import pycronofy
import pycronofy.settings
import pytest
from sqlalchemy import select

from calgate.domain.model import Job
from calgate.jobs.webhooks import sign
from calgate.mail.inbound import InboundServer
from tests.support.factories import make_application
from tests.support.itip import calendar_part, reply, reply_mail, send_smtp
from tests.support.server import free_port
from tests.support.smtp_inbox import smtp_fixtures
from tests.support.webhooks import receiving

BOB, CAROL, MALLORY = "bob@example.com", "carol@example.com", "mallory@example.com"
EVENT = {"summary": "Board meeting", "start": "2027-03-05T09:30:00Z", "end": "2027-03-05T10:00:00Z", "tzid": "Etc/UTC"}


smtp_server, calgate, inbox = smtp_fixtures("smart-replies")


@pytest.fixture
def inbound(calgate):
    server = InboundServer(calgate.services.uow, calgate.settings.organizer_email, "127.0.0.1", free_port()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def app(calgate):
    return make_application(calgate.services)


@pytest.fixture
def client(calgate, app, monkeypatch):
    monkeypatch.setattr(pycronofy.settings, "API_BASE_URL", calgate.url)
    return pycronofy.Client(client_id=app.client_id, client_secret=app.client_secret)


@pytest.fixture
def receiver():
    with receiving() as receiver:
        yield receiver


def invited(client, inbox, recipients, callback_url=None, count=1, **event):
    """Upsert the invitation and return the REQUEST that reached the first recipient."""
    people = recipients if isinstance(recipients, list) else [recipients]
    client.upsert_smart_invite("board-1", recipients, {**EVENT, **event}, callback_url=callback_url)
    return calendar_part(inbox.wait_for(people[0]["email"], count)[count - 1])


def answer(calgate, inbound, invite, attendee, partstat, sender=None, **kwargs):
    send_smtp(inbound.port, reply_mail(reply(invite, attendee, partstat, **kwargs), sender or attendee, calgate.settings.organizer_email))


def status(client, email):
    return client.get_smart_invite("board-1", email)["recipient"]["status"]


def callback_jobs(calgate):
    with calgate.services.uow() as uow:
        return list(uow.session.scalars(select(Job).where(Job.kind == "smart_invite_callback")))


@pytest.mark.parametrize("partstat, expected", [("ACCEPTED", "accepted"), ("DECLINED", "declined"), ("TENTATIVE", "tentative")])
def test_a_reply_sets_the_status_and_the_callback_hears_of_it_signed(calgate, inbox, inbound, app, client, receiver, partstat, expected):
    invite = invited(client, inbox, [{"email": BOB}, {"email": CAROL}], callback_url=receiver.url)
    assert status(client, BOB) == "pending"
    answer(calgate, inbound, invite, BOB, partstat)
    assert status(client, BOB) == expected
    assert status(client, CAROL) == "pending"  # only Bob answered
    [notification] = receiver.wait_for(1)
    assert notification.headers["cronofy-hmac-sha256"] == sign(app.client_secret, notification.body)
    body = notification.json
    assert body["notification"] == {"type": "smart_invite"}
    assert body["smart_invite"]["smart_invite_id"] == "board-1"
    assert body["smart_invite"]["recipient"] == {"email": BOB, "status": expected}
    assert body["smart_invite"]["event"]["summary"] == "Board meeting"


def test_without_a_callback_url_the_answer_is_kept_and_nothing_is_queued(calgate, inbox, inbound, client):
    invite = invited(client, inbox, {"email": BOB})
    answer(calgate, inbound, invite, BOB, "ACCEPTED")
    assert status(client, BOB) == "accepted"
    assert callback_jobs(calgate) == []


def test_forged_replies_change_nothing_and_notify_no_one(calgate, inbox, inbound, client, receiver):
    invite = invited(client, inbox, [{"email": BOB}, {"email": CAROL}], callback_url=receiver.url)
    answer(calgate, inbound, invite, BOB, "DECLINED", sender=MALLORY)  # Mallory answers as Bob
    answer(calgate, inbound, invite, BOB, "DECLINED", sender=CAROL)  # Carol answers for Bob
    answer(calgate, inbound, invite, MALLORY, "ACCEPTED")  # never invited
    answer(calgate, inbound, invite, BOB, "ACCEPTED", uid="smi_000000000000000000000000@calgate")  # no such invitation
    calgate.services.jobs.run_until_idle()
    assert status(client, BOB) == "pending" and status(client, CAROL) == "pending"
    assert callback_jobs(calgate) == [] and receiver.requests == []

    answer(calgate, inbound, invite, BOB, "ACCEPTED")  # Bob himself: applied
    assert status(client, BOB) == "accepted"
    assert len(receiver.wait_for(1)) == 1


def test_another_applications_invitation_is_not_answered_by_a_reply_to_this_one(calgate, inbox, inbound, client, receiver):
    other = make_application(calgate.services, name="Other Co")
    theirs = pycronofy.Client(client_id=other.client_id, client_secret=other.client_secret)
    theirs.upsert_smart_invite("board-1", {"email": BOB}, dict(EVENT))
    inbox.wait_for(BOB, 1)
    invite = invited(client, inbox, {"email": BOB}, count=2)
    answer(calgate, inbound, invite, BOB, "DECLINED")
    assert status(client, BOB) == "declined"
    assert theirs.get_smart_invite("board-1", BOB)["recipient"]["status"] == "pending"


def test_a_reply_to_an_older_sequence_or_a_cancelled_invitation_is_ignored(calgate, inbox, inbound, client):
    first = invited(client, inbox, {"email": BOB})
    invited(client, inbox, {"email": BOB}, count=2, summary="Board meeting (moved)")
    answer(calgate, inbound, first, BOB, "DECLINED")  # answers SEQUENCE 0; the invitation is at 1
    assert status(client, BOB) == "pending"
    client.cancel_smart_invite("board-1", {"email": BOB})
    second = calendar_part(inbox.to(BOB)[1])
    answer(calgate, inbound, second, BOB, "ACCEPTED", sequence=2)
    assert status(client, BOB) == "pending"


def test_a_failing_callback_is_retried_until_it_answers_2xx(calgate, inbox, inbound, app, client):
    with receiving([500]) as receiver:
        invite = invited(client, inbox, {"email": BOB}, callback_url=receiver.url)
        answer(calgate, inbound, invite, BOB, "TENTATIVE")
        receiver.wait_for(1)
        [job] = callback_jobs(calgate)
        job = _settled(calgate, job.id)
        assert job.status == "pending" and "HTTP 500" in job.last_error
        assert calgate.services.jobs.run_once(now=job.run_after + dt.timedelta(seconds=1))
        first, second = receiver.wait_for(2)
    assert first.body == second.body
    assert second.headers["cronofy-hmac-sha256"] == sign(app.client_secret, second.body)
    with calgate.services.uow() as uow:
        assert uow.jobs.get(job.id).status == "done"


def _settled(calgate, job_id, timeout=10.0):
    import time

    deadline = time.monotonic() + timeout
    while True:
        with calgate.services.uow() as uow:
            job = uow.jobs.get(job_id)
        if job.attempts == 1 and job.locked_until is None and job.last_error:
            return job
        assert time.monotonic() < deadline, "the callback job did not settle"
        time.sleep(0.02)
