# SPDX-License-Identifier: Apache-2.0
"""Wire shapes shared by several resources (wire notes §2.3, §4.1, §4.2)."""

from __future__ import annotations

from typing import Any

from calgate.domain import model
from calgate.domain.authorization import IssuedTokens


def profile(p: model.Profile, public_url: str) -> dict[str, Any]:
    body = {
        "provider_name": p.wire_provider_name,
        "provider_service": p.wire_provider_name,
        "profile_id": p.id,
        "profile_name": p.name,
        "profile_connected": p.connected,
        "profile_initial_sync_required": p.credentials_sealed is not None and not p.initial_sync_done,
        "access_mode": p.access_mode,
    }
    if not p.connected and p.credentials_sealed is not None:
        body["profile_relink_url"] = f"{public_url}/oauth/relink/{p.id}"
    return body


def calendar(c: model.Calendar, p: model.Profile, with_profile: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if with_profile:
        body.update(provider_name=p.wire_provider_name, profile_id=p.id, profile_name=p.name)
    body.update(
        calendar_id=c.id,
        calendar_name=c.name,
        calendar_readonly=c.readonly,
        calendar_deleted=c.deleted,
        calendar_primary=c.primary,
        calendar_integrated_conferencing_available=False,
        calendar_attachments_available=False,
        permission_level="sandbox",
        access_mode=p.access_mode,
    )
    if c.color:
        body["calendar_color"] = c.color
    return body


def token_response(issued: IssuedTokens, account: model.Account | None, linking: model.Profile | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "token_type": "bearer",
        "access_token": issued.access_token,
        "expires_in": issued.expires_in,
        "refresh_token": issued.refresh_token,
        "scope": issued.grant.scope,
        "access_mode": issued.grant.access_mode,
    }
    if issued.grant.account_id is None and issued.grant.service_account_id is not None:
        body["service_account_id"] = issued.grant.service_account_id  # wire notes §2.6
        body["sub"] = issued.grant.service_account_id
    elif account is not None and account.is_application_calendar:
        # wire notes §2.7: an application calendar has a sub but no account_id
        body["application_calendar_id"] = account.application_calendar_id
        body["sub"] = account.id
    elif account is not None:
        body["account_id"] = account.id
        body["sub"] = account.id
    if linking is not None:
        body["linking_profile"] = {
            "provider_name": linking.wire_provider_name,
            "provider_service": linking.wire_provider_name,
            "profile_id": linking.id,
            "profile_name": linking.name,
            "access_mode": linking.access_mode,
        }
    return body
