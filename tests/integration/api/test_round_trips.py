# SPDX-License-Identifier: Apache-2.0
"""Few round trips per request (issue 18): a bearer token becomes its caller (token, grant,
account, application) in one query, and a calendar the caller writes to is read with its
profile in one. What they decide is tested with the API (test_identity, test_token, the
isolation matrix); this holds them to their query counts."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, event

from calgate.domain import accounts, authorization
from calgate.domain.model import utcnow


@contextlib.contextmanager
def selects(engine: Engine) -> Iterator[list[str]]:
    """The SELECTs this thread sends meanwhile (the server's threads and job runner excluded)."""
    thread, seen = threading.get_ident(), []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.get_ident() == thread and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_token_becomes_its_caller_in_one_query(calgate, person) -> None:  # type: ignore[no-untyped-def]
    with selects(calgate.services.db.engine) as seen, calgate.services.uow() as uow:
        caller = authorization.authenticate(uow, person.access_token, utcnow())
    assert (caller.account.id, caller.application.client_id) == (person.account_id, person.creds.client_id)
    assert caller.grant.active and "create_event" in caller.granted
    assert len(seen) == 1


def test_a_calendar_is_read_with_its_profile_in_one_query(calgate, person) -> None:  # type: ignore[no-untyped-def]
    with calgate.services.uow() as uow:
        caller = authorization.authenticate(uow, person.access_token, utcnow())
    with selects(calgate.services.db.engine) as seen, calgate.services.uow() as uow:
        calendar, profile = accounts.own_calendar(uow, caller, person.calendar_id)
    assert calendar.id == person.calendar_id and profile.id == calendar.profile_id
    assert len(seen) == 1
