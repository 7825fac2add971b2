# SPDX-License-Identifier: Apache-2.0
"""Enterprise Connect jobs (``domain.service_accounts``).

    service_account_authorization   reach one person with the organization's credentials,
                                    connect them, and queue the callback
    service_account_callback        POST the outcome to the application's callback_url

A person the organization does not have, or credentials the provider refuses, end in an error
callback (``authorization.error``: ``unknown_person``, ``access_denied``, ``provider_error``);
an unreachable provider raises, so the runner tries again with backoff. The callback is signed
like push notifications (``Cronofy-HMAC-SHA256``); a callback_url that does not answer 2xx is
retried, then the job is recorded as failed (the dashboard's Jobs page lists it). Its code
is made at delivery, bound to the callback_url as redirect_uri: no code is ever stored in clear.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from calgate.domain import access_modes, service_accounts
from calgate.domain.calendar_sources import SourceAuthFailed, SourceError, SourceNotFound, SourceUnavailable
from calgate.domain.model import utcnow
from calgate.domain.ports import SecretBox
from calgate.jobs.runner import Handler
from calgate.jobs.webhooks import CONTENT_TYPE, SIGNATURE_HEADER, TIMEOUT_SECONDS, DeliveryFailed, raw_body, sign
from calgate.providers import delegation
from calgate.providers.registry import Providers
from calgate.store.unit_of_work import Database

log = logging.getLogger(__name__)


@dataclass
class EnterpriseJobs:
    db: Database
    box: SecretBox
    providers: Providers
    code_ttl: int
    timeout: float = TIMEOUT_SECONDS

    def handlers(self) -> dict[str, Handler]:
        return {service_accounts.AUTHORIZE_JOB: self.authorize, service_accounts.CALLBACK_JOB: self.callback}

    def authorize(self, payload: dict[str, Any], job_id: str) -> None:
        with self.db.uow() as uow:
            service_account = uow.service_accounts.get(payload["service_account_id"])
            if service_account is None or service_account.revoked_at is not None:
                return
            provider, mode = service_account.provider, service_account.access_mode
            organization = json.loads(self.box.open(service_account.credentials_sealed))
        stores = access_modes.policy(mode).stores_event_details
        error: tuple[str, str] | None = None
        try:
            identity, calendars, cache = delegation.reach_person(self.providers, provider, organization, payload["email"], stores)
        except SourceNotFound as exc:
            error = ("unknown_person", str(exc))
        except SourceAuthFailed as exc:
            error = ("access_denied", f"The organization's credentials were refused: {exc}")
        except SourceUnavailable:
            raise  # the runner tries again later
        except SourceError as exc:
            error = ("provider_error", str(exc))
        with self.db.uow() as uow:
            service_account = uow.service_accounts.get(payload["service_account_id"])
            if service_account is None or service_account.revoked_at is not None:
                return
            if error is not None:
                log.info("service account %s could not authorize a person: %s", service_account.id, error[0])
                service_accounts.queue_callback(uow, payload, error=error)
            else:
                grant = service_accounts.authorize_person(
                    uow, service_account, payload["email"], payload["scope"], identity, calendars,
                    self.box.seal(json.dumps(cache)), utcnow(),
                )
                service_accounts.queue_callback(uow, payload, grant=grant)
            uow.commit()

    def callback(self, payload: dict[str, Any], job_id: str) -> None:
        with self.db.uow() as uow:
            body = service_accounts.callback_body(uow, payload, utcnow(), self.code_ttl)
            application = uow.applications.get(payload["application_id"])
            if body is None or application is None:
                return
            secret = self.box.open(application.client_secret_sealed)
            uow.commit()  # the code exists before anyone can hold it
        raw = raw_body(body)
        headers = {"Content-Type": CONTENT_TYPE, SIGNATURE_HEADER: sign(secret, raw), "User-Agent": "calgate"}
        try:
            response = httpx.post(payload["callback_url"], content=raw, headers=headers, timeout=self.timeout, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"the callback URL could not be reached: {type(exc).__name__}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"the callback URL answered HTTP {response.status_code}")
