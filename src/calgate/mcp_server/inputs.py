# SPDX-License-Identifier: Apache-2.0
"""The tools' arguments into the HTTP API's parameters, and times back out.

Assistants think in local times: every tool takes a ``tzid`` (an IANA zone), and a Time given
without ``Z`` or an offset (``2026-03-02T09:30``) is read as local time there. Times with
``Z`` or an offset, and Dates (``2026-03-02``, where a tool allows them), pass as given; the
API's own parsing then checks them and names the field of any problem.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from calgate.domain import times
from calgate.domain.errors import ValidationFailed

_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")


def zone(tzid: str) -> str:
    """``tzid`` if it is a known IANA zone, else ValidationFailed naming it."""
    times.zone(tzid, "tzid")
    return tzid


def api_time(value: str, tzid: str, field: str) -> str:
    """``value`` as the API reads a Time (or Date): a naive local time in ``tzid`` becomes UTC."""
    text = value.strip()
    if not _NAIVE.match(text):
        return text
    try:
        local = dt.datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise ValidationFailed.single(field, "invalid", f"{field} {value!r} is not a time such as 2026-03-02T09:30") from None
    return times.format_time(local.replace(tzinfo=times.zone(tzid, "tzid")))


def local(moment: str, tzid: str) -> str:
    """A UTC Time of the API's answers as local time with offset in ``tzid``."""
    parsed = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return parsed.astimezone(times.zone(tzid)).isoformat()


def periods(values: list[dict[str, str]], tzid: str, field: str = "periods") -> list[dict[str, str]]:
    """``[{start, end}]`` with each time as ``api_time`` reads it."""
    return [
        {key: api_time(str(period.get(key, "")), tzid, f"{field}[{i}].{key}") for key in ("start", "end")}
        for i, period in enumerate(values)
    ]


def groups(participants: list[Any]) -> list[dict[str, Any]]:
    """Participant groups as the Availability body takes them: each ``{members, required}``
    (``required`` "all" or a number), where members are subs (``acc_…``, ``apc_…``)."""
    shaped = []
    for group in participants:
        members = [{"sub": sub} for sub in group.members]
        shaped.append({"members": members, "required": group.required})
    return shaped


def location(text: str | None) -> dict[str, str] | None:
    return None if text is None else {"description": text}


def invite(emails: list[str] | None) -> dict[str, Any] | None:
    return None if not emails else {"invite": [{"email": e} for e in emails]}
