# SPDX-License-Identifier: Apache-2.0
"""Real calgate processes and the servers around them, for the load run (``benchmarks/load.py``)
and the fault runs (``tests/integration/faults/``).

- ``Cluster``: ``calgate serve --workers N --no-jobs`` (N API processes behind one port) and
  any number of ``calgate worker`` processes, on one PostgreSQL, mailing through SMTP.
- ``SmtpRecorder``: an aiosmtpd server on loopback that keeps every message it accepted (answered
  250), duplicates included: what "sent" means for the exactly-once checks. It can be slow on
  purpose (so a worker spends its time inside jobs), stopped and started again on its port.
- ``PrivatePostgres``: a throw-away PostgreSQL cluster (``initdb``/``pg_ctl`` from the system's
  binaries, in a temporary folder, on a free port), so a run can stop and start its database
  without touching the machine's own server.
- ``worker_holding(port)``: which process owns a loopback TCP connection (read from /proc), to
  kill a worker exactly while it is in the middle of sending a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def libpq(url: str) -> str:
    """A SQLAlchemy URL as psycopg takes it."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pg_version(url: str) -> str:
    """``PostgreSQL 15.x (…)``: the server's version, without its build details."""
    import psycopg

    with psycopg.connect(libpq(url)) as conn:
        return str(conn.execute("SELECT version()").fetchone()[0]).split(" on ")[0]  # type: ignore[index]


@contextlib.contextmanager
def pg_schema(base_url: str) -> Iterator[str]:
    """A private schema in the PostgreSQL at ``base_url``; a calgate URL using it. Dropped after."""
    import psycopg
    from sqlalchemy.engine import make_url

    schema = f"load_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(libpq(base_url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(base_url).set(drivername="postgresql+psycopg").update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with contextlib.suppress(Exception), psycopg.connect(libpq(base_url), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


# -- PostgreSQL of one's own ------------------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def private_postgres_available() -> bool:
    return _pg_bin() is not None


class PrivatePostgres:
    """``initdb`` + ``pg_ctl`` in a temporary folder, on a port of its own. As root, the
    server runs as the ``postgres`` user (PostgreSQL refuses root)."""

    def __init__(self, max_connections: int = 200) -> None:
        bin_dir = _pg_bin()
        if bin_dir is None:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = bin_dir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="calgate-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.max_connections = max_connections
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)

    def init(self) -> "PrivatePostgres":
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        return self.start()

    def start(self) -> "PrivatePostgres":
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections={self.max_connections}"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """``immediate`` is a crash: every backend killed at once, no checkpoint, WAL replay
        at the next start; ``fast`` disconnects the clients and shuts down cleanly."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def version(self) -> str:
        out = subprocess.run([str(self.bin / "postgres"), "--version"], capture_output=True, text=True).stdout
        return out.strip()


# -- SMTP ------------------------------------------------------------------------------------


@dataclass
class Delivery:
    """One message the server accepted."""

    peer_port: int
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: float


@dataclass
class _Handler:
    delay: float = 0.0
    deliveries: list[Delivery] = field(default_factory=list)
    in_flight: dict[int, tuple[str, float]] = field(default_factory=dict)  # client port → (Message-ID, since), inside DATA now
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # aiosmtpd's hook
        port = int(session.peer[1])
        found = re.search(rb"^Message-ID:\s*<([^>]*)>", bytes(envelope.content), re.M | re.I)
        with self.lock:
            self.in_flight[port] = (found.group(1).decode() if found else "", time.monotonic())
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            transport = getattr(server, "transport", None)
            if transport is not None and transport.is_closing():
                return "421 client gone"  # never answered 250: not accepted
            with self.lock:
                self.deliveries.append(Delivery(port, envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content), time.monotonic()))
            return "250 Message accepted for delivery"
        finally:
            with self.lock:
                self.in_flight.pop(port, None)


class SmtpRecorder:
    def __init__(self, delay: float = 0.0) -> None:
        self.port = free_port()
        self.handler = _Handler(delay=delay)
        self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> "SmtpRecorder":
        from aiosmtpd.controller import Controller

        deadline = time.monotonic() + 10
        while True:
            controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10)
            try:
                controller.start()
                break
            except Exception:  # the port may linger for a moment after a stop
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def deliveries(self) -> list[Delivery]:
        with self.handler.lock:
            return list(self.handler.deliveries)

    def in_flight(self) -> dict[int, tuple[str, float]]:
        """Client port → (Message-ID, monotonic time its DATA began) of each message being
        received and not yet answered."""
        with self.handler.lock:
            return dict(self.handler.in_flight)


# -- which process holds a connection ----------------------------------------------------------


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    return inodes


def worker_holding(local_port: int, pids: list[int]) -> int | None:
    """The pid among ``pids`` whose socket has loopback port ``local_port`` (its side)."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if int(parts[1].rsplit(":", 1)[1], 16) == local_port:
                    inode = parts[9]
    if inode is None:
        return None
    return next((pid for pid in pids if inode in _socket_inodes(pid)), None)


# -- calgate's processes -----------------------------------------------------------------------


class Cluster:
    """``calgate serve --workers api_processes --no-jobs`` and ``workers`` × ``calgate worker``."""

    def __init__(self, database_url: str, directory: Path, *, smtp_url: str | None, api_processes: int = 2, workers: int = 2,
                 extra_env: dict[str, str] | None = None, poll: float = 0.2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.directory = directory
        self.api_processes = api_processes
        self.worker_count = workers
        self.poll = poll
        self.secret_key = "load-" + secrets.token_hex(12)
        self.env = {
            **os.environ,
            "CALGATE_DATABASE_URL": database_url, "CALGATE_PUBLIC_URL": self.url, "CALGATE_SECRET_KEY": self.secret_key,
            "CALGATE_MAIL_DIR": str(directory / "mail"), "CALGATE_SMTP_URL": smtp_url or "",
            "CALGATE_ORGANIZER_EMAIL": "calendar@calgate.test", "CALGATE_RATE_LIMIT": "0", "CALGATE_LOG_FORMAT": "json",
            **(extra_env or {}),
        }
        self.api: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self._logs: list[Path] = []

    def _popen(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = self.directory / f"{name}.log"
        self._logs.append(log)
        with log.open("ab") as handle:  # the child keeps its own copy of the descriptor
            return subprocess.Popen([sys.executable, "-m", "calgate", *args], env=self.env, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)

    def start_api(self) -> None:
        self.api = self._popen("api", "serve", "--no-migrate", "--no-jobs", "--port", str(self.port), "--workers", str(self.api_processes))
        self.wait_ready()

    def start_worker(self, wait: bool = True) -> subprocess.Popen[bytes]:
        name = f"worker-{len(self.workers) + 1}"
        process = self._popen(name, "worker", "--poll", str(self.poll))
        self.workers.append(process)
        if wait:
            self._wait_for_line(process, self.directory / f"{name}.log", "calgate worker on")
        return process

    def _wait_for_line(self, process: subprocess.Popen[bytes], log: Path, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not (log.exists() and text in log.read_text(errors="replace")):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{log.stem} did not start:\n{self.log_tail()}")
            time.sleep(0.05)

    def start(self) -> "Cluster":
        self.start_api()
        started = [self.start_worker(wait=False) for _ in range(self.worker_count)]
        for process, number in zip(started, range(len(self.workers) - len(started) + 1, len(self.workers) + 1)):
            self._wait_for_line(process, self.directory / f"worker-{number}.log", "calgate worker on")
        return self

    def live_workers(self) -> list[subprocess.Popen[bytes]]:
        return [w for w in self.workers if w.poll() is None]

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            if self.api is not None and self.api.poll() is not None:
                raise RuntimeError(f"calgate serve exited with {self.api.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"calgate serve not ready within {timeout}s:\n{self.log_tail()}")
            time.sleep(0.1)

    def kill9(self, process: subprocess.Popen[bytes]) -> None:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_workers(self, timeout: float = 30) -> list[int | None]:
        """SIGTERM every live worker (each finishes the job in hand) and wait for them."""
        live = self.live_workers()
        for process in live:
            process.send_signal(signal.SIGTERM)
        for process in live:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return [p.returncode for p in live]

    def stop(self) -> None:
        self.stop_workers()
        if self.api is not None and self.api.poll() is None:
            self.api.send_signal(signal.SIGTERM)
            try:
                self.api.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.api.kill()
                self.api.wait()

    def log_tail(self, lines: int = 40) -> str:
        out = []
        for log in self._logs:
            with contextlib.suppress(OSError):
                out.append(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(out)

    def logs(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self._logs if log.exists())
