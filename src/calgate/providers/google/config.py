# SPDX-License-Identifier: Apache-2.0
"""Where calgate finds Google: the OAuth client it is registered as, and the endpoints (all
overridable, so tests point them at a stand-in)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GoogleConfig:
    client_id: str
    client_secret: str
    auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    token_url: str = "https://oauth2.googleapis.com/token"
    revoke_url: str = "https://oauth2.googleapis.com/revoke"
    api_base: str = "https://www.googleapis.com/calendar/v3"
    userinfo_url: str = "https://openidconnect.googleapis.com/v1/userinfo"
    directory_base: str = "https://admin.googleapis.com"  # Admin SDK Directory API (calendar resources)
