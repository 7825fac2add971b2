# SPDX-License-Identifier: Apache-2.0
"""POST /v1/availability and POST /v1/sequenced_availability (docs.cronofy.com
/developers/api/scheduling/availability and …/sequenced-availability; wire notes §1.2, §4.5).

**Authentication**: ``Authorization: Bearer`` with the application's API key (its client
secret; PHP always sends it, Ruby when it holds no token) or with the access token of any of
the application's accounts (pycronofy and Node send whatever token they hold). Either way the
members may be any of the application's accounts and application calendars that authorized
``read_free_busy`` (``domain/availability_inputs``); the token's own scopes do not matter.
A UI Element token (``?et=``, ``api/element_auth``) with the ``availability`` permission may
ask too, about its own subs only (``domain/element_tokens``).

**Body** (``api/availability_wire``): ``participants`` groups of ``members`` (objects, or bare
subs as pycronofy sends) with ``required`` ``"all"`` (the default) or a number;
``required_duration`` ``{minutes}`` or ``{hours, minutes}``; ``query_periods`` (or the older
``available_periods``) ``[{start, end}]``, or ``query_slots`` ``[{start}]``; ``buffer``
``{before, after}``, each ``{minutes}`` or ``{minimum: {minutes}, maximum: {minutes}}``;
``start_interval`` ``{minutes}``; ``max_results``; ``response_format`` ``periods`` |
``slots`` | ``overlapping_slots``; ``include_member_statuses`` (adds ``member_statuses``:
``[{sub, status, sync_status, last_synced_at, detail}]``, ``status`` one of fresh, failing,
stale, needs_relink, ``sync_status`` Cronofy's active, pending or disconnected, see
``domain/source_states``); calgate's ``tentative_as_busy`` (default true;
false lets tentative time count as free); ``excluded_events`` ``[{"event_uid"} | {"event_id"}]``
(1–50: events that do not count, e.g. the meeting being rescheduled; ``event_id`` names the
application's own events); calgate's ``explain: true`` adds ``explanations``: ``[{sub,
unavailable: [{start, end, reason, event_uid?, event_id?}]}]``, every part of the query periods
each member cannot take, ``reason`` one of source_unavailable, outside_availability_rules, busy,
tentative, buffer, constraint (``domain/availability/explain``); a member's
``availability_constraints`` (``[{limit, period, tzid?, tags?}]``, see the README).

**Limits** (calgate's own: Cronofy's documented values were not readable from our sources,
wire notes §12; a request past one is a 422 naming the field):

    participants        1–10 groups, each of 1–50 members; required: "all" or 1..members
    required_duration   1–1440 minutes
    query_periods       1–50 periods (or 1–50 query_slots), end after start, whole seconds;
                        earliest start to latest end at most 35 days
    member periods      1–50 available_periods per member
    start_interval      one of 5, 10, 15, 20, 30, 45, 60 minutes (absent: the engine's default)
    buffer              0–1440 minutes each; a maximum not below its minimum
    max_results         1–512 (default 512)
    sequence            1–10 steps (sequenced availability), all within one 35-day span

**Answers**: ``200 {"available_periods": [{start, end, participants: [{sub}]}]}`` for
``periods``, ``{"available_slots": [...]}`` for the slot formats; sequenced availability
answers ``{"sequences": [{"sequence": [{sequence_id, start, end, participants}]}]}`` (the
semantics are in ``domain/sequenced_availability``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from calgate.api import availability_wire as wire
from calgate.api import element_auth
from calgate.api.deps import Params, ServicesDep, bearer_token, get_services
from calgate.api.errors import json_response
from calgate.domain import availability_inputs, element_tokens, model, sequenced_availability, times
from calgate.domain.availability.explain import Explained
from calgate.domain.availability.types import Available
from calgate.domain.model import utcnow
from calgate.services import Services

router = APIRouter(prefix="/v1")


def asking_application(request: Request, services: Annotated[Services, Depends(get_services)], params: Params) -> model.Application:
    element = element_auth.presented(request)
    with services.reader() as uow:
        if element is not None:  # a UI Element's token: only its subs may be members
            access = element_tokens.authenticate(uow, element, element_auth.origin(request), utcnow())
            access.require(element_tokens.AVAILABILITY_QUERY)  # before the body is read
            element_tokens.check_members(access, *_members(request, params))
            application = access.application
        else:
            application = availability_inputs.asking_application(uow, bearer_token(request), utcnow())
    services.limiter.check(application.id)
    return application


def _members(request: Request, params: dict[str, Any]) -> tuple[list[str], bool]:
    """The subs the query asks about, and whether it asks for ``explain``."""
    if request.url.path.endswith("/sequenced_availability"):
        steps, _ = wire.sequenced(params)
        return [m.sub for step in steps for g in step.groups for m in g.members], False
    asked = wire.availability(params)
    return [m.sub for g in asked.groups for m in g.members], asked.explain


AskingApplication = Annotated[model.Application, Depends(asking_application)]


@router.post("/availability")
def availability(application: AskingApplication, params: Params, services: ServicesDep) -> JSONResponse:
    return json_response(answer(services, application, params))


def answer(services: Services, application: model.Application, params: dict[str, Any]) -> dict[str, Any]:
    """The body of ``POST /v1/availability``'s answer to ``params`` asked by ``application``
    (the dashboard's availability explorer runs this too, so its drawing is the API's answer).
    Raises ``ValidationFailed`` for a body the API would answer with 422."""
    asked = wire.availability(params)
    reading = availability_inputs.Reading(
        tentative_as_busy=asked.tentative_as_busy, stale_after=dt.timedelta(seconds=services.settings.stale_after),
        excluded=asked.excluded, explain=asked.explain,
    )
    with services.reader() as uow:
        found = availability_inputs.available(uow, application, asked.groups, asked.query, utcnow(), reading)
    key = "available_periods" if asked.query.response_format == "periods" else "available_slots"
    body: dict[str, Any] = {key: [_shape(a) for a in found]}
    if asked.include_member_statuses:
        body["member_statuses"] = [
            {
                "sub": sub,
                "status": state.status,
                "sync_status": state.sync_status,
                "last_synced_at": times.format_time(state.last_synced_at) if state.last_synced_at else None,
                "detail": state.detail,
            }
            for sub, state in reading.statuses.items()
        ]
    if asked.explain:
        body["explanations"] = [
            {"sub": sub, "unavailable": [_explained(e) for e in parts]} for sub, parts in reading.explanations.items()
        ]
    return body


def _explained(part: Explained) -> dict[str, Any]:
    shaped: dict[str, Any] = {"start": times.format_time(part.start), "end": times.format_time(part.end), "reason": part.reason}
    if part.event_uid is not None:
        shaped["event_uid"] = part.event_uid
    if part.event_id is not None:
        shaped["event_id"] = part.event_id
    return shaped


@router.post("/sequenced_availability")
def sequenced(application: AskingApplication, params: Params, services: ServicesDep) -> JSONResponse:
    steps, max_results = wire.sequenced(params)
    reading = availability_inputs.Reading(stale_after=dt.timedelta(seconds=services.settings.stale_after))
    with services.reader() as uow:
        found = sequenced_availability.answer(uow, application, steps, max_results, utcnow(), reading)
    return json_response(
        {"sequences": [{"sequence": [{"sequence_id": p.sequence_id, **_shape(p.slot)} for p in chain]} for chain in found]}
    )


def _shape(found: Available) -> dict[str, Any]:
    return {
        "start": times.format_time(found.start),
        "end": times.format_time(found.end),
        "participants": [{"sub": sub} for sub in found.participants],
    }
