# SPDX-License-Identifier: Apache-2.0
"""The dashboard's connected accounts (web/dashboard/connected.py), on the live server with a
real Radicale: the list with access mode, provider, state and sync lag, its filters, an
account's calendars and week view, revoking, and the privacy promise of free_busy mode (the
account page's HTML holds no event detail, because calgate holds none)."""

from __future__ import annotations

import datetime as dt
import secrets

import httpx
import pytest

from tests.integration.web._dashboard import Dashboard, app_credentials
from tests.integration.web._pages import Page
from tests.support.caldav import connect_caldav, private_event
from tests.support.factories import AppCredentials
from tests.support.people import connect_no_access, upsert
from tests.support.server import LiveServer
from tests.support.syncing import eventually, sync_and_wait, sync_now

DAY = dt.date.today() + dt.timedelta(days=3)


@pytest.fixture
def app(calgate: LiveServer, developer: Dashboard) -> AppCredentials:
    application_id = developer.create_app(name="Acme Scheduling", feature_no_calendar="on", feature_free_busy="on")
    return app_credentials(calgate, application_id)


def accounts(dashboard: Dashboard, app: AppCredentials, query: str = "") -> dict[str, dict[str, str]]:
    page = dashboard.page(f"/dashboard/apps/{app.application_id}/accounts{query}")
    rows = {}
    for row in [e for e in page.tags("tr") if "data-account" in e.attrs]:
        cells = [c.clean_text for c in row.children if c.tag == "td"]
        rows[str(row.attrs["data-account"])] = {
            "mode": str(row.attrs["data-mode"]), "state": str(row.attrs["data-state"]),
            "provider": cells[2], "shown_state": cells[3], "lag": cells[5],
        }
    return rows


def bars(page: Page, testid: str = "week") -> list[tuple[str, str, str]]:
    figure = page.one(data_testid=testid)
    found: list[tuple[str, str, str]] = []

    def walk(element) -> None:  # type: ignore[no-untyped-def]
        if element.attrs.get("data-kind"):
            found.append((str(element.attrs["data-kind"]), str(element.attrs["data-start"]), str(element.attrs["data-end"])))
        for child in element.children:
            walk(child)

    walk(figure)
    return sorted(set(found), key=lambda b: b[1])


def test_the_list_shows_mode_provider_state_and_lag_and_filters(calgate, radicale, developer, app) -> None:  # type: ignore[no-untyped-def]
    hosted = connect_no_access(calgate.services, app, "ada@example.com")
    writer_user, busy_user = radicale.new_user(), radicale.new_user()
    radicale.make_calendar(writer_user, "work", "Work")
    radicale.make_calendar(busy_user, "work", "Work")
    writer = connect_caldav(calgate, app, radicale.url, writer_user)
    busy = connect_caldav(calgate, app, radicale.url, busy_user, access_mode="free_busy")
    writer_id, busy_id = writer.tokens["sub"], busy.tokens["sub"]
    sync_and_wait(calgate, writer_id)
    sync_and_wait(calgate, busy_id)

    shown = accounts(developer, app)
    assert list(shown) == [busy_id, writer_id, hosted.caller.account.id]  # newest first
    assert shown[hosted.caller.account.id] == {
        "mode": "no_calendar", "state": "connected", "provider": "Hosted by calgate", "shown_state": "Connected", "lag": "–",
    }
    assert shown[writer_id]["mode"] == "read_write" and shown[writer_id]["provider"] == "Other CalDAV server"
    assert shown[busy_id]["mode"] == "free_busy" and shown[busy_id]["state"] == "connected"
    assert shown[busy_id]["lag"].endswith(" s")  # synced moments ago

    assert list(accounts(developer, app, "?mode=free_busy")) == [busy_id]
    assert list(accounts(developer, app, "?provider=caldav")) == [busy_id, writer_id]
    assert list(accounts(developer, app, "?provider=cronofy&mode=no_calendar")) == [hosted.caller.account.id]
    page = developer.page(f"/dashboard/apps/{app.application_id}/accounts?mode=read_write&provider=cronofy")
    assert "No account matches" in page.testid("no-accounts")
    # an unknown filter value is ignored rather than an error
    assert len(accounts(developer, app, "?mode=everything")) == 3


def test_refused_credentials_show_needs_relink_with_the_error(calgate, radicale, developer, app) -> None:  # type: ignore[no-untyped-def]
    user = radicale.new_user()
    radicale.make_calendar(user, "work", "Work")
    person = connect_caldav(calgate, app, radicale.url, user)
    account_id = person.tokens["sub"]
    sync_and_wait(calgate, account_id)
    radicale.change_password(user)
    sync_now(calgate, account_id)

    def relinked() -> bool:
        with calgate.services.uow() as uow:
            return not uow.profiles.of_account(account_id)[0].connected

    eventually(relinked)
    assert accounts(developer, app)[account_id]["state"] == "needs_relink"
    page = developer.page(f"/dashboard/apps/{app.application_id}/accounts/{account_id}")
    assert page.testid("account-state") == "Needs relink"
    assert page.testid("sync-error")


def test_a_no_calendar_account_shows_its_events_in_the_week(calgate, developer, app) -> None:  # type: ignore[no-untyped-def]
    person = connect_no_access(calgate.services, app, "ada@example.com")
    upsert(calgate.services, person, event_id="e1", summary="Interview with Ada",
           start=f"{DAY}T09:00:00Z", end=f"{DAY}T10:30:00Z")
    upsert(calgate.services, person, event_id="e2", summary="Lunch (free)", transparency="transparent",
           start=f"{DAY}T12:00:00Z", end=f"{DAY}T13:00:00Z")
    path = f"/dashboard/apps/{app.application_id}/accounts/{person.caller.account.id}?week={DAY}&tzid=Etc/UTC"
    page = developer.page(path)
    assert page.testid("access-mode") == "No Access" and page.testid("account-state") == "Connected"
    assert bars(page) == [
        ("event", f"{DAY}T09:00:00Z", f"{DAY}T10:30:00Z"),
        ("free", f"{DAY}T12:00:00Z", f"{DAY}T13:00:00Z"),
    ]
    listed = page.one(data_testid="week-items").clean_text
    assert "Interview with Ada" in listed and "Lunch (free)" in listed
    # the next week is empty, and says so
    later = developer.page(path.replace(f"week={DAY}", f"week={DAY + dt.timedelta(days=7)}"))
    assert bars(later) == [] and later.testid("week-empty") == "Nothing this week."
    # shown in another zone, the same instants fall on the same bars
    assert bars(developer.page(path.replace("Etc/UTC", "Asia/Tokyo"))) == bars(page)


def test_the_free_busy_account_page_holds_no_event_detail(calgate, radicale, developer, app) -> None:  # type: ignore[no-untyped-def]
    marker = "zq" + secrets.token_hex(8)
    user = radicale.new_user()
    collection = radicale.make_calendar(user, "private", "Private")
    radicale.put(f"{collection}a.ics", private_event(DAY, "a", marker, "100000", "110000"))
    radicale.put(f"{collection}b.ics", private_event(DAY, "b", marker, "130000", "133000", "STATUS:TENTATIVE\r\n"))
    radicale.put(f"{collection}c.ics", private_event(DAY, "c", marker, "150000", "160000", "TRANSP:TRANSPARENT\r\n"))
    person = connect_caldav(calgate, app, radicale.url, user, access_mode="free_busy")
    account_id = person.tokens["sub"]
    sync_and_wait(calgate, account_id)

    response = developer.http.get(f"/dashboard/apps/{app.application_id}/accounts/{account_id}?week={DAY}&tzid=Etc/UTC")
    assert response.status_code == 200
    assert marker not in response.text
    assert "Divorce" not in response.text and "papers" not in response.text
    page = Page(response.text)
    assert "only when this person is busy" in page.testid("free-busy-notice")
    assert bars(page) == [
        ("busy", f"{DAY}T10:00:00Z", f"{DAY}T11:00:00Z"),
        ("tentative", f"{DAY}T13:00:00Z", f"{DAY}T13:30:00Z"),
    ]
    assert page.find(data_testid="week-items")[0].clean_text.count("busy") == 1


def test_revoking_ends_access_for_this_application_only(calgate, developer, other_developer, app) -> None:  # type: ignore[no-untyped-def]
    person = connect_no_access(calgate.services, app, "ada@example.com")
    account_id = person.caller.account.id
    other_app = app_credentials(calgate, other_developer.create_app(name="Other", feature_no_calendar="on"))
    other_person = connect_no_access(calgate.services, other_app, "ada@example.com")

    base = f"/dashboard/apps/{app.application_id}/accounts"
    # another developer cannot see or revoke it: the same 404 as an unknown id
    other_developer.page(base, status=404)
    other_developer.page(f"{base}/{account_id}", status=404)
    assert other_developer.submit(f"/dashboard/apps/{other_app.application_id}/accounts",
                                  f"{base}/{account_id}/revoke").status_code == 404
    # nor through their own application's address
    other_base = f"/dashboard/apps/{other_app.application_id}/accounts"
    assert other_developer.submit(other_base, f"{other_base}/{account_id}/revoke").status_code == 404
    developer.page(f"{base}/acc_unknown", status=404)

    response = developer.submit(base, f"{base}/{account_id}/revoke")
    assert response.status_code == 303 and response.headers["location"] == base
    assert "revoked" in developer.page(base).testid("notice")
    assert accounts(developer, app)[account_id]["state"] == "revoked"
    with calgate.services.uow() as uow:
        assert all(g.revoked_at is not None for g in uow.grants.of_account(app.application_id, account_id))
        assert all(p.revoked_at is not None for p in uow.profiles.of_account(account_id))
        assert all(p.revoked_at is None for p in uow.profiles.of_account(other_person.caller.account.id))
    assert accounts(other_developer, other_app)[other_person.caller.account.id]["state"] == "connected"


def test_the_pages_need_a_signed_in_developer_and_a_csrf_token(calgate, developer, app) -> None:  # type: ignore[no-untyped-def]
    base = f"/dashboard/apps/{app.application_id}/accounts"
    with httpx.Client(base_url=calgate.url, follow_redirects=False) as visitor:
        assert visitor.get(base).headers["location"] == "/dashboard/sign-in"
        assert visitor.get(f"{base}/acc_x").headers["location"] == "/dashboard/sign-in"
    person = connect_no_access(calgate.services, app, "ada@example.com")
    response = developer.http.post(f"{base}/{person.caller.account.id}/revoke", data={})
    assert response.status_code == 403
    assert accounts(developer, app)[person.caller.account.id]["state"] == "connected"
    app_page = developer.page(f"/dashboard/apps/{app.application_id}")
    assert any(a.attrs.get("href") == base for a in app_page.tags("a"))
