# SPDX-License-Identifier: Apache-2.0
"""An application's connected accounts: who is connected, in which mode, and how fresh their
calendars are (``domain.account_overview``).

    GET  /dashboard/apps/{app}/accounts?mode=&provider=     the list, filtered
    GET  /dashboard/apps/{app}/accounts/{account}?week=&tzid=  one account: profiles,
         calendars, and a week view (events in read_write / no_calendar; in free_busy only
         busy blocks, which is all calgate holds)
    POST /dashboard/apps/{app}/accounts/{account}/revoke     end the application's access
    POST /dashboard/apps/{app}/service_accounts/{ser}/revoke  end an organization's (Enterprise
         Connect) service account and every person's access it gave

The accounts page also lists the application's service accounts (organization, provider,
mode, administrator, how many people it connected), never their credentials.

Only the application's owner sees these; other ids answer the same 404 as unknown ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from calgate.api.deps import ServicesDep
from calgate.domain import access_modes, account_overview, times
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.model import Developer, utcnow
from calgate.domain.ports import UnitOfWork
from calgate.services import Services
from calgate.web.dashboard import lanes
from calgate.web.dashboard._session import DeveloperDep, notify, owned_application, page, redirect, to_sign_in
from calgate.web.pages import FormDep, error_page

router = APIRouter()

MODES = {name: policy.label for name, policy in access_modes.POLICIES.items()}
PROVIDERS = {access_modes.HOSTED_PROVIDER: "Hosted by calgate", **access_modes.PROVIDERS}
WEEK_KINDS = {
    "event": "Event",
    "busy": "Busy",
    "tentative": "Tentative",
    "free": "Free (transparent, cancelled or declined)",
}
# What a week view can hold: events where the mode stores them, else only busy time.
DETAIL_KINDS, BLOCK_KINDS = ("event", "tentative", "free"), ("busy", "tentative")


def _not_found(request: Request) -> HTMLResponse:
    return error_page(request, "Account not found", "This application has no such account.", 404)


def _stale_after(services: Services) -> dt.timedelta:
    return dt.timedelta(seconds=services.settings.stale_after)


@router.get("/dashboard/apps/{application_id}/accounts")
def account_list(
    application_id: str, request: Request, developer: DeveloperDep, services: ServicesDep,
    mode: str = "", provider: str = "",
) -> Response:
    if developer is None:
        return to_sign_in()
    app = owned_application(services, developer, application_id)
    mode = mode if mode in MODES else ""
    provider = provider if provider in PROVIDERS else ""
    with services.uow() as uow:
        found = account_overview.of_application(
            uow, app.id, utcnow(), _stale_after(services), access_mode=mode or None, provider=provider or None
        )
        organizations = account_overview.service_accounts(uow, app.id)
    return page(
        request, "accounts.html", developer, app=app, accounts=found, modes=MODES, providers=PROVIDERS,
        mode=mode, provider=provider, states=account_overview.STATE_LABELS, organizations=organizations,
    )


def _week_start(value: str, tz: ZoneInfo) -> dt.date:
    """The Monday of the week asked for (``YYYY-MM-DD``, any day of it), else of this week."""
    try:
        day = dt.date.fromisoformat(value) if value else utcnow().astimezone(tz).date()
    except ValueError:
        day = utcnow().astimezone(tz).date()
    return lanes.week_start(day)


def _zone(value: str, fallback: str) -> tuple[str, ZoneInfo]:
    for tzid in (value, fallback, "Etc/UTC"):
        if not tzid:
            continue
        try:
            return tzid, times.zone(tzid)
        except ValidationFailed:
            continue
    return "Etc/UTC", ZoneInfo("Etc/UTC")


def _week_view(items: list[account_overview.WeekItem], first: dt.date, tz: ZoneInfo) -> dict[str, Any]:
    rows = lanes.day_lanes(first, 7, tz)
    for item in items:
        kind = "event" if item.summary is not None and item.status == "busy" else item.status
        label = f"{item.summary or item.status} · {lanes.local_label(item.start, item.end, tz)}"
        for lane in rows:
            lane.place(item.start, item.end, kind, label)
    return {"rows": rows, "ticks": lanes.hour_ticks(rows[0], 3), "tz": tz}


@router.get("/dashboard/apps/{application_id}/accounts/{account_id}")
def account_page(
    application_id: str, account_id: str, request: Request, developer: DeveloperDep, services: ServicesDep,
    week: str = "", tzid: str = "",
) -> Response:
    if developer is None:
        return to_sign_in()
    app = owned_application(services, developer, application_id)
    now = utcnow()
    try:
        with services.uow() as uow:
            account = account_overview.one(uow, app.id, account_id, now, _stale_after(services))
            zone_name, tz = _zone(tzid, account.default_tzid)
            first = _week_start(week, tz)
            start, end = lanes.midnight(first, tz), lanes.midnight(first + dt.timedelta(days=7), tz)
            items = account_overview.week(uow, account, start, end, zone_name)
    except NotFound:
        return _not_found(request)
    details = access_modes.policy(account.access_mode).stores_event_details
    return page(
        request, "account.html", developer, app=app, account=account, modes=MODES, states=account_overview.STATE_LABELS,
        week=_week_view(items, first, tz), week_items=items, first=first, tzid=zone_name, details=details,
        previous=(first - dt.timedelta(days=7)).isoformat(), next=(first + dt.timedelta(days=7)).isoformat(),
        week_legend=[(kind, WEEK_KINDS[kind]) for kind in (DETAIL_KINDS if details else BLOCK_KINDS)],
    )


Revoker = Callable[[UnitOfWork, str, str, dt.datetime], None]  # (uow, application id, what, now)


def _revoke(request: Request, services: Services, developer: Developer, application_id: str, what: str,
            revoker: Revoker, missing: str, done: str) -> Response:
    """Revoke ``what`` of the developer's application, then back to its accounts with ``done``
    said (``missing``: the 404 page's words when the application has no such thing)."""
    app = owned_application(services, developer, application_id)
    try:
        with services.uow() as uow:
            revoker(uow, app.id, what, utcnow())
            uow.commit()
    except NotFound:
        return error_page(request, f"{missing[0].upper()}{missing[1:]} not found", f"This application has no such {missing}.", 404)
    notify(request, done)
    return redirect(f"/dashboard/apps/{application_id}/accounts")


@router.post("/dashboard/apps/{application_id}/accounts/{account_id}/revoke")
def revoke(
    application_id: str, account_id: str, request: Request, _: FormDep, developer: DeveloperDep, services: ServicesDep
) -> Response:
    if developer is None:
        return to_sign_in()
    done = f"Access to {account_id} is revoked: its tokens stopped working and its calendars are no longer read."
    return _revoke(request, services, developer, application_id, account_id, account_overview.revoke, "account", done)


@router.post("/dashboard/apps/{application_id}/service_accounts/{service_account_id}/revoke")
def revoke_service_account(
    application_id: str, service_account_id: str, request: Request, _: FormDep, developer: DeveloperDep,
    services: ServicesDep,
) -> Response:
    if developer is None:
        return to_sign_in()
    done = f"{service_account_id} is revoked, with every person's access it gave."
    return _revoke(
        request, services, developer, application_id, service_account_id, account_overview.revoke_organization,
        "service account", done,
    )
