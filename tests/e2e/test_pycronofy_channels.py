# SPDX-License-Identifier: Apache-2.0
"""pycronofy manages push notification channels end to end, and its own ``hmac_valid`` accepts
the callbacks calgate signs (wire notes §4.4, §9.1)."""

from __future__ import annotations

import pytest
from pycronofy.exceptions import PyCronofyRequestError

from tests.support.factories import make_application
from tests.support.webhooks import receiving


@pytest.fixture
def receiver():
    with receiving() as receiver:
        yield receiver


def test_channel_lifecycle_and_signed_verification(client, receiver):
    [calendar] = client.list_calendars()
    calendar_id = calendar["calendar_id"]
    channel = client.create_notification_channel(receiver.url, calendar_ids=(calendar_id,), only_managed=True)
    assert channel["channel_id"].startswith("chn_")
    assert channel["callback_url"] == receiver.url
    assert channel["filters"] == {"calendar_ids": [calendar_id], "only_managed": True}
    assert client.create_notification_channel(receiver.url, calendar_ids=(calendar_id,), only_managed=True) == channel
    plain = client.create_notification_channel(receiver.url)
    assert plain["filters"] == {}
    assert client.list_notification_channels() == [channel, plain]

    callbacks = receiver.wait_for(2)
    for callback in callbacks:
        assert client.hmac_valid(callback.headers["cronofy-hmac-sha256"], callback.body.decode("utf-8"))
        assert not client.hmac_valid("not-the-signature", callback.body.decode("utf-8"))
    assert sorted(c.json["channel"]["channel_id"] for c in callbacks) == sorted([channel["channel_id"], plain["channel_id"]])
    assert {c.json["notification"]["type"] for c in callbacks} == {"verification"}

    assert client.close_notification_channel(channel["channel_id"]) is None
    assert client.list_notification_channels() == [plain]
    with pytest.raises(PyCronofyRequestError) as raised:
        client.close_notification_channel(channel["channel_id"])
    assert raised.value.response.status_code == 404


def test_a_channel_is_invisible_to_another_application(calgate, sdk, client, receiver):
    channel = client.create_notification_channel(receiver.url)
    other_app = make_application(calgate.services)
    other = sdk.Client(client_id=other_app.client_id, client_secret=other_app.client_secret)
    other.application_calendar("room-101")
    assert other.list_notification_channels() == []
    with pytest.raises(PyCronofyRequestError) as raised:
        other.close_notification_channel(channel["channel_id"])
    assert raised.value.response.status_code == 404
    assert client.list_notification_channels() == [channel]
