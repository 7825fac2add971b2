# SPDX-License-Identifier: Apache-2.0
"""Everything calgate holds, as one text for marker scans: every row of every table, the
SQLite files byte for byte (free pages, write-ahead log and its index included) and every
file in the mail folder.

The SQLite files are read by a child process, never opened here. The live server runs in
this process, and POSIX drops all of a process's advisory locks on a file as soon as any
descriptor of that file is closed (sqlite.org/howtocorrupt.html, 2.2). A plain
``read_bytes()`` would silently release the server's locks; the next process that opened
the database (``calgate mcp``, a second server) would then believe itself alone, rebuild or
delete the write-ahead-log index under the server, and see stale data or a disk I/O error."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import select

from calgate.store.tables import metadata
from tests.support.server import LiveServer

SQLITE_FILES = ("", "-wal", "-shm", "-journal")


def stored_rows(calgate: LiveServer) -> str:
    with calgate.services.db.engine.connect() as connection:
        return "\n".join(repr(tuple(row)) for table in metadata.sorted_tables for row in connection.execute(select(table)))


def sqlite_file_bytes(database: str) -> str:
    """The database file and those of its companions that exist, as latin-1 text, read by
    ``cat`` in a child (a companion that is absent is skipped: ``cat`` goes on past it)."""
    read = subprocess.run(["cat", *(f"{database}{suffix}" for suffix in SQLITE_FILES)], capture_output=True)
    return read.stdout.decode("latin-1")


def stored_text(calgate: LiveServer) -> str:
    parts = [stored_rows(calgate)]
    url = calgate.services.db.engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        parts.append(sqlite_file_bytes(url.database))
    parts.extend(p.read_bytes().decode("latin-1") for p in Path(calgate.mail_dir).rglob("*") if p.is_file())
    return "\n".join(parts)
