# SPDX-License-Identifier: Apache-2.0
"""The availability explorer's request, written out for the developer to copy: as JSON, as a
``curl`` command and as a pycronofy call. Pure functions of the request body, so what is
copied is exactly what the explorer ran (and unit tests can check every line).

The application's client secret never appears: the snippets read it from the environment
variable ``CALGATE_CLIENT_SECRET``, as a server should.

pycronofy's ``Client.availability`` (pycronofy/client.py) takes ``participants``,
``required_duration``, ``available_periods`` (the older name of ``query_periods``),
``start_interval``, ``buffer``, ``response_format``, ``query_slots`` and ``max_results``, and
sends the *access token* it holds as the bearer (never its client secret): so the snippet
gives the client secret as ``access_token`` too, which calgate accepts as the API key. Every
other field (calgate's ``explain``, ``include_member_statuses``, ``tentative_as_busy``,
``excluded_events``) has no pycronofy parameter and is named in a comment instead.
"""

from __future__ import annotations

import json
import pprint
import shlex
from typing import Any

SECRET_VARIABLE = "CALGATE_CLIENT_SECRET"
PYCRONOFY_ARGUMENTS = (
    "participants",
    "required_duration",
    "available_periods",
    "start_interval",
    "buffer",
    "response_format",
    "query_slots",
    "max_results",
)


def pretty_json(body: dict[str, Any]) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False)


def curl(public_url: str, body: dict[str, Any]) -> str:
    """``curl`` POSTing ``body`` to ``/v1/availability`` with the secret from the environment."""
    url = shlex.quote(f"{public_url.rstrip('/')}/v1/availability")
    return "\n".join(
        [
            f"curl -X POST {url} \\",
            f'  -H "Authorization: Bearer ${SECRET_VARIABLE}" \\',
            '  -H "Content-Type: application/json" \\',
            f"  --data-raw {shlex.quote(json.dumps(body, indent=2, ensure_ascii=False))}",
        ]
    )


def pycronofy_arguments(body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The keyword arguments pycronofy's ``Client.availability`` takes for ``body``, and the
    names of the body's fields it has no parameter for."""
    renamed = dict(body)
    if "query_periods" in renamed:  # the API reads query_periods first, so it wins over available_periods
        renamed["available_periods"] = renamed.pop("query_periods")
    arguments = {name: renamed[name] for name in PYCRONOFY_ARGUMENTS if name in renamed}
    left_out = [key for key in body if key not in PYCRONOFY_ARGUMENTS and key != "query_periods"]
    return arguments, left_out


def _literal(value: Any, indent: int) -> str:
    """``value`` as a Python literal, its continuation lines indented by ``indent`` spaces."""
    text = pprint.pformat(value, width=100 - indent, sort_dicts=False)
    return text.replace("\n", "\n" + " " * indent)


def pycronofy(public_url: str, client_id: str, body: dict[str, Any]) -> str:
    """A Python script asking the same question with pycronofy."""
    arguments, left_out = pycronofy_arguments(body)
    lines = [
        "import os",
        "",
        "import pycronofy",
        "import pycronofy.settings",
        "",
        f"pycronofy.settings.API_BASE_URL = {public_url.rstrip('/')!r}",
        "client = pycronofy.Client(",
        f"    client_id={client_id!r},",
        f"    client_secret=os.environ[{SECRET_VARIABLE!r}],",
        "    # pycronofy's availability() sends the access token as the bearer; calgate takes the",
        "    # client secret there as the API key (or any of your accounts' access tokens).",
        f"    access_token=os.environ[{SECRET_VARIABLE!r}],",
        ")",
    ]
    if left_out:
        lines += [
            f"# Not pycronofy parameters, so not sent: {', '.join(left_out)}.",
            "# (explain and include_member_statuses are calgate's extensions; POST the JSON to get them.)",
        ]
    lines.append("available = client.availability(")
    lines += [f"    {name}={_literal(value, 4)}," for name, value in arguments.items()]
    lines.append(")")
    return "\n".join(lines) + "\n"
