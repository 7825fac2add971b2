"""Mail through a real SMTP server (aiosmtpd on loopback) and through the mail folder."""

import datetime as dt
import re

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler

from calgate.domain import connect
from calgate.domain.model import utcnow
from calgate.mail.senders import MailDirSender, SmtpSender, read_mail_dir
from calgate.mail.message import compose
from calgate.services import create_services
from calgate.store.migrate import upgrade
from tests.support.factories import make_application
from tests.support.server import free_port, make_settings


class Inbox(MessageHandler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def _mail_services(services, tmp_path, smtp_url):
    settings = make_settings(services.settings.database_url, tmp_path, smtp_url=smtp_url)
    built = create_services(settings)
    upgrade(built.db.engine)
    return built


def test_verification_code_goes_out_over_smtp(services, tmp_path, smtp_server):
    controller, inbox = smtp_server
    smtp = _mail_services(services, tmp_path, f"smtp://127.0.0.1:{controller.port}")
    creds = make_application(smtp, features={"no_calendar"})
    with smtp.uow() as uow:
        app = uow.applications.by_client_id(creds.client_id)
        connect.start_email_verification(uow, app, "Grace Hopper", "grace@example.com", utcnow(), 900)
        uow.commit()
    assert smtp.jobs.run_until_idle() == 1
    [message] = inbox.messages
    assert message["To"] == "Grace Hopper <grace@example.com>"
    assert message["From"].endswith("<calendar@calgate.test>")
    assert "Acme Scheduling" in message["Subject"]
    assert re.search(r"\b\d{6}\b", message.get_payload(decode=True).decode())
    assert not list(tmp_path.glob("mail/*.eml"))  # nothing went to the folder
    smtp.db.dispose()


def test_mail_waits_in_the_queue_while_smtp_is_down(services, tmp_path):
    port = free_port()
    smtp = _mail_services(services, tmp_path, f"smtp://127.0.0.1:{port}")
    with smtp.uow() as uow:
        job = uow.jobs.enqueue("send_mail", {"to": "a@example.com", "subject": "Hi", "text": "Hello"})
        uow.commit()
    smtp.jobs.run_once()
    with smtp.uow() as uow:
        pending = uow.jobs.get(job.id)
    assert pending.status == "pending" and pending.attempts == 1 and pending.last_error

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert smtp.jobs.run_once(now=pending.run_after + dt.timedelta(seconds=1))
    finally:
        controller.stop()
    assert [m["Subject"] for m in inbox.messages] == ["Hi"]
    with smtp.uow() as uow:
        assert uow.jobs.get(job.id).status == "done"
    smtp.db.dispose()


def test_mail_folder_writes_whole_eml_files_with_stable_message_ids(tmp_path):
    sender = MailDirSender(tmp_path / "mail")
    payload = {"to": "b@example.com", "to_name": "B", "subject": "Code", "text": "123456", "html": "<p>123456</p>"}
    sender.send(compose(payload, "calendar@calgate.test", "job_1"))
    sender.send(compose(payload, "calendar@calgate.test", "job_1"))  # a retry overwrites, never duplicates
    [message] = read_mail_dir(tmp_path / "mail")
    assert message["Subject"] == "Code"
    assert "job_1" in message["Message-ID"]
    assert message.get_body(preferencelist=("html",)).get_content().strip() == "<p>123456</p>"
    assert not list((tmp_path / "mail").glob(".*.tmp"))


def test_smtp_url_must_name_smtp():
    with pytest.raises(ValueError):
        SmtpSender("http://127.0.0.1:25")
    sender = SmtpSender("smtps://user%40x:p%3Ass@mail.example.com")
    assert (sender.host, sender.port, sender.username, sender.password, sender.implicit_tls) == (
        "mail.example.com",
        465,
        "user@x",
        "p:ss",
        True,
    )


class Refusing:
    """An SMTP server that refuses every recipient, with a permanent (5xx) or transient (4xx) answer."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook name)
        return self.answer


@pytest.mark.parametrize(("answer", "final"), [("550 5.1.1 No such mailbox", True), ("451 4.3.0 Try again later", False)])
def test_a_permanent_refusal_fails_the_job_at_once_and_a_transient_one_is_retried(services, tmp_path, answer, final):
    controller = Controller(Refusing(answer), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        smtp = _mail_services(services, tmp_path, f"smtp://127.0.0.1:{controller.port}")
        with smtp.uow() as uow:
            job = uow.jobs.enqueue("send_mail", {"to": "gone@example.com", "subject": "Hi", "text": "Hello"})
            uow.commit()
        assert smtp.jobs.run_once()
        with smtp.uow() as uow:
            after = uow.jobs.get(job.id)
        assert after.attempts == 1 and answer.split()[0] in after.last_error
        assert after.status == ("failed" if final else "pending")
        smtp.db.dispose()
    finally:
        controller.stop()
