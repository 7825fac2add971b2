# SPDX-License-Identifier: Apache-2.0
"""The people an Availability query names, read together: their accounts, the application's
grants over them, their profiles and calendars in four queries whatever their number, and the
busy timelines of all their live calendars in one more (``Directory.timelines``), instead of
half a dozen queries per member."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from calgate.domain import accounts, managed_availability, model
from calgate.domain.accounts import ProfileView
from calgate.domain.availability.types import Interval
from calgate.domain.busy_timeline import CalendarBusy
from calgate.domain.ports import UnitOfWork


class Directory:
    """What the query needs of the accounts ``subs`` name among ``application``'s; a sub that
    is no account of it is simply absent (``account`` answers None)."""

    def __init__(self, uow: UnitOfWork, application: model.Application, subs: Iterable[str]) -> None:
        self._uow = uow
        found = uow.accounts.many(sorted(set(subs)))
        self._accounts = {a.id: a for a in found if a.application_id == application.id}
        ids = sorted(self._accounts)
        self._grants: dict[str, list[model.Grant]] = {i: [] for i in ids}
        for grant in uow.grants.of_accounts(application.id, ids):
            if grant.account_id in self._grants:
                self._grants[grant.account_id].append(grant)
        profiles: dict[str, list[model.Profile]] = {i: [] for i in ids}
        for profile in uow.profiles.of_accounts(ids):
            profiles[profile.account_id].append(profile)
        calendars: dict[str, list[model.Calendar]] = {i: [] for i in ids}
        for calendar in uow.calendars.of_accounts(ids):
            calendars[calendar.account_id].append(calendar)
        self._views = {i: accounts.views(profiles[i], calendars[i]) for i in ids}
        self._timelines: dict[str, CalendarBusy] = {}
        self._managed: tuple[Interval, dict[str, list[model.AvailabilityRule]], dict[str, list[model.AvailablePeriod]]] | None = None

    def account(self, sub: str) -> model.Account | None:
        return self._accounts.get(sub)

    def grants(self, account_id: str) -> list[model.Grant]:
        return self._grants.get(account_id, [])

    def views(self, account_id: str) -> list[ProfileView]:
        """The account's live profiles with their live calendars (``accounts.profiles``)."""
        return self._views.get(account_id, [])

    def managed(self, account_id: str, window: Interval, rule_ids: Sequence[str] | None) -> tuple[list[model.AvailabilityRule], list[model.AvailablePeriod]]:
        """``managed_availability.for_member`` of the account: the first call reads the rules
        and the periods near ``window`` of every account in the directory at once."""
        if self._managed is None or self._managed[0] != window:
            ids = sorted(self._accounts)
            rules: dict[str, list[model.AvailabilityRule]] = {i: [] for i in ids}
            for rule in self._uow.availability_rules.of_accounts(ids):
                rules[rule.account_id].append(rule)
            periods: dict[str, list[model.AvailablePeriod]] = {i: [] for i in ids}
            for period in self._uow.available_periods.near_window(ids, window.start, window.end):
                periods[period.account_id].append(period)
            self._managed = (window, rules, periods)
        _, rules, periods = self._managed
        return managed_availability.chosen(rules.get(account_id, []), periods.get(account_id, []), window, rule_ids)

    def timelines(self, calendar_ids: Sequence[str], *, refs: bool = False, details: bool = False) -> dict[str, CalendarBusy]:
        """The busy timelines of ``calendar_ids``, read as ``BusyTimelines.of_calendars``
        reads them: the first call reads those of every live calendar in the directory at
        once; a call that needs more than was read reads its own calendars again."""
        if not self._timelines:
            every = sorted({c.id for views in self._views.values() for v in views for c in v.calendars} | set(calendar_ids))
            self._timelines = self._uow.busy_timelines.of_calendars(every, refs=refs, details=details)
        short = [
            c for c in calendar_ids
            if c not in self._timelines or (refs and self._timelines[c].refs is None) or (details and not self._timelines[c].detailed)
        ]
        if short:
            self._timelines.update(self._uow.busy_timelines.of_calendars(short, refs=refs, details=details))
        return {c: self._timelines[c] for c in calendar_ids}
