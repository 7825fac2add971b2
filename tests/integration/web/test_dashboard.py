# SPDX-License-Identifier: Apache-2.0
"""Dashboard accounts: sign-up, sign-in, sign-out, the session and CSRF (web/dashboard/accounts.py).

Applications are in test_dashboard_apps.py, the mail outbox in test_dashboard_outbox.py.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from calgate.domain import developers
from calgate.domain.errors import ValidationFailed
from calgate.domain.model import utcnow
from tests.integration.web._dashboard import PASSWORD, Dashboard
from tests.integration.web._pages import Page
from tests.support.connect import csrf
from tests.support.server import LiveServer

SIGNED_IN_ONLY = ["/dashboard", "/dashboard/apps/new", "/dashboard/apps/app_unknown", "/dashboard/outbox"]


def test_root_redirects_to_the_dashboard(visitor: Dashboard) -> None:
    response = visitor.http.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"


@pytest.mark.parametrize("path", SIGNED_IN_ONLY)
def test_signed_out_pages_redirect_to_sign_in(visitor: Dashboard, path: str) -> None:
    response = visitor.http.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/sign-in"


def test_sign_up_signs_the_developer_in(calgate: LiveServer, visitor: Dashboard) -> None:
    page = visitor.page("/dashboard/sign-up")
    assert page.unlabelled_fields() == []
    assert page.field("Email address").attrs["type"] == "email"
    assert page.field("Password").attrs["type"] == "password"

    response = visitor.sign_up("New.Dev@Example.com")

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    home = visitor.page("/dashboard")
    nav = " ".join(e.clean_text for e in home.tags("nav"))
    for item in ("Applications", "Mail outbox", "Sign out", "new.dev@example.com"):
        assert item in nav
    with calgate.services.uow() as uow:
        stored = uow.developers.by_email("new.dev@example.com")
    assert stored is not None and stored.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(
    ("email", "password", "field", "message"),
    [
        ("not-an-email", PASSWORD, "email", "Enter a valid email address"),
        ("short@example.com", "tiny-pass", "password", f"at least {developers.MIN_PASSWORD_LENGTH} characters"),
    ],
)
def test_sign_up_mistakes_are_shown_on_the_form(
    visitor: Dashboard, email: str, password: str, field: str, message: str
) -> None:
    response = visitor.sign_up(email, password)

    assert response.status_code == 422
    page = Page(response.text)
    assert any(message in alert for alert in page.alerts())
    typed = page.one(id=field)
    assert typed.attrs.get("aria-invalid") == "true"
    assert f"{field}-error" in str(typed.attrs.get("aria-describedby"))
    assert page.one(id="email").attrs["value"] == email  # what was typed stays…
    assert page.one(id="password").attrs["value"] == ""  # …except the password
    assert password not in response.text
    assert visitor.http.get("/dashboard").status_code == 303  # still signed out


def test_sign_up_with_a_taken_email(developer: Dashboard, visitor: Dashboard) -> None:
    response = visitor.sign_up(developer.email.upper())
    assert response.status_code == 422
    assert "An account with this email already exists" in Page(response.text).alerts()


def test_sign_in_with_a_wrong_password(developer: Dashboard, visitor: Dashboard) -> None:
    response = visitor.submit("/dashboard/sign-in", email=developer.email, password="not the password")

    assert response.status_code == 422
    page = Page(response.text)
    assert page.alerts() == ["Email or password is not right"]
    assert page.one(id="email").attrs["value"] == developer.email
    assert "not the password" not in response.text
    assert visitor.http.get("/dashboard").status_code == 303


def test_sign_in_with_an_unknown_email(visitor: Dashboard) -> None:
    response = visitor.submit("/dashboard/sign-in", email="nobody@example.com", password=PASSWORD)
    assert response.status_code == 422
    assert Page(response.text).alerts() == ["Email or password is not right"]


def test_sign_in_and_sign_out(developer: Dashboard, visitor: Dashboard) -> None:
    response = visitor.submit("/dashboard/sign-in", email=f"  {developer.email.upper()} ", password=PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    assert visitor.http.get("/dashboard").status_code == 200
    assert visitor.http.get("/dashboard/sign-in").headers["location"] == "/dashboard"

    response = visitor.submit("/dashboard", "/dashboard/sign-out")

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/sign-in"
    assert visitor.page("/dashboard/sign-in").testid("notice") == "You are signed out."
    assert visitor.http.get("/dashboard").status_code == 303


def test_signing_out_ends_every_copy_of_the_session(calgate: LiveServer, developer: Dashboard) -> None:
    with httpx.Client(base_url=calgate.url, follow_redirects=False, cookies=dict(developer.http.cookies)) as copy:
        assert copy.get("/dashboard").status_code == 200  # a copied cookie works while signed in
        developer.submit("/dashboard", "/dashboard/sign-out")
        assert copy.get("/dashboard").status_code == 303  # and not after signing out


def test_repeated_wrong_passwords_lock_sign_in(developer: Dashboard, visitor: Dashboard) -> None:
    for _ in range(developers.MAX_FAILED_SIGN_INS):
        assert visitor.submit("/dashboard/sign-in", email=developer.email, password="guess").status_code == 422
    response = visitor.submit("/dashboard/sign-in", email=developer.email, password=PASSWORD)
    assert response.status_code == 422
    assert Page(response.text).alerts() == ["Too many wrong passwords: try again in 15 minutes"]
    assert visitor.http.get("/dashboard").status_code == 303


def test_the_lock_ends_and_a_right_password_resets_the_count(services) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    with services.uow() as uow:
        developers.sign_up(uow, "lock@example.com", PASSWORD)
        uow.commit()
    for _ in range(developers.MAX_FAILED_SIGN_INS):
        with services.uow() as uow, pytest.raises(ValidationFailed):
            developers.sign_in(uow, "lock@example.com", "guess", now)
    with services.uow() as uow, pytest.raises(ValidationFailed) as locked:
        developers.sign_in(uow, "lock@example.com", PASSWORD, now + dt.timedelta(minutes=14))
    assert locked.value.errors["password"][0][0] == "errors.locked"
    with services.uow() as uow:
        developers.sign_in(uow, "lock@example.com", PASSWORD, now + developers.LOCKOUT)
        uow.commit()
    with services.uow() as uow:  # four wrong ones after a right one do not lock
        for _ in range(developers.MAX_FAILED_SIGN_INS - 1):
            with pytest.raises(ValidationFailed):
                developers.sign_in(uow, "lock@example.com", "guess", now + developers.LOCKOUT)
        assert developers.sign_in(uow, "lock@example.com", PASSWORD, now + developers.LOCKOUT).email == "lock@example.com"


def test_sign_in_starts_a_fresh_session(developer: Dashboard, visitor: Dashboard) -> None:
    """The CSRF token of the signed-out session must not survive sign-in (session fixation)."""
    before = csrf(visitor.http.get("/dashboard/sign-in").text)
    response = visitor.http.post(
        "/dashboard/sign-in", data={"csrf_token": before, "email": developer.email, "password": PASSWORD}
    )
    assert response.status_code == 303

    stale = visitor.http.post("/dashboard/sign-out", data={"csrf_token": before})

    assert stale.status_code == 403
    assert csrf(visitor.http.get("/dashboard").text) != before
    assert visitor.http.get("/dashboard").status_code == 200  # still signed in


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_posts_without_the_right_csrf_token_are_refused(visitor: Dashboard, token: str | None) -> None:
    visitor.http.get("/dashboard/sign-up")  # the session has a token, the form does not send it
    data = {"email": "someone@example.com", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token

    response = visitor.http.post("/dashboard/sign-up", data=data)

    assert response.status_code == 403
    assert "This form has expired" in Page(response.text).headings()
    assert visitor.http.get("/dashboard").status_code == 303  # no account, no session


def test_signed_in_posts_need_the_token_too(calgate: LiveServer, developer: Dashboard) -> None:
    response = developer.http.post(
        "/dashboard/apps/new", data={"csrf_token": "forged", "name": "Evil", "redirect_uris": "https://evil.example/cb"}
    )
    assert response.status_code == 403
    assert developer.http.post("/dashboard/sign-out", data={}).status_code == 403
    assert developer.http.get("/dashboard").status_code == 200  # still signed in
    with calgate.services.uow() as uow:
        assert uow.applications.all() == []


def test_signed_out_posts_go_to_sign_in(visitor: Dashboard) -> None:
    response = visitor.submit(
        "/dashboard/sign-in", "/dashboard/apps/new", name="Acme", redirect_uris="https://acme.example/cb"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/sign-in"
