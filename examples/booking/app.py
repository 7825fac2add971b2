# SPDX-License-Identifier: Apache-2.0
"""The demo's web pages: connect your calendar, see what you connected (and revoke it), book a
meeting with the team, send someone a scheduling link (they pick the time on calgate's page)
and see whether they have, and the push notification receiver that makes the booking page
refresh itself. Server-rendered; the only script is a three-line poll of ``/version``."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pycronofy.exceptions import PyCronofyRequestError

from . import links, push, sdk
from .config import Config, point_sdk_at
from .state import Store

STATE_COOKIE = "booking_demo_state"  # not "state": calgate on another port shares the cookie jar
TEMPLATES = Path(__file__).parent / "templates"


def create_app(config: Config) -> FastAPI:
    point_sdk_at(config.calgate_url)
    store = Store(config.data_dir)
    templates = _templates(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            sdk.ensure_team(config, store)
        except PyCronofyRequestError as error:
            if sdk.is_refused_credentials(error):
                raise SystemExit(f"{config.calgate_url} refused client_id {config.client_id}: check the credentials") from None
            raise
        yield

    app = FastAPI(title="calgate booking demo", lifespan=lifespan)

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        state = store.read()
        return templates.TemplateResponse(
            request, name, {"state": state, "config": config, **context}, status_code=status_code
        )

    @app.exception_handler(PyCronofyRequestError)
    async def calgate_refused(request: Request, error: PyCronofyRequestError) -> HTMLResponse:
        response = error.response
        detail = f"{response.status_code} {response.text}" if response is not None else str(error)
        return page(request, "error.html", status_code=502, detail=detail)

    # -- pages --------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        return page(request, "home.html")

    @app.get("/connect", response_class=HTMLResponse)
    def connect(request: Request, error: str | None = None) -> HTMLResponse:
        state = secrets.token_urlsafe(16)
        response = page(
            request,
            "connect.html",
            modes=links.MODES,
            deep_links=links.deep_links(config, state),
            chooser=links.chooser_link(config, state),
            error=error,
        )
        response.set_cookie(STATE_COOKIE, state, httponly=True, samesite="lax", max_age=3600)
        return response

    @app.get("/callback")
    def callback(request: Request, code: str | None = None, state: str | None = None, error: str | None = None) -> Response:
        expected = request.cookies.get(STATE_COOKIE)
        if not expected or not state or not secrets.compare_digest(state, expected):
            return page(request, "error.html", status_code=400, detail="The state does not match: start again from Connect.")
        if error or not code:
            return RedirectResponse(f"/connect?error={quote(error or 'no_code')}", status_code=303)
        sub = sdk.connect_person(config, store, code)
        response = RedirectResponse(f"/people/{sub}", status_code=303)
        response.delete_cookie(STATE_COOKIE)
        return response

    @app.get("/people/{sub}", response_class=HTMLResponse)
    def person(request: Request, sub: str) -> HTMLResponse:
        record = _known(store, sub)
        return page(request, "person.html", sub=sub, person=record, **sdk.describe_person(config, store, sub))

    @app.post("/people/{sub}/revoke")
    def revoke(sub: str) -> RedirectResponse:
        _known(store, sub)
        sdk.revoke_person(config, store, sub)
        return RedirectResponse("/?revoked=1", status_code=303)

    @app.get("/book", response_class=HTMLResponse)
    def booking_page(request: Request, taken: str | None = None) -> HTMLResponse:
        state = store.read()
        bookings = [{**b, "answers": sdk.answers(config, store, b)} for b in state["bookings"][:5]]
        return page(request, "book.html", slots=_by_day(sdk.find_slots(config, store), config.tzid), bookings=bookings, taken=taken)

    @app.post("/book")
    def make_booking(start: str = Form(...)) -> RedirectResponse:
        if not sdk.still_free(config, store, start):
            return RedirectResponse("/book?taken=1", status_code=303)
        booking = sdk.book(config, store, start)
        return RedirectResponse(f"/bookings/{booking['event_id']}", status_code=303)

    @app.get("/bookings/{event_id}", response_class=HTMLResponse)
    def booked(request: Request, event_id: str) -> HTMLResponse:
        booking = next((b for b in store.read()["bookings"] if b["event_id"] == event_id), None)
        if booking is None:
            raise HTTPException(404)
        return page(request, "booked.html", booking=booking)

    # -- scheduling links (Real-Time Scheduling): the invitee picks a time on calgate's page ----

    @app.get("/links", response_class=HTMLResponse)
    def scheduling_links(request: Request, error: str | None = None) -> HTMLResponse:
        sent = [{**link, "status": sdk.scheduling_link_status(config, link)} for link in store.read()["scheduling_links"][:5]]
        return page(request, "links.html", status_code=422 if error else 200, sent=sent, error=error)

    @app.post("/links")
    def send_link(email: str = Form("")) -> RedirectResponse:
        email = email.strip()
        if "@" not in email or any(c.isspace() for c in email):
            return RedirectResponse("/links?error=email", status_code=303)
        link = sdk.send_scheduling_link(config, store, email)
        return RedirectResponse(f"/links/{link['key']}", status_code=303)

    @app.get("/links/{key}", response_class=HTMLResponse)
    def scheduling_link(request: Request, key: str) -> HTMLResponse:
        link = _sent(store, key)
        return page(request, "link.html", link=link, status=sdk.scheduling_link_status(config, link), mailto=_mailto(link))

    @app.post("/links/{key}/disable")
    def disable_link(key: str) -> RedirectResponse:
        sdk.disable_scheduling_link(config, _sent(store, key), "This link has been withdrawn. Ask us for a new one.")
        return RedirectResponse(f"/links/{key}", status_code=303)

    @app.get("/scheduled", response_class=HTMLResponse)
    def scheduled(request: Request, state: str = "") -> HTMLResponse:
        """Where calgate sends the invitee once booked (redirect_urls.completed_url + state)."""
        link = store.scheduling_link(state)
        if link is None:
            return page(request, "error.html", status_code=404, detail="We sent no scheduling link with that state.")
        return page(request, "scheduled.html", link=link, status=sdk.scheduling_link_status(config, link))

    # -- push notifications -------------------------------------------------------------------

    @app.post("/push/{sub}")
    async def receive(request: Request, sub: str) -> Response:
        body = await request.body()
        if not push.signature_valid(config.client_secret, request.headers.get(push.HEADER), body):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        person = store.read()["people"].get(sub, {})
        store.add_notification(push.entry(sub, person.get("name") or sub, json.loads(body)))
        return Response(status_code=202)

    @app.get("/version")
    def version() -> dict[str, int]:
        return {"version": store.read()["version"]}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _known(store: Store, sub: str) -> dict[str, Any]:
    record = store.read()["people"].get(sub)
    if record is None:
        raise HTTPException(404, "No such person here (revoked?)")
    return dict(record)


def _sent(store: Store, key: str) -> dict[str, Any]:
    link = store.scheduling_link(key)
    if link is None:
        raise HTTPException(404, "No such scheduling link here")
    return link


def _mailto(link: dict[str, Any]) -> str:
    """"Email it": the demo has no mail of its own, so it opens the team member's mail program."""
    body = f"Pick a time for a 30-minute meeting with our team:\n\n{link['url']}\n"
    return f"mailto:{quote(link['email'])}?subject={quote('Book a meeting with our team')}&body={quote(body)}"


def _by_day(slots: list[dict[str, Any]], tzid: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """Slots grouped by their local day, each with its local time for the button."""
    zone = ZoneInfo(tzid)
    days: dict[str, list[dict[str, Any]]] = {}
    for slot in slots:
        local = dt.datetime.fromisoformat(slot["start"].replace("Z", "+00:00")).astimezone(zone)
        days.setdefault(local.strftime("%A %d %B"), []).append({**slot, "local": local.strftime("%H:%M")})
    return list(days.items())


def _templates(config: Config) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    zone = ZoneInfo(config.tzid)

    def local(value: str) -> str:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone)
        return moment.strftime("%a %d %b %Y, %H:%M")

    templates.env.filters["local"] = local
    templates.env.filters["local_time"] = lambda value: local(value)[-5:]  # just "14:30"
    templates.env.globals.update(mode_labels={k: v[0] for k, v in links.MODES.items()}, modes=links.MODES)
    return templates
