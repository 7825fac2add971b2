# SPDX-License-Identifier: Apache-2.0
"""Two ways to deliver a message: SMTP, or a ``.eml`` file in the local mail folder."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import ssl
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from calgate.jobs.runner import PermanentFailure


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
    """smtp://[user:password@]host[:port][?starttls=true] or smtps://… (implicit TLS)."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
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

    def send(self, message: EmailMessage) -> None:
        # Job runners are plain threads: one short event loop per message is simplest. A
        # caller that already runs a loop in this thread (an embedding application, a test
        # harness) gets the send on a thread of its own, so it never nests loops.
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(self._send(message))
            return
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, self._send(message)).result()

    async def _send(self, message: EmailMessage) -> None:
        """A 5xx answer (the server refuses this message or every recipient for good) is a
        ``PermanentFailure``; a 4xx, a timeout or no answer is worth another try."""
        try:
            await self._deliver(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            if all(500 <= r.code < 600 for r in exc.recipients):
                raise PermanentFailure(f"the mail server refused every recipient: {exc.recipients[0].code} {exc.recipients[0].message}") from exc
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise PermanentFailure(f"the mail server refused the message: {exc.code} {exc.message}") from exc
            raise

    async def _deliver(self, message: EmailMessage) -> None:
        tls = self.implicit_tls or self.starttls
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.implicit_tls,
            start_tls=self.starttls,  # never an opportunistic upgrade the URL did not ask for
            tls_context=ssl.create_default_context() if tls else None,
            timeout=self.timeout,
        )


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
