# SPDX-License-Identifier: Apache-2.0
"""POST and GET /v1/smart_invites (docs.cronofy.com/developers/api/smart-invites/; wire notes
§4.9). The invitations, their messages and the replies are ``domain.smart_invites``.

**Authentication**: ``Authorization: Bearer`` with the application's API key (its client
secret), as every SDK sends it for Smart Invites (or ``client_id`` and ``client_secret`` in the
body, ``api/deps.api_key_application``); an access token is not one (401).

``POST`` answers ``202`` with the invitation (``recipient`` when one was given, ``recipients``
for a list) and its ``attachments.icalendar``; ``GET ?smart_invite_id=&recipient_email=``
answers ``200`` with that recipient's view (without ``recipient_email``: every recipient's).
Bad input is a 422 in Cronofy's error shape; a key the application never used is a 404.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from calgate.api.deps import ApiKeyApplication, Params, ServicesDep
from calgate.api.errors import json_response
from calgate.api.params import text
from calgate.domain import smart_invites
from calgate.domain.model import utcnow

router = APIRouter(prefix="/v1")
ACCEPTED = 202


@router.post("/smart_invites")
def upsert_smart_invite(application: ApiKeyApplication, params: Params, services: ServicesDep) -> JSONResponse:
    command = smart_invites.InviteInput.from_params(params)
    change = smart_invites.cancel if command.method == smart_invites.CANCEL else smart_invites.upsert
    organizer = services.settings.organizer_email
    found = services.run(lambda uow: change(uow, application, command, organizer, utcnow()))
    return json_response(smart_invites.wire(found), ACCEPTED)


@router.get("/smart_invites")
def get_smart_invite(application: ApiKeyApplication, params: Params, services: ServicesDep) -> JSONResponse:
    with services.uow() as uow:
        found = smart_invites.find(
            uow, application, text(params, "smart_invite_id"), text(params, "recipient_email"), services.settings.organizer_email
        )
    return json_response(smart_invites.wire(found))
