# SPDX-License-Identifier: Apache-2.0
"""Individual Connect pages: GET /oauth/authorize and the steps behind it.

    /oauth/authorize ─ validate ─┬─ error page (unknown client / redirect_uri)
                                 ├─ redirect_uri?error=…&state=…
                                 └─ /oauth/connect/{flow}
                                       mode chooser ─ provider chooser ─┬─ CalDAV/iCloud: server, username, app
                                       │                                │  password (checked with the server) ─ consent
                                       │                                └─ others: "not available here" (501)
                                       └─ No Access: name + email ─ emailed code ─ consent ─ Allow / Deny

The validated request lives in the signed session cookie under a flow id, so several tabs can
run flows side by side. Every step is a POST (CSRF-checked) that updates the flow and
redirects to the flow's one GET page, which shows whatever step the flow is at.
"""

from __future__ import annotations

import json
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from calgate.api.deps import ServicesDep, get_services
from calgate.providers import linking
from calgate.domain import access_modes, connect, mode_change
from calgate.domain.developers import normalize_email
from calgate.domain.errors import ValidationFailed
from calgate.domain.model import utcnow
from calgate.web.flows import EXPIRED, SessionFlow, redirect_with
from calgate.web.pages import FormDep, PageError, field_errors, render

router = APIRouter()


def _flows(request: Request) -> dict[str, Any]:
    return Flow.stored(request)


class Flow(SessionFlow):
    """One person's way through the connect pages: the request, its application, progress."""

    session_key, path, request_type = "flows", "/oauth/connect", connect.ConnectRequest
    request: connect.ConnectRequest


def load_flow(flow_id: str, request: Request, services: ServicesDep) -> Flow:
    with services.uow() as uow:
        return Flow.load(flow_id, request, uow)  # type: ignore[return-value]


FlowDep = Annotated[Flow, Depends(load_flow)]


@router.get("/oauth/authorize", response_class=HTMLResponse)
def authorize(request: Request, services: ServicesDep) -> Response:
    return Flow.begin(request, services, connect.validate_request)


def _step(request: Request, flow: Flow, status: int = 200, **extra: Any) -> HTMLResponse:
    """Render the step the flow is at; ``extra`` carries errors and what was typed."""
    common = {"app": flow.app, "flow_id": flow.id, "can_go_back": flow.chooser_offered, "policy": flow.policy, **extra}
    policy = flow.policy
    if policy is None:
        return render(request, "connect/choose_mode.html", status, modes=flow.app.offered_modes(), **common)
    if not policy.hosted:
        if flow.request.provider is None:
            providers = [(name, access_modes.PROVIDERS[name]) for name in policy.providers]
            return render(request, "connect/choose_provider.html", status, providers=providers, **common)
        label = access_modes.PROVIDERS[flow.request.provider]
        providers = get_services(request).providers
        if flow.request.provider not in providers.offered:
            return render(request, "connect/provider_unavailable.html", 501, provider_label=label, **common)
        if "credentials" not in flow.data and flow.request.provider in providers.oauth:
            return render(request, "connect/provider_start.html", status, provider_label=label, **common)
        if "credentials" not in flow.data:
            apple = flow.request.provider == "apple"
            return render(
                request, "connect/caldav_credentials.html", status, provider_label=label, apple=apple,
                default_server=linking.ICLOUD_URL if apple else "", **{"form": {}, **common},
            )
        identity = flow.data["identity"]
        scopes = policy.describe(flow.request.requested_scopes)
        return render(request, "connect/consent.html", status, email=identity, name=identity, scopes=scopes, **common)
    if "verification_id" not in flow.data:
        return render(request, "connect/hosted_details.html", status, **{"form": {}, **common})
    if not flow.data.get("verified"):
        return render(request, "connect/verify_code.html", status, email=flow.data["email"], **common)
    scopes = policy.describe(flow.request.requested_scopes)
    return render(request, "connect/consent.html", status, email=flow.data["email"], name=flow.data["name"], scopes=scopes, **common)


@router.get("/oauth/connect/{flow_id}", response_class=HTMLResponse)
def flow_page(request: Request, flow: FlowDep) -> Response:
    return _step(request, flow)


@router.post("/oauth/connect/{flow_id}/mode")
def choose_mode(request: Request, form: FormDep, flow: FlowDep) -> Response:
    if flow.chooser_offered:
        try:
            flow.request = connect.chosen_mode(flow.app, flow.request, form.get("access_mode", ""))
            flow.save(request)
        except ValidationFailed:
            pass  # not one of the offered buttons: show the chooser again
    return flow.page()


@router.post("/oauth/connect/{flow_id}/provider")
def choose_provider(request: Request, form: FormDep, flow: FlowDep) -> Response:
    try:
        flow.request = connect.chosen_provider(flow.request, form.get("provider_name", ""))
        flow.save(request)
    except ValidationFailed:
        pass
    return flow.page()


@router.post("/oauth/connect/{flow_id}/back")
def back(request: Request, form: FormDep, flow: FlowDep) -> Response:
    """Return to the chooser: forget the mode, provider and any email step."""
    flow.back_to_chooser(request)
    return flow.page()


@router.post("/oauth/connect/{flow_id}/caldav")
def caldav_credentials(request: Request, form: FormDep, flow: FlowDep, services: ServicesDep) -> Response:
    """Check the person's server, username and app password against the server itself, then
    keep them (sealed: the session cookie is only signed) for the consent step."""
    if flow.policy is None or flow.policy.hosted or flow.request.provider not in linking.CALDAV_PROVIDERS or "credentials" in flow.data:
        return flow.page()
    typed = {"server_url": form.get("server_url", ""), "username": form.get("username", ""), "email": form.get("email", "")}
    try:
        linked = linking.link(
            flow.request.provider, typed["server_url"], typed["username"], form.get("password", ""),
            services.settings.provider_timeout, email=typed["email"],
        )
    except ValidationFailed as exc:
        return _step(request, flow, 422, form=typed, errors=field_errors(exc))
    flow.save(request, credentials=services.box.seal(json.dumps(linked.credentials)), identity=linked.identity)
    return flow.page()


@router.post("/oauth/connect/{flow_id}/oauth-start")
def oauth_start(request: Request, form: FormDep, flow: FlowDep, services: ServicesDep) -> Response:
    """Off to the provider's consent screen (authorization code with PKCE), asking only for
    what the chosen access mode needs; ``provider_callback`` picks the flow up again by state."""
    provider = services.providers.oauth.get(flow.request.provider or "")
    if provider is None or flow.policy is None or flow.policy.hosted or "credentials" in flow.data:
        return flow.page()
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    flow.save(request, provider_state=state, provider_verifier=verifier)
    url = provider.authorization_url(_callback_url(services), state, verifier, flow.policy.stores_event_details, None)
    return RedirectResponse(url, status_code=303)


def _callback_url(services: ServicesDep) -> str:
    return f"{services.settings.public_url}/oauth/provider/callback"


@router.get("/oauth/provider/callback")
def provider_callback(request: Request, services: ServicesDep) -> Response:
    """Back from Google or Microsoft. A refusal there is a refusal here: the application hears
    ``access_denied``. Otherwise the code becomes sealed credentials and the person sees our
    consent screen."""
    state = request.query_params.get("state", "")
    match = next(((fid, data) for fid, data in _flows(request).items() if state and data.get("provider_state") == state), None)
    if match is None:
        raise EXPIRED
    with services.uow() as uow:
        app = uow.applications.by_client_id(match[1]["request"]["client_id"])
    if app is None:
        raise EXPIRED
    flow = Flow(match[0], match[1], app)
    verifier = flow.data.pop("provider_verifier", "")
    flow.data.pop("provider_state", None)
    code = request.query_params.get("code")
    if not code or flow.policy is None:
        flow.end(request)
        return redirect_with(flow.request.redirect_uri, error="access_denied", state=flow.request.state)
    try:
        linked = linking.link_oauth(
            services.providers, flow.request.provider or "", code, _callback_url(services), verifier, flow.policy.stores_event_details
        )
    except ValidationFailed as exc:
        flow.save(request)
        return _step(request, flow, 422, errors=field_errors(exc))
    flow.save(request, credentials=services.box.seal(json.dumps(linked.credentials)), identity=linked.identity)
    return flow.page()


@router.post("/oauth/connect/{flow_id}/email")
def send_code(request: Request, form: FormDep, flow: FlowDep, services: ServicesDep) -> Response:
    if flow.policy is None or not flow.policy.hosted or "verification_id" in flow.data:
        return flow.page()  # not at this step
    try:
        with services.uow() as uow:
            verification = connect.start_email_verification(
                uow, flow.app, form.get("name", ""), form.get("email", ""), utcnow(), services.settings.email_code_ttl
            )
            uow.commit()
    except ValidationFailed as exc:
        return _step(request, flow, 422, form=form, errors=field_errors(exc))
    flow.save(request, verification_id=verification.id, email=verification.email, name=form["name"].strip(), verified=False)
    return flow.page()


@router.post("/oauth/connect/{flow_id}/code")
def verify_code(request: Request, form: FormDep, flow: FlowDep, services: ServicesDep) -> Response:
    if "verification_id" not in flow.data or flow.data.get("verified"):
        return flow.page()
    try:
        with services.uow() as uow:
            connect.check_email_code(uow, flow.data["verification_id"], form.get("code", ""), utcnow())
            uow.commit()
    except ValidationFailed as exc:
        return _step(request, flow, 422, errors=field_errors(exc))
    flow.save(request, verified=True)
    return flow.page()


@router.post("/oauth/connect/{flow_id}/restart-email")
def restart_email(request: Request, form: FormDep, flow: FlowDep) -> Response:
    """Use another address, or ask for a new code."""
    for key in ("verification_id", "email", "name", "verified"):
        flow.data.pop(key, None)
    flow.save(request)
    return flow.page()


@router.post("/oauth/connect/{flow_id}/decision")
def decide(request: Request, form: FormDep, flow: FlowDep, services: ServicesDep) -> Response:
    """Allow or Deny. Deny is possible from every step (it is also "Return to the app")."""
    if form.get("decision") != "allow":
        flow.end(request)
        return redirect_with(flow.request.redirect_uri, error="access_denied", state=flow.request.state)
    if "credentials" in flow.data:
        return _allow_provider(request, flow, services)
    if not flow.data.get("verified"):
        return flow.page()  # nothing to allow yet
    with services.uow() as uow:
        verification = uow.verifications.get(flow.data["verification_id"])
        if verification is None:
            raise EXPIRED
        try:
            code = connect.allow_hosted(
                uow, flow.app, flow.request, verification, flow.data["name"], utcnow(),
                services.settings.authorization_code_ttl,
            )
        except ValidationFailed as exc:
            raise PageError("This connection cannot be completed", str(exc)) from None
        uow.commit()
    flow.end(request)
    return redirect_with(flow.request.redirect_uri, code=code, state=flow.request.state)


def _allow_provider(request: Request, flow: Flow, services: ServicesDep) -> Response:
    sealed = flow.data["credentials"]
    try:
        assert flow.policy is not None
        credentials = json.loads(services.box.open(sealed))
        calendars = linking.calendars(services.providers, flow.request.provider or "", credentials, flow.policy.stores_event_details)
    except ValidationFailed as exc:
        flow.data.pop("credentials", None)
        flow.save(request)
        return _step(request, flow, 422, errors=field_errors(exc))
    identity, provider = flow.data["identity"], flow.request.provider or ""
    with services.uow() as uow:  # connected before in a mode without details: read them now, outside a transaction
        plan = mode_change.first_read_plan(uow, flow.app, provider, identity, normalize_email(identity), flow.policy.name)
    first_read = linking.first_read(services.providers, provider, credentials, plan, utcnow()) if plan else None
    with services.uow() as uow:
        try:
            code = connect.allow_provider(
                uow, flow.app, flow.request, identity, sealed, calendars, utcnow(),
                services.settings.authorization_code_ttl, first_read,
            )
        except ValidationFailed as exc:
            raise PageError("This connection cannot be completed", str(exc)) from None
        uow.commit()
    flow.end(request)
    return redirect_with(flow.request.redirect_uri, code=code, state=flow.request.state)
