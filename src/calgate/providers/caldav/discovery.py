# SPDX-License-Identifier: Apache-2.0
"""Where to look for a person's CalDAV server, from what they typed (RFC 6764).

- A full ``http(s)://`` URL is tried as given, then the ``/.well-known/caldav`` of its host
  (RFC 6764 §5). Plain ``http://`` is used only when the person wrote it (a loopback or test
  server): nothing here ever downgrades https.
- An email address or a bare domain becomes ``https://{domain}/.well-known/caldav``, then
  ``https://{domain}/``. DNS SRV/TXT lookups (RFC 6764 §3) are not done.
- Apple (the ``apple`` provider, or an icloud.com, me.com or mac.com address) is
  ``ICLOUD_URL``.

On each candidate the source asks for ``DAV:current-user-principal`` (RFC 5397); the first
that names a principal is the context URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from calgate.domain.calendar_sources import SourceError

ICLOUD_URL = "https://caldav.icloud.com/"
ICLOUD_DOMAINS = frozenset({"icloud.com", "me.com", "mac.com"})


def candidates(address: str, provider_name: str | None = None) -> list[str]:
    address = address.strip()
    if "://" in address:
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceError("The calendar server address must start with https:// or http://")
        well_known = f"{parts.scheme}://{parts.netloc}/.well-known/caldav"
        given = address if parts.path else address + "/"
        return [given] if given.rstrip("/") == well_known else [given, well_known]
    domain = address.rpartition("@")[2].strip().strip(".").lower()
    if provider_name == "apple" or domain in ICLOUD_DOMAINS:
        return [ICLOUD_URL]
    if not domain or "/" in domain:
        raise SourceError("Enter the calendar server's address, or your email address")
    return [f"https://{domain}/.well-known/caldav", f"https://{domain}/"]
