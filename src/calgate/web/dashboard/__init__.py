# SPDX-License-Identifier: Apache-2.0
"""The developer dashboard: server-rendered pages where developers manage their applications.

    /                          → /dashboard
    /dashboard/sign-up, sign-in, sign-out          accounts.py
    /dashboard, /dashboard/apps/…                  apps.py   (list, create, edit, rotate secret)
    /dashboard/outbox                              outbox.py (the local mail folder)
    /dashboard/apps/{id}/explorer                  explorer.py (the availability explorer)
    /dashboard/apps/{id}/accounts[/{account}]      connected.py (connected accounts, week views, revoke)
    /dashboard/jobs                                jobs.py   (the job queue, failed and retrying deliveries)

The signed-in developer's id lives in the signed session cookie (``developer_id``); every POST
checks the CSRF token (``pages.form_data``). Handlers call domain functions inside
``services.uow()`` and never query the database themselves.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from calgate.web.dashboard import accounts, apps, connected, explorer, jobs, outbox

router = APIRouter()


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=303)


for _module in (accounts, apps, connected, outbox, jobs, explorer):
    router.include_router(_module.router)
