# SPDX-License-Identifier: Apache-2.0
"""Enterprise Connect pages: GET /enterprise_connect/oauth/authorize and the administrator's steps.

    /enterprise_connect/oauth/authorize ─ validate ─┬─ error page (unknown client / redirect_uri)
                                                    ├─ redirect_uri?error=…&state=…
                                                    └─ /enterprise_connect/connect/{flow}
        mode chooser ─ provider chooser ─ the organization's credentials (checked with the
        provider) ─ consent ─ Allow (redirect with the code) / Deny (access_denied)

Same mechanics as Individual Connect (``web.connect``): the validated request lives in the
signed session cookie under a flow id; the organization's credentials, once checked, are kept
there sealed until Allow; every step is a CSRF-checked POST that redirects to the flow's page.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from calgate.api.deps import ServicesDep
from calgate.domain import access_modes, enterprise_connect
from calgate.domain.errors import ValidationFailed
from calgate.domain.model import utcnow
from calgate.providers import delegation
from calgate.web.flows import SessionFlow, redirect_with
from calgate.web.pages import FormDep, PageError, field_errors, render

router = APIRouter()


class Flow(SessionFlow):
    """The administrator's way through the pages."""

    session_key, path, max_flows = "enterprise_flows", "/enterprise_connect/connect", 2
    request_type = enterprise_connect.EnterpriseRequest
    request: enterprise_connect.EnterpriseRequest

    def offered_modes(self) -> list[access_modes.AccessModePolicy]:
        return enterprise_connect.offered_modes(self.app)


def load_flow(flow_id: str, request: Request, services: ServicesDep) -> Flow:
    with services.uow() as uow:
        return Flow.load(flow_id, request, uow)  # type: ignore[return-value]


FlowDep = Annotated[Flow, Depends(load_flow)]


@router.get("/enterprise_connect/oauth/authorize", response_class=HTMLResponse)
def authorize(request: Request, services: ServicesDep) -> Response:
    return Flow.begin(request, services, enterprise_connect.validate_request)


def _step(request: Request, flow: Flow, status: int = 200, **extra: Any) -> HTMLResponse:
    common = {"app": flow.app, "flow_id": flow.id, "can_go_back": flow.chooser_offered, "policy": flow.policy, **extra}
    if flow.policy is None:
        return render(request, "enterprise/choose_mode.html", status, modes=enterprise_connect.offered_modes(flow.app), **common)
    if flow.request.provider is None:
        providers = [(name, enterprise_connect.PROVIDER_LABELS[name]) for name in enterprise_connect.PROVIDERS]
        return render(request, "enterprise/choose_provider.html", status, providers=providers, **common)
    label = enterprise_connect.PROVIDER_LABELS[flow.request.provider]
    if "credentials" not in flow.data:
        return render(request, "enterprise/credentials.html", status, provider=flow.request.provider, provider_label=label,
                      **{"form": {}, **common})
    powers, delegated = enterprise_connect.describe(flow.request)
    return render(request, "enterprise/consent.html", status, provider_label=label, domain=flow.data["domain"],
                  admin_email=flow.data["admin_email"], powers=powers, delegated=delegated, **common)


@router.get("/enterprise_connect/connect/{flow_id}", response_class=HTMLResponse)
def flow_page(request: Request, flow: FlowDep) -> Response:
    return _step(request, flow)


@router.post("/enterprise_connect/connect/{flow_id}/mode")
def choose_mode(request: Request, form: FormDep, flow: FlowDep) -> Response:
    if flow.chooser_offered:
        try:
            flow.request = enterprise_connect.chosen_mode(flow.app, flow.request, form.get("access_mode", ""))
            flow.save(request)
        except ValidationFailed:
            pass
    return flow.page()


@router.post("/enterprise_connect/connect/{flow_id}/provider")
def choose_provider(request: Request, form: FormDep, flow: FlowDep) -> Response:
    if flow.policy is not None:
        try:
            flow.request = enterprise_connect.chosen_provider(flow.request, form.get("provider_name", ""))
            flow.save(request)
        except ValidationFailed:
            pass
    return flow.page()


@router.post("/enterprise_connect/connect/{flow_id}/back")
def back(request: Request, form: FormDep, flow: FlowDep) -> Response:
    flow.back_to_chooser(request)
    return flow.page()


@router.post("/enterprise_connect/connect/{flow_id}/credentials")
def credentials(request: Request, form: FormDep, flow: FlowDep, services: ServicesDep) -> Response:
    """Check the organization's credentials with the provider itself (a token for the
    administrator's own calendar in the chosen mode), then keep them sealed for Allow."""
    if flow.policy is None or flow.request.provider is None or "credentials" in flow.data:
        return flow.page()
    typed = {k: form.get(k, "") for k in delegation.FORM_FIELDS[flow.request.provider] if k not in delegation.SECRET_FIELDS}
    try:
        organization = delegation.check_organization(
            services.providers, flow.request.provider, form, flow.policy.stores_event_details
        )
    except ValidationFailed as exc:
        return _step(request, flow, 422, form=typed, errors=field_errors(exc))
    flow.save(
        request,
        credentials=services.box.seal(json.dumps(organization.credentials)),
        domain=organization.domain,
        admin_email=organization.admin_email,
    )
    return flow.page()


@router.post("/enterprise_connect/connect/{flow_id}/decision")
def decide(request: Request, form: FormDep, flow: FlowDep, services: ServicesDep) -> Response:
    if form.get("decision") != "allow":
        flow.end(request)
        return redirect_with(flow.request.redirect_uri, error="access_denied", state=flow.request.state)
    if "credentials" not in flow.data:
        return flow.page()
    with services.uow() as uow:
        try:
            code = enterprise_connect.allow(
                uow, flow.app, flow.request, flow.data["domain"], flow.data["admin_email"], flow.data["credentials"],
                utcnow(), services.settings.authorization_code_ttl,
            )
        except ValidationFailed as exc:
            raise PageError("This connection cannot be completed", str(exc)) from None
        uow.commit()
    flow.end(request)
    return redirect_with(flow.request.redirect_uri, code=code, state=flow.request.state)
