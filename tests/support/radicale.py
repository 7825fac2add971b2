# SPDX-License-Identifier: Apache-2.0
"""A real Radicale on a loopback port, and helpers that act as a person's own calendar app.

Radicale 3.9 runs as ``python -m radicale`` with htpasswd authentication in ``plain``
encryption (still supported, not deprecated) and ``owner_only`` rights. With
``htpasswd_cache`` off (the default) it reads the htpasswd file on every request, so users
added while it runs can log in at once. Its log goes to ``radicale.log`` in its folder.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import httpx

DAV, CALDAV, APPLE = "DAV:", "urn:ietf:params:xml:ns:caldav", "http://apple.com/ns/ical/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class RadicaleUser:
    username: str
    password: str
    home: str  # the calendar home (Radicale: the principal), with a trailing slash


class Radicale:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.htpasswd = directory / "users"
        self._users: dict[str, RadicaleUser] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._http = httpx.Client(timeout=10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> Radicale:
        self.htpasswd.write_text("")
        config = self.directory / "config"
        config.write_text(
            f"[server]\nhosts = 127.0.0.1:{self.port}\n"
            f"[auth]\ntype = htpasswd\nhtpasswd_filename = {self.htpasswd}\nhtpasswd_encryption = plain\ndelay = 0\n"
            f"[storage]\nfilesystem_folder = {self.directory / 'collections'}\n"
            "[rights]\ntype = owner_only\n"
            "[logging]\nlevel = warning\n"
        )
        with (self.directory / "radicale.log").open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "radicale", "--config", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 20
        while True:
            try:
                self._http.get(self.url)
                return self
            except httpx.TransportError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("Radicale did not start; see " + str(self.directory / "radicale.log")) from None
                time.sleep(0.05)

    def stop(self) -> None:
        self._http.close()
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def new_user(self) -> RadicaleUser:
        username = "u_" + secrets.token_hex(3)
        user = RadicaleUser(username, secrets.token_urlsafe(12), f"{self.url}{username}/")
        self._users[username] = user
        self._write_users()
        return user

    def change_password(self, user: RadicaleUser) -> str:
        """A new random password for ``user`` (the old one stops working at once)."""
        password = secrets.token_urlsafe(12)
        self._users[user.username] = replace(user, password=password)
        self._write_users()
        return password

    def _write_users(self) -> None:
        """Replace the htpasswd file at once, so Radicale never reads it half written."""
        draft = self.htpasswd.with_suffix(".new")
        draft.write_text("".join(f"{u.username}:{u.password}\n" for u in self._users.values()))
        os.replace(draft, self.htpasswd)

    def make_calendar(
        self, user: RadicaleUser, slug: str, name: str | None, color: str | None = None, components: tuple[str, ...] = ()
    ) -> str:
        """MKCALENDAR (RFC 4791 §5.3.1) with a display name (if any), an Apple calendar-color and the
        components it accepts (all when empty); its URL."""
        prop = ET.Element(f"{{{DAV}}}prop")
        if name is not None:
            ET.SubElement(prop, f"{{{DAV}}}displayname").text = name
        if color:
            ET.SubElement(prop, f"{{{APPLE}}}calendar-color").text = color
        if components:
            accepted = ET.SubElement(prop, f"{{{CALDAV}}}supported-calendar-component-set")
            for component in components:
                ET.SubElement(accepted, f"{{{CALDAV}}}comp", name=component)
        root = ET.Element(f"{{{CALDAV}}}mkcalendar")
        ET.SubElement(root, f"{{{DAV}}}set").append(prop)
        url = f"{user.home}{slug}/"
        self._request("MKCALENDAR", url, content=ET.tostring(root, encoding="utf-8", xml_declaration=True))
        return url

    def put(self, url: str, ical: str) -> str:
        """Unconditional PUT; the new ETag."""
        response = self._request("PUT", url, content=ical.encode(), headers={"Content-Type": "text/calendar; charset=utf-8"})
        return response.headers["ETag"]

    def delete(self, url: str) -> None:
        self._request("DELETE", url)

    def get(self, url: str) -> tuple[str, str]:
        """(the resource's text, its ETag); raises ``httpx.HTTPStatusError`` if absent."""
        response = self._request("GET", url)
        return response.text, response.headers["ETag"]

    def exists(self, url: str) -> bool:
        response = self._http.request("GET", url, auth=self._auth(url))
        return response.status_code == 200

    def list_hrefs(self, collection_url: str) -> list[str]:
        """The absolute URLs of a collection's members."""
        body = b'<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>'
        response = self._request("PROPFIND", collection_url, content=body, headers={"Depth": "1"})
        root = ET.fromstring(response.content)
        hrefs = [h.text or "" for h in root.iter(f"{{{DAV}}}href")]
        own = urlsplit(collection_url).path
        return sorted(self.url.rstrip("/") + h for h in hrefs if h.rstrip("/") != own.rstrip("/"))

    def _auth(self, url: str) -> tuple[str, str]:
        user = self._users[urlsplit(url).path.strip("/").split("/")[0]]
        return user.username, user.password

    def _request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        response = self._http.request(method, url, auth=self._auth(url), **kwargs)  # type: ignore[arg-type]
        response.raise_for_status()
        return response
