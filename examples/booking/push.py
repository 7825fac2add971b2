# SPDX-License-Identifier: Apache-2.0
"""The push notification receiver's one rule: believe a callback only when its
``Cronofy-HMAC-SHA256`` header is the base64 HMAC-SHA256 of the raw body keyed with the
application's client secret. Anyone can POST to a public URL; only calgate knows the secret.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pycronofy

HEADER = "Cronofy-HMAC-SHA256"


def signature_valid(client_secret: str, signature: str | None, body: bytes) -> bool:
    """pycronofy's own check (it accepts a comma-separated list, as Cronofy may send while
    a secret is being rotated). The body must be the exact bytes received, not re-encoded JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return bool(pycronofy.Client(client_secret=client_secret).hmac_valid(signature, text))


def entry(sub: str, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What the booking page lists about a notification."""
    notification = payload.get("notification", {})
    return {
        "received_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sub": sub,
        "name": name,
        "type": notification.get("type", "unknown"),
        "changes_since": notification.get("changes_since"),
    }
