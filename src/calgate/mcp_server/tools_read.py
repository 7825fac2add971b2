# SPDX-License-Identifier: Apache-2.0
"""The reading tools: ``list_calendars``, ``read_free_busy`` and ``find_availability``.

They answer what ``GET /v1/calendars``, ``GET /v1/free_busy`` and ``POST /v1/availability``
answer, through the same domain functions: free/busy blocks and available times carry no
summary, description, location or attendees in any access mode, so there is nothing here a
Free/Busy account could leak. (Read Events is deliberately not a tool.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

from calgate.api import shapes
from calgate.api.availability import answer
from calgate.domain import accounts, free_busy, reads, scopes, times
from calgate.domain.model import utcnow
from calgate.mcp_server import inputs
from calgate.mcp_server.credentials import Principal
from calgate.mcp_server.errors import as_tool_errors
from calgate.services import Services

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
MAX_BLOCKS = 500  # free/busy blocks one call returns; past it, ``truncated`` asks for a narrower window

PrincipalOf = Callable[[Context], Principal]


class Period(BaseModel):
    start: str = Field(description="Time, e.g. 2026-03-02T09:00 (local in tzid) or 2026-03-02T09:00:00Z")
    end: str = Field(description="Time after start, as for start")


class ParticipantGroup(BaseModel):
    members: list[str] = Field(description="Subs of the people (acc_…) or application calendars (apc_…)")
    required: Literal["all"] | int = Field("all", description='"all", or how many of the members must be free at once')


def register(server: MCPServer, services: Services, principal_of: PrincipalOf) -> None:
    @server.tool(annotations=READ_ONLY, structured_output=True)
    def list_calendars(ctx: Context) -> dict[str, Any]:
        """The connected account's calendars: ids (for the other tools), names, whether each is
        read-only, and its access mode (read_write: events are written into the calendar;
        free_busy and no_calendar: events are sent to the person as email invitations).
        Needs an account's access token with the list_calendars scope."""
        with as_tool_errors():
            caller = principal_of(ctx).account_caller("list_calendars")
            caller.require(scopes.LIST_CALENDARS)
            with services.reader() as uow:
                views = accounts.profiles(uow, caller)
            return {
                "sub": caller.account.id,
                "access_mode": caller.grant.access_mode,
                "calendars": [shapes.calendar(c, v.profile) for v in views for c in v.calendars],
            }

    @server.tool(annotations=READ_ONLY, structured_output=True)
    def read_free_busy(
        ctx: Context,
        tzid: str = Field(description="IANA time zone of the answer and of local times given, e.g. Europe/London"),
        start: str | None = Field(None, description="From this Time or Date (local in tzid without Z/offset); default 42 days ago"),
        end: str | None = Field(None, description="Until this Time or Date (exclusive); default 201 days ahead"),
        calendar_ids: list[str] | None = Field(None, description="Only these calendars (default: all of the account's)"),
        include_managed: bool = Field(True, description="Include the application's own events as busy time"),
    ) -> dict[str, Any]:
        """When the connected account is busy or tentative between start and end: blocks of
        time, never what the events are. Needs an account's access token with read_free_busy
        (read_events, free_busy and free_busy_write grant it). For several people at once, or
        with the application's API key, use find_availability."""
        with as_tool_errors():
            caller = principal_of(ctx).account_caller("read_free_busy")
            zone = inputs.zone(tzid)
            values: dict[str, object] = {"tzid": zone, "calendar_ids": calendar_ids or None}
            if start is not None:
                values["from"] = inputs.api_time(start, zone, "start")
            if end is not None:
                values["to"] = inputs.api_time(end, zone, "end")
            query = reads.Query.parse(values, {"include_managed": include_managed}, utcnow())
            blocks: list[reads.Block] = []
            request: reads.Query | reads.Cursor = query
            with services.reader() as uow:
                while True:
                    page = free_busy.read_free_busy(uow, caller, request, MAX_BLOCKS - len(blocks), utcnow())
                    blocks.extend(page.items)
                    if page.next is None or len(blocks) >= MAX_BLOCKS:
                        break
                    request = page.next
            return {
                "tzid": zone,
                "start": inputs.local(query.start.isoformat(), zone),
                "end": inputs.local(query.end.isoformat(), zone),
                "free_busy": [_block(b, zone) for b in blocks],
                "truncated": page.next is not None,
            }

    @server.tool(annotations=READ_ONLY, structured_output=True)
    def find_availability(
        ctx: Context,
        duration_minutes: int = Field(description="How long the meeting is, 1 to 1440 minutes"),
        periods: list[Period] = Field(description="When it may take place (1 to 50 periods, within 35 days)"),
        tzid: str = Field(description="IANA time zone of local times given and of the answer, e.g. Europe/London"),
        participants: list[ParticipantGroup] | None = Field(
            None, description="Who must attend; default: the connected account alone (with an access token)"
        ),
        start_interval_minutes: int | None = Field(None, description="Slots start on this grid: 5, 10, 15, 20, 30, 45 or 60"),
        buffer_before_minutes: int | None = Field(None, description="Free time each participant keeps before the meeting"),
        buffer_after_minutes: int | None = Field(None, description="Free time each participant keeps after the meeting"),
        response_format: Literal["periods", "slots"] = Field(
            "periods", description="periods: the longest free spans; slots: meetings of duration_minutes on the start_interval grid"
        ),
        max_results: int | None = Field(None, description="At most this many answers (1 to 512)"),
    ) -> dict[str, Any]:
        """Times when the participants can meet, by calgate's Availability (POST
        /v1/availability): their calendars' busy time, availability rules and buffers, in every
        access mode without revealing any event. With an account's access token or the
        application's API key; members may be any of the application's accounts that granted
        read_free_busy."""
        with as_tool_errors():
            principal = principal_of(ctx)
            zone = inputs.zone(tzid)
            if participants is None:
                caller = principal.account_caller("find_availability without participants")
                groups = [{"members": [{"sub": caller.account.id}], "required": "all"}]
            else:
                groups = inputs.groups(participants)
            params: dict[str, Any] = {
                "participants": groups,
                "required_duration": {"minutes": duration_minutes},
                "query_periods": inputs.periods([p.model_dump() for p in periods], zone),
                "response_format": response_format,
                "include_member_statuses": True,
            }
            if start_interval_minutes is not None:
                params["start_interval"] = {"minutes": start_interval_minutes}
            if buffer_before_minutes is not None or buffer_after_minutes is not None:
                params["buffer"] = {
                    side: {"minutes": minutes}
                    for side, minutes in (("before", buffer_before_minutes), ("after", buffer_after_minutes)) if minutes is not None
                }
            if max_results is not None:
                params["max_results"] = max_results
            found = answer(services, principal.application, params)
            times_found = found.get("available_periods", found.get("available_slots", []))
            return {
                "tzid": zone,
                "available": [
                    {
                        "start": inputs.local(t["start"], zone),
                        "end": inputs.local(t["end"], zone),
                        "participants": [p["sub"] for p in t["participants"]],
                    }
                    for t in times_found
                ],
                "member_statuses": found.get("member_statuses", []),
            }


def _at(moment: times.EventTime, tzid: str) -> str:
    """A block's start or end in the reader's zone (a Date stays a Date: all-day)."""
    if moment.all_day:
        return moment.wire()
    return moment.instant().astimezone(times.zone(tzid)).isoformat()


def _block(block: reads.Block, tzid: str) -> dict[str, Any]:
    shaped: dict[str, Any] = {
        "calendar_id": block.calendar_id,
        "start": _at(block.start, tzid),
        "end": _at(block.end, tzid),
        "free_busy_status": block.status,
    }
    if block.event_id is not None:  # the application's own event (Free/Busy shows its ids too)
        shaped["event_id"] = block.event_id
    return shaped
