"""A Google stand-in on a loopback port: OAuth 2.0 (authorization code with PKCE, refresh,
revoke), OpenID userinfo, and Calendar v3 below ``/calendar/v3`` (see ``calendar_api``).

Every Calendar request is first checked against the discovery document (``discovery``); one
that does not fit is answered 400 in Google's error shape and recorded in ``failures``, as are
requests that break Google's rules (a syncToken with timeMin, …). Then the bearer token: unknown
or expired → 401; a token without one of the method's scopes (from the discovery document) →
403 ``insufficientPermissions``. ``fail_next`` makes the next calls of one method answer 429
(with Retry-After) or 5xx. ``calls`` lists every Calendar method called, in order.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.standins.google import discovery
from tests.standins.google.calendar_api import ApiError, CalendarState
from tests.support.server import free_port

CLIENT_ID = "calgate-test.apps.googleusercontent.com"
CLIENT_SECRET = "standin-secret"
IDENTITY_SCOPES = frozenset({"openid", "email", "https://www.googleapis.com/auth/userinfo.email"})


@dataclass
class Grant:
    email: str
    scopes: frozenset[str]
    expires_at: float = 0.0
    refresh_token: str | None = None


@dataclass
class Consent:
    """What the person does on Google's consent screen next."""

    email: str | None = None
    decline: bool = False
    drop_scopes: frozenset[str] = frozenset()  # granular consent: boxes left unticked


@dataclass
class Fault:
    status: int
    count: int
    retry_after: int | None


@dataclass
class _Codes:
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    access: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)


class GoogleStandin:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lock = threading.RLock()
        self.reset()
        app = Starlette(routes=[
            Route("/o/oauth2/v2/auth", self._authorize, methods=["GET"]),
            Route("/token", self._token, methods=["POST"]),
            Route("/revoke", self._revoke, methods=["POST"]),
            Route("/oauth2/v3/userinfo", self._userinfo, methods=["GET"]),
            Route("/calendar/v3/{path:path}", self._calendar, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def reset(self) -> None:
        with self.lock:
            self.state = CalendarState()
            self.tokens = _Codes()
            self.consent = Consent()
            self.faults: dict[str, Fault] = {}
            self.failures: list[str] = []
            self.calls: list[str] = []
            self.token_lifetime = 3600

    # --- what tests configure ------------------------------------------------------------------

    @property
    def auth_url(self) -> str:
        return self.url + "/o/oauth2/v2/auth"

    def add_user(self, email: str, time_zone: str = "UTC") -> None:
        with self.lock:
            self.state.add_user(email, time_zone)

    def grant(self, email: str, scopes: list[str], *, lifetime: int | None = None) -> dict[str, Any]:
        """Tokens as if ``email`` had consented to ``scopes`` (what exchange_code would give)."""
        with self.lock:
            return self._issue(email, frozenset(scopes), refresh=True, lifetime=lifetime)

    def expire_access_tokens(self) -> None:
        with self.lock:
            for grant in self.tokens.access.values():
                grant.expires_at = 0.0

    def fail_next(self, method: str, count: int = 1, *, status: int = 429, retry_after: int | None = 1) -> None:
        """``method``: a discovery method id without the ``calendar.`` prefix (``events.list``)."""
        with self.lock:
            self.faults[method] = Fault(status, count, retry_after)

    # --- running -----------------------------------------------------------------------------------

    def start(self) -> GoogleStandin:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the Google stand-in did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    # --- OAuth -----------------------------------------------------------------------------------

    def _issue(self, email: str, scopes: frozenset[str], *, refresh: bool, lifetime: int | None = None, refresh_token: str | None = None) -> dict[str, Any]:
        access = "ya29." + secrets.token_urlsafe(24)
        lifetime = self.token_lifetime if lifetime is None else lifetime
        if refresh:
            refresh_token = "1//" + secrets.token_urlsafe(24)
            self.tokens.refresh[refresh_token] = Grant(email, scopes)
        self.tokens.access[access] = Grant(email, scopes, time.time() + lifetime, refresh_token)
        answer = {"access_token": access, "expires_in": lifetime, "scope": " ".join(sorted(scopes)), "token_type": "Bearer"}
        if refresh:
            answer["refresh_token"] = refresh_token
        return answer

    async def _authorize(self, request: Request) -> Response:
        q = request.query_params
        with self.lock:
            if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code" or not q.get("redirect_uri"):
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            if q.get("code_challenge_method") != "S256" or not q.get("code_challenge") or not q.get("scope"):
                return JSONResponse({"error": "invalid_request", "error_description": "PKCE S256 and scope required"}, status_code=400)
            answer = {"state": q.get("state", "")}
            if self.consent.decline or not self.consent.email:
                answer["error"] = "access_denied"
            else:
                scopes = frozenset(q["scope"].split()) - self.consent.drop_scopes
                code = "4/" + secrets.token_urlsafe(16)
                self.tokens.codes[code] = {
                    "email": self.consent.email, "scopes": scopes, "redirect_uri": q["redirect_uri"],
                    "challenge": q["code_challenge"], "offline": q.get("access_type") == "offline",
                }
                answer.update(code=code, scope=" ".join(sorted(scopes)))
        return RedirectResponse(q["redirect_uri"] + "?" + urlencode(answer), status_code=302)

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        with self.lock:
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return JSONResponse({"error": "invalid_client", "error_description": "Unauthorized"}, status_code=401)
            fault = self._fault("token")
            if fault is not None:
                return fault
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                code = self.tokens.codes.pop(str(form.get("code", "")), None)
                verifier = str(form.get("code_verifier", ""))
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if code is None or code["redirect_uri"] != form.get("redirect_uri") or code["challenge"] != challenge:
                    return JSONResponse({"error": "invalid_grant", "error_description": "Bad Request"}, status_code=400)
                return JSONResponse(self._issue(code["email"], code["scopes"], refresh=code["offline"]))
            if grant_type == "refresh_token":
                token = str(form.get("refresh_token", ""))
                grant = self.tokens.refresh.get(token)
                if grant is None:
                    return JSONResponse({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, status_code=400)
                return JSONResponse(self._issue(grant.email, grant.scopes, refresh=False, refresh_token=token))
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)

    async def _revoke(self, request: Request) -> Response:
        form = await request.form()
        token = str(form.get("token", "") or request.query_params.get("token", ""))
        with self.lock:
            if self.tokens.refresh.pop(token, None) is not None:
                self.tokens.access = {k: g for k, g in self.tokens.access.items() if g.refresh_token != token}
            elif self.tokens.access.pop(token, None) is None:
                return JSONResponse({"error": "invalid_token", "error_description": "Bad Request"}, status_code=400)
        return Response(status_code=200)

    def _bearer(self, request: Request) -> Grant | None:
        header = request.headers.get("authorization", "")
        grant = self.tokens.access.get(header[7:]) if header.lower().startswith("bearer ") else None
        return grant if grant is not None and grant.expires_at > time.time() else None

    async def _userinfo(self, request: Request) -> Response:
        with self.lock:
            grant = self._bearer(request)
            if grant is None:
                return JSONResponse({"error": "invalid_request", "error_description": "Invalid Credentials"}, status_code=401)
            if not grant.scopes & IDENTITY_SCOPES:
                return JSONResponse({"error": "insufficient_scope"}, status_code=403)
            answer = {"sub": hashlib.sha1(grant.email.encode()).hexdigest()[:21]}
            if grant.scopes & {"email", "https://www.googleapis.com/auth/userinfo.email"}:
                answer.update(email=grant.email, email_verified=True)
            return JSONResponse(answer)

    # --- Calendar v3 -------------------------------------------------------------------------------

    async def _calendar(self, request: Request) -> Response:
        body = await request.body()
        raw = request.scope.get("raw_path") or request.url.path.encode()
        path = raw.decode("latin-1").partition("?")[0].removeprefix("/calendar/v3/")
        with self.lock:
            try:
                match = discovery.validate(request.method, path, list(request.query_params.multi_items()), body)
            except discovery.Invalid as exc:
                self.failures.append(str(exc))
                return _error(ApiError(400, "invalid", str(exc)))
            name = match.method_id.removeprefix("calendar.")
            self.calls.append(name)
            grant = self._bearer(request)
            if grant is None:
                return _error(ApiError(401, "authError", "Invalid Credentials", headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}))
            if not grant.scopes & set(match.scopes):
                return _error(ApiError(403, "insufficientPermissions", "Request had insufficient authentication scopes."))
            fault = self._fault(name)
            if fault is not None:
                return fault
            try:
                return self._dispatch(name, grant.email, match, body, request.headers.get("if-match"))
            except ApiError as exc:
                if exc.code == 400:
                    self.failures.append(f"{name}: {exc.message}")
                return _error(exc)

    def _dispatch(self, name: str, email: str, match: discovery.Match, body: bytes, if_match: str | None) -> Response:
        p, state = match.path_params, self.state
        data = json.loads(body) if body.strip() else {}
        if name == "calendarList.list":
            return JSONResponse(state.calendar_list(email))
        if name == "events.list":
            return JSONResponse(state.events_list(email, p["calendarId"], match.query))
        if name == "events.insert":
            return JSONResponse(state.insert(email, p["calendarId"], data))
        if name in ("events.update", "events.patch"):
            return JSONResponse(state.update(email, p["calendarId"], p["eventId"], data, if_match, name == "events.patch"))
        if name == "events.delete":
            state.delete(email, p["calendarId"], p["eventId"], if_match)
            return Response(status_code=204)
        if name == "freebusy.query":
            return JSONResponse(state.freebusy(email, data))
        raise ApiError(501, "notImplemented", f"The stand-in does not implement {name}")

    def _fault(self, name: str) -> Response | None:
        fault = self.faults.get(name)
        if fault is None or fault.count <= 0:
            return None
        fault.count -= 1
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        reason = "rateLimitExceeded" if fault.status == 429 else "backendError"
        return _error(ApiError(fault.status, reason, "Rate Limit Exceeded" if fault.status == 429 else "Backend Error", domain="usageLimits", headers=headers))


def _error(exc: ApiError) -> Response:
    return JSONResponse(exc.body(), status_code=exc.code, headers=exc.headers)
