# SPDX-License-Identifier: Apache-2.0
"""A fast reader for the common shape of calendar object resource, for ``ical_reader``.

Parsing with icalendar is most of a first sync's work (about 0.25 ms a resource, most of it in
building objects calgate never reads), while nearly every resource a server holds is one plain
VEVENT. ``event`` reads such a resource's content lines itself (RFC 5545 §3.1: unfolding,
parameters with quoted values, escaped TEXT, DATE and DATE-TIME in UTC, floating or with an
IANA-known TZID, DURATION) and gives the values ``ical_reader`` would get from icalendar after
``ical_lines.narrowed`` and its own normalising. Anything it does not fully understand gives
None, and the caller reads the resource with icalendar:

- recurrence but one plain RRULE (``RULE``: FREQ DAILY to YEARLY with INTERVAL, COUNT or UNTIL,
  BYDAY without ordinals, BYMONTHDAY, BYMONTH, WKST; expanded by ``ical_series``): RDATE,
  EXDATE, EXRULE, RECURRENCE-ID, several VEVENTs, a series mixing dates and date-times or
  ending before it starts; VTODO, VJOURNAL or any other component beside VEVENT and VTIMEZONE;
- a TZID no zone table knows (the VTIMEZONE would be needed), a "globally unique" TZID
  (``/vendor/…``, icalendar warns of its guess), TZID on a DATE or on a UTC time;
- a VALUE parameter but DATE/DATE-TIME on DTSTART/DTEND and DURATION on DURATION; a list, a
  backslash or an RFC 6868 ``^`` in a parameter; blanks around delimiters; a line of the
  event that is read and does not match the grammar below; a bare CR; a blank line; bytes that
  are not UTF-8;
- a repeated UID, DTSTART, DTEND, DURATION, TRANSP, STATUS or RRULE;
- a calendar property icalendar could refuse (only CALSCALE, METHOD and X- names are taken),
  a VTIMEZONE icalendar does not parse (checked once per distinct text, with icalendar).

Like ``narrowed``, only the event's properties named in ``read`` are decoded at all (in
free/busy reading no texts); the others are skipped by name. ``tests/unit/providers/
test_ical_fast.py`` runs both readers over the fixtures and generated resources and asserts
they agree.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import NamedTuple
from zoneinfo import ZoneInfo

import icalendar

from calgate.providers import ical_series, ical_times
from calgate.providers.ical_times import ETC_UTC, UTC

__all__ = ["Event", "event"]


class Event(NamedTuple):
    """One plain VEVENT's values, as ``ical_reader`` reads them from icalendar's."""

    uid: str  # stripped, not empty
    start: dt.date  # a date, or an aware datetime in its zone (floating: UTC)
    end: dt.date | None  # DTEND, likewise
    duration: dt.timedelta | None  # DURATION (read only without DTEND)
    start_tzid: str
    end_tzid: str  # DTEND's label, else DTSTART's
    texts: dict[str, str]  # the first SUMMARY, DESCRIPTION, LOCATION and URL there are
    transp: str  # "" when absent
    status: str
    attendees: list[tuple[str, dict[str, str]]]  # (value, parameters by upper-case name)
    organizer: tuple[str, dict[str, str]] | None  # the first ORGANIZER
    rule: str | None  # a plain RRULE (``RULE``), for ``ical_series``


_FALLBACK = frozenset({b"RDATE", b"EXDATE", b"EXRULE", b"RECURRENCE-ID"})
_ONCE = frozenset({"UID", "DTSTART", "DTEND", "DURATION", "TRANSP", "STATUS", "RRULE"})
_DAY = r"(?:MO|TU|WE|TH|FR|SA|SU)"
# The RRULE parts read here, each at most once; FREQ is needed, COUNT and UNTIL exclude each other.
RULE = {
    "FREQ": re.compile(r"DAILY|WEEKLY|MONTHLY|YEARLY"),
    "INTERVAL": re.compile(r"[1-9][0-9]{0,2}"),
    "COUNT": re.compile(r"[1-9][0-9]{0,3}"),
    "UNTIL": re.compile(r"[0-9]{8}(?:T[0-9]{6}Z)?"),
    "BYDAY": re.compile(rf"{_DAY}(?:,{_DAY})*"),
    "BYMONTHDAY": re.compile(r"(?:[1-9]|[12][0-9]|3[01])(?:,(?:[1-9]|[12][0-9]|3[01]))*"),
    "BYMONTH": re.compile(r"(?:[1-9]|1[0-2])(?:,(?:[1-9]|1[0-2]))*"),
    "WKST": re.compile(_DAY),
}
_TEXTS = frozenset({"SUMMARY", "DESCRIPTION", "LOCATION", "URL"})
_UNREAD_CALENDAR = frozenset({b"VERSION", b"PRODID"})
_CALENDAR_TEXTS = frozenset({"CALSCALE", "METHOD"})
_READ_PARAMETERS = frozenset({"TZID", "VALUE", "CN", "PARTSTAT", "EMAIL"})

_HEAD = re.compile(rb"([A-Za-z0-9-]+)[;:]")
_FOLD = re.compile(rb"\r?\n[ \t]")
# A folded line whose name ``narrowed`` would read otherwise than from the unfolded line (it
# reads the first physical line), or a folded BEGIN or END; a fold that splits a UTF-8
# character (icalendar decodes before unfolding).
_FOLDED_NAME = re.compile(rb"^(?![ \t])(?:(?![A-Za-z0-9-]+[;:])|(?i:BEGIN|END)[;:])[^\n]*\n[ \t]", re.MULTILINE)
_FOLD_IN_CHARACTER = re.compile(rb"\n[ \t][\x80-\xbf]")
_VALUE = r'(?:"[^"\x00-\x08\x0a-\x1f\x7f]*"|[^";:,\x00-\x08\x0a-\x1f\x7f]*)'
_PARAMETER = rf"[A-Za-z0-9-]+={_VALUE}(?:,{_VALUE})*"
_LINE = re.compile(rf"([A-Za-z0-9-]+)((?:;{_PARAMETER})*):(.*)", re.DOTALL)
_PARAMETERS = re.compile(rf";([A-Za-z0-9-]+)=({_VALUE}(?:,{_VALUE})*)")
_BLANK_AROUND = re.compile(r"[ \t][;=:]|[;=][ \t]")
_UNESCAPE = re.compile(r"\\([\\,;:nN])")  # icalendar's unescape_backslash
_DATE_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)", re.ASCII)
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_DURATION = re.compile(r"([-+]?)P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", re.ASCII)


class _Unsure(Exception):
    """The resource is not of the shape read here: icalendar reads it."""


def event(ical: bytes, read: frozenset[bytes]) -> Event | None:
    """The one plain VEVENT of ``ical``, or None when icalendar must read it (module docstring)."""
    try:
        return _event(ical, read)
    except (_Unsure, ValueError, OverflowError):  # ValueError: bad UTF-8, dates that do not exist
        return None


def _event(ical: bytes, read: frozenset[bytes]) -> Event:
    lines = _unfolded(ical)
    if lines[0] != b"BEGIN:VCALENDAR" or lines[-1] != b"END:VCALENDAR":
        raise _Unsure
    found: Event | None = None
    names: list[str] = []
    index, last = 1, len(lines) - 1
    while index < last:
        line = lines[index]
        head = _HEAD.match(line)
        if head is None:
            raise _Unsure  # nothing at the calendar's level goes unparsed
        name = head.group(1).upper()
        if name == b"BEGIN":
            component = _component(line, b"BEGIN:")
            if component == b"VEVENT" and found is None:
                found, index = _vevent(lines, index + 1, read)
                continue
            close = _closing(lines, index, component)
            if component != b"VTIMEZONE" or not _zone_parses(b"\r\n".join(lines[index : close + 1])):
                raise _Unsure
            index = close + 1
            continue
        if name not in _UNREAD_CALENDAR:
            names.append(_calendar_property(line))
        index += 1
    if found is None or names.count("CALSCALE") > 1:  # the expander refuses anything but one CALSCALE:GREGORIAN
        raise _Unsure
    if found.rule is not None and "X-WR-TIMEZONE" in names:  # the expander moves UTC times to that zone
        raise _Unsure
    return found


def _unfolded(ical: bytes) -> list[bytes]:
    """The content lines, unfolded (RFC 5545 §3.1), when ``narrowed`` and icalendar would see
    the same lines: no bare CR, no blank line, no fold inside a name or a UTF-8 character."""
    if b"\r" in ical and ical.count(b"\r") != ical.count(b"\r\n"):
        raise _Unsure
    if b"\n\n" in ical or b"\n\r\n" in ical:
        raise _Unsure
    if b"\n " in ical or b"\n\t" in ical:
        if _FOLDED_NAME.search(ical) or _FOLD_IN_CHARACTER.search(ical):
            raise _Unsure
        ical = _FOLD.sub(b"", ical)
    return ical.splitlines() or [b""]


def _component(line: bytes, keyword: bytes) -> bytes:
    """The component a BEGIN or END line names; only the plain upper-case form is read here."""
    name = line[len(keyword) :]
    if not line.startswith(keyword) or not name or not name.replace(b"-", b"").isalnum() or not name.isupper():
        raise _Unsure
    return name


def _closing(lines: list[bytes], index: int, component: bytes) -> int:
    """The index of the END that closes the component opened at ``index``."""
    stack = [component]
    for at in range(index + 1, len(lines)):
        line = lines[at]
        if line[:4].upper() == b"END:" or line[:4].upper() == b"END;":
            if _component(line, b"END:") != stack.pop():
                raise _Unsure
            if not stack:
                return at
        elif line[:6].upper() in (b"BEGIN:", b"BEGIN;"):
            stack.append(_component(line, b"BEGIN:"))
        elif _HEAD.match(line) is None and _narrowed_name(line) in (b"BEGIN", b"END"):
            raise _Unsure
    raise _Unsure


def _narrowed_name(line: bytes) -> bytes:
    """The property name ``ical_lines.narrowed`` sees in a line."""
    return line.split(b":", 1)[0].split(b";", 1)[0].strip().upper()


def _calendar_property(line: bytes) -> str:
    """The name of a calendar property icalendar surely takes (it refuses the whole calendar
    for a bad one)."""
    name, parameters, value = _parse(line)
    if name not in _CALENDAR_TEXTS and not name.startswith("X-"):
        raise _Unsure
    if "VALUE" in parameters or (name == "CALSCALE" and value != "GREGORIAN"):
        raise _Unsure
    return name


@functools.lru_cache(maxsize=64)
def _zone_parses(vtimezone: bytes) -> bool:
    """Whether icalendar parses this VTIMEZONE (a resource's zone is repeated in every resource)."""
    try:
        icalendar.Calendar.from_ical(b"BEGIN:VCALENDAR\r\n" + vtimezone + b"\r\nEND:VCALENDAR\r\n")
    except Exception:  # icalendar raises many kinds
        return False
    return True


def _vevent(lines: list[bytes], index: int, read: frozenset[bytes]) -> tuple[Event, int]:
    """The VEVENT whose properties start at ``lines[index]``, and the index after its END."""
    values: dict[str, tuple[str, dict[str, str]]] = {}
    texts: dict[str, str] = {}
    attendees: list[tuple[str, dict[str, str]]] = []
    organizer: tuple[str, dict[str, str]] | None = None
    sequences: list[bytes] = []  # read only for a series: the expander compares them
    while True:
        line = lines[index]  # the last line is END:VCALENDAR, so an END comes
        head = _HEAD.match(line)
        if head is None:
            narrowed = _narrowed_name(line)
            if narrowed in read or narrowed in (b"BEGIN", b"END"):
                raise _Unsure
            index += 1
            continue
        key = head.group(1).upper()
        if key == b"BEGIN":  # an alarm or the like: never read
            index = _closing(lines, index, _component(line, b"BEGIN:")) + 1
            continue
        index += 1
        if key == b"END":
            if _component(line, b"END:") != b"VEVENT":
                raise _Unsure
            break
        if key not in read:
            continue
        if key == b"SEQUENCE":
            sequences.append(line)
            continue
        if key in _FALLBACK:
            raise _Unsure
        name, parameters, value = _parse(line)
        if "VALUE" in parameters and not _value_type_kept(name, parameters["VALUE"]):
            raise _Unsure
        if name in _TEXTS:
            if name == "URL" and ("\n" in value or "\r" in value):
                raise _Unsure
            texts.setdefault(name, value)
        elif name in ("ATTENDEE", "ORGANIZER"):
            if "\n" in value or "\r" in value:
                raise _Unsure
            if name == "ATTENDEE":
                attendees.append((value, parameters))
            elif organizer is None:
                organizer = (value, parameters)
        elif name in _ONCE:
            if name in values:
                raise _Unsure
            values[name] = (value, parameters)
        else:
            raise _Unsure
    uid = values.get("UID", ("", {}))[0].strip()
    if not uid or "DTSTART" not in values:
        raise _Unsure
    start, start_tzid = _moment(*values["DTSTART"])
    end, end_tzid = _moment(*values["DTEND"]) if "DTEND" in values else (None, start_tzid)
    duration = _duration(values["DURATION"][0]) if "DURATION" in values else None
    rule = _rule(values["RRULE"][0], start, end, duration, sequences) if "RRULE" in values else None
    event = Event(
        uid, start, end, duration, start_tzid, end_tzid, texts, values.get("TRANSP", ("", {}))[0],
        values.get("STATUS", ("", {}))[0], attendees, organizer, rule,
    )
    return event, index


def _rule(value: str, start: dt.date, end: dt.date | None, duration: dt.timedelta | None, sequences: list[bytes]) -> str:
    """A plain RRULE of a series ``ical_series`` expands as recurring_ical_events would (with
    at most one plain SEQUENCE, which the expander compares)."""
    if len(sequences) > 1:
        raise _Unsure
    for line in sequences:
        _, parameters, number = _parse(line)
        if parameters or not number.isascii() or not number.isdigit():
            raise _Unsure
    parts = dict(part.partition("=")[::2] for part in value.split(";"))
    if len(parts) != value.count(";") + 1 or "FREQ" not in parts or ("COUNT" in parts and "UNTIL" in parts):
        raise _Unsure
    for key, given in parts.items():
        pattern = RULE.get(key)
        if pattern is None or not pattern.fullmatch(given):
            raise _Unsure
    dates = not isinstance(start, dt.datetime)
    until = parts.get("UNTIL")
    if until is not None:
        if dates != (len(until) == 8):
            raise _Unsure  # the expander rewrites such rules
        dt.datetime.strptime(until, "%Y%m%d" if dates else "%Y%m%dT%H%M%SZ")  # ValueError: no such day
    last = ical_series.series_end(start, end, duration)
    if dates == isinstance(last, dt.datetime) or last < start:
        raise _Unsure  # dates mixed with times, or an end before the start
    return value


def _parse(line: bytes) -> tuple[str, dict[str, str], str]:
    """(upper-case name, the parameters read here, unescaped value) of one content line."""
    match = _LINE.fullmatch(line.decode())
    if match is None:
        raise _Unsure
    name, section, value = match.groups()
    parameters: dict[str, str] = {}
    if section:
        if "\\" in section or "^" in section or _BLANK_AROUND.search(section + ":"):
            raise _Unsure
        for key, given in _PARAMETERS.findall(section):
            key = key.upper()
            if key in _READ_PARAMETERS:
                if given.startswith('"') and given.endswith('"') and given.count('"') == 2:
                    parameters[key] = given[1:-1]
                elif '"' in given or "," in given:
                    raise _Unsure  # a list
                else:
                    parameters[key] = given
    if "\\" in value:
        value = _UNESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)
    return name.upper(), parameters, value


def _value_type_kept(name: str, value_type: str) -> bool:
    """Whether icalendar reads the property with the type it has without VALUE."""
    kind = value_type.upper()
    if name in ("DTSTART", "DTEND"):
        return kind in ("DATE", "DATE-TIME")
    return name == "DURATION" and kind == "DURATION"


def _moment(value: str, parameters: dict[str, str]) -> tuple[dt.date, str]:
    """A DTSTART or DTEND and its tzid label, as ``ical_reader._normalize`` leaves them."""
    tzid = parameters.get("TZID")
    if tzid is not None and (not tzid.strip() or tzid.startswith("/")):
        raise _Unsure
    match = _DATE_TIME.fullmatch(value)
    if match is not None:
        year, month, day, hour, minute, second, utc = match.groups()
        moment = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
        if utc:
            if tzid is not None:
                raise _Unsure
            return moment.replace(tzinfo=UTC), ETC_UTC
        if tzid is None:
            return moment.replace(tzinfo=UTC), ETC_UTC
        zone, label = _zone(tzid)
        return moment.replace(tzinfo=zone), label
    match = _DATE.fullmatch(value)
    if match is None or tzid is not None:
        raise _Unsure
    return dt.date(*map(int, match.groups())), ETC_UTC


def _zone(tzid: str) -> tuple[ZoneInfo, str]:
    name = ical_times.iana(tzid)  # cached, as ZoneInfo is
    if name is None:
        raise _Unsure  # the resource's VTIMEZONE decides: icalendar reads it
    return ZoneInfo(name), name


def _duration(value: str) -> dt.timedelta:
    match = _DURATION.fullmatch(value)
    if match is None:
        raise _Unsure
    sign, weeks, days, hours, minutes, seconds = match.groups()
    duration = dt.timedelta(
        weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0), seconds=int(seconds or 0)
    )
    return -duration if sign == "-" else duration
