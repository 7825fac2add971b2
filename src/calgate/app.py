# SPDX-License-Identifier: Apache-2.0
"""``create_app(settings)``: the ASGI application, built from settings, never at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from calgate import __version__, gc_tuning
from calgate.api import (
    application_calendars,
    availability,
    availability_rules,
    available_periods,
    batch,
    calendars,
    channels,
    element_tokens,
    errors,
    events,
    events_read,
    free_busy,
    ics_subscriptions,
    identity,
    oauth,
    openapi,
    ops,
    participation,
    real_time_scheduling,
    service_accounts,
    smart_invites,
)
from calgate.api.element_cors import ElementCors
from calgate.config import Settings
from calgate.services import Services, create_services
from calgate.web import connect, dashboard, enterprise_connect, ics, pages, relink, scheduling


def create_served_app() -> FastAPI:
    """The application of one of ``calgate serve --workers N``'s processes (uvicorn's factory):
    ``create_app`` from the environment, then the collector set for a long run (``gc_tuning``)."""
    app = create_app()
    gc_tuning.settle()
    return app


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or (services.settings if services else Settings())
    services = services or create_services(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.run_jobs_in_process:
            services.jobs.start()
        try:
            yield
        finally:
            services.stop()

    app = FastAPI(title="calgate", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie="calgate_session",
        max_age=14 * 24 * 3600,
        same_site="lax",
        https_only=settings.cookies_secure,
    )
    errors.install(app)
    ops.install(app, services)
    app.add_middleware(ElementCors)
    for module in (
        oauth,
        application_calendars,
        identity,
        calendars,
        events,
        events_read,
        free_busy,
        participation,
        availability_rules,
        available_periods,
        availability,
        batch,
        channels,
        smart_invites,
        real_time_scheduling,
        service_accounts,
        element_tokens,
        openapi,
        ics_subscriptions,
        connect,
        enterprise_connect,
        relink,
        scheduling,
        dashboard,
        ics,
    ):
        app.include_router(module.router)
    pages.install(app)
    return app
