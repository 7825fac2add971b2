# SPDX-License-Identifier: Apache-2.0
"""Jobs: the signed-in developer's job queue and the deliveries that have not gone out
(``domain.deliveries``).

The queue per kind of job (syncs, mail, push notifications, writes into calendars): how many
wait, how many a worker holds, how long the oldest due one has waited, how many failed. Below
it, failed deliveries (the runner gave up) and retrying ones (they failed and wait for their
next try), with the recipient, what was sent, attempts, the last error and when the next try
is due; a "Retry now" button per row. Other developers' jobs answer 404, like ids that do not
exist. ``/dashboard/deliveries``, this page's old address, redirects here.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from calgate.api.deps import ServicesDep
from calgate.domain import deliveries
from calgate.domain.errors import NotFound
from calgate.domain.model import utcnow
from calgate.web.dashboard._session import DeveloperDep, notify, page, redirect, to_sign_in
from calgate.web.pages import FormDep, error_page

router = APIRouter()
PATH = "/dashboard/jobs"
OLD_PATH = "/dashboard/deliveries"


@router.get(PATH)
def jobs_page(request: Request, developer: DeveloperDep, services: ServicesDep) -> Response:
    if developer is None:
        return to_sign_in()
    with services.uow() as uow:
        queue = deliveries.queue(uow, developer.id, utcnow())
        rows = deliveries.troubled(uow, developer.id)
    return page(request, "jobs.html", developer, queue=queue, deliveries=rows)


@router.get(OLD_PATH)
def old_address() -> Response:
    return redirect(PATH)


@router.post(OLD_PATH + "/{job_id}/retry")
def retry(job_id: str, request: Request, _: FormDep, developer: DeveloperDep, services: ServicesDep) -> Response:
    if developer is None:
        return to_sign_in()
    try:
        with services.uow() as uow:
            deliveries.retry_now(uow, developer.id, job_id, utcnow())
            uow.commit()
    except NotFound:
        return error_page(request, "Delivery not found", "There is no such delivery in your account.", 404)
    notify(request, "It will be tried again in a moment.")
    return redirect(PATH)
