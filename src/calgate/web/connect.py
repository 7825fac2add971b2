# SPDX-License-Identifier: Apache-2.0
"""Individual Connect pages: GET /oauth/authorize and the steps behind it.

    /oauth/authorize ─ validate ─┬─ error page (unknown client / redirect_uri)
                                 ├─ redirect_uri?error=…&state=…
                                 └─ /oauth/connect/{flow}
                                       mode chooser ─ provider chooser ─ (provider pages: later issues)
                                       └─ No Access: name + email ─ emailed code ─ consent ─ Allow / Deny

The validated request lives in the signed session cookie under a flow id, so several tabs can
run flows side by side; every POST checks the CSRF token.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from calgate.api.deps import ServicesDep
from calgate.domain import access_modes, connect
from calgate.domain.errors import AuthorizeError, ValidationFailed
from calgate.domain.model import Application, utcnow
from calgate.web.pages import error_page, field_errors, form_data, render

router = APIRouter()
MAX_FLOWS = 4


def redirect_with(uri: str, **params: str | None) -> RedirectResponse:
    parts = urlsplit(uri)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return RedirectResponse(urlunsplit(parts._replace(query=query)), status_code=302)


def _flows(request: Request) -> dict[str, Any]:
    return request.session.setdefault("flows", {})  # type: ignore[no-any-return]


def _save_flow(request: Request, flow_id: str, flow: dict[str, Any]) -> None:
    flows = dict(_flows(request))
    flows.pop(flow_id, None)
    flows[flow_id] = flow
    while len(flows) > MAX_FLOWS:  # the cookie must stay small: forget the oldest flows
        flows.pop(next(iter(flows)))
    request.session["flows"] = flows


def _flow_page(flow_id: str) -> RedirectResponse:
    return RedirectResponse(f"/oauth/connect/{flow_id}", status_code=303)


def _expired(request: Request) -> HTMLResponse:
    return error_page(
        request,
        "This connection request has expired",
        "Go back to the application and start connecting your calendar again.",
        400,
    )


@router.get("/oauth/authorize", response_class=HTMLResponse)
def authorize(request: Request, services: ServicesDep) -> Response:
    params = {k: v for k, v in request.query_params.items()}
    try:
        with services.uow() as uow:
            _, validated = connect.validate_request(uow, params)
    except AuthorizeError as exc:
        if not exc.redirectable:
            return error_page(request, "This link cannot be used", exc.description, 400)
        return redirect_with(
            params["redirect_uri"], error=exc.error, error_description=exc.description, state=params.get("state")
        )
    flow_id = secrets.token_urlsafe(12)
    # The person may choose (and come back to choose again) only when the request left the
    # choice open; a pre-selected mode, or one implied by the scope, is the application's.
    _save_flow(request, flow_id, {"request": validated.to_dict(), "chooser": validated.access_mode is None})
    return _flow_page(flow_id)


class _Flow:
    """The flow named in the URL, its request and its application."""

    def __init__(self, request: Request, services: ServicesDep, flow_id: str) -> None:
        self.id = flow_id
        self.data: dict[str, Any] | None = _flows(request).get(flow_id)
        self.app: Application | None = None
        if self.data is not None:
            self.request = connect.ConnectRequest.from_dict(self.data["request"])
            with services.uow() as uow:
                self.app = uow.applications.by_client_id(self.request.client_id)

    @property
    def ok(self) -> bool:
        return self.data is not None and self.app is not None

    def save(self, request: Request, **changes: Any) -> None:
        assert self.data is not None
        self.data.update(changes)
        self.data["request"] = self.request.to_dict()
        _save_flow(request, self.id, self.data)

    def chooser_offered(self) -> bool:
        assert self.app is not None and self.data is not None
        return bool(self.data.get("chooser")) and len(self.app.offered_modes()) > 1


@router.get("/oauth/connect/{flow_id}", response_class=HTMLResponse)
def flow_page(flow_id: str, request: Request, services: ServicesDep) -> Response:
    flow = _Flow(request, services, flow_id)
    if not flow.ok:
        return _expired(request)
    assert flow.app is not None and flow.data is not None
    common = {"app": flow.app, "flow_id": flow_id, "can_go_back": flow.chooser_offered()}
    if flow.request.access_mode is None:
        return render(request, "connect/choose_mode.html", modes=flow.app.offered_modes(), **common)
    policy = access_modes.policy(flow.request.access_mode)
    if not policy.hosted:
        if flow.request.provider is None:
            providers = [(name, access_modes.PROVIDERS[name]) for name in policy.providers]
            return render(request, "connect/choose_provider.html", policy=policy, providers=providers, **common)
        return render(
            request,
            "connect/provider_unavailable.html",
            status=501,
            policy=policy,
            provider_label=access_modes.PROVIDERS[flow.request.provider],
            **common,
        )
    if "verification_id" not in flow.data:
        return render(request, "connect/hosted_details.html", policy=policy, form={}, **common)
    if not flow.data.get("verified"):
        return render(request, "connect/verify_code.html", policy=policy, email=flow.data["email"], **common)
    return render(
        request,
        "connect/consent.html",
        policy=policy,
        email=flow.data["email"],
        name=flow.data["name"],
        scopes=policy.describe(flow.request.requested_scopes),
        **common,
    )


@router.post("/oauth/connect/{flow_id}/mode")
async def choose_mode(flow_id: str, request: Request, services: ServicesDep) -> Response:
    form = await form_data(request)
    flow = _Flow(request, services, flow_id)
    if not flow.ok:
        return _expired(request)
    assert flow.app is not None
    if not flow.chooser_offered():
        return _flow_page(flow_id)
    try:
        flow.request = connect.chosen_mode(flow.app, flow.request, form.get("access_mode", ""))
    except ValidationFailed:
        return _flow_page(flow_id)
    flow.save(request)
    return _flow_page(flow_id)


@router.post("/oauth/connect/{flow_id}/provider")
async def choose_provider(flow_id: str, request: Request, services: ServicesDep) -> Response:
    form = await form_data(request)
    flow = _Flow(request, services, flow_id)
    if not flow.ok:
        return _expired(request)
    try:
        flow.request = connect.chosen_provider(flow.request, form.get("provider_name", ""))
    except ValidationFailed:
        return _flow_page(flow_id)
    flow.save(request)
    return _flow_page(flow_id)


@router.post("/oauth/connect/{flow_id}/back")
async def back(flow_id: str, request: Request, services: ServicesDep) -> Response:
    """Return to the chooser: forget the mode, provider and any email step."""
    await form_data(request)
    flow = _Flow(request, services, flow_id)
    if not flow.ok:
        return _expired(request)
    assert flow.data is not None
    if flow.chooser_offered():
        flow.request = connect.ConnectRequest.from_dict({**flow.request.to_dict(), "access_mode": None, "provider": None})
        flow.data = {"request": flow.request.to_dict(), "chooser": True}
        flow.save(request)
    return _flow_page(flow_id)


@router.post("/oauth/connect/{flow_id}/email")
async def send_code(flow_id: str, request: Request, services: ServicesDep) -> Response:
    form = await form_data(request)
    flow = _Flow(request, services, flow_id)
    if not flow.ok:
        return _expired(request)
    assert flow.app is not None
    settings = services.settings
    try:
        with services.uow() as uow:
            verification = connect.start_email_verification(
                uow, flow.app, form.get("name", ""), form.get("email", ""), utcnow(), settings.email_code_ttl
            )
            uow.commit()
    except ValidationFailed as exc:
        policy = access_modes.policy(flow.request.access_mode or "")
        return render(
            request,
            "connect/hosted_details.html",
            status=422,
            app=flow.app,
            flow_id=flow_id,
            policy=policy,
            form=form,
            errors=field_errors(exc),
            can_go_back=flow.chooser_offered(),
        )
    flow.save(request, verification_id=verification.id, email=verification.email, name=form["name"].strip(), verified=False)
    return _flow_page(flow_id)


@router.post("/oauth/connect/{flow_id}/code")
async def verify_code(flow_id: str, request: Request, services: ServicesDep) -> Response:
    form = await form_data(request)
    flow = _Flow(request, services, flow_id)
    if not flow.ok or "verification_id" not in (flow.data or {}):
        return _expired(request)
    assert flow.data is not None
    try:
        with services.uow() as uow:
            connect.check_email_code(uow, flow.data["verification_id"], form.get("code", ""), utcnow())
            uow.commit()
    except ValidationFailed as exc:
        return render(
            request,
            "connect/verify_code.html",
            status=422,
            app=flow.app,
            flow_id=flow_id,
            email=flow.data["email"],
            errors=field_errors(exc),
            can_go_back=flow.chooser_offered(),
        )
    flow.save(request, verified=True)
    return _flow_page(flow_id)


@router.post("/oauth/connect/{flow_id}/restart-email")
async def restart_email(flow_id: str, request: Request, services: ServicesDep) -> Response:
    """Use another address, or ask for a new code."""
    await form_data(request)
    flow = _Flow(request, services, flow_id)
    if not flow.ok:
        return _expired(request)
    assert flow.data is not None
    for key in ("verification_id", "email", "name", "verified"):
        flow.data.pop(key, None)
    flow.save(request)
    return _flow_page(flow_id)


@router.post("/oauth/connect/{flow_id}/decision")
async def decide(flow_id: str, request: Request, services: ServicesDep) -> Response:
    form = await form_data(request)
    flow = _Flow(request, services, flow_id)
    if not flow.ok:
        return _expired(request)
    assert flow.app is not None and flow.data is not None
    flows = dict(_flows(request))
    flows.pop(flow_id, None)
    request.session["flows"] = flows  # a decision ends the flow, whichever it is
    if form.get("decision") != "allow":
        return redirect_with(flow.request.redirect_uri, error="access_denied", state=flow.request.state)
    if not flow.data.get("verified"):
        return _expired(request)
    settings = services.settings
    with services.uow() as uow:
        verification = uow.verifications.get(flow.data["verification_id"])
        if verification is None:
            return _expired(request)
        code = connect.allow_hosted(
            uow, flow.app, flow.request, verification, flow.data["name"], utcnow(), settings.authorization_code_ttl
        )
        uow.commit()
    return redirect_with(flow.request.redirect_uri, code=code, state=flow.request.state)
