"""Smart Invites over HTTP (wire notes §4.9): pycronofy's upsert, get and cancel against a live
calgate whose invitations go out over a real SMTP server; SEQUENCE on updates, cancels of the
whole and of one recipient, 422s in Cronofy's shape, 404s, and one application's invitations
invisible to another."""

from __future__ import annotations

import datetime as dt
from email.message import Message

import httpx
import icalendar
import pycronofy
import pycronofy.settings
import pytest

from tests.support.application_calendars import make_application_calendar
from tests.support.factories import make_application
from tests.support.itip import calendar_part
from tests.support.smtp_inbox import Inbox, smtp_fixtures

BOB, CAROL = "bob@example.com", "carol@example.com"
EVENT = {
    "summary": "Board meeting",
    "description": "Discuss plans for the next quarter.",
    "start": "2027-03-05T09:30:00Z",
    "end": "2027-03-05T10:00:00Z",
    "tzid": "Europe/London",
    "location": {"description": "Board room"},
}
CALLBACK = "https://example.test/cronofy/smart_invite/notifications"


smtp_server, calgate, inbox = smtp_fixtures("smart")


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, name="Acme Boards")


@pytest.fixture
def client(calgate, app, monkeypatch):
    monkeypatch.setattr(pycronofy.settings, "API_BASE_URL", calgate.url)
    monkeypatch.setattr(pycronofy.settings, "APP_BASE_URL", calgate.url)
    return pycronofy.Client(client_id=app.client_id, client_secret=app.client_secret)


def post(calgate, secret, body) -> httpx.Response:
    return httpx.post(f"{calgate.url}/v1/smart_invites", json=body, headers={"Authorization": f"Bearer {secret}"})


def get(calgate, secret, **params) -> httpx.Response:
    return httpx.get(f"{calgate.url}/v1/smart_invites", params=params, headers={"Authorization": f"Bearer {secret}"})


def vevent(ics: str | bytes) -> tuple[icalendar.Calendar, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(ics)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def attendees(event: icalendar.Event) -> list[str]:
    found = event.get("attendee")
    found = found if isinstance(found, list) else [found] if found is not None else []
    return sorted(str(a).removeprefix("mailto:") for a in found)


def subject(message: Message) -> str:
    return " ".join(str(message["Subject"]).split())  # unfolded


def method_of(message: Message) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return str(part.get_param("method"))


def test_pycronofy_upsert_mails_the_request_it_answers_over_smtp(calgate, inbox, client):
    result = client.upsert_smart_invite("board-1", {"email": BOB}, dict(EVENT), callback_url=CALLBACK, organizer={"name": "Acme Boards"})
    assert result["smart_invite_id"] == "board-1" and result["callback_url"] == CALLBACK
    assert result["recipient"] == {"email": BOB, "status": "pending"}
    assert result["event"]["summary"] == "Board meeting"
    assert result["event"]["start"] == {"time": "2027-03-05T09:30:00Z", "tzid": "Europe/London"}
    calendar, event = vevent(result["attachments"]["icalendar"])
    assert str(calendar["method"]) == "REQUEST"
    assert str(event["uid"]).startswith("smi_") and int(event["sequence"]) == 0
    assert event.decoded("dtstart") == dt.datetime(2027, 3, 5, 9, 30, tzinfo=dt.timezone.utc)
    assert str(event["summary"]) == "Board meeting" and str(event["location"]) == "Board room"
    assert str(event["organizer"]) == f"mailto:{calgate.settings.organizer_email}"
    assert event["organizer"].params["CN"] == "Acme Boards"
    assert attendees(event) == [BOB]

    [message] = inbox.wait_for(BOB)
    assert method_of(message) == "REQUEST"
    assert subject(message).startswith("Invitation: Board meeting")
    # What the recipient's calendar app acts on is exactly what the application was given.
    assert calendar_part(message) == result["attachments"]["icalendar"].encode()


def test_pycronofy_multiple_recipients_and_get_each_ones_status(calgate, inbox, client):
    result = client.upsert_smart_invite("board-2", [{"email": BOB}, {"email": CAROL}], dict(EVENT))
    assert result["recipients"] == [{"email": BOB, "status": "pending"}, {"email": CAROL, "status": "pending"}]
    _, event = vevent(result["attachments"]["icalendar"])
    assert attendees(event) == [BOB, CAROL]
    for person in (BOB, CAROL):
        [message] = inbox.wait_for(person)
        assert attendees(vevent(calendar_part(message))[1]) == [BOB, CAROL]
        found = client.get_smart_invite("board-2", person)
        assert found["recipient"] == {"email": person, "status": "pending"}
        assert found["attachments"]["icalendar"] == result["attachments"]["icalendar"]
    everyone = get(calgate, client.auth.client_secret, smart_invite_id="board-2").json()
    assert [r["email"] for r in everyone["recipients"]] == [BOB, CAROL]


def test_an_update_raises_sequence_and_a_repeat_sends_nothing(calgate, inbox, client):
    client.upsert_smart_invite("board-3", {"email": BOB}, dict(EVENT))
    inbox.wait_for(BOB, 1)
    moved = {**EVENT, "start": "2027-03-05T11:00:00Z", "end": "2027-03-05T11:30:00Z"}
    result = client.upsert_smart_invite("board-3", {"email": BOB}, dict(moved))
    _, event = vevent(result["attachments"]["icalendar"])
    assert int(event["sequence"]) == 1 and event.decoded("dtstart") == dt.datetime(2027, 3, 5, 11, tzinfo=dt.timezone.utc)
    second = inbox.wait_for(BOB, 2)[1]
    assert subject(second).startswith("Updated invitation") and int(vevent(calendar_part(second))[1]["sequence"]) == 1
    assert vevent(calendar_part(second))[1]["uid"] == event["uid"]

    again = client.upsert_smart_invite("board-3", {"email": BOB}, dict(moved))  # the same once more
    calgate.services.jobs.run_until_idle()
    assert int(vevent(again["attachments"]["icalendar"])[1]["sequence"]) == 1
    assert len(inbox.to(BOB)) == 2


def test_a_new_recipient_gets_the_current_version_and_the_others_nothing_new(calgate, inbox, client):
    client.upsert_smart_invite("board-4", {"email": BOB}, dict(EVENT))
    inbox.wait_for(BOB, 1)
    result = client.upsert_smart_invite("board-4", [{"email": CAROL}], dict(EVENT))
    assert [r["email"] for r in result["recipients"]] == [BOB, CAROL]  # Bob stays invited
    [message] = inbox.wait_for(CAROL)
    assert int(vevent(calendar_part(message))[1]["sequence"]) == 0
    calgate.services.jobs.run_until_idle()
    assert len(inbox.to(BOB)) == 1


def test_pycronofy_cancel_sends_a_cancel_and_marks_the_invitation_cancelled(calgate, inbox, client):
    client.upsert_smart_invite("board-5", {"email": BOB}, dict(EVENT))
    inbox.wait_for(BOB, 1)
    result = client.cancel_smart_invite("board-5", {"email": BOB})
    assert result["status"] == "cancelled" and result["recipient"]["email"] == BOB
    calendar, event = vevent(result["attachments"]["icalendar"])
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 1
    cancel = inbox.wait_for(BOB, 2)[1]
    assert method_of(cancel) == "CANCEL" and subject(cancel).startswith("Cancelled: Board meeting")
    assert calendar_part(cancel) == result["attachments"]["icalendar"].encode()
    found = client.get_smart_invite("board-5", BOB)
    assert found["status"] == "cancelled" and str(vevent(found["attachments"]["icalendar"])[0]["method"]) == "CANCEL"

    client.cancel_smart_invite("board-5", {"email": BOB})  # cancelling again sends nothing
    calgate.services.jobs.run_until_idle()
    assert len(inbox.to(BOB)) == 2


def test_cancelling_one_of_two_recipients_uninvites_only_them(calgate, inbox, client):
    client.upsert_smart_invite("board-6", [{"email": BOB}, {"email": CAROL}], dict(EVENT))
    inbox.wait_for(CAROL, 1)
    result = client.cancel_smart_invite("board-6", [{"email": CAROL}])
    assert result["status"] == "active"
    assert result["recipients"] == [
        {"email": BOB, "status": "pending"}, {"email": CAROL, "status": "pending", "cancelled": True},
    ]
    cancel = inbox.wait_for(CAROL, 2)[1]
    calendar, event = vevent(calendar_part(cancel))
    assert str(calendar["method"]) == "CANCEL" and "status" not in event and attendees(event) == [CAROL]
    assert client.get_smart_invite("board-6", BOB)["status"] == "active"
    calgate.services.jobs.run_until_idle()
    assert len(inbox.to(BOB)) == 1


def test_upserting_a_cancelled_invitation_invites_again_with_a_new_sequence(calgate, inbox, client):
    client.upsert_smart_invite("board-7", {"email": BOB}, dict(EVENT))
    client.cancel_smart_invite("board-7", {"email": BOB})
    result = client.upsert_smart_invite("board-7", {"email": BOB}, dict(EVENT))
    assert result["status"] == "active" and result["recipient"] == {"email": BOB, "status": "pending"}
    assert int(vevent(result["attachments"]["icalendar"])[1]["sequence"]) == 2
    third = inbox.wait_for(BOB, 3)[2]
    assert method_of(third) == "REQUEST" and int(vevent(calendar_part(third))[1]["sequence"]) == 2


@pytest.mark.parametrize(
    "change, field, key",
    [
        ({"smart_invite_id": None}, "smart_invite_id", "errors.required"),
        ({"smart_invite_id": 7}, "smart_invite_id", "errors.invalid"),
        ({"smart_invite_id": "x" * 201}, "smart_invite_id", "errors.too_long"),
        ({"recipient": None}, "recipient", "errors.required"),
        ({"recipients": [{"email": CAROL}]}, "recipient", "errors.required"),  # both
        ({"recipient": {"email": "not an address"}}, "recipient", "errors.invalid"),
        ({"recipient": None, "recipients": []}, "recipients", "errors.invalid"),
        ({"recipient": None, "recipients": [{"email": f"p{i}@example.com"} for i in range(51)]}, "recipients", "errors.too_many"),
        ({"event": None}, "event", "errors.required"),
        ({"event": "Board meeting"}, "event", "errors.invalid"),
        ({"event": {**EVENT, "summary": ""}}, "event.summary", "errors.required"),
        ({"event": {**EVENT, "end": "2027-03-05T09:00:00Z"}}, "event.end", "errors.invalid"),
        ({"event": {**EVENT, "start": "soon"}}, "event.start", "errors.invalid"),
        ({"event": {**EVENT, "tzid": "Mars/Olympus"}}, "event.tzid", "errors.invalid"),
        ({"method": "remove"}, "method", "errors.invalid"),
        ({"callback_url": "ftp://example.test/x"}, "callback_url", "errors.invalid"),
        ({"organizer": {"name": 42}}, "organizer", "errors.invalid"),
    ],
)
def test_invalid_requests_answer_422_in_cronofys_shape(calgate, inbox, app, change, field, key):
    body = {"smart_invite_id": "bad-1", "recipient": {"email": BOB}, "event": dict(EVENT), **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = post(calgate, app.client_secret, body)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert field in errors, errors
    assert {"key", "description"} <= set(errors[field][0]) and errors[field][0]["key"] == key
    assert get(calgate, app.client_secret, smart_invite_id="bad-1").status_code == 404  # nothing was kept
    calgate.services.jobs.run_until_idle()
    assert inbox.to(BOB) == []


def test_get_validates_and_names_what_is_not_found(calgate, app, client):
    client.upsert_smart_invite("board-8", {"email": BOB}, dict(EVENT))
    missing = get(calgate, app.client_secret, recipient_email=BOB)
    assert missing.status_code == 422 and missing.json()["errors"]["smart_invite_id"][0]["key"] == "errors.required"
    assert get(calgate, app.client_secret, smart_invite_id="board-8", recipient_email="nope").status_code == 422
    for params in ({"smart_invite_id": "never"}, {"smart_invite_id": "board-8", "recipient_email": CAROL}):
        response = get(calgate, app.client_secret, **params)
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    cancel = post(calgate, app.client_secret, {"smart_invite_id": "never", "method": "cancel", "recipient": {"email": BOB}})
    assert cancel.status_code == 404
    stranger = post(calgate, app.client_secret, {"smart_invite_id": "board-8", "method": "cancel", "recipient": {"email": CAROL}})
    assert stranger.status_code == 422 and stranger.json()["errors"]["recipient"][0]["key"] == "errors.not_invited"


def test_another_applications_invitations_do_not_exist_for_it(calgate, inbox, app, client):
    client.upsert_smart_invite("board-9", {"email": BOB}, dict(EVENT))
    other = make_application(calgate.services, name="Other Co")
    assert get(calgate, other.client_secret, smart_invite_id="board-9", recipient_email=BOB).status_code == 404
    cancel = post(calgate, other.client_secret, {"smart_invite_id": "board-9", "method": "cancel", "recipient": {"email": BOB}})
    assert cancel.status_code == 404
    # The same key is the other application's own, separate invitation.
    theirs = post(calgate, other.client_secret, {"smart_invite_id": "board-9", "recipient": {"email": CAROL}, "event": dict(EVENT)})
    assert theirs.status_code == 202
    assert vevent(theirs.json()["attachments"]["icalendar"])[1]["uid"] != vevent(client.get_smart_invite("board-9", BOB)["attachments"]["icalendar"])[1]["uid"]
    assert client.get_smart_invite("board-9", BOB)["status"] == "active"
    assert get(calgate, app.client_secret, smart_invite_id="board-9", recipient_email=CAROL).status_code == 404


def test_smart_invites_need_the_api_key(calgate, app):
    person = make_application_calendar(calgate, app)  # an access token of the same application
    body = {"smart_invite_id": "board-10", "recipient": {"email": BOB}, "event": dict(EVENT)}
    for headers in ({}, person.headers, {"Authorization": "Bearer not-a-secret"}):
        response = httpx.post(f"{calgate.url}/v1/smart_invites", json=body, headers=headers)
        assert response.status_code == 401, response.text
        assert httpx.get(f"{calgate.url}/v1/smart_invites", params={"smart_invite_id": "board-10"}, headers=headers).status_code == 401
