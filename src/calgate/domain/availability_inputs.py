# SPDX-License-Identifier: Apache-2.0
"""An Availability query's inputs: each member's busy time and managed availability, gathered
into the engine's types (docs.cronofy.com /developers/api/scheduling/availability and
…/scheduling/managed-availability; wire notes §1.2, §4.5, §4.6). The engine
(``availability.engine``) then answers with no I/O of its own.

- **Who may be a member**: an account (``acc_``) or application calendar (``apc_``) of the
  asking application, with a live authorization (grant) whose scopes, as its access-mode
  policy expands them, include ``read_free_busy`` (``read_events`` implies it): Cronofy's
  "you must have been granted at least read_free_busy for each participant". The application
  asks with its API key (client secret as bearer) or with the access token of any one of its
  accounts; either way the same accounts may be members. Another application's account, a
  ``res_`` resource and an unknown sub are one 422 (``errors.unknown_sub``), so a sub's
  existence elsewhere never leaks; a member without ``read_free_busy`` is
  ``errors.not_authorized``. Every problem is named by its place, e.g.
  ``participants[0].members[1]``.
- **Busy time** is exactly what Free/Busy shows that member's grant (``busy_time.busy_spans``
  reads the same rows by the same rule as ``reads.read_free_busy``),
  the application's own events included: opaque events are busy, tentative ones too;
  transparent, declined and deleted events leave the person free. All-day events span the
  member's local midnights (the account's ``default_tzid``). The access-mode policy has its
  say there: Free/Busy shows busy time in every mode, never event details, and none reach the
  engine. ``calendar_ids`` limits the calendars that count (``[]``: none, only managed
  availability); an id that is not one of the member's live calendars is
  ``errors.unknown_calendar``.
- **Managed availability** (``managed_availability: true``, or ``availability_rule_ids``, which
  implies it): the member is available only within their availability rules (every rule, or
  those named; an unknown id is ``errors.unknown_availability_rule``), expanded week by week
  in each rule's ``tzid`` by ``availability.rules.expand_weekly``, together with their
  available periods. With neither rules nor periods they are never available. The rules'
  ``calendar_ids`` choose the calendars that count when the member names none (any rule
  without ``calendar_ids`` means all of them).
- **Member ``available_periods``** limit the member further: intersected with managed
  availability when that is on, else on their own.
- **Sources that cannot vouch** (``source_states``): a member whose counted calendars include
  a connected one that is stale or needs relinking is unavailable throughout, never free;
  ``Reading.statuses`` collects each member's state for ``include_member_statuses``.
- **Explanations** (calgate's ``explain: true``, ``availability.explain``): for each member,
  every part of the query periods they cannot take, with its reason and, where the
  application may see it, the event.
- **Tentative time** is busy unless ``Reading.tentative_as_busy`` is False (calgate's
  ``tentative_as_busy: false``); events in ``Reading.excluded`` (``excluded_events``) do not
  count at all.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from calgate.domain import applications, authorization, busy_time, model, scopes, source_states, times
from calgate.domain.authorization import Caller
from calgate.domain.availability import engine, intervals, rules
from calgate.domain.availability.intervals import Span
from calgate.domain.availability.explain import BusyItem, Explained, explain
from calgate.domain.availability.timeline import Timeline
from calgate.domain.availability.types import Available, Group, Interval, Member, Query
from calgate.domain.errors import NotFound, Unauthenticated, ValidationFailed
from calgate.domain.participants import Directory
from calgate.domain.ports import UnitOfWork

FIELD = "participants"

Errors = dict[str, list[tuple[str, str]]]


@dataclass(frozen=True)
class Constraint:
    """At most ``limit`` of the asking application's events (those carrying every tag in
    ``tags``) per day or week (Monday first) in ``tzid`` (default: the member's zone); a day or
    week that has reached it is unavailable (Cronofy's ``availability_constraints``)."""

    limit: int
    period: str  # day | week
    tzid: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class MemberRequest:
    """One member as the request names it. ``calendar_ids`` None: every calendar counts."""

    sub: str
    calendar_ids: tuple[str, ...] | None = None
    available_periods: tuple[Interval, ...] | None = None
    managed_availability: bool = False
    availability_rule_ids: tuple[str, ...] | None = None
    constraints: tuple[Constraint, ...] = ()

    @property
    def managed(self) -> bool:
        return self.managed_availability or self.availability_rule_ids is not None


@dataclass(frozen=True)
class GroupRequest:
    """``required``: None for "all", else how many members must be free at once."""

    members: tuple[MemberRequest, ...]
    required: int | None = None


@dataclass
class Reading:
    """How members are read: calgate's extensions to the request, and what was found out
    about each member's sources (by sub, in the order first read)."""

    tentative_as_busy: bool = True
    stale_after: dt.timedelta = source_states.DEFAULT_STALE_AFTER
    excluded: busy_time.Excluded = field(default_factory=busy_time.Excluded)
    explain: bool = False  # calgate's ``explain: true``: keep each member's busy items
    statuses: dict[str, source_states.SourceState] = field(default_factory=dict)
    items: dict[str, list[BusyItem]] = field(default_factory=dict)
    limits: dict[str, tuple[list[Interval] | None, list[Span]]] = field(default_factory=dict)  # rules, constraints
    explanations: dict[str, list[Explained]] = field(default_factory=dict)


def asking_application(uow: UnitOfWork, bearer: str, now: dt.datetime) -> model.Application:
    """The application behind the bearer credential: its API key (client secret), else the
    access token of one of its accounts (unknown, expired or revoked: ``Unauthenticated``)."""
    try:
        return applications.by_api_key(uow, bearer)
    except Unauthenticated:
        return authorization.authenticate(uow, bearer, now).application


def fetch_window(query: Query) -> Interval:
    """Where a member's busy time and availability can matter to ``query``: its periods,
    widened by the buffers (busy time just outside a query period still needs its gap)."""
    buffer = query.buffer
    before = max(buffer.before, buffer.before_maximum or dt.timedelta(0))
    after = max(buffer.after, buffer.after_maximum or dt.timedelta(0))
    start = min(p.start for p in query.periods)
    end = max(p.end for p in query.periods)
    return Interval(start - before, end + after)


def available(
    uow: UnitOfWork, application: model.Application, groups: Sequence[GroupRequest], query: Query, now: dt.datetime,
    reading: Reading | None = None,
) -> list[Available]:
    """Answer ``query`` (its ``groups`` left empty) for ``groups`` of the application's accounts;
    with ``reading.explain``, ``reading.explanations`` says why each member is unavailable."""
    resolved = gather(uow, application, groups, fetch_window(query), now, reading=reading)
    if reading is not None and reading.explain:
        _explain(query, resolved, reading)
    return engine.available(replace(query, groups=resolved))


def _explain(query: Query, groups: Sequence[Group], reading: Reading) -> None:
    if query.query_slots is not None:
        periods = [(s, s + query.duration) for s in query.query_slots]
    else:
        periods = [(p.start, p.end) for p in query.periods]
    for member in (m for g in groups for m in g.members):
        if member.sub in reading.explanations:
            continue
        rules, constrained = reading.limits.get(member.sub, (None, []))
        allowed = None if rules is None else [(i.start, i.end) for i in rules]
        state = reading.statuses.get(member.sub)
        reading.explanations[member.sub] = explain(
            periods, allowed, reading.items.get(member.sub, []), query.buffer.after, query.buffer.before,
            vouches=state is None or state.vouches, constrained=constrained,
        )


def gather(
    uow: UnitOfWork,
    application: model.Application,
    groups: Sequence[GroupRequest],
    window: Interval,
    now: dt.datetime,
    known: dict[MemberRequest, Member] | None = None,
    where: str = "",
    reading: Reading | None = None,
) -> tuple[Group, ...]:
    """The engine's groups for ``groups``, reading what falls in ``window``. ``known`` keeps
    members already gathered (a sub named twice, or in several steps of a sequence) so each
    is read once. Raises ``ValidationFailed`` naming every member that cannot take part."""
    known = {} if known is None else known
    reading = Reading() if reading is None else reading
    directory = Directory(uow, application, (r.sub for g in groups for r in g.members if r not in known))
    errors: Errors = {}
    built: list[Group] = []
    for g, group in enumerate(groups):
        members: list[Member] = []
        for m, request in enumerate(group.members):
            if request not in known:
                try:
                    known[request] = _member(uow, directory, application, request, window, now, reading)
                except ValidationFailed as exc:
                    place = f"{where}participants[{g}].members[{m}]"
                    for key, description in exc.errors[FIELD]:
                        errors.setdefault(FIELD, []).append((key, f"{place}: {description}"))
                    continue
            members.append(known[request])
        built.append(Group(members=tuple(members), required=group.required))
    if errors:
        raise ValidationFailed(errors)
    return tuple(built)


def _problem(key: str, description: str) -> ValidationFailed:
    return ValidationFailed.single(FIELD, key, description)


def _member(
    uow: UnitOfWork, directory: Directory, application: model.Application, request: MemberRequest, window: Interval,
    now: dt.datetime, reading: Reading,
) -> Member:
    account = directory.account(request.sub)
    if account is None:
        raise _problem("unknown_sub", f"{request.sub!r} is not an account or application calendar of this application")
    caller = _authorized(directory, application, account)
    person = busy_time.Person(caller, directory.views(account.id), directory.timelines)
    rule_list: list[model.AvailabilityRule] = []
    allowed: list[Interval] | None = None
    if request.managed:
        rule_list, periods = directory.managed(account.id, window, request.availability_rule_ids)
        missing = sorted(set(request.availability_rule_ids or ()) - {r.availability_rule_id for r in rule_list})
        if missing:
            raise _problem("unknown_availability_rule", f"{request.sub} has no availability rule {', '.join(map(repr, missing))}")
        expanded = [i for rule in rule_list for i in rules.expand_weekly(rule.weekly_periods, rule.tzid, window)]
        allowed = union([*expanded, *(Interval(p.start_at, p.end_at) for p in periods)])
    if request.available_periods is not None:
        own = union(request.available_periods)
        allowed = own if allowed is None else intersect(allowed, own)
    constrained = _constrained(uow, application, account, request.constraints, window)
    reading.limits.setdefault(account.id, (allowed, constrained))
    if constrained:
        allowed = [Interval(s, e) for s, e in intervals.subtract([(i.start, i.end) for i in (allowed or [window])], constrained)]
    counted = _counted_calendars(person, request, rule_list)
    busy = _busy(person, account, counted, window, reading)
    state = _sources(person, counted, now, reading.stale_after)
    reading.statuses.setdefault(account.id, state)
    if not state.vouches:  # what it cannot vouch for is never free
        return Member(sub=account.id, busy=busy, available=())
    return Member(sub=account.id, busy=busy, available=None if allowed is None else tuple(allowed))


_WEEK = dt.timedelta(days=7)


def _constrained(
    uow: UnitOfWork, application: model.Application, account: model.Account, constraints: Sequence[Constraint], window: Interval
) -> list[Span]:
    """The days and weeks of ``window`` in which the member has reached a constraint's limit."""
    if not constraints:
        return []
    events = [
        e for e in uow.events.managed(account.id, application.id)
        if not e.deleted and window.start - _WEEK <= e.start_at < window.end + _WEEK
    ]
    full: list[Span] = []
    for constraint in constraints:
        zone = times.zone(constraint.tzid or account.default_tzid or "Etc/UTC")
        starts = sorted(e.start_at for e in events if set(constraint.tags) <= set(e.tags))
        for first, last in _calendar_periods(window, constraint.period, zone):
            if bisect.bisect_left(starts, last) - bisect.bisect_left(starts, first) >= constraint.limit:
                full.append((first, last))
    return intervals.merge(full)


def _calendar_periods(window: Interval, period: str, zone: dt.tzinfo) -> list[Span]:
    """The local days (or Monday-first weeks) in ``zone`` that overlap ``window``, as UTC spans."""
    day = window.start.astimezone(zone).date()
    if period == "week":
        day -= dt.timedelta(days=day.weekday())
    step = dt.timedelta(days=7 if period == "week" else 1)
    out: list[Span] = []
    while True:
        first = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
        if first >= window.end:
            return out
        last = dt.datetime.combine(day + step, dt.time(), zone).astimezone(dt.UTC)
        out.append((first, last))
        day += step


def _sources(
    person: busy_time.Person, counted: tuple[str, ...] | None, now: dt.datetime, stale_after: dt.timedelta
) -> source_states.SourceState:
    """The member's state over the profiles holding the calendars that count."""
    states = [
        source_states.of_profile(view.profile, now, stale_after)
        for view in person.views
        if counted is None or any(c.id in counted for c in view.calendars)
    ]
    return source_states.worst(states)


def _authorized(directory: Directory, application: model.Application, account: model.Account) -> Caller:
    """The member as Free/Busy sees them: through a live grant giving ``read_free_busy``."""
    for grant in directory.grants(account.id):
        caller = Caller(application=application, grant=grant, account=account)
        if grant.active and scopes.READ_FREE_BUSY in caller.granted:
            return caller
    raise _problem("not_authorized", f"{account.id} has not authorized this application to read their free/busy time (read_free_busy)")


def _counted_calendars(
    person: busy_time.Person, request: MemberRequest, rule_list: list[model.AvailabilityRule]
) -> tuple[str, ...] | None:
    """The calendars whose events count: the member's ``calendar_ids``, else their rules'
    (those still live), else None for all."""
    if request.calendar_ids is not None:
        return request.calendar_ids
    if not rule_list or any(r.calendar_ids is None for r in rule_list):
        return None
    live = {c.id for view in person.views for c in view.calendars}
    return tuple(dict.fromkeys(c for r in rule_list for c in (r.calendar_ids or ()) if c in live))


def _busy(
    person: busy_time.Person, account: model.Account, calendar_ids: tuple[str, ...] | None, window: Interval, reading: Reading
) -> Timeline:
    if calendar_ids is not None and not calendar_ids:
        return Timeline()
    tzid = account.default_tzid or "Etc/UTC"
    tentative, excluded = reading.tentative_as_busy, reading.excluded
    try:
        if not reading.explain:
            return person.timeline(calendar_ids or (), window.start, window.end, tzid, tentative=tentative, excluded=excluded)
        items = person.items(calendar_ids or (), window.start, window.end, tzid, tentative=tentative, excluded=excluded)
    except NotFound:
        live = {c.id for view in person.views for c in view.calendars}
        unknown = ", ".join(c for c in calendar_ids or () if c not in live)
        raise _problem("unknown_calendar", f"{account.id} has no calendar {unknown}") from None
    reading.items[account.id] = items
    return Timeline((i.start, i.end) for i in items)


def union(items: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering the same time (touching ones merged)."""
    return [Interval(start, end) for start, end in intervals.merge((i.start, i.end) for i in items)]


def intersect(first: Sequence[Interval], second: Sequence[Interval]) -> list[Interval]:
    """The time in both of two ``union``-ed lists."""
    spans = intervals.intersect([(i.start, i.end) for i in first], [(i.start, i.end) for i in second])
    return [Interval(start, end) for start, end in spans]
