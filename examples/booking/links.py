# SPDX-License-Identifier: Apache-2.0
"""The "Connect your calendar" links. Each is calgate's (Cronofy's) Individual Connect URL
written exactly as Cronofy's Calendar Access Modes guide writes its deep links:
``access_mode`` pre-selects how much calgate may see, ``provider_name`` also skips the
provider chooser, and every mode but Read-Write needs the ``free_busy_write`` scope. The plain
link (pycronofy's own ``user_auth_link``, no ``access_mode``) lets the person choose."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import pycronofy

from .config import Config

SCOPE = "free_busy_write"
MODES = {
    "read_write": ("Read-Write", "Meetings go straight into your calendar."),
    "free_busy": ("Free/Busy", "Only your busy times leave your calendar; meetings arrive as email invitations."),
    "no_calendar": ("No Access", "No calendar at all: calgate keeps one for you and meetings arrive as email invitations."),
}
PROVIDERS = {"google": "Google", "ms_graph": "Microsoft 365", "apple": "iCloud", "caldav": "Other CalDAV server"}


@dataclass(frozen=True)
class Link:
    access_mode: str
    provider_name: str | None
    label: str
    url: str


def deep_link(config: Config, state: str, access_mode: str, provider_name: str | None = None) -> str:
    params = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": config.redirect_uri,
        "scope": SCOPE,
        "state": state,
        "access_mode": access_mode,
    }
    if provider_name:
        params["provider_name"] = provider_name
    return f"{config.calgate_url}/oauth/authorize?{urlencode(params)}"


def deep_links(config: Config, state: str) -> dict[str, list[Link]]:
    """Per access mode, its buttons: one per provider, or one alone for No Access."""
    links: dict[str, list[Link]] = {}
    for mode in MODES:
        providers = [None] if mode == "no_calendar" else list(PROVIDERS)
        links[mode] = [
            Link(mode, p, PROVIDERS[p] if p else "Connect without a calendar", deep_link(config, state, mode, p))
            for p in providers
        ]
    return links


def chooser_link(config: Config, state: str) -> str:
    client = pycronofy.Client(client_id=config.client_id, client_secret=config.client_secret)
    return str(client.user_auth_link(config.redirect_uri, scope=SCOPE, state=state))
