# SPDX-License-Identifier: Apache-2.0
"""Two ways to deliver a message: SMTP, or a ``.eml`` file in the local mail folder."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import os
import ssl
import threading
import time
import weakref
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Awaitable, Callable, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from calgate.jobs.runner import PermanentFailure

log = logging.getLogger(__name__)

IDLE_LIMIT = 30.0
"""Seconds a kept SMTP connection may sit unused and still carry the next message (after a
NOOP comes back 250). Past it the connection is hung up and a new one opened: servers drop quiet
clients (RFC 5321 section 4.5.3.2.7 asks them to wait 5 minutes; relays and NAT boxes often
wait less), and a connection that has been quiet that long is more likely gone than not."""

QUIT_TIMEOUT = 2.0  # seconds to wait for the answer to QUIT, or for a socket to shut, when hanging up


class MailSender(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` or raise; the job queue retries on any exception but
        ``PermanentFailure``."""


class MailDirSender:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        key = message["Message-ID"].strip("<>").replace("/", "_")
        final = self.directory / f"{key}.eml"
        temporary = self.directory / f".{key}.tmp"
        temporary.write_bytes(bytes(message))
        os.replace(temporary, final)  # atomic: readers never see half a message


class SmtpSender:
    """smtp://[user:password@]host[:port][?starttls=true] or smtps://… (implicit TLS).

    Each sending thread keeps one event loop and one SMTP connection between messages
    (``_Connection``); ``close()`` hangs them up. A caller that already runs a loop in its
    thread gets a connection of its own per message, on a thread of its own, so loops never nest.
    """

    def __init__(self, url: str, timeout: float = 30.0, idle_limit: float = IDLE_LIMIT) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("CALGATE_SMTP_URL must start with smtp:// or smtps://")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = "starttls=true" in (parts.query or "").lower()
        self.timeout = timeout
        self.idle_limit = idle_limit
        self._local = threading.local()  # .connection: this thread's _Connection
        self._connections: list[_Connection] = []  # every thread's, for close()
        self._lock = threading.Lock()
        # A sender dropped without close() (a test's, a process's at exit) still closes its
        # sockets and loops: an unclosed one is a ResourceWarning, and the server keeps a session.
        weakref.finalize(self, _outside_any_loop, functools.partial(_close_all, self._connections, self._lock, polite=False))

    def send(self, message: EmailMessage) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._send_kept(message)
            return
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, self._classified(self._deliver_once(message))).result()

    def close(self) -> None:
        """QUIT and close every thread's kept connection and loop. One in the middle of a
        message is closed by its thread when that message is done. Sending afterwards opens
        new connections."""
        _outside_any_loop(functools.partial(_close_all, self._connections, self._lock, polite=True))

    def _send_kept(self, message: EmailMessage) -> None:
        while True:
            connection = getattr(self._local, "connection", None)
            if connection is None or connection.closed:
                connection = self._local.connection = self._register(_Connection(self._client(), self.idle_limit))
            with connection.busy:
                if connection.closed:  # close() took it just now: start another
                    continue
                try:
                    connection.run(self._classified(connection.deliver(message)))
                finally:
                    if connection.close_when_done:  # close() came while this message was in hand
                        _close_quietly(connection, polite=True)
                return

    def _register(self, connection: "_Connection") -> "_Connection":
        with self._lock:
            # A thread that ended left its connection here, and no one else will use it.
            ended = [c for c in self._connections if not c.closed and not c.thread.is_alive()]
            self._connections[:] = [c for c in self._connections if not c.closed and c not in ended] + [connection]
        for stale in ended:
            with stale.busy:
                _close_quietly(stale, polite=True)
        return connection

    async def _classified(self, delivery: Awaitable[None]) -> None:
        """A 5xx answer (the server refuses this message or every recipient for good) is a
        ``PermanentFailure``; a 4xx, a timeout or no answer is worth another try."""
        try:
            await delivery
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(500 <= r.code < 600 for r in exc.recipients):
                raise PermanentFailure(f"the mail server refused every recipient: {exc.recipients[0].code} {exc.recipients[0].message}") from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise PermanentFailure(f"the mail server refused the message: {exc.code} {exc.message}") from exc
            raise

    def _client(self) -> aiosmtplib.SMTP:
        tls = self.implicit_tls or self.starttls
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.implicit_tls,
            start_tls=self.starttls,  # never an opportunistic upgrade the URL did not ask for
            tls_context=ssl.create_default_context() if tls else None,
            timeout=self.timeout,
        )

    async def _deliver_once(self, message: EmailMessage) -> None:
        async with self._client() as client:  # connect, EHLO [STARTTLS, AUTH] … QUIT
            await client.send_message(message)


class _Connection:
    """One thread's event loop and SMTP client, kept between messages.

    Reuse must never send a message twice. So a connection is checked *before* a message, never
    by retrying one: past ``idle_limit`` it is hung up and a new one opened; otherwise a NOOP
    must come back 250 first. A failure once the message is under way is raised (the job is
    tried again later, with the same Message-ID) and the connection dropped, so the next message
    starts on a new one.
    """

    def __init__(self, client: aiosmtplib.SMTP, idle_limit: float) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = client
        self.idle_limit = idle_limit
        self.thread = threading.current_thread()
        self.busy = threading.Lock()  # held by the thread sending on it
        self.used_at: float | None = None  # monotonic time the last message went out
        self.close_when_done = False
        self.closed = False

    def run(self, work: Awaitable[None]) -> None:
        try:
            self.loop.run_until_complete(work)
        except Exception:
            raise
        except BaseException:  # interrupted (KeyboardInterrupt) with the send half done, in the loop
            _close_quietly(self, polite=False)
            raise

    async def deliver(self, message: EmailMessage) -> None:
        await self._ready()
        try:
            await self.client.send_message(message)
        except BaseException:
            await _hang_up(self.client, polite=False)
            self.used_at = None
            raise
        self.used_at = time.monotonic()

    async def _ready(self) -> None:
        client = self.client
        if client.is_connected and self.used_at is not None:
            if time.monotonic() - self.used_at > self.idle_limit:
                await _hang_up(client, polite=True)
            else:
                try:
                    await client.noop()
                except (aiosmtplib.SMTPException, OSError):  # gone, timed out, or a 421 on its way out
                    await _hang_up(client, polite=False)
        if not client.is_connected:
            self.used_at = None
            await client.connect()  # connect, EHLO [STARTTLS, AUTH], as the URL says

    def close(self, polite: bool) -> None:
        """Hang up and close the loop, from a thread running no loop (the owner, or any thread
        once the owner is not using it)."""
        if self.closed:
            return
        self.closed = True
        try:
            self.loop.run_until_complete(_hang_up(self.client, polite=polite))
            pending = asyncio.all_tasks(self.loop)  # none, unless a send was interrupted
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_default_executor())  # aiosmtplib's getfqdn thread
        finally:
            self.loop.close()


def _close_all(connections: list[_Connection], lock: threading.Lock, polite: bool) -> None:
    """Close each connection not in use now; ask the thread using one to close it after."""
    with lock:
        taken = list(connections)
    for connection in taken:
        if connection.busy.acquire(blocking=False):
            try:
                _close_quietly(connection, polite)
            finally:
                connection.busy.release()
        else:
            connection.close_when_done = True
    with lock:
        connections[:] = [c for c in connections if not c.closed]


def _close_quietly(connection: _Connection, polite: bool) -> None:
    try:
        connection.close(polite)
    except Exception:  # shutting down: one connection's trouble must not keep the others open
        log.warning("closing an SMTP connection failed", exc_info=True)


async def _hang_up(client: aiosmtplib.SMTP, polite: bool) -> None:
    """QUIT and close when ``polite``, else abort (the session's state is unknown, or nobody
    waits); then let the transport shut its socket, which it does on a later turn of the loop
    (a TLS one after its close_notify: give it ``QUIT_TIMEOUT``, then abort)."""
    protocol, transport = client.protocol, client.transport
    if polite and client.is_connected:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            await client.quit(timeout=QUIT_TIMEOUT)
    elif transport is not None:
        transport.abort()
    client.close()
    if protocol is None or transport is None:
        return
    await asyncio.sleep(0)
    deadline = time.monotonic() + QUIT_TIMEOUT
    while protocol.transport is not None and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    if protocol.transport is not None:
        transport.abort()
        await asyncio.sleep(0)


def _outside_any_loop(work: Callable[[], None]) -> None:
    """Run ``work`` here, or on a thread of its own when this thread runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        work()
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(work).result()


def make_sender(smtp_url: str | None, mail_dir: Path) -> MailSender:
    return SmtpSender(smtp_url) if smtp_url else MailDirSender(mail_dir)


def read_mail_dir(directory: Path, limit: int = 200) -> list[EmailMessage]:
    """Messages in the mail folder, newest first (the dashboard's outbox page)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    files = sorted(directory.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)[:limit]
    parser = BytesParser(policy=default_policy)
    return [parser.parsebytes(path.read_bytes()) for path in files]  # type: ignore[misc]
