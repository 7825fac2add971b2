# SPDX-License-Identifier: Apache-2.0
"""Push notification channels: POST, GET /v1/channels and DELETE /v1/channels/{channel_id}
(wire notes §4.4). Filters, limits, scopes and the notifications are ``domain.channels``."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from calgate.api.deps import CallerDep, Params, ServicesDep
from calgate.api.errors import json_response
from calgate.domain import channels
from calgate.domain.model import utcnow

router = APIRouter(prefix="/v1")
ACCEPTED = 202


@router.post("/channels")
def create_channel(params: Params, caller: CallerDep, services: ServicesDep) -> JSONResponse:
    command = channels.ChannelInput.from_params(params)
    channel = services.run(lambda uow: channels.create(uow, caller, command, utcnow()))
    return json_response({"channel": channels.wire(channel)})


@router.get("/channels")
def list_channels(caller: CallerDep, services: ServicesDep) -> JSONResponse:
    with services.uow() as uow:
        found = channels.list_open(uow, caller)
    return json_response({"channels": [channels.wire(c) for c in found]})


@router.delete("/channels/{channel_id}")
def close_channel(channel_id: str, caller: CallerDep, services: ServicesDep) -> Response:
    # Any body is ignored: PHP sends [].
    services.run(lambda uow: channels.close(uow, caller, channel_id, utcnow()))
    return Response(status_code=ACCEPTED)
