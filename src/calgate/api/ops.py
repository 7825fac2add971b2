# SPDX-License-Identifier: Apache-2.0
"""Operations endpoints: ``GET /healthz`` (the process is up), ``GET /readyz`` (the database
answers and its schema is the newest this code knows) and ``GET /metrics`` (Prometheus text).

``install(app, services)`` wires all three, an ASGI middleware timing every request under its
route *template* (never the raw path: ids would explode the label set), and a collector that
asks the database at scrape time, so every API process reports the same shared queue. Each app
has its own ``CollectorRegistry``: several apps in one process (tests) never collide.

``calgate_mail_delivery_failures_total`` is a gauge, not a counter: it is the number of mail
jobs (``send_mail``, ``send_invite``) now in status failed, so it drops when failed jobs are
retried or purged. Alert on ``> 0`` or ``delta(...[1h]) > 0``, not on ``rate()``.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calgate.api.deps import ServicesDep
from calgate.api.errors import json_response
from calgate.domain.model import utcnow
from calgate.services import Services
from calgate.store import ops_queries

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@router.get("/healthz")
async def healthz() -> JSONResponse:
    return json_response({"status": "ok"})


@router.get("/readyz")
def readyz(services: ServicesDep) -> JSONResponse:
    state = ops_queries.schema_state(services.db)
    if state.ready:
        return json_response({"status": "ready", "database": "ok", "schema": state.revision})
    body = {"status": "not_ready", "database": state.database, "schema": state.revision, "detail": state.detail}
    return json_response(body, 503)


@router.get("/metrics")
def metrics(request: Request, services: ServicesDep) -> Response:
    token = services.settings.metrics_token.get_secret_value() if services.settings.metrics_token else ""
    if token and not _bearer_matches(request, token):
        return json_response(
            {"error": "invalid_token", "error_description": "Send the metrics token as 'Authorization: Bearer <token>'"},
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)


def _bearer_matches(request: Request, expected: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(given.strip().encode(), expected.encode())


class RequestMetrics:
    """Times each HTTP request; labels: method, route template (``unmatched`` when no route
    matched), status code (500 when the app raised before answering)."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        start = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            # The router writes the matched route into this same scope dict.
            route = scope.get("route")
            template = getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.histogram.labels(method, template, str(status)).observe(time.perf_counter() - start)


class DatabaseCollector(Collector):
    """Job queue, sync lag and mail failures, read from the database at each scrape."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def describe(self) -> Iterable[Metric]:
        return []  # computed at scrape time; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("calgate_database_up", "1 when the database answered this scrape's queries, else 0.")
        try:
            snapshot = ops_queries.ops_snapshot(self.services.db, utcnow())
        except Exception as exc:  # a scrape still reports the process's own metrics
            log.warning("metrics: database queries failed: %s", type(exc).__name__, exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        kinds = sorted(set(self.services.jobs.handlers) | set(snapshot.queue_depth) | set(snapshot.failed))
        yield _gauge("calgate_job_queue_depth", "Pending jobs, due or not.", "kind", kinds, snapshot.queue_depth)
        yield _gauge(
            "calgate_job_queue_oldest_age_seconds",
            "Seconds the most overdue pending job has waited since its run_after (0: none due).",
            "kind", kinds, snapshot.oldest_due_age,
        )
        yield _gauge("calgate_jobs_failed", "Jobs that gave up (status failed).", "kind", kinds, snapshot.failed)
        yield _gauge(
            "calgate_sync_lag_seconds",
            "Seconds since the stalest connected provider profile last synced (never synced: since it was created).",
            "provider", sorted(snapshot.sync_lag), snapshot.sync_lag,
        )
        mail = GaugeMetricFamily(
            "calgate_mail_delivery_failures_total",
            "Mail jobs (send_mail, send_invite) in status failed now; a gauge, it drops when they are retried or purged.",
        )
        mail.add_metric([], snapshot.mail_failures)
        yield mail


def _gauge(name: str, documentation: str, label: str, keys: list[str], values: dict[str, Any]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for key in keys:
        family.add_metric([key], values.get(key, 0))
    return family


def install(app: FastAPI, services: Services) -> None:
    """Add the endpoints, the request timer and the database collector (before the app starts)."""
    registry = CollectorRegistry()
    histogram = Histogram(
        "calgate_http_request_duration_seconds",
        "HTTP request duration by method, route template and status code.",
        ["method", "route", "status"],
        registry=registry,
    )
    registry.register(DatabaseCollector(services))
    app.add_middleware(RequestMetrics, histogram=histogram)
    app.include_router(router)
    app.state.metrics_registry = registry
    app.state.metrics_installed = True
