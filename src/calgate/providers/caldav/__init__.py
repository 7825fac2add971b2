# SPDX-License-Identifier: Apache-2.0
"""CalDAV (RFC 4791) with sync-collection (RFC 6578) and discovery (RFC 6764): Radicale,
iCloud, Nextcloud, Fastmail and the like, over plain HTTP Basic authentication."""

from calgate.providers.caldav.source import ICLOUD_URL, CalDavSource, discover

__all__ = ["ICLOUD_URL", "CalDavSource", "discover"]
