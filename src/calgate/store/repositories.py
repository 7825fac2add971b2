# SPDX-License-Identifier: Apache-2.0
"""Repositories: add and fetch domain objects. They never commit; the unit of work does.
The job queue's repository and its claim live in ``store/job_queue.py``; features with more
than a lookup or two have their own module (``smart_invites``, ``scheduling_links``,
``busy_timelines``). Just past 400 lines: the small one-table repositories stay together here,
each a few lines, rather than a module apiece."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from calgate.domain import model
from calgate.domain.errors import Conflict
from calgate.store import busy_timelines, tables
from calgate.store.db import ERASED

T = TypeVar("T")


def flush(session: Session) -> None:
    """Flush, reporting a uniqueness race as the domain's Conflict."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(str(exc.orig)) from exc


def _default(f: dataclasses.Field[Any]) -> Callable[[], Any]:
    """A function giving a model field's default (raising when it has none)."""
    if f.default is not dataclasses.MISSING:
        return lambda value=f.default: value
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory

    def missing() -> Any:
        raise TypeError(f"Event.{f.name} has no default and was not given")

    return missing


_EVENT_DEFAULTS = {f.name: _default(f) for f in dataclasses.fields(model.Event)}


class Repository(Generic[T]):
    cls: type[T]

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, item: T) -> None:
        # Flushed at once: the mapping has no relationships, so only the order of adds tells
        # SQLAlchemy to insert a parent row before the rows that reference it.
        self.session.add(item)
        flush(self.session)

    def get(self, key: str) -> T | None:
        return self.session.get(self.cls, key)

    def _where(self, *criteria: Any, order_by: Any = None) -> list[T]:
        stmt = select(self.cls).where(*criteria)
        if order_by is not None:
            stmt = stmt.order_by(order_by)
        return list(self.session.scalars(stmt))

    def _one(self, *criteria: Any) -> T | None:
        return self.session.scalars(select(self.cls).where(*criteria)).first()


class Developers(Repository[model.Developer]):
    cls = model.Developer

    def by_email(self, email: str) -> model.Developer | None:
        return self._one(model.Developer.email == email)


class Applications(Repository[model.Application]):
    cls = model.Application

    def by_client_id(self, client_id: str) -> model.Application | None:
        return self._one(model.Application.client_id == client_id)

    def by_secret_digest(self, digest: str) -> model.Application | None:
        return self._one(model.Application.client_secret_digest == digest)

    def of_developer(self, developer_id: str) -> list[model.Application]:
        return self._where(model.Application.developer_id == developer_id, order_by=model.Application.created_at)

    def all(self) -> list[model.Application]:
        return self._where(order_by=model.Application.created_at)


class Accounts(Repository[model.Account]):
    cls = model.Account

    def by_email(self, application_id: str, email: str) -> model.Account | None:
        return self._one(model.Account.application_id == application_id, model.Account.email == email)

    def by_application_calendar_id(self, application_id: str, application_calendar_id: str) -> model.Account | None:
        return self._one(
            model.Account.application_id == application_id,
            model.Account.application_calendar_id == application_calendar_id,
        )

    def of_application(self, application_id: str) -> list[model.Account]:
        return self._where(model.Account.application_id == application_id, order_by=model.Account.created_at)

    def many(self, account_ids: list[str]) -> list[model.Account]:
        return self._where(model.Account.id.in_(account_ids)) if account_ids else []

    def lock(self, account_ids: list[str]) -> None:
        """Hold these accounts' rows until commit, taken in id order so that two holders of
        overlapping sets cannot deadlock (PostgreSQL; SQLite serialises writers anyway)."""
        if account_ids:
            ordered = select(tables.accounts.c.id).where(tables.accounts.c.id.in_(sorted(set(account_ids))))
            self.session.execute(ordered.order_by(tables.accounts.c.id).with_for_update())


class Profiles(Repository[model.Profile]):
    cls = model.Profile

    def of_account(self, account_id: str) -> list[model.Profile]:
        return self._where(model.Profile.account_id == account_id, order_by=model.Profile.created_at)

    def of_accounts(self, account_ids: list[str]) -> list[model.Profile]:
        return self._where(model.Profile.account_id.in_(account_ids), order_by=model.Profile.created_at) if account_ids else []

    def lock(self, profile_id: str) -> None:
        """Hold the profile's row until commit (PostgreSQL; SQLite serialises writers anyway)."""
        self.session.execute(select(tables.profiles.c.id).where(tables.profiles.c.id == profile_id).with_for_update())


class Calendars(Repository[model.Calendar]):
    cls = model.Calendar

    def of_account(self, account_id: str) -> list[model.Calendar]:
        return self._where(model.Calendar.account_id == account_id, order_by=model.Calendar.created_at)

    def of_accounts(self, account_ids: list[str]) -> list[model.Calendar]:
        return self._where(model.Calendar.account_id.in_(account_ids), order_by=model.Calendar.created_at) if account_ids else []

    def of_profile(self, profile_id: str) -> list[model.Calendar]:
        return self._where(model.Calendar.profile_id == profile_id, order_by=model.Calendar.created_at)

    def live_ids(self, account_id: str) -> list[str]:
        c, p = tables.calendars.c, tables.profiles.c
        return list(self.session.scalars(
            select(c.id).join(tables.profiles, p.id == c.profile_id)
            .where(c.account_id == account_id, c.deleted.is_(False), p.revoked_at.is_(None)).order_by(c.id)
        ))


class Events(Repository[model.Event]):
    cls = model.Event

    def by_event_id(self, calendar_id: str, event_id: str) -> model.Event | None:
        """The event (or series) the application calls ``event_id``; not a series' other occurrences."""
        return self._one(model.Event.calendar_id == calendar_id, model.Event.event_id == event_id, model.Event.series_id.is_(None))

    def of_series(self, series_id: str) -> list[model.Event]:
        """A recurring event's stored occurrences other than the first (the series' own row)."""
        return self._where(model.Event.series_id == series_id, order_by=model.Event.start_at)

    def managed(self, account_id: str, application_id: str) -> list[model.Event]:
        return self._where(
            model.Event.account_id == account_id,
            model.Event.application_id == application_id,
            order_by=model.Event.created_at,
        )

    def in_calendar(self, calendar_id: str) -> list[model.Event]:
        return self._where(model.Event.calendar_id == calendar_id, order_by=model.Event.start_at)

    def at_provider(self, calendar_id: str) -> list[model.Event]:
        """Events of the calendar that live at its provider (synced, or managed and written)."""
        return self._where(model.Event.calendar_id == calendar_id, model.Event.remote_id.is_not(None))

    def erase_own(self, calendar_id: str) -> int:
        """Delete the rows (not mark them deleted) of the person's own events in the calendar,
        deleted ones too: nothing of them is left to read (``mode_change``)."""
        own = tables.events.c
        flush(self.session)
        for obj in [o for o in self.session.identity_map.values() if isinstance(o, model.Event)]:
            if obj.calendar_id == calendar_id and obj.event_id is None:
                self.session.expunge(obj)
        busy_timelines.touch(self.session, [calendar_id])
        self.session.info[ERASED] = True  # the commit also wipes the files (``db.wipe_erased``)
        result = self.session.execute(delete(tables.events).where(own.calendar_id == calendar_id, own.event_id.is_(None)))
        return int(getattr(result, "rowcount", 0) or 0)

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        """Many new events at once (a first sync), given as their fields: one multi-row INSERT,
        no ORM objects (building thousands of them costs more than the INSERT). A field left
        out takes the ``Event``'s default."""
        if not rows:
            return
        columns = [(c.key, _EVENT_DEFAULTS[c.key]) for c in tables.events.columns]
        busy_timelines.touch(self.session, {row["calendar_id"] for row in rows})
        try:
            self.session.execute(
                insert(tables.events), [{name: row[name] if name in row else default() for name, default in columns} for row in rows]
            )
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc

    def busy_rows(
        self, account_id: str, calendar_ids: list[str], ends_from: dt.datetime, starts_before: dt.datetime
    ) -> list[model.BusyRow]:
        """Live events near a window as plain rows: no ORM objects, no text columns."""
        events = tables.events.c
        stmt = select(
            events.start, events.end, events.start_at, events.end_at, events.transparency, events.participation_status,
            events.id, events.event_id, events.application_id,
        ).where(
            events.account_id == account_id,
            events.calendar_id.in_(calendar_ids),
            events.deleted.is_(False),
            events.end_at >= ends_from,
            events.start_at < starts_before,
        )
        return [model.BusyRow(*row) for row in self.session.execute(stmt)]

    def in_window(
        self,
        account_id: str,
        calendar_ids: list[str],
        ends_from: dt.datetime | None,
        starts_before: dt.datetime | None,
        include_deleted: bool,
        updated_since: dt.datetime | None,
        include_moved: bool = False,
    ) -> list[model.Event]:
        criteria: list[Any] = [model.Event.account_id == account_id, model.Event.calendar_id.in_(calendar_ids)]
        now_within: list[Any] = []
        was_within: list[Any] = [model.Event.moved_from_start_at.is_not(None)]
        if ends_from is not None:
            now_within.append(model.Event.end_at >= ends_from)
            was_within.append(model.Event.moved_from_end_at >= ends_from)
        if starts_before is not None:
            now_within.append(model.Event.start_at < starts_before)
            was_within.append(model.Event.moved_from_start_at < starts_before)
        if now_within:
            criteria.append(or_(and_(*now_within), and_(*was_within)) if include_moved else and_(*now_within))
        if not include_deleted:
            criteria.append(model.Event.deleted.is_(False))
        if updated_since is not None:
            criteria.append(model.Event.updated_at >= updated_since)
        return self._where(*criteria, order_by=model.Event.start_at)


class BusyBlocks(Repository[model.BusyBlock]):
    cls = model.BusyBlock

    def of_calendar(self, calendar_id: str) -> list[model.BusyBlock]:
        return self._where(model.BusyBlock.calendar_id == calendar_id, order_by=model.BusyBlock.start_at)

    def replace(self, calendar_id: str, blocks: list[model.BusyBlock]) -> None:
        self.session.execute(delete(model.BusyBlock).where(model.BusyBlock.calendar_id == calendar_id))
        busy_timelines.touch(self.session, [calendar_id])
        self.session.add_all(blocks)
        flush(self.session)

    def in_window(
        self, account_id: str, calendar_ids: list[str], ends_from: dt.datetime, starts_before: dt.datetime
    ) -> list[model.BusyBlock]:
        return self._where(
            model.BusyBlock.account_id == account_id,
            model.BusyBlock.calendar_id.in_(calendar_ids),
            model.BusyBlock.end_at > ends_from,
            model.BusyBlock.start_at < starts_before,
            order_by=model.BusyBlock.start_at,
        )


class CalendarSubscriptions(Repository[model.CalendarSubscription]):
    cls = model.CalendarSubscription

    def of_calendar(self, calendar_id: str) -> list[model.CalendarSubscription]:
        return self._where(model.CalendarSubscription.calendar_id == calendar_id)


class AvailabilityRules(Repository[model.AvailabilityRule]):
    cls = model.AvailabilityRule

    def by_rule_id(self, account_id: str, availability_rule_id: str) -> model.AvailabilityRule | None:
        return self._one(
            model.AvailabilityRule.account_id == account_id,
            model.AvailabilityRule.availability_rule_id == availability_rule_id,
        )

    def of_account(self, account_id: str) -> list[model.AvailabilityRule]:
        return self._where(model.AvailabilityRule.account_id == account_id, order_by=model.AvailabilityRule.availability_rule_id)

    def of_accounts(self, account_ids: list[str]) -> list[model.AvailabilityRule]:
        if not account_ids:
            return []
        return self._where(model.AvailabilityRule.account_id.in_(account_ids), order_by=model.AvailabilityRule.availability_rule_id)

    def remove(self, rule: model.AvailabilityRule) -> None:
        self.session.delete(rule)
        flush(self.session)


class AvailablePeriods(Repository[model.AvailablePeriod]):
    cls = model.AvailablePeriod

    def by_period_id(self, account_id: str, available_period_id: str) -> model.AvailablePeriod | None:
        return self._one(
            model.AvailablePeriod.account_id == account_id,
            model.AvailablePeriod.available_period_id == available_period_id,
        )

    def in_window(
        self, account_id: str, ends_from: dt.datetime | None, starts_before: dt.datetime | None
    ) -> list[model.AvailablePeriod]:
        criteria: list[Any] = [model.AvailablePeriod.account_id == account_id]
        if ends_from is not None:
            criteria.append(model.AvailablePeriod.end_at >= ends_from)
        if starts_before is not None:
            criteria.append(model.AvailablePeriod.start_at < starts_before)
        return self._where(*criteria, order_by=model.AvailablePeriod.start_at)

    def near_window(self, account_ids: list[str], ends_from: dt.datetime, starts_before: dt.datetime) -> list[model.AvailablePeriod]:
        if not account_ids:
            return []
        return self._where(
            model.AvailablePeriod.account_id.in_(account_ids), model.AvailablePeriod.end_at >= ends_from,
            model.AvailablePeriod.start_at < starts_before, order_by=model.AvailablePeriod.start_at,
        )

    def remove(self, period: model.AvailablePeriod) -> None:
        self.session.delete(period)
        flush(self.session)

    def remove_all(self, account_id: str) -> int:
        result = self.session.execute(delete(model.AvailablePeriod).where(model.AvailablePeriod.account_id == account_id))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class Grants(Repository[model.Grant]):
    cls = model.Grant

    def of_account(self, application_id: str, account_id: str) -> list[model.Grant]:
        return self._where(model.Grant.application_id == application_id, model.Grant.account_id == account_id)

    def of_accounts(self, application_id: str, account_ids: list[str]) -> list[model.Grant]:
        if not account_ids:
            return []
        return self._where(model.Grant.application_id == application_id, model.Grant.account_id.in_(account_ids))

    def of_service_account(self, service_account_id: str) -> list[model.Grant]:
        return self._where(model.Grant.service_account_id == service_account_id)


class ServiceAccounts(Repository[model.ServiceAccount]):
    cls = model.ServiceAccount

    def of_application(self, application_id: str) -> list[model.ServiceAccount]:
        return self._where(model.ServiceAccount.application_id == application_id, order_by=model.ServiceAccount.created_at)

    def profiles(self, service_account_id: str) -> list[model.Profile]:
        stmt = select(model.Profile).where(model.Profile.service_account_id == service_account_id).order_by(model.Profile.created_at)
        return list(self.session.scalars(stmt))


class Tokens(Repository[model.Token]):
    cls = model.Token

    def of_grant(self, grant_id: str) -> list[model.Token]:
        return self._where(model.Token.grant_id == grant_id)


class Codes(Repository[model.AuthorizationCode]):
    cls = model.AuthorizationCode

    def get_for_update(self, digest: str) -> model.AuthorizationCode | None:
        # Row lock on PostgreSQL (ignored by SQLite, whose BEGIN IMMEDIATE already serialises
        # writers), so two concurrent exchanges of one code cannot both succeed.
        stmt = select(model.AuthorizationCode).where(model.AuthorizationCode.digest == digest).with_for_update()
        return self.session.scalars(stmt).first()


class ElementTokens(Repository[model.ElementToken]):
    cls = model.ElementToken


class Verifications(Repository[model.EmailVerification]):
    cls = model.EmailVerification

    def sent_since(self, email: str, since: dt.datetime) -> int:
        stmt = select(func.count()).where(model.EmailVerification.email == email, model.EmailVerification.created_at >= since)
        return int(self.session.scalar(stmt) or 0)


class Channels(Repository[model.Channel]):
    cls = model.Channel

    def open_of_account(self, account_id: str) -> list[model.Channel]:
        return self._where(
            model.Channel.account_id == account_id, model.Channel.closed_at.is_(None), order_by=model.Channel.created_at
        )
