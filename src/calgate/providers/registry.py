# SPDX-License-Identifier: Apache-2.0
"""From a profile's provider name and its (opened) credentials to a ``CalendarSource``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from calgate.domain.calendar_sources import CalendarSource
from calgate.providers.caldav.source import CalDavSource

CALDAV_PROVIDERS = frozenset({"apple", "caldav"})


@contextlib.contextmanager
def open_source(provider: str, credentials: dict[str, Any], timeout: float) -> Iterator[CalendarSource]:
    """A connection for one sync or write, closed afterwards."""
    if provider not in CALDAV_PROVIDERS:
        raise LookupError(f"no calendar source for provider {provider!r}")
    source = CalDavSource(credentials["server_url"], credentials["username"], credentials["password"], timeout=timeout)
    try:
        yield source
    finally:
        source.close()
