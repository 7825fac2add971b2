# SPDX-License-Identifier: Apache-2.0
"""The marker scan (``tests.support.stored``) leaves the live server's SQLite locks alone.
Had it opened and closed the files in this process (the server's), POSIX would have dropped
the server's locks; a process opening and closing the database next would take itself for
the last one and delete the write-ahead log under the server, and what the server wrote after
would never reach another process (``calgate mcp`` found no token; a second server failed
with a disk I/O error)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.factories import make_application
from tests.support.server import LiveServer
from tests.support.stored import stored_text

READ_IDS = "import json, sqlite3, sys; print(json.dumps(sorted(r[0] for r in sqlite3.connect(sys.argv[1]).execute('select id from applications'))))"


def ids_seen_by_another_process(database: str) -> list[str]:
    seen = subprocess.run([sys.executable, "-c", READ_IDS, database], capture_output=True, text=True, check=True, timeout=60)
    return list(json.loads(seen.stdout))


def ids_seen_by_the_server(calgate: LiveServer) -> list[str]:
    with calgate.services.db.engine.connect() as connection:
        return sorted(row[0] for row in connection.exec_driver_sql("select id from applications"))


def test_another_process_sees_what_the_server_writes_after_a_scan(calgate: LiveServer) -> None:
    url = calgate.services.db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        pytest.skip("the locks in question are SQLite's")
    first = make_application(calgate.services)
    assert first.application_id in stored_text(calgate)
    assert ids_seen_by_another_process(url.database) == [first.application_id]  # opens and closes the database
    for _ in range(3):
        make_application(calgate.services)  # the server writes on
    assert len(ids_seen_by_the_server(calgate)) == 4
    assert ids_seen_by_another_process(url.database) == ids_seen_by_the_server(calgate)
