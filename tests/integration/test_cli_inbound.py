"""`calgate inbound-smtp`, run as its own process against a real database on each backend:
it takes a REPLY over SMTP, applies it, and stops cleanly on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time

from tests.support.factories import make_application
from tests.support.itip import calendar_part, reply, reply_mail, send_smtp
from tests.support.mail import mail_to
from tests.support.people import connect_no_access, stored_event, upsert
from tests.support.server import free_port


def wait_for_port(port, process, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def test_inbound_smtp_applies_a_reply_and_stops_on_sigterm(services, tmp_path):
    settings = services.settings
    person = connect_no_access(services, make_application(services, features={"no_calendar"}), "ada@example.com")
    event = upsert(services, person)
    services.jobs.run_until_idle()
    [invitation] = [m for m in mail_to(settings.mail_dir, person.email) if m.get_content_type() == "multipart/mixed"]

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALGATE_")}
    env.update(
        CALGATE_DATABASE_URL=settings.database_url,
        CALGATE_SECRET_KEY=settings.secret_key.get_secret_value(),
        CALGATE_MAIL_DIR=str(tmp_path / "mail"),
        CALGATE_ORGANIZER_EMAIL=settings.organizer_email,
        CALGATE_INBOUND_PORT=str(port),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "calgate", "inbound-smtp", "--host", "127.0.0.1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for_port(port, process)
        answer = reply(calendar_part(invitation), person.email, "TENTATIVE")
        send_smtp(port, reply_mail(answer, person.email, settings.organizer_email))
        assert stored_event(services, event.id).participation_status == "tentative"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert f"calgate inbound SMTP on 127.0.0.1:{port}" in out and "stopped" in out
    assert "REPLY TENTATIVE" in err and "applied" in err  # the log names what happened
