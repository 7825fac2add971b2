# SPDX-License-Identifier: Apache-2.0
"""Create or Update Event's request (docs.cronofy.com /developers/api/events/upsert-event;
wire notes §4.3), validated into an ``EventInput``. ``events`` applies it.

Every documented field is either honoured or refused with a 422 naming it; none is accepted
and dropped (docs/guide/migrating-from-cronofy.md lists the refusals):

- honoured: ``event_id``, ``summary``, ``description``, ``start``/``end``/``tzid``,
  ``location`` (``description``, ``lat``, ``long``), ``url``, ``reminders`` and
  ``reminders_create_only``, ``transparency`` and ``extended_transparency``, ``color``,
  ``attendees``, ``tags``, ``event_private``, ``recurrence`` (``recurrence``),
  ``conferencing`` with explicit details (``profile_id`` ``explicit`` or ``default`` with a
  ``provider_description`` and a ``join_url``; ``none`` removes it), ``locale`` English;
- refused: ``attachments`` and ``subscriptions`` (calgate keeps no attachments and sends no
  per-event interaction callbacks), conferencing calgate would have to provision
  (``integrated``, a conferencing profile), a ``locale`` other than English (calgate's
  invitations are written in English only).

``event_uid`` names an external event (the person's own) instead of ``event_id``; where
that may be written is ``events.upsert_external``'s business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from calgate.domain import recurrence, times
from calgate.domain.errors import ValidationFailed

MAX_SUMMARY = 1024
MAX_DESCRIPTION = 4096
MAX_EVENT_ID = 200
MAX_PROVIDER_DESCRIPTION = 200
TRANSPARENCIES = ("opaque", "transparent")
# Cronofy's extended_transparency values a write may give, and the transparency each implies.
EXTENDED_TRANSPARENCIES = {
    "opaque": "opaque", "transparent": "transparent", "tentative": "opaque",
    "out_of_office": "opaque", "working_elsewhere": "transparent",
}
KEEP: Any = object()  # a field left out of an update: the event keeps what it has

Errors = dict[str, list[tuple[str, str]]]


def _add(errors: Errors, name: str, key: str, description: str) -> None:
    errors.setdefault(name, []).append((f"errors.{key}", description))


def _text(params: dict[str, Any], name: str, limit: int, errors: Errors, required: bool = False) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            _add(errors, name, "required", f"{name} must be specified")
        return None
    if not isinstance(value, str):
        _add(errors, name, "invalid", f"{name} must be a string")
        return None
    if len(value) > limit:
        _add(errors, name, "too_long", f"{name} must be at most {limit} characters")
    return value


def _people(value: object, name: str, errors: Errors) -> list[dict[str, str]]:
    people: list[dict[str, str]] = []
    for item in value if isinstance(value, list) else [value]:
        email = item.get("email") if isinstance(item, dict) else None
        if not isinstance(email, str) or "@" not in email:
            _add(errors, name, "invalid", "each attendee needs an email address")
            continue
        person = {"email": email.strip().lower()}
        if isinstance(item, dict) and isinstance(item.get("display_name"), str):
            person["display_name"] = item["display_name"]
        people.append(person)
    return people


@dataclass(frozen=True)
class EventInput:
    """A validated Create or Update Event request (wire notes §4.3)."""

    event_id: str
    summary: str
    start: times.EventTime
    end: times.EventTime
    description: str | None = None
    location: dict[str, str] | None = None
    url: str | None = None
    reminders: list[dict[str, int]] = field(default_factory=list)
    transparency: str = "opaque"
    color: str | None = None
    invite: list[dict[str, str]] = field(default_factory=list)
    remove: list[dict[str, str]] = field(default_factory=list)
    tags: list[str] | None = None  # None: keep the event's tags as they are
    event_uid: str | None = None  # an external event's, instead of event_id
    event_private: bool = False
    extended_transparency: str | None = None
    reminders_create_only: bool = False
    recurrence: Any = KEEP  # a recurrence.Rule, None (no recurrence) or KEEP
    conferencing: Any = KEEP  # {"provider_description", "join_url"}, None (removed) or KEEP

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "EventInput":
        errors: Errors = {}
        event_uid = _text(params, "event_uid", MAX_EVENT_ID, errors) if params.get("event_uid") is not None else None
        if event_uid and params.get("event_id") not in (None, ""):
            _add(errors, "event_uid", "invalid", "give event_id (the application's event) or event_uid (an external event), not both")
        event_id = _text(params, "event_id", MAX_EVENT_ID, errors, required=event_uid is None) or ""
        summary = _text(params, "summary", MAX_SUMMARY, errors, required=True)
        description = _text(params, "description", MAX_DESCRIPTION, errors)
        url = _text(params, "url", 2048, errors)
        tzid = params.get("tzid") if isinstance(params.get("tzid"), str) else None
        if tzid:
            try:
                times.zone(tzid)
            except ValidationFailed as exc:
                errors.update(exc.errors)
                tzid = None
        start = end = None
        for name in ("start", "end"):
            try:
                parsed = times.parse_event_time(params.get(name), name, tzid)
            except ValidationFailed as exc:
                errors.update(exc.errors)
                continue
            start, end = (parsed, end) if name == "start" else (start, parsed)
        if start and end:
            if start.all_day != end.all_day:
                _add(errors, "end", "invalid", "start and end must both be Times or both be Dates")
            elif end.instant() <= start.instant():
                _add(errors, "end", "invalid", "end must be after start")
        location = params.get("location")
        if location is not None:
            if not isinstance(location, dict) or not all(isinstance(v, (str, int, float)) for v in location.values()):
                _add(errors, "location", "invalid", "location must be an object such as {\"description\": \"Room 1\"}")
                location = None
            else:
                location = {k: str(v) for k, v in location.items() if k in ("description", "lat", "long")}
                _check_geo(location, errors)
        reminders: list[dict[str, int]] = []
        raw_reminders = params.get("reminders") or []
        if not isinstance(raw_reminders, list):
            _add(errors, "reminders", "invalid", "reminders must be a list such as [{\"minutes\": 10}]")
            raw_reminders = []
        for reminder in raw_reminders:
            minutes = reminder.get("minutes") if isinstance(reminder, dict) else None
            if not isinstance(minutes, int) or not 0 <= minutes <= 40320:
                _add(errors, "reminders", "invalid", "each reminder needs minutes between 0 and 40320")
            else:
                reminders.append({"minutes": minutes})
        transparency = params.get("transparency") or "opaque"
        if transparency not in TRANSPARENCIES:
            _add(errors, "transparency", "invalid", "transparency must be opaque or transparent")
        extended = params.get("extended_transparency")
        if extended is not None:
            if not isinstance(extended, str) or extended not in EXTENDED_TRANSPARENCIES:
                _add(errors, "extended_transparency", "invalid", f"extended_transparency must be one of {', '.join(EXTENDED_TRANSPARENCIES)}")
            elif params.get("transparency") and EXTENDED_TRANSPARENCIES[extended] != transparency:
                _add(errors, "extended_transparency", "invalid", f"extended_transparency {extended} contradicts transparency {transparency}")
            else:
                transparency = EXTENDED_TRANSPARENCIES[extended]
        event_private = _flag(params, "event_private", errors)
        reminders_create_only = _flag(params, "reminders_create_only", errors)
        rule = recurrence.parse(params["recurrence"], errors) if params.get("recurrence") is not None else KEEP
        conferencing = _conferencing(params["conferencing"], errors) if params.get("conferencing") is not None else KEEP
        _refuse_unsupported(params, errors)
        color = _text(params, "color", 16, errors)
        attendees = params.get("attendees") or {}
        if not isinstance(attendees, dict):
            _add(errors, "attendees", "invalid", "attendees must be {\"invite\": [...], \"remove\": [...]}")
            attendees = {}
        invite = _people(attendees.get("invite") or [], "attendees", errors)
        remove = _people(attendees.get("remove") or attendees.get("reject") or [], "attendees", errors)
        tags = read_tags(params.get("tags"), "tags", errors) if "tags" in params else None
        if errors:
            raise ValidationFailed(errors)
        assert (event_id or event_uid) and summary and start and end
        return cls(
            event_id=event_id, summary=summary, start=start, end=end, description=description,
            location=location or None, url=url, reminders=reminders, transparency=str(transparency),
            color=color, invite=invite, remove=remove, tags=tags, event_uid=event_uid,
            event_private=event_private, extended_transparency=extended, reminders_create_only=reminders_create_only,
            recurrence=rule, conferencing=conferencing,
        )


MAX_TAGS, MAX_TAG = 20, 100


def read_tags(value: Any, name: str, errors: Errors) -> list[str]:
    """``{"private": [{"value": "Interview"}, …]}`` → the values (the application's own tags;
    Availability constraints count events by them). Up to 20 values of 1 to 100 characters."""
    example = 'tags must be {"private": [{"value": "Interview"}]}'
    if value is None:
        return []
    if not isinstance(value, dict) or set(value) - {"private"} or not isinstance(value.get("private", []), list):
        _add(errors, name, "invalid", example)
        return []
    found: list[str] = []
    for item in value.get("private", []):
        text = item.get("value") if isinstance(item, dict) else None
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TAG:
            _add(errors, name, "invalid", f"each tag is {{\"value\": text of 1 to {MAX_TAG} characters}}")
            return []
        if text not in found:
            found.append(text)
    if len(found) > MAX_TAGS:
        _add(errors, name, "too_many", f"at most {MAX_TAGS} tags")
        return []
    return found


def _flag(params: dict[str, Any], name: str, errors: Errors) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):  # form bodies, pycronofy's True
        return value.lower() == "true"
    _add(errors, name, "invalid", f"{name} must be true or false")
    return False


def _check_geo(location: dict[str, str], errors: Errors) -> None:
    """``lat`` and ``long`` are decimal degrees (Cronofy sends them as strings), both or neither."""
    given = [k for k in ("lat", "long") if location.get(k) not in (None, "")]
    if not given:
        location.pop("lat", None), location.pop("long", None)
        return
    if len(given) == 1:
        _add(errors, "location", "invalid", "location needs both lat and long, or neither")
        return
    try:
        lat, lon = float(location["lat"]), float(location["long"])
    except ValueError:
        lat, lon = 999.0, 999.0
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        _add(errors, "location", "invalid", "location.lat must be -90 to 90 and location.long -180 to 180 (decimal degrees)")


def _conferencing(value: object, errors: Errors) -> dict[str, str] | None:
    """Explicit join details, or None for ``profile_id: none``. calgate connects no
    conferencing service, so it cannot make a meeting itself: ``default`` is taken only with
    the details given, as ``explicit`` is."""
    name = "conferencing"
    if not isinstance(value, dict):
        _add(errors, name, "invalid", 'conferencing must be {"profile_id": "explicit", "provider_description": …, "join_url": …}')
        return None
    profile_id = value.get("profile_id")
    if profile_id == "none":
        return None
    description, join_url = value.get("provider_description"), value.get("join_url")
    if profile_id not in ("explicit", "default") or join_url is None:
        _add(
            errors, name, "unsupported",
            "calgate connects no conferencing service and creates no meetings: give profile_id explicit "
            "with provider_description and join_url (or none to remove conferencing)",
        )
        return None
    if not isinstance(description, str) or not description.strip() or len(description) > MAX_PROVIDER_DESCRIPTION:
        _add(errors, name, "invalid", f"conferencing.provider_description must be text of 1 to {MAX_PROVIDER_DESCRIPTION} characters")
        return None
    parts = urlsplit(join_url) if isinstance(join_url, str) else None
    if parts is None or parts.scheme not in ("https", "http") or not parts.netloc or len(join_url) > 2048:
        _add(errors, name, "invalid", "conferencing.join_url must be an http(s) URL")
        return None
    return {"provider_description": description.strip(), "join_url": str(join_url)}


def _refuse_unsupported(params: dict[str, Any], errors: Errors) -> None:
    """The fields calgate cannot honour, refused rather than dropped. An empty list asks
    for nothing and is taken."""
    if params.get("attachments") not in (None, []):
        _add(errors, "attachments", "unsupported", "calgate keeps no attachments (calendar_attachments_available is false)")
    if params.get("subscriptions") not in (None, []):
        _add(errors, "subscriptions", "unsupported", "calgate sends no per-event interaction callbacks; use push notification channels")
    locale = params.get("locale")
    if locale is not None:
        if not isinstance(locale, str) or not (locale.lower() == "en" or locale.lower()[:3] in ("en-", "en_")):
            _add(errors, "locale", "unsupported", "calgate writes its invitations in English only: locale must be en (or en-GB, en-US…)")
