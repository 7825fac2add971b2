# SPDX-License-Identifier: Apache-2.0
"""``CalendarSource`` for one Microsoft 365 / Outlook.com account over Microsoft Graph v1.0.

Paths below say ``/me``: a person's own sign-in. With Enterprise Connect (credentials made by
``delegation.person_credentials``) the organization's app acts for one person, and every path
starts with ``/users/{their address}`` instead; tokens then come from ``delegation.app_token``
(client credentials), fetched before the first call and again when expired or on a 401, and a
person the tenant does not know (404 ``ErrorInvalidUser`` / ``Request_ResourceNotFound``) is
``SourceNotFound``. The application permissions are listed in ``delegation``.

- read_write (``Calendars.ReadWrite``): ``calendars`` lists ``/me/calendars``; ``changes``
  reads ``/me/calendarView/delta`` for the default calendar (as v1.0 documents) and
  ``/me/calendars/{id}/calendarView/delta`` for the others, over the window (a full read when
  ``sync_state`` is None), following ``@odata.nextLink`` pages; ``sync_state`` is the
  ``@odata.deltaLink`` of the last page. A delta link the server no longer knows (410) is
  ``SyncTokenExpired``. ``put``/``delete`` write ``/me/calendars/{id}/events`` and
  ``/me/events/{id}`` with ``If-Match`` on the event's ``@odata.etag``.
- free_busy (``Calendars.ReadBasic``): ``calendars`` is the person's own schedule only (its
  remote_id is their address) and ``busy`` asks ``/me/calendar/getSchedule`` in windows shorter
  than 62 days. Events are never read in this mode (the scope would not allow it anyway).
- Tokens: refreshed when expired, or once on a 401; ``credentials`` then holds the new ones
  (callers persist them when they changed). 403 (a scope that does not cover the request) and
  a refused refresh are ``SourceAuthFailed``.
- 429, 503 and other 5xx: retried honouring Retry-After, at most 3 tries and 10 s of waiting in
  all, then ``SourceUnavailable(retry_after=...)``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from calgate.domain.calendar_sources import (
    BusyBlock,
    Changes,
    RemoteCalendar,
    RemoteResource,
    SourceAuthFailed,
    SourceConflict,
    SourceError,
    SourceNotFound,
    SourceUnavailable,
    SyncTokenExpired,
    WrittenResource,
)
from calgate.providers.http import retry_after
from calgate.providers.msgraph import delegation, events, oauth
from calgate.providers.msgraph.config import GraphConfig

__all__ = ["GraphSource"]

UTC = dt.UTC
TRIES = 3
MAX_WAIT = 10.0
PAGE_SIZE = 100
SCHEDULE_SPAN = dt.timedelta(days=61)  # getSchedule: the window must be shorter than 62 days
IN_UTC = 'outlook.timezone="UTC"'
AUTH_FAILED = "Microsoft refused calgate's access to this calendar: connect it again"
APP_AUTH_FAILED = ("Microsoft 365 refused the organization's app access to this person's calendar: check the app "
                   "registration's application permissions and admin consent")
NO_SUCH_PERSON = frozenset({"ErrorInvalidUser", "Request_ResourceNotFound", "ResourceNotFound"})
NO_MAILBOX = "MailboxNotEnabledForRESTAPI"


class GraphSource:
    def __init__(
        self,
        credentials: dict[str, Any],
        config: GraphConfig,
        *,
        stores_event_details: bool,
        timeout: float = 20.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credentials = dict(credentials)
        self.config = config
        self.stores_event_details = stores_event_details
        self._timeout, self._transport, self._sleep = timeout, transport, sleep
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._address: str | None = None
        self._default_calendars: set[str] = set()  # learnt from calendars()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- CalendarSource -----------------------------------------------------------------------

    def identity(self) -> str:
        data = self._json("GET", self._url(""))
        address = data.get("mail") or data.get("userPrincipalName")
        if not address:
            raise SourceError("Microsoft Graph named no address for this account")
        self._address = str(address).lower()
        return self._address

    def calendars(self) -> list[RemoteCalendar]:
        if not self.stores_event_details:
            address = self._address or self.identity()
            return [RemoteCalendar(remote_id=address, name=address, readonly=True)]
        found, url = [], self._url("calendars?$top=100")
        while url:
            data = self._json("GET", url)
            for item in data.get("value", []):
                if item.get("isDefaultCalendar"):
                    self._default_calendars.add(str(item["id"]))
                color = item.get("hexColor") or None
                found.append(RemoteCalendar(
                    remote_id=str(item["id"]), name=str(item.get("name") or "Calendar"),
                    color=color if color and len(color) == 7 else None, readonly=not item.get("canEdit", True),
                    supports_sync=True,
                ))
            url = data.get("@odata.nextLink")
        return found

    def changes(self, calendar: RemoteCalendar, sync_state: str | None, start: dt.datetime, end: dt.datetime) -> Changes:
        self._require_details("read events")
        if sync_state is not None and not sync_state.startswith(self.config.graph_base.rstrip("/") + "/"):
            raise SyncTokenExpired("The stored sync state does not fit this calendar")
        # v1.0 documents delta on the default calendar's view (/me/calendarView/delta); the
        # per-calendar form serves the others (documented for beta; Exchange answers it).
        view = "calendarView" if calendar.remote_id in self._default_calendars else f"calendars/{quote(calendar.remote_id, safe='')}/calendarView"
        url: str | None = sync_state or self._url(f"{view}/delta?startDateTime={_iso(start)}&endDateTime={_iso(end)}")
        changed: dict[str, RemoteResource] = {}
        removed: list[str] = []
        delta_link = None
        headers = [("Prefer", IN_UTC), ("Prefer", f"odata.maxpagesize={PAGE_SIZE}")]
        while url:
            response = self._send("GET", url, headers=headers)
            if response.status_code == 410 and sync_state is not None:
                raise SyncTokenExpired("Microsoft Graph no longer knows the stored delta link")
            data = self._data(response)
            for item in data.get("value", []):
                if "@removed" in item:
                    removed.append(str(item["id"]))
                    changed.pop(str(item["id"]), None)
                else:
                    read = events.resource(item)
                    changed[read.remote_id] = read
            url, delta_link = data.get("@odata.nextLink"), data.get("@odata.deltaLink")
        if not delta_link:
            raise SourceError("Microsoft Graph ended a delta round without a delta link")
        gone = [r for r in dict.fromkeys(removed) if r not in changed]
        return Changes(changed=list(changed.values()), removed=[] if sync_state is None else gone,
                       sync_state=delta_link, full=sync_state is None)

    def busy(self, calendar: RemoteCalendar, start: dt.datetime, end: dt.datetime) -> list[BusyBlock]:
        blocks: list[BusyBlock] = []
        chunk_start = start.astimezone(UTC)
        end = end.astimezone(UTC)
        while chunk_start < end:
            chunk_end = min(chunk_start + SCHEDULE_SPAN, end)
            body = {
                "schedules": [calendar.remote_id],
                "startTime": {"dateTime": _local(chunk_start), "timeZone": "UTC"},
                "endTime": {"dateTime": _local(chunk_end), "timeZone": "UTC"},
                "availabilityViewInterval": 60,
            }
            data = self._json("POST", self._url("calendar/getSchedule"), body=body, headers=[("Prefer", IN_UTC)])
            for schedule in data.get("value", []):
                if schedule.get("error"):  # never read an unreadable schedule as free
                    raise SourceError("Microsoft Graph could not read this person's free/busy schedule")
                blocks.extend(events.busy_blocks(schedule.get("scheduleItems") or [], chunk_start, chunk_end))
            chunk_start = chunk_end
        return _merged(blocks)

    def put(self, calendar: RemoteCalendar, name: str, ical: bytes, etag: str | None) -> WrittenResource:
        self._require_details("write events")
        creating = etag is None or name.endswith(".ics")
        body = events.event_json(name, ical, creating=creating)
        if creating:
            url = self._url(f"calendars/{quote(calendar.remote_id, safe='')}/events")
            response = self._send("POST", url, body=body, headers=[("Prefer", IN_UTC)])
        else:
            headers = [("Prefer", IN_UTC)] + ([] if etag == "*" else [("If-Match", str(etag))])
            response = self._send("PATCH", self._event_url(name), body=body, headers=headers)
            if response.status_code == 404:  # like If-Match on a missing resource: 412
                raise SourceConflict("The event is no longer in the Outlook calendar")
        data = self._data(response)
        return WrittenResource(remote_id=str(data["id"]), etag=data.get("@odata.etag"))

    def delete(self, remote_id: str, etag: str | None) -> None:
        self._require_details("delete events")
        headers = [("If-Match", etag)] if etag and etag != "*" else []
        response = self._send("DELETE", self._event_url(remote_id), headers=headers)
        if response.status_code not in (404, 410):
            self._data(response, empty_ok=True)

    # --- HTTP ---------------------------------------------------------------------------------

    def _require_details(self, what: str) -> None:
        if not self.stores_event_details:
            raise SourceError(f"A free/busy connection does not {what}")

    def _url(self, rest: str) -> str:
        """A Graph URL under the person's own root: ``me``, or ``users/{subject}`` when the
        organization's app acts for them (Enterprise Connect)."""
        if "delegation" in self.credentials:
            root = f"users/{quote(str(self.credentials['subject']), safe='@')}"
        else:
            root = "me"
        return self.config.graph(f"{root}/{rest}" if rest else root)

    def _event_url(self, remote_id: str) -> str:
        return self._url(f"events/{quote(remote_id, safe='')}")

    def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        return self._data(self._send(method, url, **kwargs))

    def _data(self, response: httpx.Response, *, empty_ok: bool = False) -> dict[str, Any]:
        code = response.status_code
        if code in (401, 403):
            raise SourceAuthFailed(APP_AUTH_FAILED if "delegation" in self.credentials else AUTH_FAILED)
        if code in (404, 410):
            raise SourceNotFound("Outlook has no such calendar or event")
        if code == 412:
            raise SourceConflict("The event changed in Outlook meanwhile")
        if code == 429 or code >= 500:
            raise SourceUnavailable(f"Microsoft Graph is unavailable (HTTP {code})", retry_after(response.headers.get("Retry-After")))
        if not 200 <= code < 300:
            raise SourceError(f"Microsoft Graph refused a {response.request.method} request (HTTP {code}{_graph_code(response)})")
        if empty_ok and not response.content:
            return {}
        try:
            data = response.json()
        except ValueError:
            raise SourceError("Microsoft Graph sent an answer calgate cannot read") from None
        if not isinstance(data, dict):
            raise SourceError("Microsoft Graph sent an answer calgate cannot read")
        return data

    def _send(self, method: str, url: str, *, body: Any = None, headers: list[tuple[str, str]] | None = None) -> httpx.Response:
        """One request, with a fresh token, retried on throttling and server errors."""
        refreshed = False
        waited = 0.0
        for attempt in range(1, TRIES + 1):
            if not refreshed and self._token_needed():
                self._refresh()
                refreshed = True
            request_headers = [("Authorization", f"Bearer {self.credentials.get('access_token', '')}"), ("Accept", "application/json")]
            try:
                response = self._http.request(method, url, json=body, headers=request_headers + list(headers or []))
            except httpx.HTTPError as exc:
                if attempt == TRIES:
                    raise SourceUnavailable(f"Microsoft Graph is unreachable ({type(exc).__name__})") from None
                continue
            if response.status_code == 401 and not refreshed and self._can_refresh():
                self._refresh()
                refreshed = True
                response = self._http.request(method, url, json=body, headers=[
                    ("Authorization", f"Bearer {self.credentials['access_token']}"), ("Accept", "application/json"), *(headers or [])])
            if response.status_code == 404:
                self._check_person(response)
            if response.status_code != 429 and response.status_code < 500:
                return response
            wait = retry_after(response.headers.get("Retry-After"))
            pause = wait if wait is not None else float(2 ** (attempt - 1))
            if attempt == TRIES or waited + pause > MAX_WAIT:
                return response
            self._sleep(pause)
            waited += pause
        raise AssertionError("unreachable")

    def _token_needed(self) -> bool:
        if "delegation" in self.credentials and not self.credentials.get("access_token"):
            return True
        return _expired(self.credentials)

    def _can_refresh(self) -> bool:
        return "delegation" in self.credentials or bool(self.credentials.get("refresh_token"))

    def _refresh(self) -> None:
        if "delegation" in self.credentials:
            self.credentials = delegation.app_token(self.config, self.credentials, timeout=self._timeout, transport=self._transport)
        else:
            self.credentials = oauth.refresh(self.config, self.credentials, timeout=self._timeout, transport=self._transport)

    def _check_person(self, response: httpx.Response) -> None:
        """Acting for a person: a 404 that names the person (not an event) means the tenant
        does not know them, or they have no Exchange Online mailbox."""
        if "delegation" not in self.credentials:
            return
        code, subject = _error_code(response), self.credentials["subject"]
        if code in NO_SUCH_PERSON:
            raise SourceNotFound(f"Microsoft 365 has no such person: {subject}")
        if code == NO_MAILBOX:
            raise SourceNotFound(f"Microsoft 365 has no Exchange Online mailbox for {subject}")


def _expired(credentials: dict[str, Any]) -> bool:
    text = credentials.get("expires_at")
    if not text:
        return False
    try:
        expires = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return True
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return expires - dt.timedelta(seconds=60) <= dt.datetime.now(UTC)


def _error_code(response: httpx.Response) -> str | None:
    """Graph's error code (``{"error": {"code": ...}}``), if the answer has one."""
    try:
        code = response.json().get("error", {}).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, str) else None


def _graph_code(response: httpx.Response) -> str:
    code = _error_code(response)
    return f", {code}" if code else ""


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _merged(blocks: list[BusyBlock]) -> list[BusyBlock]:
    """Blocks sorted, with the pieces an event split at a chunk boundary joined again."""
    out: list[BusyBlock] = []
    for block in sorted(blocks, key=lambda b: (b.start, b.end, b.status)):
        if out and out[-1].end == block.start and out[-1].status == block.status:
            out[-1] = BusyBlock(out[-1].start, block.end, block.status)
        else:
            out.append(block)
    return out
