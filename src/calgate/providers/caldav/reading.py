# SPDX-License-Identifier: Apache-2.0
"""Reading a calendar collection's content: what changed, and when its owner is busy.

- A full read (no sync state yet, or calgate's daily one) of a calendar with sync support:
  the collection's ``DAV:sync-token`` first (RFC 6578 §4, PROPFIND Depth 0), then the window's
  VEVENTs by one ``calendar-query`` with a time-range (RFC 4791 §7.8, padded by a day). Only
  what calgate keeps is read (a calendar's past years are not), and anything that changes
  meanwhile is reported again by the next sync-collection from that token. (Measured on
  Radicale: cheaper than one sync-collection carrying every resource's data, and than
  several smaller queries, each of which costs the server a pass over the whole collection.) A server that names no token, refuses the query or
  truncates its answer is read with sync-collection instead.
- Changes with sync support: the ``DAV:sync-collection`` REPORT (RFC 6578 §3.2: Depth 0,
  sync-level 1), continued with the returned token while the server truncates its answer
  (§3.6: a 507 response with ``number-of-matches-within-limits``). A refused token (§3.2,
  the ``valid-sync-token`` precondition) is ``SyncTokenExpired``.
- Changes without it: the collection's ctag (``CS:getctag``, calendarserver.org) decides
  whether to list the members again (PROPFIND Depth 1, RFC 4918 §9.1).
- Resources are fetched with ``calendar-multiget`` (RFC 4791 §7.9), ``MULTIGET_BATCH`` hrefs at
  a time (sent by a background thread while the previous batch is parsed), and read by
  ``ical_reader``; non-VEVENT resources (VTODO, VJOURNAL) are skipped, and
  so is one that fails to parse, logged by URL only.
- Busy time: a ``calendar-query`` (§7.8) for the window's VEVENTs in windows of at most
  ``BUSY_WINDOW``, reduced to busy blocks in memory by the one busy rule: nothing else of the
  events is kept or logged. Only a calendar that refuses it (shared for free/busy only) is
  read with ``free-busy-query`` (RFC 4791 §7.10, Depth 1), which ignores the person's answers.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote, urlsplit

from calgate.domain.calendar_sources import BusyBlock, Changes, RemoteResource, SourceError, SyncTokenExpired
from calgate.providers import ical_freebusy, ical_reader
from calgate.providers.caldav.client import (
    CALSERVER,
    DavClient,
    Entry,
    caldav,
    dav,
    element,
    parse_multistatus,
    prop,
    raise_for_status,
)

log = logging.getLogger(__name__)

MULTIGET_BATCH = 100
_PAD = dt.timedelta(days=1)
BUSY_WINDOW = dt.timedelta(days=60)
FREE_BUSY_REFUSED = frozenset({403, 404, 405, 415, 501})
SYNC, CTAG = "sync:", "ctag:"
GETCTAG = f"{{{CALSERVER}}}getctag"
VEVENT = re.compile(r"^BEGIN:VEVENT\s*$", re.IGNORECASE | re.MULTILINE)


def sync_changes(
    client: DavClient, url: str, sync_state: str | None, start: dt.datetime, end: dt.datetime, owners: set[str]
) -> Changes:
    if not sync_state:
        read = full_read(client, url, start, end, owners)
        if read is not None:
            return read
    token = sync_state[len(SYNC) :] if sync_state else ""
    answered: dict[str, Entry] = {}  # changed members, with their data where the server sent it
    removed: set[str] = set()
    while True:
        body = element(
            dav("sync-collection"),
            element(dav("sync-token"), text=token or None),
            element(dav("sync-level"), text="1"),
            prop(dav("getetag"), caldav("calendar-data")),
        )
        response = client.report(url, body, "0")
        if response.status_code in (403, 409, 412) and (token or b"valid-sync-token" in response.content):
            raise SyncTokenExpired("The calendar server no longer accepts the sync token")
        raise_for_status(response)
        answer = parse_multistatus(response)
        truncated = False
        for entry in answer.entries:
            if entry.status == 507:
                truncated = True
            elif _is_member(entry.url, url):
                if entry.status in (404, 410):
                    removed.add(entry.url)
                    answered.pop(entry.url, None)
                else:
                    answered[entry.url] = entry
                    removed.discard(entry.url)
        if not answer.sync_token:
            raise SourceError("The calendar server did not send a sync token")
        advanced, token = answer.sync_token != token, answer.sync_token
        if not truncated or not advanced:
            break
    # RFC 6578 lets the REPORT carry any property: servers that send calendar-data with it save
    # a round of multigets; the members they sent without it are fetched.
    with_data = [e for e in answered.values() if caldav("calendar-data") in e.props]
    changed, gone = read_entries(with_data, start, end, owners)
    missing = [u for u, e in answered.items() if caldav("calendar-data") not in e.props]
    more, more_gone = fetch(client, url, missing, start, end, owners)
    return Changes(changed + more, sorted(removed | gone | more_gone), SYNC + token, full=sync_state is None)


def full_read(client: DavClient, url: str, start: dt.datetime, end: dt.datetime, owners: set[str]) -> Changes | None:
    """The window's resources and the token to continue from; None when the server cannot
    be read this way (see the module's first point)."""
    token = _sync_token(client, url)  # before the data: whatever changes meanwhile is reported again
    entries = _query(client, url, start - _PAD, end + _PAD) if token else None
    if token is None or entries is None:
        return None
    members = [e for e in entries if e.status not in (404, 410) and _is_member(e.url, url)]
    return Changes(read_entries(members, start, end, owners)[0], [], SYNC + token, full=True)


def _sync_token(client: DavClient, url: str) -> str | None:
    response = client.send("PROPFIND", url, body=element(dav("propfind"), prop(dav("sync-token"))), depth="0")
    if response.status_code != 207:
        raise_for_status(response)
        return None
    entries = parse_multistatus(response).entries
    return (entries[0].text(dav("sync-token")) or None) if entries else None


def _query(client: DavClient, url: str, start: dt.datetime, end: dt.datetime) -> list[Entry] | None:
    """The VEVENT resources overlapping [start, end) with their data; None when refused or truncated."""
    vevents = element(caldav("comp-filter"), element(caldav("time-range"), start=_utc(start), end=_utc(end)), name="VEVENT")
    query = element(
        caldav("calendar-query"),
        prop(dav("getetag"), caldav("calendar-data")),
        element(caldav("filter"), element(caldav("comp-filter"), vevents, name="VCALENDAR")),
    )
    response = client.report(url, query, "1")
    if response.status_code in FREE_BUSY_REFUSED or response.status_code in (400, 507):
        return None
    raise_for_status(response)
    entries = parse_multistatus(response).entries
    return None if any(e.status == 507 for e in entries) else entries


def ctag_changes(
    client: DavClient, url: str, sync_state: str | None, start: dt.datetime, end: dt.datetime, owners: set[str]
) -> Changes:
    entries = client.propfind(url, [GETCTAG], "0").entries
    ctag = entries[0].text(GETCTAG) if entries else None
    state = CTAG + (ctag or "")
    if ctag and sync_state == state:
        return Changes([], [], state, full=False)
    listing = client.propfind(url, [dav("getetag"), dav("resourcetype")], "1").entries
    members = [e.url for e in listing if _is_member(e.url, url) and dav("collection") not in e.children(dav("resourcetype"))]
    changed, _ = fetch(client, url, members, start, end, owners)
    return Changes(changed, [], state, full=True)


def fetch(
    client: DavClient, url: str, hrefs: list[str], start: dt.datetime, end: dt.datetime, owners: set[str]
) -> tuple[list[RemoteResource], set[str]]:
    """The VEVENT resources at ``hrefs``, and the hrefs gone meanwhile. One background thread
    sends the multigets one after another while this one parses what has arrived, so the
    server's work and calgate's parsing overlap instead of adding up."""
    resources: list[RemoteResource] = []
    gone: set[str] = set()
    batches = [hrefs[i : i + MULTIGET_BATCH] for i in range(0, len(hrefs), MULTIGET_BATCH)]
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="caldav-multiget")
    try:
        answers = [pool.submit(_multiget, client, url, batch) for batch in batches]
        for answer in answers:
            read, missing = read_entries(answer.result(), start, end, owners)
            resources += read
            gone |= missing
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return resources, gone


def read_entries(entries: list[Entry], start: dt.datetime, end: dt.datetime, owners: set[str]) -> tuple[list[RemoteResource], set[str]]:
    """Multistatus entries carrying calendar-data → resources (and the hrefs reported gone)."""
    resources: list[RemoteResource] = []
    gone: set[str] = set()
    for entry in entries:
        if entry.status in (404, 410):
            gone.add(entry.url)
            continue
        data = _calendar_data(entry)
        if data is None:
            continue
        try:
            uid, occurrences = ical_reader.read_resource(data, start, end, owners)
        except ValueError:
            log.warning("Skipped a calendar resource that could not be read: %s", entry.url)
            continue
        resources.append(RemoteResource(entry.url, entry.text(dav("getetag")), uid, occurrences))
    return resources, gone


def _multiget(client: DavClient, url: str, hrefs: list[str]) -> list[Entry]:
    batch = [element(dav("href"), text=urlsplit(h).path) for h in hrefs]
    response = client.report(url, element(caldav("calendar-multiget"), prop(dav("getetag"), caldav("calendar-data")), *batch), "1")
    raise_for_status(response)
    return parse_multistatus(response).entries


def busy(
    client: DavClient, url: str, start: dt.datetime, end: dt.datetime, owners: set[str], free_busy_only: set[str]
) -> list[BusyBlock]:
    """Busy blocks in ``[start, end)``; ``free_busy_only`` remembers the calendars whose server
    refused a calendar-query (shared with the person for free/busy only)."""
    blocks: list[BusyBlock] = []
    while start < end:
        upto = min(end, start + BUSY_WINDOW)
        blocks += _busy_window(client, url, start, upto, owners, free_busy_only)
        start = upto
    return _merged(blocks)


def _busy_window(
    client: DavClient, url: str, start: dt.datetime, end: dt.datetime, owners: set[str], free_busy_only: set[str]
) -> list[BusyBlock]:
    """The window's VEVENTs by calendar-query, reduced to busy blocks in memory by the one
    busy rule (``domain.busyness``: a declined or unanswered invitation counts as the person
    answered it), nothing else of them kept or logged. A server's free-busy-query cannot do
    that (RFC 4791 §7.10 looks at TRANSP and STATUS only: a declined invitation would read as
    busy), so it serves only calendars that refuse the calendar-query."""
    time_range = element(caldav("time-range"), start=_utc(start), end=_utc(end))
    if url not in free_busy_only:
        vevents = element(caldav("comp-filter"), time_range, name="VEVENT")
        query = element(
            caldav("calendar-query"),
            prop(caldav("calendar-data")),
            element(caldav("filter"), element(caldav("comp-filter"), vevents, name="VCALENDAR")),
        )
        response = client.report(url, query, "1")
        if response.status_code not in FREE_BUSY_REFUSED:
            raise_for_status(response)
            blocks: list[BusyBlock] = []
            for entry in parse_multistatus(response).entries:
                data = _calendar_data(entry)
                if data is None:
                    continue
                try:
                    blocks += ical_reader.busy_blocks(data, start, end, owners)
                except ValueError:
                    log.warning("Skipped a calendar resource that could not be read: %s", entry.url)
            return blocks
        free_busy_only.add(url)
    response = client.report(url, element(caldav("free-busy-query"), time_range), "1")
    raise_for_status(response)
    if response.content.lstrip()[:15].upper() != b"BEGIN:VCALENDAR":
        raise SourceError("The calendar server answered the free-busy-query without a VCALENDAR")
    return ical_freebusy.read_freebusy(response.content, start, end)


def _calendar_data(entry: Entry) -> bytes | None:
    node = entry.props.get(caldav("calendar-data"))
    text = node.text if node is not None else None
    return text.encode("utf-8") if text and VEVENT.search(text) else None


def _is_member(href: str, collection: str) -> bool:
    path, folder = unquote(urlsplit(href).path), unquote(urlsplit(collection).path)
    return not path.endswith("/") and path.rstrip("/") != folder.rstrip("/")


def _utc(moment: dt.datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _merged(blocks: list[BusyBlock]) -> list[BusyBlock]:
    """Overlapping or touching blocks of one status as one (windows split long blocks)."""
    merged: list[BusyBlock] = []
    for block in sorted(blocks, key=lambda b: (b.status, b.start, b.end)):
        last = merged[-1] if merged and merged[-1].status == block.status else None
        if last is not None and block.start <= last.end:
            merged[-1] = BusyBlock(last.start, max(last.end, block.end), block.status)
        else:
            merged.append(block)
    return sorted(merged, key=lambda b: (b.start, b.end, b.status))
