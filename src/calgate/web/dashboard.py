# SPDX-License-Identifier: Apache-2.0
"""The developer dashboard (placeholder until the dashboard pages land)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

router = APIRouter()


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=303)
