# SPDX-License-Identifier: Apache-2.0
"""WebDAV and CalDAV over httpx: the requests, the XML that crosses, and the errors they become.

- Bodies of PROPFIND (RFC 4918 §9.1) and REPORT (RFC 3253 §3.6) are built with ElementTree;
  answers are parsed with defusedxml (no entities, no external references).
- A ``DAV:multistatus`` (RFC 4918 §13, §14.16) holds ``DAV:response`` elements in either form
  of §14.24: an href with one ``DAV:status`` for the whole resource (a 404 in a sync report,
  the 507 of a truncated one), or an href with ``DAV:propstat`` per group of properties.
  Only properties in a 2xx propstat are kept. Every href is resolved against the URL that
  answered (after redirects).
- HTTP failures become the domain's errors: 401 ``SourceAuthFailed``; 404/410
  ``SourceNotFound``; 412 ``SourceConflict``; unreachable, timeouts, 429 and 5xx
  ``SourceUnavailable`` with ``Retry-After`` (RFC 9110 §10.2.3, seconds or an HTTP date).
  Messages never carry URLs, credentials or calendar content.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urljoin

import defusedxml.ElementTree as SafeET
import httpx

from calgate.domain.calendar_sources import (
    SourceAuthFailed,
    SourceConflict,
    SourceError,
    SourceNotFound,
    SourceUnavailable,
)
from calgate.providers.http import retry_after

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CALSERVER = "http://calendarserver.org/ns/"
APPLE_ICAL = "http://apple.com/ns/ical/"

AUTH_FAILED = "The server refused this username or password"


def dav(name: str) -> str:
    return f"{{{DAV}}}{name}"


def caldav(name: str) -> str:
    return f"{{{CALDAV}}}{name}"


def element(tag: str, *children: ET.Element, text: str | None = None, **attributes: str) -> ET.Element:
    node = ET.Element(tag, attributes)
    node.text = text
    node.extend(children)
    return node


def prop(*tags: str) -> ET.Element:
    return element(dav("prop"), *(element(tag) for tag in tags))


@dataclass
class Entry:
    """One ``DAV:response``: the resource's absolute URL, its own status (first form) and the
    properties the server found (second form)."""

    url: str
    status: int | None
    props: dict[str, ET.Element] = field(default_factory=dict)

    def text(self, tag: str) -> str | None:
        node = self.props.get(tag)
        return node.text.strip() if node is not None and node.text and node.text.strip() else None

    def hrefs(self, tag: str) -> list[str]:
        """The ``DAV:href`` children of a property, absolute (``mailto:`` stays as it is)."""
        node = self.props.get(tag)
        if node is None:
            return []
        return [urljoin(self.url, h.text.strip()) for h in node.iter(dav("href")) if h.text and h.text.strip()]

    def children(self, tag: str) -> set[str]:
        """Tags of every element below a property (resourcetype, privileges, reports)."""
        node = self.props.get(tag)
        return set() if node is None else {child.tag for child in node.iter() if child is not node}


@dataclass
class Multistatus:
    entries: list[Entry]
    sync_token: str | None = None


def parse_multistatus(response: httpx.Response) -> Multistatus:
    try:
        root = SafeET.fromstring(response.content)
    except (ET.ParseError, ValueError) as exc:
        raise SourceError("The calendar server sent an answer that is not valid XML") from exc
    if root.tag != dav("multistatus"):
        raise SourceError("The calendar server did not answer with a WebDAV multistatus")
    base = str(response.url)
    entries = []
    for node in root.findall(dav("response")):
        href = node.findtext(dav("href"), "").strip()
        if not href:
            continue
        entry = Entry(urljoin(base, href), _status(node.findtext(dav("status"))))
        for propstat in node.findall(dav("propstat")):
            code = _status(propstat.findtext(dav("status")))
            if code is not None and 200 <= code < 300:
                for found in propstat.iterfind(dav("prop") + "/*"):
                    entry.props[found.tag] = found
        entries.append(entry)
    token = root.findtext(dav("sync-token"))
    return Multistatus(entries, token.strip() if token and token.strip() else None)


def _status(line: str | None) -> int | None:
    parts = (line or "").split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def raise_for_status(response: httpx.Response) -> None:
    code = response.status_code
    if 200 <= code < 300:
        return
    if code == 401:
        raise SourceAuthFailed(AUTH_FAILED)
    if code in (404, 410):
        raise SourceNotFound("The calendar server has no such calendar or event")
    if code == 412:
        raise SourceConflict("The event changed on the calendar server meanwhile, or exists already")
    if code == 429 or code >= 500:
        raise SourceUnavailable(
            f"The calendar server is unavailable (HTTP {code})", retry_after(response.headers.get("Retry-After"))
        )
    raise SourceError(f"The calendar server refused a {response.request.method} request (HTTP {code})")


class DavClient:
    """One ``httpx.Client`` (Basic auth, redirects followed) for one account."""

    def __init__(
        self, username: str, password: str, *, timeout: float = 20.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.http = httpx.Client(
            auth=httpx.BasicAuth(username, password),
            follow_redirects=True,
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "calgate"},
        )

    def close(self) -> None:
        self.http.close()

    def send(
        self,
        method: str,
        url: str,
        *,
        body: ET.Element | bytes | None = None,
        depth: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The answer, whatever its status, except that 401 and a failed connection raise."""
        all_headers = dict(headers or {})
        if depth is not None:
            all_headers["Depth"] = depth
        if isinstance(body, ET.Element):
            body = ET.tostring(body, encoding="utf-8", xml_declaration=True)
            all_headers.setdefault("Content-Type", "application/xml; charset=utf-8")
        try:
            response = self.http.request(method, url, content=body, headers=all_headers)
            if response.history and self._resend_after_redirect(method, url, response):
                response = self.http.request(method, response.url, content=body, headers=all_headers)
        except httpx.TimeoutException as exc:
            raise SourceUnavailable("The calendar server did not answer in time") from exc
        except httpx.TransportError as exc:
            raise SourceUnavailable("Could not reach the calendar server") from exc
        except httpx.RequestError as exc:
            raise SourceError("The calendar server sent an answer that could not be followed") from exc
        except httpx.InvalidURL as exc:
            raise SourceError("The calendar server address is not a valid URL") from exc
        if response.status_code == 401:
            raise SourceAuthFailed(AUTH_FAILED)
        return response

    @staticmethod
    def _resend_after_redirect(method: str, url: str, response: httpx.Response) -> bool:
        """httpx turns a redirected PROPFIND into a GET on 302/303, and drops the credentials
        when the redirect leaves the origin (RFC 6764 §5 well-known redirects often do): ask
        the final URL again, as asked and with credentials, unless that would leave https."""
        if response.request.method == method and response.status_code != 401:
            return False
        return not (httpx.URL(url).scheme == "https" and response.url.scheme != "https")

    def propfind(self, url: str, tags: list[str], depth: str) -> Multistatus:
        response = self.send("PROPFIND", url, body=element(dav("propfind"), prop(*tags)), depth=depth)
        raise_for_status(response)
        if response.status_code != 207:
            raise SourceError("The calendar server did not answer PROPFIND with a multistatus")
        return parse_multistatus(response)

    def report(self, url: str, body: ET.Element, depth: str) -> httpx.Response:
        return self.send("REPORT", url, body=body, depth=depth)
