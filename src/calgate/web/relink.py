# SPDX-License-Identifier: Apache-2.0
"""``profile_relink_url``: when a provider stops accepting a profile's credentials, the person
opens this page (the application shows them the link) and gives a new app-specific password
(CalDAV, iCloud). For Google and Microsoft the page asks them to connect again from the
application, which brings them back as the same account.

The link names the profile by its id (96 random bits); the page shows only the profile's name
and server, and accepts only credentials of that same account.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from calgate.api.deps import ServicesDep
from calgate.domain import access_modes, sync
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.model import Profile, utcnow
from calgate.providers import linking
from calgate.web.pages import FormDep, PageError, field_errors, render

router = APIRouter()
GONE = PageError("This link cannot be used", "The calendar connection it was for no longer exists. Connect again from the application.")


def _profile(services: ServicesDep, profile_id: str) -> tuple[Profile, dict[str, str]]:
    with services.uow() as uow:
        profile = uow.profiles.get(profile_id)
    if profile is None or profile.revoked_at is not None or profile.credentials_sealed is None:
        raise GONE
    if profile.provider not in linking.CALDAV_PROVIDERS:
        raise PageError(
            "Connect again from the application",
            f"{access_modes.PROVIDERS.get(profile.provider, profile.provider)} no longer accepts calgate's access to "
            f"{profile.name}. Open the application and connect your calendar again; it comes back as the same account.",
        )
    return profile, json.loads(services.box.open(profile.credentials_sealed))


def _page(request: Request, profile: Profile, credentials: dict[str, str], status: int = 200, **extra: object) -> HTMLResponse:
    return render(
        request, "relink.html", status, profile=profile, server_url=credentials["server_url"],
        username=credentials["username"], provider_label=access_modes.PROVIDERS.get(profile.provider, profile.provider), **extra,
    )


@router.get("/oauth/relink/{profile_id}", response_class=HTMLResponse)
def relink_page(request: Request, profile_id: str, services: ServicesDep) -> Response:
    profile, credentials = _profile(services, profile_id)
    return _page(request, profile, credentials, done=profile.connected)


@router.post("/oauth/relink/{profile_id}", response_class=HTMLResponse)
def relink(request: Request, profile_id: str, form: FormDep, services: ServicesDep) -> Response:
    profile, credentials = _profile(services, profile_id)
    try:
        linked = linking.link(
            profile.provider, credentials["server_url"], credentials["username"], form.get("password", ""),
            services.settings.provider_timeout, email=profile.name,
        )
        with services.uow() as uow:
            sync.relinked(uow, profile.id, linked.identity, services.box.seal(json.dumps(linked.credentials)), utcnow())
            uow.commit()
    except ValidationFailed as exc:
        return _page(request, profile, credentials, 422, errors=field_errors(exc), done=False)
    except NotFound:
        raise GONE from None
    return _page(request, profile, credentials, done=True)
