# SPDX-License-Identifier: Apache-2.0
"""The availability explorer's copyable request (web/dashboard/snippets.py): the curl command
and the pycronofy script ask exactly the JSON the explorer ran, and never hold the secret."""

from __future__ import annotations

import inspect
import json
import shlex
from typing import Any

import pycronofy

from calgate.web.dashboard import snippets

URL = "https://calgate.example"
BODY: dict[str, Any] = {
    "participants": [{"members": [{"sub": "acc_1", "managed_availability": True}, {"sub": "acc_2"}], "required": "all"}],
    "required_duration": {"minutes": 30},
    "query_periods": [{"start": "2027-01-11T00:00:00Z", "end": "2027-01-18T00:00:00Z"}],
    "response_format": "periods",
    "note": "it's \"quoted\" $HOME `x`",
    "explain": True,
    "include_member_statuses": True,
}


def test_curl_posts_the_body_with_the_secret_from_the_environment() -> None:
    command = snippets.curl(URL + "/", BODY)
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:4] == ["curl", "-X", "POST", f"{URL}/v1/availability"]
    assert words[words.index("-H") + 1] == "Authorization: Bearer $CALGATE_CLIENT_SECRET"
    assert '-H "Authorization: Bearer $CALGATE_CLIENT_SECRET"' in command  # double quotes: the shell fills it in
    assert "Content-Type: application/json" in words
    assert json.loads(words[words.index("--data-raw") + 1]) == BODY  # single-quoted: nothing in it is expanded


def test_pycronofy_arguments_are_those_its_client_takes() -> None:
    arguments, left_out = snippets.pycronofy_arguments(BODY)
    assert set(snippets.PYCRONOFY_ARGUMENTS) <= set(inspect.signature(pycronofy.Client.availability).parameters)
    assert arguments == {
        "participants": BODY["participants"],
        "required_duration": BODY["required_duration"],
        "available_periods": BODY["query_periods"],  # pycronofy's (older) name
        "response_format": "periods",
    }
    assert left_out == ["note", "explain", "include_member_statuses"]


def test_the_pycronofy_script_compiles_and_holds_no_secret() -> None:
    """It runs for real against calgate in tests/e2e/test_explorer_browser.py; here: its text."""
    script = snippets.pycronofy(URL, "client-id-1", BODY)
    compile(script, "snippet.py", "exec")
    assert f"pycronofy.settings.API_BASE_URL = {URL!r}" in script
    assert "client_secret=os.environ['CALGATE_CLIENT_SECRET']" in script
    assert "access_token=os.environ['CALGATE_CLIENT_SECRET']" in script
    assert "# Not pycronofy parameters, so not sent: note, explain, include_member_statuses." in script
    assert all(len(line) <= 110 for line in script.splitlines())


def test_a_body_pycronofy_fully_covers_has_no_left_out_note() -> None:
    body = {k: BODY[k] for k in ("participants", "required_duration", "query_periods")}
    script = snippets.pycronofy(URL, "c", body)
    assert "Not pycronofy parameters" not in script
    assert snippets.pretty_json(body).startswith("{\n  \"participants\"")
