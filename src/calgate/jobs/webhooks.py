# SPDX-License-Identifier: Apache-2.0
"""Deliver ``push_notification`` jobs (``domain.channels``), ``smart_invite_callback`` jobs
(``domain.smart_invites``: a recipient answered) and ``real_time_scheduling_callback`` jobs
(``domain.scheduling_booking``: a time was booked, or none suited) to the application's
callback URL.

The body is the payload's JSON, compact; ``Cronofy-HMAC-SHA256`` carries
``base64(HMAC-SHA256(key=client_secret, msg=raw body))`` with the application's current
client secret, opened from its sealed copy at send time (so a rotated secret signs what is
still queued). A 2xx answer is done; any other answer, a redirect included, or a network
failure raises, and the job runner retries with backoff. A notification of a channel closed
since it was queued is dropped unsent, as is an application callback of an application since
deleted. Neither the secret nor the body is ever logged or put
in an error message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx

from calgate.domain.ports import SecretBox
from calgate.jobs.runner import Handler
from calgate.store.unit_of_work import Database

SIGNATURE_HEADER = "Cronofy-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
TIMEOUT_SECONDS = 10.0


class DeliveryFailed(Exception):
    """The callback did not take the notification; the job runner tries again later."""


def raw_body(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def sign(client_secret: str, raw: bytes) -> str:
    digest = hmac.new(client_secret.encode("utf-8"), raw, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _post(url: str, secret: str, body: dict[str, Any], timeout: float) -> None:
    raw = raw_body(body)
    headers = {"Content-Type": CONTENT_TYPE, SIGNATURE_HEADER: sign(secret, raw), "User-Agent": "calgate"}
    try:
        response = httpx.post(url, content=raw, headers=headers, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"the callback URL could not be reached: {type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"the callback URL answered HTTP {response.status_code}")


def deliverer(db: Database, box: SecretBox, timeout: float = TIMEOUT_SECONDS) -> Handler:
    """The ``push_notification`` handler: ``deliver(payload, job_id)``."""

    def deliver(payload: dict[str, Any], job_id: str) -> None:
        with db.uow() as uow:
            channel = uow.channels.get(str(payload["channel_id"]))
            if channel is None or channel.closed_at is not None:
                return
            application = uow.applications.get(channel.application_id)
            if application is None:
                return
            secret = box.open(application.client_secret_sealed)
            url = channel.callback_url
        _post(url, secret, payload["body"], timeout)

    return deliver


def application_callback_deliverer(db: Database, box: SecretBox, timeout: float = TIMEOUT_SECONDS) -> Handler:
    """The handler of the application callbacks (``smart_invite_callback``,
    ``real_time_scheduling_callback``): the payload names the application, the URL and the
    body, all fixed when the job was queued."""

    def deliver(payload: dict[str, Any], job_id: str) -> None:
        with db.uow() as uow:
            application = uow.applications.get(str(payload["application_id"]))
            if application is None:
                return
            secret = box.open(application.client_secret_sealed)
        _post(str(payload["callback_url"]), secret, payload["body"], timeout)

    return deliver
