# SPDX-License-Identifier: Apache-2.0
"""Availability Rules: POST, GET and DELETE /v1/availability_rules (wire notes §4.6). What a
rule may hold, and who may touch it, is ``domain.managed_availability``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from calgate.api.deps import CallerDep, Params, ServicesDep
from calgate.api.errors import json_response
from calgate.domain import managed_availability, model
from calgate.domain.model import utcnow

router = APIRouter(prefix="/v1")
ACCEPTED = 202


@router.post("/availability_rules")
def upsert_availability_rule(params: Params, caller: CallerDep, services: ServicesDep) -> JSONResponse:
    command = managed_availability.RuleInput.from_params(params)
    rule = services.run(lambda uow: managed_availability.upsert_rule(uow, caller, command, utcnow()))
    return json_response({"availability_rule": _rule(rule)})


@router.get("/availability_rules")
def list_availability_rules(caller: CallerDep, services: ServicesDep) -> JSONResponse:
    with services.uow() as uow:
        rules = managed_availability.list_rules(uow, caller)
    return json_response({"availability_rules": [_rule(r) for r in rules]})


# ":path": an id is any ASCII, "/" included; SDKs put it in the path as it is.
@router.get("/availability_rules/{availability_rule_id:path}")
def get_availability_rule(availability_rule_id: str, caller: CallerDep, services: ServicesDep) -> JSONResponse:
    with services.uow() as uow:
        rule = managed_availability.get_rule(uow, caller, availability_rule_id)
    return json_response({"availability_rule": _rule(rule)})


@router.delete("/availability_rules/{availability_rule_id:path}")
def delete_availability_rule(availability_rule_id: str, caller: CallerDep, services: ServicesDep) -> Response:
    # Any body is ignored: PHP sends [], Node {"availability_rule_id": …}.
    services.run(lambda uow: managed_availability.delete_rule(uow, caller, availability_rule_id))
    return Response(status_code=ACCEPTED)


def _rule(rule: model.AvailabilityRule) -> dict[str, Any]:
    body: dict[str, Any] = {"availability_rule_id": rule.availability_rule_id, "tzid": rule.tzid}
    if rule.calendar_ids is not None:
        body["calendar_ids"] = list(rule.calendar_ids)
    body["weekly_periods"] = [dict(p) for p in rule.weekly_periods]
    return body
