# SPDX-License-Identifier: Apache-2.0
"""Everything the demo remembers, in one small JSON file: the team, the connected people and
their tokens, the bookings, the scheduling links it sent, the last push notifications and a version number that moves
whenever a notification arrives (the booking page polls it to know when to refresh).

A real application keeps this in its database; a file keeps the sample easy to read. One lock
guards it, since FastAPI runs the handlers in a thread pool.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

STATE_FILE = "state.json"
KEEP_NOTIFICATIONS = 20

State = dict[str, Any]


def empty() -> State:
    return {"team": {}, "people": {}, "bookings": [], "scheduling_links": [], "notifications": [], "version": 0}


class Store:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / STATE_FILE
        self._lock = threading.Lock()
        data_dir.mkdir(parents=True, exist_ok=True)

    def read(self) -> State:
        with self._lock:
            return self._load()

    def change(self, edit: Callable[[State], None]) -> State:
        """Apply ``edit`` to the state and write it back, atomically."""
        with self._lock:
            state = self._load()
            edit(state)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(state, indent=2))
            temporary.replace(self.path)
            return state

    def _load(self) -> State:
        if not self.path.exists():
            return empty()
        return {**empty(), **json.loads(self.path.read_text())}

    # -- the few changes the demo makes -------------------------------------------------------

    def save_member(self, kind: str, sub: str, record: dict[str, Any]) -> None:
        """``kind`` is ``team`` or ``people``."""

        def edit(state: State) -> None:
            state[kind][sub] = record

        self.change(edit)

    def forget_person(self, sub: str) -> None:
        def edit(state: State) -> None:
            state["people"].pop(sub, None)

        self.change(edit)

    def add_booking(self, booking: dict[str, Any]) -> None:
        def edit(state: State) -> None:
            state["bookings"].insert(0, booking)

        self.change(edit)

    def add_scheduling_link(self, link: dict[str, Any]) -> None:
        def edit(state: State) -> None:
            state["scheduling_links"].insert(0, link)

        self.change(edit)

    def scheduling_link(self, key: str) -> dict[str, Any] | None:
        return next((link for link in self.read()["scheduling_links"] if link["key"] == key), None)

    def add_notification(self, entry: dict[str, Any]) -> None:
        def edit(state: State) -> None:
            state["notifications"] = [entry, *state["notifications"]][:KEEP_NOTIFICATIONS]
            state["version"] += 1

        self.change(edit)
