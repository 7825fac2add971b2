# SPDX-License-Identifier: Apache-2.0
"""Enterprise Connect through pycronofy itself: the service account's code exchanged by
``get_authorization_from_code``, ``userinfo``, ``authorize_with_service_account`` and
``authorize_multiple_accounts_via_service_account``, then each person's code exchanged by a
client of their own, against the Google stand-in in free_busy mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pycronofy
import pycronofy.settings
import pytest

from tests.conftest import BACKENDS
from tests.integration.providers.test_enterprise_connect import DOMAIN, FREEBUSY, admin_connects, callbacks, google_org
from tests.standins.google import GoogleStandin
from tests.support.factories import make_application
from tests.support.graph_standin import GraphStandin
from tests.support.providers import calgate_with_providers
from tests.support.server import LiveServer
from tests.support.syncing import sync_and_wait
from tests.support.webhooks import Receiver, receiving


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory, google_standin: GoogleStandin, graph_standin: GraphStandin) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    directory = Path(tmp_path_factory.mktemp(f"calgate-sdk-enterprise-{request.param}"))
    with calgate_with_providers(request.param, directory, google_standin, graph_standin) as live:
        yield live


@pytest.fixture
def calgate(server: LiveServer, google_standin: GoogleStandin) -> LiveServer:
    server.reset()
    google_standin.reset()
    return server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running


def test_pycronofy_authorizes_people_through_a_service_account(calgate, sdk, google_standin, receiver):  # type: ignore[no-untyped-def]
    people = [f"sdk{i}@{DOMAIN}" for i in range(3)]
    form = google_org(google_standin, people, [FREEBUSY])
    app = make_application(calgate.services, features={"free_busy"})
    result = admin_connects(calgate, app, form, access_mode="free_busy", provider_name="google")

    service = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
    tokens = service.get_authorization_from_code(result["code"], redirect_uri=app.redirect_uri)
    assert tokens["access_token"] and tokens["refresh_token"]
    info = service.userinfo()
    assert info["cronofy.type"] == "service_account" and info["sub"].startswith("ser_")

    service.authorize_with_service_account(people[0], "free_busy_write", receiver.url, state="one")
    service.authorize_multiple_accounts_via_service_account(
        [{"email": email, "callback_url": receiver.url, "scope": "free_busy_write"} for email in people[1:]], state="batch"
    )
    received = callbacks(receiver, 3)
    assert sorted(c["authorization"]["state"] for c in received) == ["batch", "batch", "one"]
    emails = set()
    for callback in received:
        person = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
        person.get_authorization_from_code(callback["authorization"]["code"], redirect_uri=receiver.url)
        account = person.account()
        assert account["access_mode"] == "free_busy"
        emails.add(account["email"])
        sync_and_wait(calgate, account["account_id"])
        assert [c["profile_name"] for c in person.list_calendars()] == [account["email"]]
    assert emails == set(people)

    refreshed = service.refresh_authorization()
    assert refreshed["access_token"] != tokens["access_token"]
    with pytest.raises(pycronofy.exceptions.PyCronofyRequestError) as caught:
        service.authorize_with_service_account(people[0], "read_write", receiver.url)
    assert caught.value.response.status_code == 422
