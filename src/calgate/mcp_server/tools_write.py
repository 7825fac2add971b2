# SPDX-License-Identifier: Apache-2.0
"""The writing tools: ``create_event``, ``update_event``, ``cancel_event``,
``create_scheduling_link`` and ``get_scheduling_link``.

Events go through ``domain/event_changes`` into ``events.upsert``/``events.delete`` (the scopes
``create_event``/``delete_event``; the access mode decides how the change reaches the person:
written into a Read-Write calendar by a durable job, or sent as an email invitation), each in
one unit of work committed by ``Services.run``, so the change and its jobs stand or fall
together. Answers say where the event went, never echo any event's text. Real-Time Scheduling
links are the application's (API key), read by ``api/real_time_scheduling_wire`` as
``POST /v1/real_time_scheduling`` reads its body.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

from calgate.api import real_time_scheduling_wire
from calgate.api.real_time_scheduling import page_url
from calgate.domain import access_modes, accounts, event_changes, model, scheduling_links
from calgate.domain.authorization import Caller
from calgate.domain.errors import ValidationFailed
from calgate.domain.model import utcnow
from calgate.domain.ports import UnitOfWork
from calgate.mcp_server import inputs
from calgate.mcp_server.credentials import Principal
from calgate.mcp_server.errors import as_tool_errors
from calgate.mcp_server.tools_read import READ_ONLY, ParticipantGroup, Period
from calgate.services import Services

WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
CANCEL = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True)

PrincipalOf = Callable[[Context], Principal]


class TargetCalendar(BaseModel):
    sub: str = Field(description="The account (acc_…) or application calendar (apc_…) the event is booked for")
    calendar_id: str = Field(description="Its calendar to write into (cal_…)")


def _delivery(profile: model.Profile) -> str:
    """How a change to an event in ``profile``'s calendar reaches the person (its access mode)."""
    if profile.policy.write_delivery is access_modes.WriteDelivery.EMAIL_INVITE:
        return "email_invitation"  # free_busy, no_calendar: the person is sent an invitation
    if profile.provider == access_modes.HOSTED_PROVIDER:
        return "hosted_calendar"  # an application calendar: kept by calgate
    return "written_to_calendar"  # read_write: written into the person's calendar by a job


def _written(uow: UnitOfWork, caller: Caller, calendar_id: str, event: model.Event, **extra: Any) -> dict[str, Any]:
    _, profile = accounts.own_calendar(uow, caller, calendar_id)
    return {"calendar_id": calendar_id, "event_id": event.event_id, **extra, "delivery": _delivery(profile)}


def _when(value: str, tzid: str | None, field: str) -> dict[str, str]:
    if tzid is None:
        if inputs.api_time(value, "Etc/UTC", field) != value.strip():  # a local time needs its zone
            raise ValidationFailed.single("tzid", "required", f"tzid must be given to read {field} {value!r} as a local time")
        return {"time": value.strip()}
    return {"time": inputs.api_time(value, tzid, field), "tzid": tzid}


def register(server: MCPServer, services: Services, principal_of: PrincipalOf) -> None:
    @server.tool(annotations=WRITE, structured_output=True)
    def create_event(
        ctx: Context,
        calendar_id: str = Field(description="The calendar to create it in (from list_calendars)"),
        summary: str = Field(description="The event's title"),
        start: str = Field(description="Time (local in tzid without Z/offset) or Date (all day)"),
        end: str = Field(description="Time or Date after start; a Date end is exclusive"),
        tzid: str = Field(description="IANA time zone of the event, e.g. Europe/London"),
        event_id: str | None = Field(None, description="Your id for the event, to update or cancel it later; default: a new one"),
        description: str | None = None,
        location: str | None = None,
        attendees: list[str] | None = Field(None, description="Email addresses to invite"),
    ) -> dict[str, Any]:
        """Create an event in one of the connected account's calendars (scope create_event).
        In read_write mode it is written into the calendar; in free_busy and no_calendar
        modes the person is sent an email invitation. Refused if event_id is already in use."""
        with as_tool_errors():
            caller = principal_of(ctx).account_caller("create_event")
            zone = inputs.zone(tzid)
            params: dict[str, Any] = {
                "event_id": event_id if event_id is not None else f"mcp-{secrets.token_hex(8)}",
                "summary": summary, "description": description, "tzid": zone,
                "start": _when(start, zone, "start"), "end": _when(end, zone, "end"),
                "location": inputs.location(location), "attendees": inputs.invite(attendees),
            }

            def work(uow: UnitOfWork) -> dict[str, Any]:
                event = event_changes.create(uow, caller, calendar_id, params, utcnow())
                return _written(uow, caller, calendar_id, event, start=event.start, end=event.end)

            return services.run(work)

    @server.tool(annotations=WRITE, structured_output=True)
    def update_event(
        ctx: Context,
        calendar_id: str = Field(description="The event's calendar"),
        event_id: str = Field(description="The id given (or returned) when it was created"),
        summary: str | None = None,
        start: str | None = Field(None, description="New start: Time (local in tzid without Z/offset) or Date"),
        end: str | None = Field(None, description="New end"),
        tzid: str | None = Field(None, description="IANA time zone for local times given (and the event's new zone)"),
        description: str | None = None,
        location: str | None = None,
        add_attendees: list[str] | None = Field(None, description="Email addresses to invite as well"),
    ) -> dict[str, Any]:
        """Change an event this application created: only the fields given change (scope
        create_event). The person gets an updated invitation where the access mode sends them."""
        with as_tool_errors():
            caller = principal_of(ctx).account_caller("update_event")
            zone = inputs.zone(tzid) if tzid is not None else None
            changes: dict[str, Any] = {}
            for name, value in (("summary", summary), ("description", description)):
                if value is not None:
                    changes[name] = value
            for name, moment in (("start", start), ("end", end)):
                if moment is not None:
                    changes[name] = _when(moment, zone, name)
            if zone is not None:
                changes["tzid"] = zone
            if location is not None:
                changes["location"] = inputs.location(location)
            if add_attendees:
                changes["attendees"] = inputs.invite(add_attendees)
            if not changes:
                raise ValidationFailed.single("event", "required", "give at least one field to change")

            def work(uow: UnitOfWork) -> dict[str, Any]:
                event = event_changes.update(uow, caller, calendar_id, event_id, changes, utcnow())
                return _written(uow, caller, calendar_id, event, start=event.start, end=event.end)

            return services.run(work)

    @server.tool(annotations=CANCEL, structured_output=True)
    def cancel_event(
        ctx: Context,
        calendar_id: str = Field(description="The event's calendar"),
        event_id: str = Field(description="The id given (or returned) when it was created"),
    ) -> dict[str, Any]:
        """Cancel (delete) an event this application created (scope delete_event). Where the
        access mode sends invitations, the person is sent a cancellation."""
        with as_tool_errors():
            caller = principal_of(ctx).account_caller("cancel_event")

            def work(uow: UnitOfWork) -> dict[str, Any]:
                event = event_changes.cancel(uow, caller, calendar_id, event_id, utcnow())
                return _written(uow, caller, calendar_id, event, cancelled=True)

            return services.run(work)

    @server.tool(annotations=WRITE, structured_output=True)
    def create_scheduling_link(
        ctx: Context,
        summary: str = Field(description="The title of the event to be booked"),
        duration_minutes: int = Field(description="How long it is, 1 to 1440 minutes"),
        periods: list[Period] = Field(description="When it may be booked (within 35 days)"),
        tzid: str = Field(description="IANA time zone of local times given, the event and the page"),
        participants: list[ParticipantGroup] = Field(description="Whose availability counts"),
        target_calendars: list[TargetCalendar] = Field(description="The calendars the booked event is written into"),
        redirect_uri: str = Field(description="Where the person goes after booking (an absolute http(s) URL)"),
        event_id: str | None = Field(None, description="Your id for the booked event; default: a new one"),
        description: str | None = None,
        location: str | None = None,
        start_interval_minutes: int | None = Field(None, description="Offered times start on this grid: 5 to 60 minutes"),
        minimum_notice_minutes: int | None = Field(None, description="Offer no time sooner than this"),
        callback_url: str | None = Field(None, description="calgate POSTs here when a time is booked"),
    ) -> dict[str, Any]:
        """A Real-Time Scheduling link: a page where a person picks one of the times the
        participants are free (checked live) and the event is booked into the target
        calendars, by their access modes. Send them the url. Needs the application's API key."""
        with as_tool_errors():
            application = principal_of(ctx).api_key_application("create_scheduling_link")
            zone = inputs.zone(tzid)
            availability: dict[str, Any] = {
                "participants": inputs.groups(participants),
                "required_duration": {"minutes": duration_minutes},
                "query_periods": inputs.periods([p.model_dump() for p in periods], zone),
            }
            if start_interval_minutes is not None:
                availability["start_interval"] = {"minutes": start_interval_minutes}
            event = {"event_id": event_id or f"mcp-{secrets.token_hex(8)}", "summary": summary, "tzid": zone}
            if description is not None:
                event["description"] = description
            if location is not None:
                event["location"] = {"description": location}
            params: dict[str, Any] = {
                "oauth": {"redirect_uri": redirect_uri}, "event": event, "availability": availability,
                "target_calendars": [t.model_dump() for t in target_calendars], "tzid": zone,
            }
            if minimum_notice_minutes is not None:
                params["minimum_notice"] = {"minutes": minimum_notice_minutes}
            if callback_url is not None:
                params["callback_urls"] = {"completed_url": callback_url}
            request = real_time_scheduling_wire.link_request(params)
            link, token = services.run(lambda uow: scheduling_links.create(uow, application, request, services.box, utcnow()))
            return {"real_time_scheduling_id": link.id, "url": page_url(services, token), "event_id": event["event_id"], "status": link.status}

    @server.tool(annotations=READ_ONLY, structured_output=True)
    def get_scheduling_link(
        ctx: Context, real_time_scheduling_id: str = Field(description="The id create_scheduling_link returned (sch_…)")
    ) -> dict[str, Any]:
        """A Real-Time Scheduling link's status: open, completed (with the booked time) or
        disabled. Needs the application's API key."""
        with as_tool_errors():
            application = principal_of(ctx).api_key_application("get_scheduling_link")
            with services.reader() as uow:
                link = scheduling_links.find(uow, application, link_id=real_time_scheduling_id)
            shaped: dict[str, Any] = {
                "real_time_scheduling_id": link.id,
                "url": page_url(services, services.box.open(link.token_sealed)),
                "status": link.status,
                "event_id": link.request["event"].get("event_id"),
            }
            if link.booking:
                shaped["booked"] = {key: link.booking[key] for key in ("start", "end", "participants")}
            return shaped
