# SPDX-License-Identifier: Apache-2.0
"""Reading ``POST /v1/real_time_scheduling``'s body (docs.cronofy.com/developers/api/scheduling
/real-time-scheduling; wire notes §4.10) into the domain's ``LinkRequest``, every problem
collected into one 422 naming its field.

    oauth             required: {redirect_uri (absolute http(s) URL), state?, scope?}; the
                      visitor is sent to redirect_uri (with ``state``) after booking unless
                      redirect_urls.completed_url is given. calgate asks the visitor to connect
                      no calendar, so ``scope`` has no effect
    event             required: the event template (as Create or Update Event reads it:
                      event_id and summary required), without start and end
    availability      required: an Availability query (``api/availability_wire``: participants,
                      required_duration, query_periods or available_periods or query_slots,
                      buffer, start_interval, max_results); answered live on each visit
    target_calendars  required, 1-10: [{sub, calendar_id, attendee?: {email, display_name?}}];
                      a per-calendar ``event`` override (conferencing) is refused (422)
    minimum_notice    {hours?, minutes?}: 0 to 8,760 hours before a slot can be booked
    callback_urls     {completed_url?, no_times_suitable_url?, no_times_displayed_url?};
                      ``callback_url`` is the older completed_url
    redirect_urls     {completed_url?}
    tzid              the zone the page opens in (the visitor can change it); default: the
                      event's tzid, else Etc/UTC
    event_creation    "default" (an event in each target calendar) or "single"
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from calgate.api import availability_wire
from calgate.domain import channels, scheduling_booking, scheduling_links, times
from calgate.domain.errors import ValidationFailed

Errors = dict[str, list[tuple[str, str]]]
CALLBACK_KEYS = ("completed_url", "no_times_suitable_url", "no_times_displayed_url")
MAX_NOTICE_MINUTES = 8760 * 60


def _add(errors: Errors, name: str, key: str, description: str) -> None:
    errors.setdefault(name, []).append((f"errors.{key}", description))


def asked(stored: dict[str, Any]) -> scheduling_booking.Asked:
    """A link's stored request's availability as the engine's groups and query (or steps)."""
    if stored.get("kind") == scheduling_links.SEQUENCING:
        steps, max_results = availability_wire.sequenced(stored["availability"])
        return scheduling_booking.Asked((), steps[0].query, tuple(steps), max_results)
    request = availability_wire.availability(stored["availability"])
    return scheduling_booking.Asked(request.groups, request.query)


def _refiled(exc: ValidationFailed, errors: Errors) -> None:
    """The Availability parser's problems, filed under ``availability``."""
    for name, pairs in exc.errors.items():
        for key, description in pairs:
            text = description if description.startswith(name) else f"{name}: {description}"
            errors.setdefault("availability", []).append((key, f"availability.{text}"))


def _availability(value: object, errors: Errors) -> tuple[dict[str, Any], tuple[str, ...]]:
    if not isinstance(value, dict) or not value:
        _add(errors, "availability", "required", "availability must be an Availability query: participants, required_duration, query_periods")
        return {}, ()
    try:
        request = availability_wire.availability(value)
    except ValidationFailed as exc:
        _refiled(exc, errors)
        return {}, ()
    members = tuple(dict.fromkeys(m.sub for g in request.groups for m in g.members))
    return dict(value), members


def _sequence(value: object, errors: Errors) -> tuple[dict[str, Any], tuple[str, ...], dict[str, dict[str, Any]]]:
    """Real-Time Sequencing's ``availability``: ``sequence`` steps (as Sequenced Availability
    reads them), each with an optional ``event`` of its own; and the subs it names."""
    if not isinstance(value, dict) or not value.get("sequence"):
        _add(errors, "availability", "required", "availability must hold a sequence of steps, as Sequenced Availability takes them")
        return {}, (), {}
    try:
        steps, _ = availability_wire.sequenced(value)
    except ValidationFailed as exc:
        _refiled(exc, errors)
        return {}, (), {}
    own: dict[str, dict[str, Any]] = {}
    for index, step in enumerate(value["sequence"]):
        event = step.get("event") if isinstance(step, dict) else None
        if event is None:
            continue
        problems = scheduling_links.template_problems(event)
        for key, description in problems.get("event", []):
            _add(errors, "availability", key.removeprefix("errors."), f"availability.sequence[{index}].{description}")
        if not problems:
            own[str(steps[index].sequence_id)] = dict(event)
    if len({s.sequence_id for s in steps}) != len(steps):
        _add(errors, "availability", "invalid", "availability.sequence: each step needs its own sequence_id")
    members = tuple(dict.fromkeys(m.sub for step in steps for g in step.groups for m in g.members))
    return dict(value), members, own


def _attendee(value: object, where: str, errors: Errors) -> dict[str, str] | None:
    if value is None:
        return None
    email = value.get("email") if isinstance(value, dict) else None
    name = value.get("display_name") if isinstance(value, dict) else None
    if not isinstance(email, str) or "@" not in email or (name is not None and not isinstance(name, str)):
        _add(errors, "target_calendars", "invalid", f"{where}.attendee must be {{\"email\": …, \"display_name\": …}}")
        return None
    return {"email": email.strip(), **({"display_name": name} if name else {})}


def _targets(value: object, errors: Errors) -> tuple[scheduling_links.Target, ...]:
    if not isinstance(value, list) or not value:
        _add(errors, "target_calendars", "required", 'target_calendars must list the calendars to book into: [{"sub": …, "calendar_id": …}]')
        return ()
    if len(value) > scheduling_links.MAX_TARGETS:
        _add(errors, "target_calendars", "too_many", f"target_calendars may have at most {scheduling_links.MAX_TARGETS} entries")
        return ()
    found = []
    for index, item in enumerate(value):
        where = f"target_calendars[{index}]"
        sub = item.get("sub") if isinstance(item, dict) else None
        calendar_id = item.get("calendar_id") if isinstance(item, dict) else None
        if not isinstance(sub, str) or not sub or not isinstance(calendar_id, str) or not calendar_id:
            _add(errors, "target_calendars", "invalid", f"{where} must have a sub and a calendar_id")
            continue
        if item.get("event") not in (None, {}):
            _add(errors, "target_calendars", "not_allowed", f"{where}.event (per-calendar overrides such as conferencing) is not supported")
            continue
        found.append(scheduling_links.Target(sub, calendar_id, _attendee(item.get("attendee"), where, errors)))
    return tuple(found)


def _notice(value: object, errors: Errors) -> dt.timedelta:
    if value is None or value == {}:
        return dt.timedelta(0)
    hours = value.get("hours", 0) if isinstance(value, dict) else None
    minutes = value.get("minutes", 0) if isinstance(value, dict) else None
    whole = all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (hours, minutes))
    total = hours * 60 + minutes if whole else -1  # type: ignore[operator]
    if not whole or not 0 <= total <= MAX_NOTICE_MINUTES:
        _add(errors, "minimum_notice", "invalid", 'minimum_notice must be a duration such as {"hours": 4}, at most 8760 hours')
        return dt.timedelta(0)
    return dt.timedelta(minutes=total)


def _urls(value: object, name: str, keys: tuple[str, ...], errors: Errors) -> dict[str, str]:
    if value is None or value == {}:
        return {}
    if not isinstance(value, dict) or set(value) - set(keys):
        _add(errors, name, "invalid", f"{name} may hold {', '.join(keys)}")
        return {}
    found = {}
    for key in keys:
        url = channels.absolute_url(value.get(key), f"{name}.{key}", errors, required=False)
        if url:
            found[key] = url
    return found


def link_request(params: dict[str, Any], kind: str = scheduling_links.SCHEDULING) -> scheduling_links.LinkRequest:
    """``POST /v1/real_time_scheduling``'s body, or ``POST /v1/real_time_sequencing``'s (whose
    ``availability`` is a sequence)."""
    errors: Errors = {}
    oauth = params.get("oauth")
    if not isinstance(oauth, dict):
        _add(errors, "oauth", "required", 'oauth must be {"redirect_uri": "https://…"}')
        oauth = {}
    redirect_uri = channels.absolute_url(oauth.get("redirect_uri"), "oauth.redirect_uri", errors)
    state = oauth.get("state")
    if state is not None and not isinstance(state, str):
        _add(errors, "oauth.state", "invalid", "oauth.state must be a string")
    event = params.get("event")
    errors.update(scheduling_links.template_problems(event))
    step_events: dict[str, dict[str, Any]] = {}
    if kind == scheduling_links.SEQUENCING:
        availability, members, step_events = _sequence(params.get("availability"), errors)
    else:
        availability, members = _availability(params.get("availability"), errors)
    targets = _targets(params.get("target_calendars"), errors)
    notice = _notice(params.get("minimum_notice"), errors)
    callbacks = _urls(params.get("callback_urls"), "callback_urls", CALLBACK_KEYS, errors)
    legacy = channels.absolute_url(params.get("callback_url"), "callback_url", errors, required=False)
    if legacy:
        callbacks.setdefault("completed_url", legacy)
    redirects = _urls(params.get("redirect_urls"), "redirect_urls", ("completed_url",), errors)
    tzid = params.get("tzid") or (event.get("tzid") if isinstance(event, dict) else None) or None
    if tzid is not None:
        try:
            times.zone(tzid)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    creation = params.get("event_creation") or scheduling_links.DEFAULT
    if creation not in (scheduling_links.DEFAULT, scheduling_links.SINGLE):
        _add(errors, "event_creation", "invalid", "event_creation must be default or single")
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(event, dict) and redirect_uri
    return scheduling_links.LinkRequest(
        availability=availability, members=members, event=dict(event), targets=targets, redirect_uri=redirect_uri,
        state=state, minimum_notice=notice, callback_urls=callbacks, completed_redirect=redirects.get("completed_url"),
        tzid=str(tzid) if tzid else None, event_creation=str(creation), kind=kind, step_events=step_events,
    )
