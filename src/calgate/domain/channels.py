# SPDX-License-Identifier: Apache-2.0
"""Push notification channels (Cronofy's ``chn_``; docs.cronofy.com
/developers/api/push-notifications/*, wire notes §4.4).

A channel is an application's ``callback_url`` for one account, with optional filters:
``calendar_ids`` (the account's own calendars) and ``only_managed`` (tell only of changes to
the application's own events). Filters are kept canonical: only the non-default ones, so
``{}`` means "every change"; unknown filter keys are tolerated and dropped. Creating a channel
identical to an open one (same application, account, callback_url and filters) answers the
existing one. An account has at most ``MAX_OPEN`` open channels.

**Scope rule**: creating, listing and closing channels needs ``read_free_busy``, which
``read_events`` implies. Cronofy asks for ``read_events`` (unless ``only_managed``), but a
notification carries no event content, only that something changed and since when, so what
an application may already see through Free/Busy is enough. That lets availability-only
authorizations (the ``free_busy`` bundle) and free_busy-mode accounts create channels.

**Notifications**: each is one ``push_notification`` job whose payload holds ``channel_id``,
``application_id`` and the exact JSON ``body``; ``jobs.webhooks`` signs and POSTs it, and
drops it if the channel was closed meanwhile. The channel id is the ordering key, so one
channel's notifications arrive in the order they were queued. Types: ``verification`` (once,
on creation), ``change`` (``notify_change``), ``profile_disconnected`` and
``profile_initial_sync_completed`` (``notify_profile``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from calgate.domain import accounts, ids, model, scopes, times
from calgate.domain.authorization import Caller
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.ports import UnitOfWork

JOB_KIND = "push_notification"
MAX_OPEN = 128
MAX_CALLBACK_URL = 2048
VERIFICATION = "verification"
CHANGE = "change"
PROFILE_KINDS = ("profile_disconnected", "profile_initial_sync_completed")

Errors = dict[str, list[tuple[str, str]]]


def _add(errors: Errors, name: str, key: str, description: str) -> None:
    errors.setdefault(name, []).append((f"errors.{key}", description))


def _callback_url(value: object, errors: Errors) -> str:
    return absolute_url(value, "callback_url", errors) or ""


def absolute_url(value: object, name: str, errors: Errors, *, required: bool = True) -> str | None:
    """``value`` as an absolute http(s) URL of at most 2048 characters; a problem is filed under
    ``name`` (absent: ``required`` or None)."""
    if value is None or value == "":
        if required:
            _add(errors, name, "required", f"{name} must be specified")
        return None
    if not isinstance(value, str):
        _add(errors, name, "invalid", f"{name} must be a string")
        return None
    if len(value) > MAX_CALLBACK_URL:
        _add(errors, name, "too_long", f"{name} must be at most {MAX_CALLBACK_URL} characters")
        return None
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid or any(c.isspace() for c in value):
        _add(errors, name, "invalid", f"{name} must be an absolute http or https URL")
    return value


def _boolean(value: object) -> bool | None:
    if value is None or value == "" or isinstance(value, bool):
        return bool(value)
    lowered = str(value).strip().lower()
    return True if lowered in ("true", "1") else False if lowered in ("false", "0") else None


def _filters(value: object, errors: Errors) -> dict[str, Any]:
    if value is None or (isinstance(value, list) and not value):
        return {}
    if not isinstance(value, dict):
        _add(errors, "filters", "invalid", "filters must be an object such as {\"calendar_ids\": [...], \"only_managed\": true}")
        return {}
    filters: dict[str, Any] = {}
    calendar_ids = value.get("calendar_ids")
    items = [calendar_ids] if isinstance(calendar_ids, str) else calendar_ids
    if items is not None and not (isinstance(items, list) and all(isinstance(i, str) and i for i in items)):
        _add(errors, "calendar_ids", "invalid", "calendar_ids must be a list of calendar ids")
    elif items:
        filters["calendar_ids"] = list(dict.fromkeys(items))
    only_managed = _boolean(value.get("only_managed"))
    if only_managed is None:
        _add(errors, "only_managed", "invalid", "only_managed must be true or false")
    elif only_managed:
        filters["only_managed"] = True
    return filters


@dataclass(frozen=True)
class ChannelInput:
    """A validated Create Channel request: the URL and the canonical filters."""

    callback_url: str
    filters: Mapping[str, Any]

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "ChannelInput":
        errors: Errors = {}
        url = _callback_url(params.get("callback_url"), errors)
        filters = _filters(params.get("filters"), errors)
        if errors:
            raise ValidationFailed(errors)
        return cls(url, filters)


def _same_filters(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return set(a.get("calendar_ids") or ()) == set(b.get("calendar_ids") or ()) and bool(
        a.get("only_managed")
    ) == bool(b.get("only_managed"))


def _require(caller: Caller) -> None:
    caller.require(scopes.READ_FREE_BUSY)  # read_events implies it


def create(uow: UnitOfWork, caller: Caller, command: ChannelInput, now: dt.datetime) -> model.Channel:
    _require(caller)
    wanted = command.filters.get("calendar_ids") or []
    if wanted:
        own = {c.id for view in accounts.profiles(uow, caller) for c in view.calendars}
        unknown = [c for c in wanted if c not in own]
        if unknown:
            raise ValidationFailed.single("calendar_ids", "invalid", f"Not calendars of this account: {', '.join(unknown)}")
    open_channels = uow.channels.open_of_account(caller.account.id)
    for channel in open_channels:
        if (
            channel.application_id == caller.application.id
            and channel.callback_url == command.callback_url
            and _same_filters(channel.filters, command.filters)
        ):
            return channel
    if len(open_channels) >= MAX_OPEN:
        raise ValidationFailed.single(
            "channels", "limit_reached", f"An account can have at most {MAX_OPEN} open channels; close one first"
        )
    channel = model.Channel(
        id=ids.new_id("chn"),
        application_id=caller.application.id,
        account_id=caller.account.id,
        callback_url=command.callback_url,
        filters=dict(command.filters),
        created_at=now,
    )
    uow.channels.add(channel)
    _queue(uow, channel, {"type": VERIFICATION})
    return channel


def list_open(uow: UnitOfWork, caller: Caller) -> list[model.Channel]:
    """Open channels of the caller's account made by the caller's application, oldest first."""
    _require(caller)
    return [c for c in uow.channels.open_of_account(caller.account.id) if c.application_id == caller.application.id]


def close(uow: UnitOfWork, caller: Caller, channel_id: str, now: dt.datetime) -> None:
    _require(caller)
    channel = uow.channels.get(channel_id)
    if (
        channel is None
        or channel.closed_at is not None
        or channel.account_id != caller.account.id
        or channel.application_id != caller.application.id
    ):
        raise NotFound("channel")
    channel.closed_at = now


def wire(channel: model.Channel) -> dict[str, Any]:
    """``{channel_id, callback_url, filters}``, as answered and as sent in notifications."""
    filters = {k: list(v) if isinstance(v, list) else v for k, v in (channel.filters or {}).items()}
    return {"channel_id": channel.id, "callback_url": channel.callback_url, "filters": filters}


def _queue(uow: UnitOfWork, channel: model.Channel, notification: dict[str, str]) -> None:
    body = {"notification": notification, "channel": wire(channel)}
    payload = {"channel_id": channel.id, "application_id": channel.application_id, "body": body}
    uow.jobs.enqueue(JOB_KIND, payload, ordering_key=channel.id)


def notify_change(
    uow: UnitOfWork,
    account_id: str,
    calendar_ids: Iterable[str],
    changes_since: dt.datetime,
    *,
    managed_by: Iterable[str] = (),
    origin_application_id: str | None = None,
) -> int:
    """Queue a ``change`` notification on every open channel of the account whose filters
    match: its calendar_ids filter intersects ``calendar_ids`` (no filter: any change), and an
    only_managed channel only when its application is in ``managed_by``. Channels of
    ``origin_application_id`` are skipped (an application is not told of its own changes).
    Returns how many were queued."""
    changed = set(calendar_ids)
    managers = set(managed_by)
    notification = {"type": CHANGE, "changes_since": times.format_time(changes_since)}
    queued = 0
    for channel in uow.channels.open_of_account(account_id):
        filters = channel.filters or {}
        if channel.application_id == origin_application_id:
            continue
        if filters.get("calendar_ids") and not changed.intersection(filters["calendar_ids"]):
            continue
        if filters.get("only_managed") and channel.application_id not in managers:
            continue
        _queue(uow, channel, notification)
        queued += 1
    return queued


def notify_profile(uow: UnitOfWork, account_id: str, kind: str) -> int:
    """Queue ``kind`` (``profile_disconnected`` or ``profile_initial_sync_completed``) on
    every open channel of the account, whatever its filters. Returns how many were queued."""
    if kind not in PROFILE_KINDS:
        raise ValueError(f"unknown profile notification {kind!r}; one of {', '.join(PROFILE_KINDS)}")
    channels = uow.channels.open_of_account(account_id)
    for channel in channels:
        _queue(uow, channel, {"type": kind})
    return len(channels)
