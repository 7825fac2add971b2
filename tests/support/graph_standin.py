# SPDX-License-Identifier: Apache-2.0
"""A Microsoft Graph stand-in on a loopback port (tests only): the identity platform's OAuth
v2 endpoints and the Graph v1.0 subset calgate uses (``graph_standin_api``).

- ``GET /{tenant}/oauth2/v2.0/authorize``: auto-approves for ``authorize_as`` (a user's mail),
  or answers ``error=access_denied`` when ``decline`` is set. PKCE is required (S256).
- ``POST /{tenant}/oauth2/v2.0/token``: ``authorization_code`` (code_verifier checked against
  the challenge, redirect_uri and client checked) and ``refresh_token`` grants; errors in the
  identity platform's shape (``{"error": "invalid_grant", "error_description": "AADSTS…"}``).
- ``client_credentials`` (app-only access, Enterprise Connect): an organization's own app
  registration (``add_application``) with its granted application permissions (roles); the
  tenant, client and secret are checked in that order, the scope must be
  ``https://graph.microsoft.com/.default``; the token (no refresh token) carries the tenant and
  roles and no user. Every grant is recorded in ``app_grants``.
- Tokens carry the granted scopes (delegated) or roles (app-only); Graph routes enforce them
  (``graph_standin_api.gate``), ``/users/{id|upn}/…`` as well as ``/me/…``.
- ``GET /v1.0/places/microsoft.graph.room`` ("List places"): the tenant's rooms
  (``add_room``), for an app token with the role ``Place.Read.All`` (or a delegated token with
  that scope), ``$top`` per page (default 100) and ``@odata.nextLink`` (``$skip``) to the next.
- ``fail(route, times, status, retry_after)``: the next calls of a route answer 429/503.
- ``violations``: every request that broke the published shapes; tests assert it stays empty.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.support.graph_standin_api import error, routes
from tests.support.graph_standin_events import UTC, GraphUser, StoredEvent
from tests.support.server import free_port

CLIENT_ID = "6731de76-14a6-49ae-97bc-6eba6914391e"
CLIENT_SECRET = "standin-client-secret"
GRAPH_PREFIX = "https://graph.microsoft.com/"
GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
OIDC_SCOPES = frozenset({"openid", "email", "profile", "offline_access"})


def _scopes(text: str) -> set[str]:
    return {s[len(GRAPH_PREFIX):] if s.startswith(GRAPH_PREFIX) else s for s in text.split()}


def _oauth_error(code: str, description: str, status: int = 400) -> JSONResponse:
    number = int(description[len("AADSTS"):description.index(":")])
    return JSONResponse({"error": code, "error_description": description, "error_codes": [number]}, status_code=status)


class GraphStandin:
    def __init__(self) -> None:
        self.port = free_port()
        self.reset()
        app = Starlette(routes=[
            Route("/{tenant}/oauth2/v2.0/authorize", self._authorize, methods=["GET"]),
            Route("/{tenant}/oauth2/v2.0/token", self._token, methods=["POST"]),
            *routes(),
        ])
        app.state.standin = self
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> GraphStandin:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("Graph stand-in did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def reset(self) -> None:
        """Forget every user, token, fault and recorded request."""
        self.users: dict[str, GraphUser] = {}
        self.access_tokens: dict[str, tuple[str, set[str], dt.datetime]] = {}
        self.applications: dict[tuple[str, str], tuple[str, set[str]]] = {}  # (tenant, client id) → (secret, roles)
        self.app_tokens: dict[str, tuple[str, set[str], dt.datetime]] = {}  # token → (tenant, roles, expiry)
        self.app_grants: list[tuple[str, str]] = []  # (tenant, client id) of every client credentials grant
        self.rooms: dict[str, str] = {}  # emailAddress → displayName
        self.refresh_tokens: dict[str, tuple[str, set[str]]] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.faults: dict[str, list[tuple[int, float | None]]] = {}
        self.violations: list[str] = []
        self.requests: list[tuple[str, str, str]] = []  # (method, path, route name)
        self.schedule_windows: list[tuple[dt.datetime, dt.datetime]] = []
        self.details_sent = 0  # schedule items sent with subject and location
        self.authorize_as: str | None = None
        self.decline = False

    # --- state, as the person's own Outlook would change it ---------------------------------

    def add_user(self, mail: str, upn: str | None = None) -> GraphUser:
        user = GraphUser(mail=mail.lower(), upn=upn or mail.lower())
        self.users[user.mail] = user
        self.add_calendar(user, "Calendar", default=True)
        return user

    def find_user(self, key: str) -> GraphUser | None:
        """The user ``/users/{key}`` names: by mail or userPrincipalName (the stand-in's user id)."""
        key = key.lower()
        return next((u for u in self.users.values() if key in (u.mail, u.upn.lower())), None)

    def add_application(self, tenant: str, client_id: str, client_secret: str, roles: set[str]) -> None:
        """An organization's app registration in ``tenant``, with admin-consented application
        permissions ``roles`` (e.g. ``{"Calendars.ReadWrite", "User.Read.All"}``)."""
        self.applications[(tenant, client_id)] = (client_secret, set(roles))

    def add_room(self, email: str, name: str) -> None:
        """A room mailbox of the tenant, as ``/places/microsoft.graph.room`` lists it."""
        self.rooms[email.lower()] = name

    def add_calendar(self, user: GraphUser, name: str, *, can_edit: bool = True, color: str = "#1E90FF", default: bool = False) -> str:
        calendar_id = "AAMkAGcal" + secrets.token_urlsafe(12)
        user.calendars[calendar_id] = {
            "id": calendar_id, "name": name, "color": "auto", "hexColor": color, "isDefaultCalendar": default,
            "canEdit": can_edit, "canShare": can_edit, "canViewPrivateItems": True,
            "owner": {"name": user.mail, "address": user.mail},
        }
        return calendar_id

    def add_event(self, user: GraphUser, calendar_id: str | None = None, **fields: Any) -> StoredEvent:
        event = StoredEvent(id="AAMkAG" + secrets.token_urlsafe(18), calendar_id=calendar_id or user.default_calendar(), **fields)
        user.events[event.id] = event
        user.touch(event)
        return event

    def update_event(self, user: GraphUser, event: StoredEvent, **fields: Any) -> None:
        before = [i[0] for i in event.instances()]
        for name, value in fields.items():
            setattr(event, name, value)
        user.touch(event, before)

    def delete_event(self, user: GraphUser, event: StoredEvent) -> None:
        user.remove(event.id)

    def credentials(self, mail: str, scope: str, *, expires_in: int = 3600) -> dict[str, str]:
        """calgate's credentials as a finished OAuth flow would leave them (no browser)."""
        answer = self._issue(mail, _scopes(scope), expires_in)
        expires_at = dt.datetime.now(UTC) + dt.timedelta(seconds=expires_in)
        return {"access_token": answer["access_token"], "refresh_token": answer.get("refresh_token", ""),
                "expires_at": expires_at.isoformat(), "scope": answer["scope"]}

    def expire_access_tokens(self) -> None:
        past = dt.datetime.now(UTC) - dt.timedelta(seconds=1)
        self.access_tokens = {t: (m, s, past) for t, (m, s, _) in self.access_tokens.items()}
        self.app_tokens = {t: (tenant, roles, past) for t, (tenant, roles, _) in self.app_tokens.items()}

    def revoke_refresh_tokens(self) -> None:
        self.refresh_tokens.clear()

    def expire_delta_tokens(self) -> None:
        for user in self.users.values():
            user.delta_states.clear()
            user.pages.clear()

    # --- faults and validation ----------------------------------------------------------------

    def fail(self, route: str, times: int = 1, status: int = 429, retry_after: float | None = 1) -> None:
        """The next ``times`` calls of ``route`` (me, calendars, delta, getSchedule, create,
        update, delete, rooms, token) answer ``status``, with Retry-After when given."""
        self.faults.setdefault(route, []).extend([(status, retry_after)] * times)

    def take_fault(self, route: str) -> Response | None:
        queued = self.faults.get(route)
        if not queued:
            return None
        status, retry_after = queued.pop(0)
        headers = {"Retry-After": str(int(retry_after) if float(retry_after).is_integer() else retry_after)} if retry_after is not None else None
        code = "TooManyRequests" if status == 429 else "ServiceNotAvailable"
        return error(status, code, "Please retry after the time in Retry-After.", headers)

    def violation(self, text: str) -> None:
        self.violations.append(text)

    # --- OAuth 2.0 (Microsoft identity platform v2) -------------------------------------------

    def _issue(self, mail: str, granted: set[str], expires_in: int = 3600) -> dict[str, Any]:
        access, refresh = "eyJ0eXAi." + secrets.token_urlsafe(24), "0.AR8A" + secrets.token_urlsafe(32)
        self.access_tokens[access] = (mail, granted, dt.datetime.now(UTC) + dt.timedelta(seconds=expires_in))
        answer: dict[str, Any] = {
            "token_type": "Bearer", "scope": " ".join(sorted(granted - {"offline_access"})),
            "expires_in": expires_in, "ext_expires_in": expires_in, "access_token": access,
        }
        if "offline_access" in granted:
            self.refresh_tokens[refresh] = (mail, granted)
            answer["refresh_token"] = refresh
        return answer

    async def _authorize(self, request: Request) -> Response:
        query = request.query_params
        self.requests.append(("GET", request.url.path, "authorize"))
        missing = [name for name in ("client_id", "response_type", "redirect_uri", "scope") if not query.get(name)]
        if missing or query.get("client_id") != CLIENT_ID:
            self.violation(f"authorize: missing {missing} or unknown client")
            return _oauth_error("invalid_request", "AADSTS900144: The request body must contain the following parameter.")
        if query["response_type"] != "code" or query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            self.violation("authorize: response_type=code with PKCE S256 expected")
        if query.get("response_mode", "query") != "query":
            self.violation("authorize: response_mode other than query")
        back: dict[str, str] = {"state": query["state"]} if "state" in query else {}
        if self.decline or self.authorize_as is None:
            back = {"error": "access_denied", "error_description": "AADSTS65004: User declined to consent to access the app.", **back}
        else:
            code = "0.AR8A" + secrets.token_urlsafe(24)
            self.codes[code] = {
                "mail": self.authorize_as, "scopes": _scopes(query["scope"]), "redirect_uri": query["redirect_uri"],
                "challenge": query.get("code_challenge"), "login_hint": query.get("login_hint"), "prompt": query.get("prompt"),
            }
            back = {"code": code, **back}
        return RedirectResponse(f"{query['redirect_uri']}?{urlencode(back)}", status_code=302)

    async def _token(self, request: Request) -> Response:
        self.requests.append(("POST", request.url.path, "token"))
        fault = self.take_fault("token")
        if fault is not None:
            return fault
        if request.headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
            self.violation("token: body must be application/x-www-form-urlencoded")
        form = await request.form()
        values = {k: str(v) for k, v in form.items()}
        if values.get("grant_type") == "client_credentials":
            return self._client_credentials(request.path_params["tenant"], values)
        if values.get("client_id") != CLIENT_ID or values.get("client_secret") != CLIENT_SECRET:
            return _oauth_error("invalid_client", "AADSTS7000215: Invalid client secret provided.", 401)
        grant = values.get("grant_type")
        if grant == "authorization_code":
            found = self.codes.pop(values.get("code", ""), None)
            if found is None:
                return _oauth_error("invalid_grant", "AADSTS70008: The provided authorization code or refresh token has expired.")
            if found["redirect_uri"] != values.get("redirect_uri"):
                self.violation("token: redirect_uri differs from the authorize request")
                return _oauth_error("invalid_grant", "AADSTS50148: The redirect_uri does not match.")
            verifier = values.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if not 43 <= len(verifier) <= 128 or digest != found["challenge"]:
                self.violation("token: code_verifier does not match the S256 challenge")
                return _oauth_error("invalid_grant", "AADSTS501481: The Code_Verifier does not match the code_challenge.")
            return JSONResponse(self._issue(found["mail"], found["scopes"]))
        if grant == "refresh_token":
            held = self.refresh_tokens.pop(values.get("refresh_token", ""), None)
            if held is None:
                return _oauth_error("invalid_grant", "AADSTS70008: The refresh token has expired or was revoked.")
            mail, granted = held
            asked = _scopes(values.get("scope", "")) or granted
            if asked - granted - OIDC_SCOPES:
                self.violation("token: refresh asked for scopes never granted")
            return JSONResponse(self._issue(mail, granted))
        self.violation(f"token: unsupported grant_type {grant!r}")
        return _oauth_error("unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")

    def _client_credentials(self, tenant: str, values: dict[str, str]) -> Response:
        """The client credentials grant for an organization's own app registration."""
        client_id = values.get("client_id", "")
        if all(t != tenant for t, _ in self.applications):
            return _oauth_error("invalid_request", f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you "
                                "have the correct tenant ID and are signing into the correct cloud.")
        registered = self.applications.get((tenant, client_id))
        if registered is None:
            return _oauth_error("unauthorized_client", f"AADSTS700016: Application with identifier '{client_id}' was not "
                                f"found in the directory '{tenant}'.")
        secret, roles = registered
        if values.get("client_secret") != secret:
            return _oauth_error("invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                                "sent in the request is the client secret value, not the client secret ID.", 401)
        if values.get("scope") != GRAPH_DEFAULT_SCOPE:
            self.violation(f"token: client_credentials scope must be {GRAPH_DEFAULT_SCOPE}")
            return _oauth_error("invalid_scope", "AADSTS1002012: The provided value for scope is not valid. Client credential "
                                "flows must have a scope value with /.default suffixed to the resource identifier.")
        access, expires_in = "eyJ0eXAi." + secrets.token_urlsafe(24), 3599
        self.app_tokens[access] = (tenant, set(roles), dt.datetime.now(UTC) + dt.timedelta(seconds=expires_in))
        self.app_grants.append((tenant, client_id))
        return JSONResponse({"token_type": "Bearer", "expires_in": expires_in, "ext_expires_in": expires_in, "access_token": access})
