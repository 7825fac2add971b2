"""A Google stand-in on a loopback port: OAuth 2.0 (authorization code with PKCE, refresh,
revoke), OpenID userinfo, and Calendar v3 below ``/calendar/v3`` (see ``calendar_api``).

Domain-wide delegation too: ``new_service_account`` makes a key file whose client an admin of
``domain`` authorized for some scopes; the token endpoint takes its JWT bearer grant (RFC 7523,
as Google's "OAuth 2.0 for Server to Server Applications" profiles it), checks the RS256
signature, audience, times, scopes and ``sub`` with Google's error answers, and records each
grant in ``delegated_grants``.

The Admin SDK Directory API's ``resources.calendars.list`` answers below
``/admin/directory/v1/customer/my_customer/resources/calendars`` (``add_resource``): the token
must carry a resource calendar scope (else 403 ``insufficientPermissions``); only resources of
the token user's domain are listed, ``maxResults`` (1–500, default 100) per page, then
``nextPageToken``. Its faults and calls go by ``resources.calendars.list``.

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
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
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
RESOURCE_SCOPES = frozenset({  # resources.calendars.list, per the admin directory_v1 discovery document
    "https://www.googleapis.com/auth/admin.directory.resource.calendar",
    "https://www.googleapis.com/auth/admin.directory.resource.calendar.readonly",
})
RESOURCES_LIST = "resources.calendars.list"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLOCK_SKEW = 300  # seconds an assertion's iat may lie in the future


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
class ServiceAccount:
    client_id: str
    domain: str
    scopes: frozenset[str]  # what the Workspace admin authorized for domain-wide delegation
    keys: dict[str, rsa.RSAPublicKey]  # private_key_id → public key


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
            Route("/admin/directory/v1/customer/my_customer/resources/calendars", self._resources, methods=["GET"]),
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
            self.service_accounts: dict[str, ServiceAccount] = {}  # client_email → account
            self.delegated_grants: list[tuple[str, str]] = []  # (client_email, sub) of each JWT bearer grant
            self.resources: dict[str, dict[str, str]] = {}  # domain → {resourceEmail: resourceName}
            self.resource_pages: dict[str, tuple[str, int]] = {}  # nextPageToken → (domain, offset)

    # --- what tests configure ------------------------------------------------------------------

    @property
    def auth_url(self) -> str:
        return self.url + "/o/oauth2/v2/auth"

    def add_user(self, email: str, time_zone: str = "UTC") -> None:
        with self.lock:
            self.state.add_user(email, time_zone)

    def add_resource(self, domain: str, email: str, name: str) -> None:
        """A calendar resource (a room, equipment) of the Workspace organization at ``domain``."""
        with self.lock:
            self.resources.setdefault(domain.lower(), {})[email] = name

    def grant(self, email: str, scopes: list[str], *, lifetime: int | None = None) -> dict[str, Any]:
        """Tokens as if ``email`` had consented to ``scopes`` (what exchange_code would give)."""
        with self.lock:
            return self._issue(email, frozenset(scopes), refresh=True, lifetime=lifetime)

    def new_service_account(self, domain: str, scopes: list[str]) -> dict[str, str]:
        """A service account key file (as Google Cloud downloads it) whose client an admin of
        ``domain`` authorized for domain-wide delegation with ``scopes``."""
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        project = "calgate-standin-" + secrets.token_hex(3)
        email, key_id = f"calgate-{secrets.token_hex(3)}@{project}.iam.gserviceaccount.com", secrets.token_hex(20)
        client_id = str(10**20 + secrets.randbelow(9 * 10**20))
        with self.lock:
            self.service_accounts[email] = ServiceAccount(client_id, domain.lower(), frozenset(scopes), {key_id: private.public_key()})
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        return {
            "type": "service_account", "project_id": project, "private_key_id": key_id, "private_key": pem.decode("ascii"),
            "client_email": email, "client_id": client_id, "auth_uri": self.auth_url, "token_uri": self.url + "/token",
        }

    def delegate(self, client_email: str, scopes: list[str]) -> None:
        """The admin changes the scopes authorized for a service account (none: revoked)."""
        with self.lock:
            self.service_accounts[client_email].scopes = frozenset(scopes)

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
            if form.get("grant_type") == JWT_BEARER:  # the service account's key is the client's credential
                return self._fault("token") or self._delegated(str(form.get("assertion", "")))
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

    def _delegated(self, assertion: str) -> Response:
        """The JWT bearer grant, with Google's answers to what it refuses."""
        try:
            head, body, signature = assertion.split(".")
            header, claims = json.loads(_unb64(head)), json.loads(_unb64(body))
            if not isinstance(header, dict) or not isinstance(claims, dict):
                raise ValueError("not JSON objects")
            signed = _verified(self.service_accounts.get(claims.get("iss")), header, f"{head}.{body}", _unb64(signature))
        except (ValueError, TypeError, UnicodeError):  # a truncated or garbled assertion
            signed = False
        if not signed:
            return _refusal("invalid_grant", "Invalid JWT Signature.")
        account: ServiceAccount = self.service_accounts[claims["iss"]]
        if claims.get("aud") != self.url + "/token":
            return _refusal("invalid_grant", "Invalid JWT: Failed audience check.")
        iat, exp, now = claims.get("iat"), claims.get("exp"), time.time()
        if not isinstance(iat, int) or not isinstance(exp, int) or iat > now + CLOCK_SKEW or exp <= now or exp - iat > 3600:
            return _refusal("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                            "timeframe. Check your iat and exp values in the JWT claim.")
        scopes = frozenset(str(claims.get("scope") or "").split())
        if not scopes:
            return _refusal("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        if not claims.get("sub"):
            return _refusal("invalid_request", "The stand-in only acts as a person: the assertion needs a sub")
        if not scopes <= account.scopes:
            return _refusal("unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, "
                            "or client not authorized for any of the scopes requested.", 401)
        sub = str(claims["sub"]).lower()
        person = next((email for email in self.state.calendars if email.lower() == sub), None)
        if person is None or person.rpartition("@")[2].lower() != account.domain:
            return _refusal("invalid_grant", "Invalid email or User ID")
        self.delegated_grants.append((claims["iss"], person))
        return JSONResponse(self._issue(person, scopes, refresh=False))

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

    # --- Admin SDK Directory API -------------------------------------------------------------------

    async def _resources(self, request: Request) -> Response:
        """``resources.calendars.list`` for ``my_customer``: the token user's own organization."""
        q = request.query_params
        with self.lock:
            self.calls.append(RESOURCES_LIST)
            unknown = set(q) - {"maxResults", "pageToken", "orderBy", "query", "alt", "fields", "prettyPrint"}
            size = q.get("maxResults", "100")
            if unknown or not size.isdigit() or not 1 <= int(size) <= 500:
                problem = f"unknown parameters {sorted(unknown)}" if unknown else f"maxResults={size!r} is not 1 to 500"
                self.failures.append(f"{RESOURCES_LIST}: {problem}")
                return _error(ApiError(400, "invalid", problem))
            grant = self._bearer(request)
            if grant is None:
                realm = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
                return _error(ApiError(401, "authError", "Invalid Credentials", headers=realm))
            if not grant.scopes & RESOURCE_SCOPES:
                return _error(ApiError(403, "insufficientPermissions", "Request had insufficient authentication scopes."))
            fault = self._fault(RESOURCES_LIST)
            if fault is not None:
                return fault
            domain, offset = grant.email.rpartition("@")[2].lower(), 0
            if "pageToken" in q:
                held = self.resource_pages.get(q["pageToken"])
                if held is None or held[0] != domain:
                    self.failures.append(f"{RESOURCES_LIST}: unknown pageToken")
                    return _error(ApiError(400, "invalid", "Invalid page token"))
                offset = held[1]
            everything = list(self.resources.get(domain, {}).items())
            page = everything[offset:offset + int(size)]
            answer: dict[str, Any] = {
                "kind": "admin#directory#resources#calendars#calendarResourcesList",
                "etag": '"' + hashlib.sha1(repr(everything).encode()).hexdigest() + '"',
                "items": [{"kind": "admin#directory#resources#calendars#CalendarResource",
                           "resourceId": hashlib.sha1(email.encode()).hexdigest()[:12], "resourceName": name,
                           "generatedResourceName": name, "resourceEmail": email} for email, name in page],
            }
            if offset + int(size) < len(everything):
                token = secrets.token_urlsafe(18)
                self.resource_pages[token] = (domain, offset + int(size))
                answer["nextPageToken"] = token
            return JSONResponse(answer)

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


def _refusal(error: str, description: str, status: int = 400) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _verified(account: ServiceAccount | None, header: dict[str, Any], signing_input: str, signature: bytes) -> bool:
    """RS256 with the account's key named by ``kid`` (any of its keys when there is none)."""
    if account is None or header.get("alg") != "RS256":
        return False
    kid = header.get("kid")
    keys = [account.keys[kid]] if kid in account.keys else [] if kid else list(account.keys.values())
    for key in keys:
        try:
            key.verify(signature, signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
            return True
        except InvalidSignature:
            continue
    return False
