"""The SMTP server is down while invitations pile up; when it comes back every invitation goes
out exactly once, and each event's versions arrive in SEQUENCE order (jobs/runner.py,
ordering keys; mail/senders.py over aiosmtplib; aiosmtpd as the server)."""

import datetime as dt
from collections import Counter, defaultdict

import icalendar
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from sqlalchemy import select

from calgate.domain.model import Job, utcnow
from calgate.services import create_services
from tests.support.factories import make_application
from tests.support.people import connect_no_access, upsert
from tests.support.server import free_port, make_settings

EVENTS = 5
VERSIONS = 10  # 5 events x 10 versions = 50 upserts


class Inbox(MessageHandler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def _calendar(message):
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    [vevent] = icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    return vevent


def _invite_jobs(services):
    with services.uow() as uow:
        return list(uow.session.scalars(select(Job).where(Job.kind == "send_invite")))


def _drain(runner, now, limit):
    """Run due jobs at ``now`` until none is due (at most ``limit``)."""
    count = 0
    while count < limit and runner.run_once(now=now):
        count += 1
    return count


def test_invitations_wait_out_an_smtp_outage_and_arrive_once_in_sequence_order(services, tmp_path):
    person = connect_no_access(services, make_application(services, features={"no_calendar"}), "ada@example.com")
    services.jobs.run_until_idle()  # the verification code went to the mail folder
    port = free_port()  # nothing listens here yet
    smtp = create_services(make_settings(services.settings.database_url, tmp_path, smtp_url=f"smtp://127.0.0.1:{port}"))
    try:
        for n in range(EVENTS * VERSIONS):
            number, version = n % EVENTS, n // EVENTS
            extra = {"attendees": {"invite": [{"email": "bob@example.com", "display_name": "Bob"}]}} if number == 0 else {}
            upsert(
                smtp, person, event_id=f"interview-{number}", summary=f"Interview {number} v{version}", tzid="Europe/London",
                start=f"2026-12-{1 + number:02d}T{9 + version:02d}:00:00Z", end=f"2026-12-{1 + number:02d}T{10 + version:02d}:00:00Z",
                **extra,
            )
            smtp.jobs.run_once()  # the runner keeps trying while the server is down

        later = utcnow()
        for _ in range(3):  # three more rounds past the backoff, still down: one try per event
            later += dt.timedelta(hours=2)
            for _ in range(EVENTS):
                smtp.jobs.run_once(now=later)
        jobs = _invite_jobs(smtp)
        assert len(jobs) == EVENTS * VERSIONS + VERSIONS  # Bob is invited to every version of event 0
        assert {j.status for j in jobs} == {"pending"}
        assert sum(1 for j in jobs if j.attempts >= 3 and "Connect" in (j.last_error or "")) == EVENTS

        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            later += dt.timedelta(hours=2)
            _drain(smtp.jobs, later, limit=10 * len(jobs))
        finally:
            controller.stop()

        jobs = _invite_jobs(smtp)
        assert {j.status for j in jobs} == {"done"}
        invites = [m for m in inbox.messages if any(p.get_content_type() == "text/calendar" for p in m.walk())]
        sent = Counter(m["Message-ID"] for m in invites)
        assert set(sent.values()) == {1}  # exactly once each
        assert set(sent) == {f"<{j.id}@calgate.test>" for j in jobs}

        arrived = defaultdict(list)  # UID -> [(recipient, SEQUENCE)] in arrival order
        for message in invites:
            vevent = _calendar(message)
            arrived[str(vevent["uid"])].append((message["X-RcptTo"], int(vevent["sequence"])))
        assert len(arrived) == EVENTS
        for uid, received in arrived.items():
            sequences = [s for _, s in received]
            assert sequences == sorted(sequences), uid
            for recipient in {r for r, _ in received}:
                assert [s for r, s in received if r == recipient] == list(range(VERSIONS)), (uid, recipient)
    finally:
        smtp.db.dispose()
