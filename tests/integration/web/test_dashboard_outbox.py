# SPDX-License-Identifier: Apache-2.0
"""The dashboard's mail outbox (web/dashboard/outbox.py): the local mail folder, newest first."""

from __future__ import annotations

import os
from pathlib import Path
import time

import httpx

from calgate.domain import applications
from calgate.mail.message import compose
from tests.integration.web._dashboard import Dashboard
from tests.support.connect import connect_hosted
from tests.support.factories import AppCredentials, make_application
from tests.support.mail import verification_code, wait_for_mail
from tests.support.server import LiveServer, make_settings


def messages(developer: Dashboard) -> list[dict[str, str]]:
    page = developer.page("/dashboard/outbox")
    shown = []
    for article in page.tags("article"):
        subject = next(e for e in article.children if e.tag == "h2")
        headers = next(e for e in article.children if e.tag == "dl").children
        fields = {dt.clean_text: dd.clean_text for dt, dd in zip(headers[::2], headers[1::2])}
        body = next(e for e in article.children if e.tag == "pre")
        shown.append({"subject": subject.clean_text, "date": fields["Date"], "to": fields["To"], "text": body.text})
    return shown


def test_the_outbox_needs_a_signed_in_developer(visitor: Dashboard) -> None:
    response = visitor.http.get("/dashboard/outbox")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/sign-in"


def test_an_empty_outbox(developer: Dashboard) -> None:
    page = developer.page("/dashboard/outbox")
    assert "Mail outbox" in page.headings()
    assert page.tags("article") == []


def own_app(calgate: LiveServer, developer: Dashboard) -> AppCredentials:
    """An application of this developer, created through the dashboard."""
    app_id = developer.create_app(feature_no_calendar="on")
    with calgate.services.uow() as uow:
        app = uow.applications.get(app_id)
    secret = applications.reveal_secret(app, calgate.services.box)
    return AppCredentials(app.client_id, secret, app.redirect_uris[0], app.id)


def test_the_outbox_shows_what_the_job_queue_mailed(calgate: LiveServer, developer: Dashboard) -> None:
    """The verification code of a No Access connection, sent through the job queue."""
    creds = own_app(calgate, developer)
    connect_hosted(calgate, creds, email="ada@example.com")
    code = verification_code(wait_for_mail(calgate.mail_dir, "ada@example.com"))

    shown = messages(developer)

    assert len(shown) == 1
    assert "ada@example.com" in shown[0]["to"]
    assert shown[0]["date"]
    assert shown[0]["subject"]
    assert code in shown[0]["text"]


def test_a_developer_sees_only_the_mail_of_their_own_applications(
    calgate: LiveServer, developer: Dashboard, other_developer: Dashboard
) -> None:
    connect_hosted(calgate, own_app(calgate, developer), email="mine@example.com")
    connect_hosted(calgate, make_application(calgate.services, features={"no_calendar"}), email="theirs@example.com")
    wait_for_mail(calgate.mail_dir, "theirs@example.com")

    assert [m["to"] for m in messages(developer)] == ["Ada Lovelace <mine@example.com>"]
    assert messages(other_developer) == []


def send(calgate: LiveServer, to: str, subject: str, text: str, key: str, application_id: str) -> None:
    payload = {"to": to, "subject": subject, "text": text, "application_id": application_id}
    calgate.services.mail.send(compose(payload, calgate.settings.organizer_email, key))


def test_newest_first(calgate: LiveServer, developer: Dashboard) -> None:
    app_id = developer.create_app()
    send(calgate, "first@example.com", "First", "Hello once", "job-1", app_id)
    send(calgate, "second@example.com", "Second <b>bold</b>", "Hello twice\nsecond line", "job-2", app_id)
    older = time.time() - 60
    (first,) = [p for p in calgate.mail_dir.glob("*.eml") if "job-1" in p.name]
    os.utime(first, (older, older))

    shown = messages(developer)

    assert [m["subject"] for m in shown] == ["Second <b>bold</b>", "First"]  # escaped, shown as text
    assert [m["to"] for m in shown] == ["second@example.com", "first@example.com"]
    assert shown[0]["text"].strip() == "Hello twice\nsecond line"


def test_with_smtp_the_folder_is_not_used(calgate: LiveServer, tmp_path: Path) -> None:
    """A second calgate on the same database, configured for SMTP, beside the same folder."""
    settings = make_settings(
        calgate.settings.database_url, tmp_path, smtp_url="smtp://127.0.0.1:2525", mail_dir=calgate.mail_dir
    )
    server = LiveServer(settings).start()
    try:
        with httpx.Client(base_url=server.url, follow_redirects=False) as client:
            developer = Dashboard(client)
            assert developer.sign_up().status_code == 303
            send(calgate, "someone@example.com", "Left in the folder", "Hello", "job-3", developer.create_app())

            page = developer.page("/dashboard/outbox")

            assert "Mail goes out over SMTP" in page.testid("smtp-notice")
            assert "not used" in page.testid("smtp-notice")
            assert page.tags("article") == []
    finally:
        server.stop()
