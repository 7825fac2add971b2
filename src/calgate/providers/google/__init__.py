# SPDX-License-Identifier: Apache-2.0
"""Google Calendar (API v3) over OAuth 2.0: ``GoogleSource`` implements ``CalendarSource``;
``oauth`` links an account (authorization code with PKCE) and keeps its token fresh."""

from calgate.providers.google.config import GoogleConfig
from calgate.providers.google.source import GoogleSource

__all__ = ["GoogleConfig", "GoogleSource"]
