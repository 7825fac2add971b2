# SPDX-License-Identifier: Apache-2.0
"""Jobs that talk to calendar providers.

    sync_profile     read a connected profile's calendars (``domain.sync``), then queue the
                     next sync: after ``CALGATE_SYNC_INTERVAL``, or later after failures
    provider_write   put or delete one managed event in the person's calendar (read_write)

Provider I/O happens with no transaction open; each job reads what it needs in one short
transaction and writes the outcome in another. A sync never fails as a job (the chain of syncs
must not end): unreachable servers back off, refused credentials disconnect the profile. A
write that cannot be made yet raises, so the job runner retries it with backoff.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from calgate.domain import access_modes, ical_resource, model, sync
from calgate.domain.calendar_sources import (
    CalendarSource,
    RemoteCalendar,
    SourceAuthFailed,
    SourceConflict,
    SourceUnavailable,
    WrittenResource,
)
from calgate.domain.errors import NotFound
from calgate.domain.model import utcnow
from calgate.domain.ports import SecretBox
from calgate.jobs.runner import Handler
from calgate.providers import delegation
from calgate.providers.registry import CALDAV_PROVIDERS, Providers
from calgate.store.unit_of_work import Database

log = logging.getLogger(__name__)

@dataclass
class ProviderJobs:
    db: Database
    box: SecretBox
    providers: Providers
    interval: dt.timedelta

    def handlers(self) -> dict[str, Handler]:
        return {sync.SYNC_JOB: self.sync_profile, "provider_write": self.provider_write}

    def _credentials(self, uow: Any, profile: model.Profile) -> dict[str, Any]:
        """The profile's credentials; for a person reached through a service account, the
        organization's joined with the token cached on the profile. A revoked service account
        is NotFound: nothing of the person may be read any more."""
        assert profile.credentials_sealed is not None
        own = dict(json.loads(self.box.open(profile.credentials_sealed)))
        if profile.provider in CALDAV_PROVIDERS and "@" in profile.name:
            own.setdefault("email", profile.name)  # linked before the address was kept with them
        if profile.service_account_id is None:
            return own
        service_account = uow.service_accounts.get(profile.service_account_id)
        if service_account is None or service_account.revoked_at is not None:
            raise NotFound("service_account")
        organization = json.loads(self.box.open(service_account.credentials_sealed))
        return delegation.person_credentials(profile.provider, organization, profile.name, profile.policy.stores_event_details, own)

    def _keep_refreshed(self, uow: Any, profile_id: str, before: dict[str, Any], source: CalendarSource) -> None:
        """An OAuth source may have refreshed its tokens: keep the new ones (sealed); of a
        person reached through a service account, only the access token."""
        now = getattr(source, "credentials", None)
        profile = uow.profiles.get(profile_id)
        if now and now != before and profile is not None:
            kept = delegation.token_cache(now) if profile.service_account_id is not None else now
            profile.credentials_sealed = self.box.seal(json.dumps(kept))

    def sync_profile(self, payload: dict[str, Any], job_id: str) -> None:
        profile_id = payload["profile_id"]
        with self.db.uow() as uow:
            try:
                plan = sync.plan(uow, profile_id)
            except NotFound:
                return  # revoked or gone: the chain of syncs ends here
            profile = uow.profiles.get(profile_id)
            assert profile is not None and profile.credentials_sealed is not None
            if not profile.connected:
                return  # waits for the person to relink
            try:
                provider, credentials = profile.provider, self._credentials(uow, profile)
            except NotFound:
                return  # its service account was revoked
        now = utcnow()
        try:
            with self.providers.open(provider, credentials, plan.stores_event_details) as source:
                fetched = sync.fetch(source, plan, now)
        except SourceAuthFailed as exc:
            log.warning("sync of %s: credentials refused", profile_id)
            with self.db.uow() as uow:
                sync.disconnected(uow, profile_id, str(exc), plan.access_mode)
                uow.commit()
            return
        except SourceUnavailable as exc:
            log.warning("sync of %s failed: %s", profile_id, exc)
            with self.db.uow() as uow:
                delay = sync.failed(uow, profile_id, str(exc), self.interval, exc.retry_after)
                self._next(uow, profile_id, now + delay, job_id)
                uow.commit()
            return
        with self.db.uow() as uow:
            try:
                applied = sync.apply(uow, fetched, now)
            except NotFound:
                return  # revoked while reading
            if applied:
                self._keep_refreshed(uow, profile_id, credentials, source)
                self._next(uow, profile_id, now + self.interval, job_id)
            else:  # the person changed the access mode meanwhile: read again in the new one, with its credentials
                self._next(uow, profile_id, now, job_id)
            uow.commit()

    def _next(self, uow: Any, profile_id: str, at: dt.datetime, job_id: str) -> None:
        profile = uow.profiles.get(profile_id)
        if profile is not None and profile.revoked_at is None:
            sync.request_sync(uow, profile, at, running_job_id=job_id)

    def provider_write(self, payload: dict[str, Any], job_id: str) -> None:
        with self.db.uow() as uow:
            event = uow.events.get(payload["event_uid"])
            calendar = uow.calendars.get(event.calendar_id) if event else None
            profile = uow.profiles.get(calendar.profile_id) if calendar else None
            if event is None or calendar is None or profile is None or profile.revoked_at is not None:
                return  # nothing left to write to
            if profile.credentials_sealed is None or calendar.remote_id is None:
                return
            if access_modes.event_delivery(event.delivery, profile.policy) is not access_modes.WriteDelivery.PROVIDER:
                return  # handed over as an invitation (the person chose free_busy since): email carries it
            try:
                provider, credentials = profile.provider, self._credentials(uow, profile)
            except NotFound:
                return  # its service account was revoked: nothing may be written any more
            details = profile.policy.stores_event_details
            target = RemoteCalendar(remote_id=calendar.remote_id, name=calendar.name)
            deleted, remote_id, etag = event.deleted, event.remote_id, event.etag
            body = None if deleted else ical_resource.calendar_resource(event)
        try:
            with self.providers.open(provider, credentials, details) as source:
                if deleted:
                    if remote_id is not None:
                        _delete(source, remote_id, etag)
                    written = None
                else:
                    assert body is not None
                    written = _put(source, target, remote_id or f"{payload['event_uid']}.ics", body, etag)
        except SourceAuthFailed as exc:
            with self.db.uow() as uow:
                sync.disconnected(uow, profile.id, str(exc))
                uow.commit()
            raise
        with self.db.uow() as uow:
            event = uow.events.get(payload["event_uid"])
            if event is not None:
                if written is None:
                    event.etag = None
                else:
                    event.remote_id, event.etag = written.remote_id, written.etag
            self._keep_refreshed(uow, profile.id, credentials, source)
            uow.commit()


def _put(source: CalendarSource, calendar: RemoteCalendar, name: str, body: bytes, etag: str | None) -> WrittenResource:
    """The application's event is calgate's to write: if the person's copy changed meanwhile
    (or an earlier attempt already created it), replace it; if it vanished, create it again."""
    try:
        return source.put(calendar, name, body, etag)
    except SourceConflict:
        pass
    try:
        return source.put(calendar, name, body, "*")
    except SourceConflict:
        return source.put(calendar, name, body, None)


def _delete(source: CalendarSource, remote_id: str, etag: str | None) -> None:
    try:
        source.delete(remote_id, etag)
    except SourceConflict:
        source.delete(remote_id, None)  # changed by the person meanwhile: it is still ours to delete
