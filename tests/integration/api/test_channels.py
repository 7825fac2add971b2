"""Push notification channels over HTTP: POST, GET /v1/channels, DELETE /v1/channels/{id}, and
the signed callbacks the job queue delivers (wire notes §4.4)."""

from __future__ import annotations

import datetime as dt
import time

import httpx
import pytest
from sqlalchemy import select

from calgate.domain.model import Job
from calgate.jobs.webhooks import raw_body, sign
from tests.integration.api._read_events import connect, ok, restrict_scope
from tests.support.factories import make_application
from tests.support.webhooks import receiving

CHANNELS = "/v1/channels"


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, features={"no_calendar"})


@pytest.fixture
def person(calgate, app):
    return connect(calgate, app)


@pytest.fixture
def receiver():
    with receiving() as receiver:
        yield receiver


def create(calgate, holder, callback_url, **fields) -> httpx.Response:
    return httpx.post(f"{calgate.url}{CHANNELS}", json={"callback_url": callback_url, **fields}, headers=holder.headers)


def listed(calgate, holder) -> list[dict]:
    return ok(httpx.get(f"{calgate.url}{CHANNELS}", headers=holder.headers))["channels"]


def close(calgate, holder, channel_id: str) -> httpx.Response:
    return httpx.request("DELETE", f"{calgate.url}{CHANNELS}/{channel_id}", headers=holder.headers, content=b"[]")


def push_jobs(calgate) -> list[Job]:
    with calgate.services.uow() as uow:
        return list(uow.session.scalars(select(Job).where(Job.kind == "push_notification").order_by(Job.created_at)))


def settled(calgate, job_id: str, attempts: int, timeout: float = 10.0) -> Job:
    """The job once its ``attempts``-th try has been recorded."""
    deadline = time.monotonic() + timeout
    while True:
        with calgate.services.uow() as uow:
            job = uow.jobs.get(job_id)
        if job.attempts == attempts and job.locked_until is None and (job.status != "pending" or job.last_error):
            return job
        assert time.monotonic() < deadline, f"job {job_id} did not settle after attempt {attempts}"
        time.sleep(0.02)


@pytest.mark.parametrize(
    "secret, expected",
    [
        ("opposable thumbs", "38ArsN7+J/O8joGsgirVEdV16a/+eb+5QgHGIiuv4hk="),
        ("pDY0Oi7TJSP2hfNmZNkm5", "6r2/HjBkqymGegX0wOfifieeUXbbHwtV/LohHS+jv6c="),
    ],
)
def test_signatures_match_the_published_test_vectors(secret, expected):
    assert raw_body({"example": "well-known"}) == b'{"example":"well-known"}'
    assert sign(secret, raw_body({"example": "well-known"})) == expected


def test_create_answers_the_channel_and_a_signed_verification_arrives(calgate, app, person, receiver):
    channel = ok(create(calgate, person, receiver.url))["channel"]
    assert channel["channel_id"].startswith("chn_")
    assert channel == {"channel_id": channel["channel_id"], "callback_url": receiver.url, "filters": {}}

    [callback] = receiver.wait_for(1)
    assert callback.method == "POST" and callback.path == "/hooks/calgate"
    assert callback.headers["content-type"] == "application/json; charset=utf-8"
    assert callback.body == raw_body({"notification": {"type": "verification"}, "channel": channel})
    assert callback.headers["cronofy-hmac-sha256"] == sign(app.client_secret, callback.body)
    [job] = push_jobs(calgate)
    assert job.ordering_key == channel["channel_id"] and job.payload["application_id"] == app.application_id


def test_identical_create_answers_the_same_channel_and_filters_are_echoed(calgate, person, receiver):
    filters = {"calendar_ids": [person.calendar_id], "only_managed": True}
    first = ok(create(calgate, person, receiver.url, filters={**filters, "future_filter": "x"}))["channel"]
    assert first["filters"] == filters  # unknown keys tolerated, not kept
    again = ok(create(calgate, person, receiver.url, filters={"only_managed": "true", "calendar_ids": [person.calendar_id]}))
    assert again["channel"] == first

    unfiltered = ok(create(calgate, person, receiver.url))["channel"]
    defaults = ok(create(calgate, person, receiver.url, filters={"only_managed": False, "calendar_ids": []}))["channel"]
    assert unfiltered["channel_id"] != first["channel_id"] and defaults == unfiltered  # defaults are no filters
    other_url = ok(create(calgate, person, receiver.url + "?n=2", filters=filters))["channel"]
    assert other_url["channel_id"] not in (first["channel_id"], unfiltered["channel_id"])

    assert listed(calgate, person) == [first, unfiltered, other_url]
    assert len(push_jobs(calgate)) == 3  # one verification per channel, none for the repeats
    assert len(receiver.wait_for(3)) == 3


def test_close_answers_202_and_the_channel_is_gone(calgate, person, receiver):
    first = ok(create(calgate, person, receiver.url))["channel"]
    second = ok(create(calgate, person, receiver.url + "?n=2"))["channel"]
    assert listed(calgate, person) == [first, second]

    response = close(calgate, person, first["channel_id"])
    assert response.status_code == 202 and response.content == b""
    assert listed(calgate, person) == [second]
    again = close(calgate, person, first["channel_id"])
    assert again.status_code == 404 and again.json()["error"] == "not_found"
    assert close(calgate, person, "chn_unknown").status_code == 404


def test_another_application_can_neither_see_nor_close_a_channel(calgate, person, receiver):
    channel = ok(create(calgate, person, receiver.url))["channel"]
    stranger = connect(calgate)
    assert listed(calgate, stranger) == []
    assert close(calgate, stranger, channel["channel_id"]).status_code == 404
    assert listed(calgate, person) == [channel]


@pytest.mark.parametrize(
    "body, field, key",
    [
        ({}, "callback_url", "errors.required"),
        ({"callback_url": "not a url"}, "callback_url", "errors.invalid"),
        ({"callback_url": "/relative/path"}, "callback_url", "errors.invalid"),
        ({"callback_url": "ftp://example.com/hook"}, "callback_url", "errors.invalid"),
        ({"callback_url": "https://example.com/" + "a" * 2030}, "callback_url", "errors.too_long"),
        ({"callback_url": "https://example.com/hook", "filters": "all"}, "filters", "errors.invalid"),
        ({"callback_url": "https://example.com/hook", "filters": {"calendar_ids": "cal_unknown"}}, "calendar_ids", "errors.invalid"),
        ({"callback_url": "https://example.com/hook", "filters": {"calendar_ids": [7]}}, "calendar_ids", "errors.invalid"),
        ({"callback_url": "https://example.com/hook", "filters": {"only_managed": "maybe"}}, "only_managed", "errors.invalid"),
    ],
)
def test_invalid_requests_answer_422_in_cronofys_shape(calgate, person, body, field, key):
    response = httpx.post(f"{calgate.url}{CHANNELS}", json=body, headers=person.headers)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"][field]
    assert error["key"] == key and error["description"]
    assert listed(calgate, person) == []


def test_a_calendar_of_another_account_is_not_a_filter(calgate, app, person):
    other = connect(calgate, app)
    response = create(calgate, person, "https://example.com/hook", filters={"calendar_ids": [other.calendar_id]})
    assert response.status_code == 422
    assert other.calendar_id in response.json()["errors"]["calendar_ids"][0]["description"]


def test_an_account_has_at_most_128_open_channels(calgate, person, receiver):
    with httpx.Client(base_url=calgate.url, headers=person.headers) as client:
        made = [client.post(CHANNELS, json={"callback_url": f"{receiver.url}?n={n}"}) for n in range(128)]
        assert {r.status_code for r in made} == {200}
        over = client.post(CHANNELS, json={"callback_url": f"{receiver.url}?n=128"})
        assert over.status_code == 422
        assert over.json()["errors"]["channels"][0]["key"] == "errors.limit_reached"
        assert client.post(CHANNELS, json={"callback_url": f"{receiver.url}?n=5"}).json() == made[5].json()
        assert close(calgate, person, made[0].json()["channel"]["channel_id"]).status_code == 202
        assert client.post(CHANNELS, json={"callback_url": f"{receiver.url}?n=128"}).status_code == 200
    assert len(listed(calgate, person)) == 128


def test_a_failing_callback_is_retried_until_it_answers_2xx(calgate, app, person):
    with receiving([500, 503]) as receiver:
        ok(create(calgate, person, receiver.url))
        receiver.wait_for(1)
        [job] = push_jobs(calgate)
        for attempt in (1, 2):
            job = settled(calgate, job.id, attempt)
            assert job.status == "pending" and "HTTP 50" in job.last_error
            assert calgate.services.jobs.run_once(now=job.run_after + dt.timedelta(seconds=1))
        first, second, third = receiver.wait_for(3)
    assert first.body == second.body == third.body
    assert {c.headers["cronofy-hmac-sha256"] for c in (first, second, third)} == {sign(app.client_secret, first.body)}
    done = settled(calgate, job.id, 3)
    assert done.status == "done" and done.last_error is None


def test_channels_need_read_free_busy_which_read_events_implies(calgate, person, receiver):
    channel = ok(create(calgate, person, receiver.url))["channel"]
    restrict_scope(calgate, person, "read_account list_calendars create_event delete_event")
    for response in (
        create(calgate, person, receiver.url + "?n=2"),
        httpx.get(f"{calgate.url}{CHANNELS}", headers=person.headers),
        close(calgate, person, channel["channel_id"]),
    ):
        assert response.status_code == 403
        assert response.json()["scope"] == "read_free_busy"
    restrict_scope(calgate, person, "free_busy")  # availability only: enough for channels
    assert ok(create(calgate, person, receiver.url + "?n=2"))["channel"]["filters"] == {}
    assert len(listed(calgate, person)) == 2


def test_channels_need_an_access_token(calgate):
    response = httpx.post(f"{calgate.url}{CHANNELS}", json={"callback_url": "https://example.com/hook"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
