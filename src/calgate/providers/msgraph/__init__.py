# SPDX-License-Identifier: Apache-2.0
"""Microsoft Graph (Microsoft 365, Outlook.com): OAuth 2.0 with the identity platform and a
``CalendarSource`` over Graph v1.0 (calendarView delta, getSchedule, event writes)."""

from calgate.providers.msgraph.config import GraphConfig
from calgate.providers.msgraph.source import GraphSource

__all__ = ["GraphConfig", "GraphSource"]
