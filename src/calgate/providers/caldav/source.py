# SPDX-License-Identifier: Apache-2.0
"""``CalendarSource`` for one CalDAV account.

- Principal and calendar home: ``DAV:current-user-principal`` (RFC 5397) on the server URL,
  then ``calendar-home-set`` and ``calendar-user-address-set`` (RFC 4791 §6.2.1, RFC 6638
  §2.4.1) on the principal. Calendars are the home's members (PROPFIND Depth 1) with a
  ``calendar`` resourcetype that accept VEVENT (RFC 4791 §5.2.3); a collection is read-only
  when its ``current-user-privilege-set`` (RFC 3744 §5.4) grants no write.
- ``changes`` and ``busy``: see ``reading``. ``sync_state`` is ``sync:<token>`` or
  ``ctag:<ctag>``; a state of the other kind is treated as expired.
- ``put`` and ``delete``: conditional requests (RFC 9110 §13.1.1-2, RFC 4791 §5.3.2).
- Discovery from what a person typed: ``discovery.candidates``, then the first candidate
  that names a principal.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote, unquote, urljoin, urlsplit

import httpx

from calgate.domain.calendar_sources import (
    BusyBlock,
    Changes,
    RemoteCalendar,
    SourceAuthFailed,
    SourceError,
    SourceUnavailable,
    SyncTokenExpired,
    WrittenResource,
)
from calgate.providers.caldav import reading
from calgate.providers.caldav.client import (
    APPLE_ICAL,
    AUTH_FAILED,
    DavClient,
    Entry,
    caldav,
    dav,
    element,
    parse_multistatus,
    prop,
    raise_for_status,
)
from calgate.providers.caldav.discovery import ICLOUD_URL, candidates

CALENDAR_COLOR = f"{{{APPLE_ICAL}}}calendar-color"
WRITE_PRIVILEGES = frozenset({dav("write"), dav("write-content"), dav("all")})
CALENDAR_PROPS = [
    dav("resourcetype"),
    dav("displayname"),
    CALENDAR_COLOR,
    dav("current-user-privilege-set"),
    dav("supported-report-set"),
    caldav("supported-calendar-component-set"),
]
COLOR = re.compile(r"#[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?")

__all__ = ["ICLOUD_URL", "CalDavSource", "discover"]


class CalDavSource:
    def __init__(
        self,
        server_url: str,
        username: str,
        password: str,
        *,
        timeout: float = 20.0,
        transport: httpx.BaseTransport | None = None,
        email: str | None = None,
    ) -> None:
        """``email``: the person's address when the server names none (Radicale, many
        self-hosted servers): it tells which ATTENDEE is the person, so their answers count."""
        self.server_url = server_url
        self._username = username
        self._given_email = email
        self._client = DavClient(username, password, timeout=timeout, transport=transport)
        self._principal: str | None = None
        self._home: str | None = None
        self._email: str | None = None
        self._free_busy_only: set[str] = set()

    @classmethod
    def discover(
        cls,
        address: str,
        username: str,
        password: str,
        *,
        provider_name: str | None = None,
        timeout: float = 20.0,
        transport: httpx.BaseTransport | None = None,
    ) -> CalDavSource:
        """A source on the first candidate URL that names the user's principal. Refused
        credentials raise at once; when no candidate answers: ``SourceUnavailable`` if the
        last was unreachable, else ``SourceError``."""
        urls = candidates(address, provider_name)
        source = cls(urls[0], username, password, timeout=timeout, transport=transport)
        failure: SourceError | None = None
        try:
            for url in urls:
                try:
                    context, principal = source._find_principal(url, probing=True)
                except SourceAuthFailed:
                    raise
                except SourceError as exc:
                    failure = exc
                    continue
                if principal:
                    source.server_url, source._principal = context, principal
                    return source
        except BaseException:
            source.close()
            raise
        source.close()
        if isinstance(failure, SourceUnavailable):
            raise failure
        raise SourceError("No CalDAV server was found at this address")

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> CalDavSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def identity(self) -> str:
        self._principal = self._home = None
        self._locate()
        return self._email or self._username

    def calendars(self) -> list[RemoteCalendar]:
        found = []
        for entry in self._client.propfind(self._locate(), CALENDAR_PROPS, "1").entries:
            if caldav("calendar") not in entry.children(dav("resourcetype")) or not _accepts_events(entry):
                continue
            privileges = entry.children(dav("current-user-privilege-set"))
            reports = entry.children(dav("supported-report-set"))
            found.append(
                RemoteCalendar(
                    remote_id=entry.url,
                    name=entry.text(dav("displayname")) or unquote(urlsplit(entry.url).path.rstrip("/").rpartition("/")[2]),
                    color=_color(entry.text(CALENDAR_COLOR)),
                    readonly=dav("current-user-privilege-set") in entry.props and not privileges & WRITE_PRIVILEGES,
                    supports_sync=dav("sync-collection") in reports,
                )
            )
        return found

    def changes(self, calendar: RemoteCalendar, sync_state: str | None, start: dt.datetime, end: dt.datetime) -> Changes:
        kind = reading.SYNC if calendar.supports_sync else reading.CTAG
        if sync_state is not None and not sync_state.startswith(kind):
            raise SyncTokenExpired("The stored sync state does not fit this calendar")
        read = reading.sync_changes if calendar.supports_sync else reading.ctag_changes
        return read(self._client, calendar.remote_id, sync_state, start, end, self._owner_emails())

    def busy(self, calendar: RemoteCalendar, start: dt.datetime, end: dt.datetime) -> list[BusyBlock]:
        return reading.busy(self._client, calendar.remote_id, start, end, self._owner_emails(), self._free_busy_only)

    def put(self, calendar: RemoteCalendar, name: str, ical: bytes, etag: str | None) -> WrittenResource:
        absolute = urlsplit(name).scheme in ("http", "https")
        url = name if absolute else urljoin(_as_folder(calendar.remote_id), quote(name, safe=""))
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if etag is None:
            headers["If-None-Match"] = "*"
        else:
            headers["If-Match"] = etag if etag == "*" else _quoted(etag)
        response = self._client.send("PUT", url, body=ical, headers=headers)
        raise_for_status(response)
        written = str(response.url)
        new_etag = response.headers.get("ETag")
        if not new_etag:
            entries = self._client.propfind(written, [dav("getetag")], "0").entries
            new_etag = entries[0].text(dav("getetag")) if entries else None
        return WrittenResource(written, new_etag)

    def delete(self, remote_id: str, etag: str | None) -> None:
        headers = {"If-Match": _quoted(etag)} if etag else {}
        response = self._client.send("DELETE", remote_id, headers=headers)
        if response.status_code not in (404, 410):
            raise_for_status(response)

    def _find_principal(self, url: str, *, probing: bool = False) -> tuple[str, str | None]:
        """(the URL that answered, the principal's URL if it named one). While ``probing``
        candidates, a 403 means "not here" rather than refused credentials."""
        entry = self._propfind_account(url, [dav("current-user-principal")], forbidden_is_refusal=not probing)
        principals = [h for h in entry.hrefs(dav("current-user-principal")) if h.startswith(("http://", "https://"))]
        return entry.url, principals[0] if principals else None

    def _locate(self) -> str:
        """The calendar home, looked up once per source (``identity`` looks again)."""
        if self._home is None:
            if self._principal is None:
                self._principal = self._find_principal(self.server_url)[1] or self.server_url
            tags = [caldav("calendar-home-set"), caldav("calendar-user-address-set")]
            entry = self._propfind_account(self._principal, tags)
            homes = entry.hrefs(caldav("calendar-home-set"))
            addresses = entry.hrefs(caldav("calendar-user-address-set"))
            self._email = next((a[7:].lower() for a in addresses if a.lower().startswith("mailto:")), None)
            self._home = homes[0] if homes else self._principal
        return self._home

    def _propfind_account(self, url: str, tags: list[str], *, forbidden_is_refusal: bool = True) -> Entry:
        response = self._client.send("PROPFIND", url, body=element(dav("propfind"), prop(*tags)), depth="0")
        if response.status_code == 403 and forbidden_is_refusal:
            raise SourceAuthFailed(AUTH_FAILED)
        raise_for_status(response)
        if response.status_code != 207:
            raise SourceError("The server did not answer like a CalDAV server")
        entries = parse_multistatus(response).entries
        return entries[0] if entries else Entry(str(response.url), None)

    def _owner_emails(self) -> set[str]:
        self._locate()
        return {e.lower() for e in (self._email, self._username, self._given_email) if e and "@" in e}


discover = CalDavSource.discover


def _accepts_events(entry: Entry) -> bool:
    components = entry.props.get(caldav("supported-calendar-component-set"))
    names = {c.get("name", "").upper() for c in components.iter(caldav("comp"))} if components is not None else set()
    return not names or "VEVENT" in names


def _color(value: str | None) -> str | None:
    return value[:7] if value and COLOR.fullmatch(value) else None


def _as_folder(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _quoted(etag: str) -> str:
    return etag if etag.startswith(('"', "W/")) else f'"{etag}"'
