# SPDX-License-Identifier: Apache-2.0
"""Alembic environment: uses the connection handed in by ``store.migrate`` when there is one."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from calgate.store.db import make_engine
from calgate.store.tables import metadata

config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite needs batch mode for ALTERs
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.begin() as conn:
        _run(conn)
