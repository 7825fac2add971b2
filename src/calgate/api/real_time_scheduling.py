# SPDX-License-Identifier: Apache-2.0
"""Real-Time Scheduling (docs.cronofy.com/developers/api/scheduling/real-time-scheduling; wire
notes §4.10): a link where one person picks a time and the event is booked.

    POST /v1/real_time_scheduling                 body: api/real_time_scheduling_wire
    GET  /v1/real_time_scheduling?token=…         the link's status, by the URL's last part
    GET  /v1/real_time_scheduling/{id}            the same, by real_time_scheduling_id
    POST /v1/real_time_scheduling/{id}/disable    {display_message}: visitors see it from now

**Authentication**: the application's API key (``Authorization: Bearer``, or ``client_id`` and
``client_secret`` in the body as Ruby sends them). Every answer is ``200
{"real_time_scheduling": {real_time_scheduling_id, url, event, status}}``; ``status`` is
``open`` (no time chosen yet), ``completed`` (``event`` then has start and end) or
``disabled``; calgate adds ``booking`` once completed (the slot, its participants, who booked,
and the events written). Another application's link is a 404. The page behind ``url`` is
``web/scheduling``.

**Real-Time Sequencing** (``/v1/real_time_sequencing``, the same four routes; Cronofy's alpha):
``availability.sequence`` holds the steps as Sequenced Availability takes them, each with an
optional ``event`` of its own; the page offers whole sequences and booking writes one event per
step. Answers say ``real_time_sequencing`` (id ``seq_…``); creation also repeats ``url`` at the
top, where pycronofy's test of it reads it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from calgate.api import real_time_scheduling_wire as wire
from calgate.api.deps import ApiKeyApplication, Params, ServicesDep
from calgate.api.errors import json_response
from calgate.api.params import text
from calgate.domain import model, scheduling_links
from calgate.domain.model import utcnow
from calgate.services import Services

router = APIRouter(prefix="/v1")


def page_url(services: Services, token: str) -> str:
    return f"{services.settings.public_url.rstrip('/')}/rts/{token}"


def _wire(services: Services, link: model.SchedulingLink) -> dict[str, Any]:
    noun = scheduling_links.noun(link)
    shaped: dict[str, Any] = {
        f"{noun}_id": link.id,
        "url": page_url(services, services.box.open(link.token_sealed)),
        "event": scheduling_links.event_of(link),
        "status": link.status,
    }
    if link.status == scheduling_links.DISABLED:
        shaped["display_message"] = link.display_message
    if link.booking:
        keys = ("start", "end", "participants", "booker", "tzid", "written", "sequence")
        shaped["booking"] = {k: link.booking[k] for k in keys if k in link.booking}
    return {noun: shaped}


@router.post("/real_time_scheduling")
def create_link(application: ApiKeyApplication, params: Params, services: ServicesDep) -> JSONResponse:
    request = wire.link_request(params)
    link, token = services.run(lambda uow: scheduling_links.create(uow, application, request, services.box, utcnow()))
    return json_response({"real_time_scheduling": {"real_time_scheduling_id": link.id, "url": page_url(services, token)}})


@router.get("/real_time_scheduling")
def status_by_token(application: ApiKeyApplication, params: Params, services: ServicesDep) -> JSONResponse:
    with services.reader() as uow:
        link = scheduling_links.find(uow, application, token=text(params, "token"))
    return json_response(_wire(services, link))


@router.get("/real_time_scheduling/{real_time_scheduling_id}")
def status_by_id(real_time_scheduling_id: str, application: ApiKeyApplication, services: ServicesDep) -> JSONResponse:
    with services.reader() as uow:
        link = scheduling_links.find(uow, application, link_id=real_time_scheduling_id)
    return json_response(_wire(services, link))


@router.post("/real_time_scheduling/{real_time_scheduling_id}/disable")
def disable_link(real_time_scheduling_id: str, application: ApiKeyApplication, params: Params, services: ServicesDep) -> JSONResponse:
    link = services.run(lambda uow: scheduling_links.disable(uow, application, real_time_scheduling_id, params.get("display_message"), utcnow()))
    return json_response(_wire(services, link))


# Real-Time Sequencing (docs.cronofy.com/developers/api-alpha/sequenced-scheduling/real-time-sequencing):
# the same link, whose availability is a sequence of steps; the answers say real_time_sequencing.
SEQUENCING = scheduling_links.SEQUENCING


@router.post("/real_time_sequencing")
def create_sequencing_link(application: ApiKeyApplication, params: Params, services: ServicesDep) -> JSONResponse:
    request = wire.link_request(params, SEQUENCING)
    link, token = services.run(lambda uow: scheduling_links.create(uow, application, request, services.box, utcnow()))
    url = page_url(services, token)
    # ``url`` at the top too: pycronofy's own test of this alpha endpoint reads it there.
    return json_response({SEQUENCING: {"real_time_sequencing_id": link.id, "url": url}, "url": url})


@router.get("/real_time_sequencing")
def sequencing_status_by_token(application: ApiKeyApplication, params: Params, services: ServicesDep) -> JSONResponse:
    with services.reader() as uow:
        link = scheduling_links.find(uow, application, token=text(params, "token"), kind=SEQUENCING)
    return json_response(_wire(services, link))


@router.get("/real_time_sequencing/{real_time_sequencing_id}")
def sequencing_status_by_id(real_time_sequencing_id: str, application: ApiKeyApplication, services: ServicesDep) -> JSONResponse:
    with services.reader() as uow:
        link = scheduling_links.find(uow, application, link_id=real_time_sequencing_id, kind=SEQUENCING)
    return json_response(_wire(services, link))


@router.post("/real_time_sequencing/{real_time_sequencing_id}/disable")
def disable_sequencing_link(real_time_sequencing_id: str, application: ApiKeyApplication, params: Params, services: ServicesDep) -> JSONResponse:
    link = services.run(
        lambda uow: scheduling_links.disable(uow, application, real_time_sequencing_id, params.get("display_message"), utcnow(), SEQUENCING)
    )
    return json_response(_wire(services, link))
