# SPDX-License-Identifier: Apache-2.0
"""Over CALGATE_RATE_LIMIT an application gets 429 with Retry-After, in the Cronofy-style JSON
error shape; other applications are not slowed down."""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.integration.api._read_events import connect
from tests.support.factories import make_application
from tests.support.server import LiveServer, database_url, make_settings


@pytest.fixture(params=BACKENDS)
def limited(request, tmp_path: Path) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    with database_url(request.param, tmp_path) as url:
        server = LiveServer(make_settings(url, tmp_path, rate_limit=60, rate_limit_burst=3)).start()
        try:
            yield server
        finally:
            server.stop()


def test_an_application_over_its_limit_waits_and_others_do_not(limited: LiveServer) -> None:
    app, other = make_application(limited.services, features={"no_calendar"}), make_application(limited.services, features={"no_calendar"})
    ada, bob = connect(limited, app), connect(limited, other)
    time.sleep(3.2)  # connecting called the API too: let the buckets fill up again (one a second)
    answers = [httpx.get(f"{limited.url}/v1/account", headers=ada.headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].headers["retry-after"] == "1"
    assert answers[3].json()["error"] == "rate_limited"
    # The API key counts for the same application; another application is not slowed down.
    body = {"participants": [{"members": [ada.account_id]}], "required_duration": {"minutes": 30},
            "query_periods": [{"start": "2027-01-11T09:00:00Z", "end": "2027-01-11T10:00:00Z"}]}
    key = {"Authorization": f"Bearer {app.client_secret}"}
    statuses = [httpx.post(f"{limited.url}/v1/availability", json=body, headers=key).status_code for _ in range(5)]
    assert 429 in statuses and set(statuses) <= {200, 429}
    assert httpx.get(f"{limited.url}/v1/account", headers=bob.headers).status_code == 200
