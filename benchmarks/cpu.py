# SPDX-License-Identifier: Apache-2.0
"""Where a load run's CPU goes: seconds of CPU (user + system, from ``/proc``) each group of
processes used while it ran, so throughput can be read against what one request costs.

Groups: the API processes (``calgate serve`` and its uvicorn workers), the job workers, every
PostgreSQL process (backends and the server's own, as ``ps`` names them ``postgres``), and this
process (the load clients and the SMTP recorder, which runs in a thread of it). Linux only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name, or None once it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # the name may hold spaces and parentheses


def cpu_seconds(pid: int) -> float:
    """User + system CPU ``pid`` has used (0 once it is gone)."""
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


def _pids() -> list[int]:
    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]


def tree(root: int) -> list[int]:
    """``root`` and every process descended from it, now."""
    children: dict[int, list[int]] = {}
    for pid in _pids():
        fields = _stat(pid)
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(pid)  # ppid
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def named(name: str) -> list[int]:
    """Every process whose command name (``/proc/<pid>/comm``) is ``name``."""
    found = []
    for pid in _pids():
        try:
            if (PROC / str(pid) / "comm").read_text().strip() == name:
                found.append(pid)
        except OSError:
            continue
    return found


Groups = Mapping[str, Callable[[], Iterable[int]]]


@dataclass
class Usage:
    """CPU seconds per group over a stretch of ``seconds`` of wall time."""

    seconds: float
    by_group: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.by_group.values())

    def per_request_ms(self, requests: int) -> dict[str, float]:
        return {name: used * 1000 / requests for name, used in self.by_group.items()} if requests else {}

    def cores(self) -> dict[str, float]:
        """The average number of cores each group kept busy."""
        return {name: used / self.seconds for name, used in self.by_group.items()} if self.seconds else {}


class Meter:
    """``start()`` then ``stop()``: the CPU each group used in between. A group is a function
    giving its pids, asked at both ends (processes started in between count from 0; one gone
    before the end loses what it used)."""

    def __init__(self, groups: Groups) -> None:
        self.groups = groups
        self._before: dict[str, dict[int, float]] = {}
        self._began = 0.0

    def _read(self) -> dict[str, dict[int, float]]:
        return {name: {pid: cpu_seconds(pid) for pid in pids()} for name, pids in self.groups.items()}

    def start(self) -> None:
        import time

        self._before = self._read()
        self._began = time.monotonic()

    def stop(self) -> Usage:
        import time

        after = self._read()
        seconds = time.monotonic() - self._began
        used = {}
        for name, now in after.items():
            before = self._before.get(name, {})
            used[name] = sum(max(0.0, value - before.get(pid, 0.0)) for pid, value in now.items())
        return Usage(seconds, used)
