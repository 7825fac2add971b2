"""Plain objects for the reads tests: events, a caller in a chosen mode, an in-memory store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from calgate.domain import busy_timeline, model, reads, times
from calgate.domain.authorization import Caller

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
APP = "app_1"
OTHER_APP = "app_other"
ACCOUNT = "acc_1"
CALENDAR = "cal_1"
ALL = frozenset({"read_events", "read_free_busy"})


def at(text: str) -> dt.datetime:
    return times.parse_time(text, "t")


def event(
    start: str,
    end: str,
    *,
    uid: str = "evt_1",
    tzid: str = "Etc/UTC",
    managed: bool = True,
    calendar: str = CALENDAR,
    deleted: bool = False,
    created: dt.datetime = T0,
    updated: dt.datetime = T0,
    transparency: str = "opaque",
    participation_status: str = "accepted",
) -> model.Event:
    """An event as ``events.upsert`` stores it; ``managed=False`` makes it another source's."""
    s = times.parse_event_time({"time": start, "tzid": tzid}, "start", None)
    e = times.parse_event_time({"time": end, "tzid": tzid}, "end", None)
    return model.Event(
        id=uid, calendar_id=calendar, account_id=ACCOUNT, application_id=APP if managed else None,
        event_id=f"id-{uid}" if managed else None, summary="Meeting",
        start={"time": s.wire(), "tzid": tzid}, end={"time": e.wire(), "tzid": tzid},
        start_at=s.instant("Etc/UTC"), end_at=e.instant("Etc/UTC"), deleted=deleted, created_at=created,
        updated_at=updated, transparency=transparency, participation_status=participation_status,
    )


def query(**fields: object) -> reads.Query:
    values = {"tzid": "Etc/UTC", "from": "2026-01-01", "to": "2026-12-31"}
    flags = {name: bool(fields.pop(name)) for name in reads.FLAGS if name in fields}
    values.update({k: v for k, v in fields.items()})
    return reads.Query.parse(values, flags, NOW)


def caller(mode: str = "no_calendar", grant_id: str = "grt_1", scope: str = "read_events read_free_busy") -> Caller:
    return Caller(
        application=model.Application(
            id=APP, developer_id="dev_1", name="Acme", client_id="c", client_secret_digest="d", client_secret_sealed="s"
        ),
        grant=model.Grant(id=grant_id, application_id=APP, account_id=ACCOUNT, scope=scope, access_mode=mode),
        account=model.Account(id=ACCOUNT, application_id=APP, email="ada@example.com", name="Ada"),
    )


@dataclass
class _Events:
    items: list[model.Event]

    def in_window(self, account_id, calendar_ids, ends_from, starts_before, include_deleted, updated_since, include_moved=False):  # type: ignore[no-untyped-def]
        def within(start, end):  # type: ignore[no-untyped-def]
            return start is not None and (ends_from is None or end >= ends_from) and (starts_before is None or start < starts_before)

        return [
            e for e in self.items
            if e.account_id == account_id and e.calendar_id in calendar_ids
            and (within(e.start_at, e.end_at) or include_moved and within(e.moved_from_start_at, e.moved_from_end_at))
            and (include_deleted or not e.deleted)
            and (updated_since is None or e.updated_at >= updated_since)
        ]


@dataclass
class _ByAccount:
    items: list[object]

    def of_account(self, account_id: str) -> list[object]:
        return [i for i in self.items if getattr(i, "account_id") == account_id]

    def live_ids(self, account_id: str) -> list[str]:  # calendars: the fake's profile is live
        return sorted(str(getattr(c, "id")) for c in self.of_account(account_id) if not getattr(c, "deleted"))


@dataclass
class _BusyBlocks:
    items: list[model.BusyBlock]

    def in_window(self, account_id, calendar_ids, ends_from, starts_before):  # type: ignore[no-untyped-def]
        return [
            b for b in self.items
            if b.account_id == account_id and b.calendar_id in calendar_ids and b.end_at > ends_from and b.start_at < starts_before
        ]


@dataclass
class _BusyTimelines:
    """Timelines built from the in-memory events, as the store rebuilds them from its rows."""

    uow: "FakeUow"

    def of_calendars(self, calendar_ids, *, refs=False, details=False):  # type: ignore[no-untyped-def]
        return self.from_rows(calendar_ids)

    def from_rows(self, calendar_ids):  # type: ignore[no-untyped-def]
        events = [e for e in self.uow.events.items if not e.deleted]
        blocks = self.uow.busy_blocks.items
        return {
            c: busy_timeline.build(
                c, [busy_timeline.row_of(e) for e in events if e.calendar_id == c],
                [busy_timeline.BlockRow(b.id, b.start_at, b.end_at, b.status) for b in blocks if b.calendar_id == c],
            )
            for c in calendar_ids
        }


@dataclass
class FakeUow:
    """The repositories a read touches, in memory, holding one live hosted calendar (and no
    busy blocks: those come from free_busy profiles, tested against real databases)."""

    events_list: list[model.Event] = field(default_factory=list)
    extra_calendars: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        profile = model.Profile(id="pro_1", account_id=ACCOUNT, provider="cronofy", access_mode="no_calendar", name="ada")
        calendars = [model.Calendar(id=c, account_id=ACCOUNT, profile_id="pro_1", name=c) for c in [CALENDAR, *self.extra_calendars]]
        self.profiles = _ByAccount([profile])
        self.calendars = _ByAccount(list(calendars))
        self.events = _Events(self.events_list)
        self.busy_blocks = _BusyBlocks([])
        self.busy_timelines = _BusyTimelines(self)
