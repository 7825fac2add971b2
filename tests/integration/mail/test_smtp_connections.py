"""SmtpSender keeps one connection per thread between messages (mail/senders.py): it checks a
kept connection before a message (NOOP, or a new one past the idle limit), never by sending a
message again, and hangs up on close() or when dropped. Real aiosmtpd servers on loopback,
counting connections on their side."""

import asyncio
import concurrent.futures
import functools
import gc
import threading
import time
from email.message import EmailMessage

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from calgate.jobs.runner import PermanentFailure
from calgate.mail.senders import SmtpSender
from calgate.services import create_services
from calgate.store.migrate import upgrade
from tests.support.server import free_port, make_settings


class Recorder:
    """What the server saw: each accepted message with the client's address, NOOPs, QUITs, and
    how many connections are open."""

    def __init__(self, refuse: dict[str, str] | None = None) -> None:
        self.refuse = refuse or {}  # recipient → answer to its RCPT
        self.delivered: list[tuple[tuple[str, int], str]] = []  # (peer, Message-ID)
        self.noops = 0
        self.quits = 0
        self.open = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook names)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message_id = next(line for line in envelope.content.decode().splitlines() if line.lower().startswith("message-id:"))
        with self.lock:
            self.delivered.append((session.peer, message_id.split(":", 1)[1].strip()))
        return "250 Message accepted"

    async def handle_NOOP(self, server, session, envelope, arg):  # noqa: N802
        self.noops += 1
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802
        self.quits += 1
        return "221 Bye"

    def peers(self) -> list[tuple[str, int]]:
        """Client addresses in order of first message: one per connection that carried mail."""
        return list(dict.fromkeys(peer for peer, _ in self.delivered))

    def message_ids(self) -> list[str]:
        return [message_id for _, message_id in self.delivered]


class Counting(Controller):
    def factory(self) -> SMTP:
        recorder = self.handler

        class Session(SMTP):
            def connection_made(self, transport):  # type: ignore[no-untyped-def]
                recorder.open += 1
                super().connection_made(transport)

            def connection_lost(self, error):  # type: ignore[no-untyped-def]
                recorder.open -= 1
                super().connection_lost(error)

        return Session(self.handler, **self.SMTP_kwargs)


@pytest.fixture
def server():
    """Start servers (on one port, one at a time) that record into one Recorder."""
    running: list[Controller] = []
    port = free_port()

    def start(recorder: Recorder, **smtp_parameters) -> Controller:
        controller = Counting(recorder, hostname="127.0.0.1", port=port, **smtp_parameters)
        controller.start()
        running.append(controller)
        return controller

    yield start
    for controller in running:
        if controller.loop.is_running():
            controller.stop()


def eventually(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def on_a_thread_of_its_own(test):  # type: ignore[no-untyped-def]
    """Run the test's body on a new thread, which runs no event loop: earlier tests of the suite
    (Playwright's sync API) may leave one running in the main thread, and a sender called from a
    running loop takes its connection-per-message path instead of the kept one."""

    @functools.wraps(test)
    def run(*args, **kwargs):  # type: ignore[no-untyped-def]
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(test, *args, **kwargs).result()

    return run


def message(n: int, to: str = "bob@example.com") -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"], m["Message-ID"] = "calendar@calgate.test", to, f"Message {n}", f"<job_{n}@calgate.test>"
    m.set_content(f"Hello {n}")
    return m


@on_a_thread_of_its_own
def test_messages_share_one_connection_checked_with_noop_and_close_quits(server):
    recorder = Recorder()
    controller = server(recorder)
    sender = SmtpSender(f"smtp://127.0.0.1:{controller.port}")
    for n in range(5):
        sender.send(message(n))
    assert recorder.message_ids() == [f"<job_{n}@calgate.test>" for n in range(5)]
    assert len(recorder.peers()) == 1
    assert recorder.noops == 4  # before each message on the kept connection, not before the first
    sender.close()
    assert recorder.quits == 1
    assert eventually(lambda: recorder.open == 0)


@on_a_thread_of_its_own
def test_a_connection_the_server_closed_while_idle_is_replaced_and_the_message_sent_once(server):
    recorder = Recorder()
    controller = server(recorder, timeout=0.3)  # aiosmtpd answers 421 and hangs up after 0.3 s of silence
    sender = SmtpSender(f"smtp://127.0.0.1:{controller.port}")
    sender.send(message(1))
    assert eventually(lambda: recorder.open == 0)  # the server hung up on us
    sender.send(message(2))
    assert recorder.message_ids() == ["<job_1@calgate.test>", "<job_2@calgate.test>"]
    assert len(recorder.peers()) == 2
    sender.close()


@on_a_thread_of_its_own
def test_a_server_restarted_between_messages_gets_a_new_connection_and_the_message_once(server):
    recorder = Recorder()
    first = server(recorder)
    sender = SmtpSender(f"smtp://127.0.0.1:{first.port}")
    sender.send(message(1))
    first.stop()
    server(recorder)
    sender.send(message(2))
    sender.send(message(3))
    assert recorder.message_ids() == [f"<job_{n}@calgate.test>" for n in (1, 2, 3)]
    assert len(recorder.peers()) == 2  # the second connection carried 2 and 3
    sender.close()


@on_a_thread_of_its_own
def test_past_the_idle_limit_the_connection_is_hung_up_and_a_new_one_opened(server):
    recorder = Recorder()
    controller = server(recorder)
    sender = SmtpSender(f"smtp://127.0.0.1:{controller.port}", idle_limit=0.2)
    sender.send(message(1))
    time.sleep(0.3)
    sender.send(message(2))
    assert len(recorder.peers()) == 2
    assert (recorder.noops, recorder.quits) == (0, 1)  # no NOOP on a stale one: QUIT, and a new one
    sender.close()
    assert recorder.quits == 2


@pytest.mark.parametrize(("answer", "permanent"), [("550 5.1.1 No such mailbox", True), ("451 4.3.0 Try again later", False)])
@on_a_thread_of_its_own
def test_a_refusal_on_a_kept_connection_keeps_its_meaning_and_the_next_message_reconnects(server, answer, permanent):
    recorder = Recorder(refuse={"gone@example.com": answer})
    controller = server(recorder)
    sender = SmtpSender(f"smtp://127.0.0.1:{controller.port}")
    sender.send(message(1))
    with pytest.raises(Exception) as refused:
        sender.send(message(2, to="gone@example.com"))
    assert isinstance(refused.value, PermanentFailure) is permanent
    if not permanent:
        assert isinstance(refused.value, aiosmtplib.SMTPRecipientsRefused)
    sender.send(message(3))
    assert recorder.message_ids() == ["<job_1@calgate.test>", "<job_3@calgate.test>"]
    assert len(recorder.peers()) == 2  # the failure dropped the connection
    sender.close()


@pytest.mark.parametrize(("answer", "status"), [("550 5.1.1 No such mailbox", "failed"), ("451 4.3.0 Try again later", "pending")])
@on_a_thread_of_its_own
def test_jobs_refused_on_a_kept_connection_fail_for_good_on_5xx_and_wait_on_4xx(services, tmp_path, server, answer, status):
    recorder = Recorder(refuse={"gone@example.com": answer})
    controller = server(recorder)
    smtp = create_services(make_settings(services.settings.database_url, tmp_path, smtp_url=f"smtp://127.0.0.1:{controller.port}"))
    upgrade(smtp.db.engine)
    try:
        with smtp.uow() as uow:
            ok = uow.jobs.enqueue("send_mail", {"to": "a@example.com", "subject": "Hi", "text": "Hello"})
            gone = uow.jobs.enqueue("send_mail", {"to": "gone@example.com", "subject": "Hi", "text": "Hello"})
            uow.commit()
        assert smtp.jobs.run_until_idle() == 2
        with smtp.uow() as uow:
            assert uow.jobs.get(ok.id).status == "done"
            after = uow.jobs.get(gone.id)
        assert after.status == status and after.attempts == 1 and answer.split()[0] in after.last_error
        assert recorder.message_ids() == [f"<{ok.id}@calgate.test>"]
    finally:
        smtp.stop()
        smtp.db.dispose()
    assert recorder.quits == 0 and eventually(lambda: recorder.open == 0)  # the refusal dropped it; nothing left


@on_a_thread_of_its_own
def test_each_thread_keeps_its_own_connection_and_close_hangs_up_every_one(server):
    recorder = Recorder()
    controller = server(recorder)
    sender = SmtpSender(f"smtp://127.0.0.1:{controller.port}")
    go = threading.Barrier(2)
    done = threading.Event()

    def send_three(first: int) -> None:
        go.wait()
        for n in range(first, first + 3):
            sender.send(message(n))
        go.wait()
        done.wait(5)  # alive while close() runs

    threads = [threading.Thread(target=send_three, args=(first,)) for first in (10, 20)]
    for thread in threads:
        thread.start()
    assert eventually(lambda: len(recorder.delivered) == 6)
    sender.close()
    done.set()
    for thread in threads:
        thread.join()
    assert sorted(recorder.message_ids()) == sorted(f"<job_{n}@calgate.test>" for n in (10, 11, 12, 20, 21, 22))
    assert len(recorder.peers()) == 2
    assert recorder.quits == 2 and eventually(lambda: recorder.open == 0)
    sender.send(message(30))  # still usable after close(): a new connection
    assert len(recorder.peers()) == 3
    sender.close()


@on_a_thread_of_its_own
def test_a_sender_dropped_without_close_closes_its_connection_and_loop(server):
    recorder = Recorder()
    controller = server(recorder)
    sender = SmtpSender(f"smtp://127.0.0.1:{controller.port}")
    sender.send(message(1))
    assert eventually(lambda: recorder.open == 1)
    del sender
    gc.collect()  # an unclosed loop or socket would be a ResourceWarning here, an error in this suite
    assert eventually(lambda: recorder.open == 0)


@on_a_thread_of_its_own
def test_a_caller_running_an_event_loop_gets_a_connection_per_message(server):
    recorder = Recorder()
    controller = server(recorder)
    sender = SmtpSender(f"smtp://127.0.0.1:{controller.port}")

    async def from_a_loop() -> None:
        sender.send(message(1))
        sender.send(message(2))

    asyncio.run(from_a_loop())
    assert recorder.message_ids() == ["<job_1@calgate.test>", "<job_2@calgate.test>"]
    assert len(recorder.peers()) == 2 and recorder.quits == 2
    assert eventually(lambda: recorder.open == 0)
