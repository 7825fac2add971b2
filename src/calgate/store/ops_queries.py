# SPDX-License-Identifier: Apache-2.0
"""Read-only questions operations ask the database: is the schema current (``/readyz``), and
how deep is the job queue, how far behind is syncing (``/metrics``).

Plain data out, never an ORM object; nothing here writes. A database that does not answer is
an answer too (``SchemaState.database == "error"``), with a detail safe to show: the exception
class only, never the driver's message (which may name hosts, users or the URL).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass, field

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from calgate.store.migrate import MIGRATIONS
from calgate.store.tables import jobs, profiles
from calgate.store.unit_of_work import Database

log = logging.getLogger(__name__)

MAIL_KINDS = ("send_mail", "send_invite")


@dataclass(frozen=True)
class SchemaState:
    database: str  # "ok" or "error"
    revision: str | None  # the database's Alembic revision (None: not migrated, or unknown)
    heads: tuple[str, ...]  # the newest revisions this code knows
    detail: str = ""

    @property
    def ready(self) -> bool:
        return self.database == "ok" and self.revision is not None and self.revision in self.heads


@dataclass(frozen=True)
class OpsSnapshot:
    """What ``/metrics`` reports from the database, per job kind and per provider."""

    queue_depth: dict[str, int] = field(default_factory=dict)  # pending jobs, due or not
    oldest_due_age: dict[str, float] = field(default_factory=dict)  # seconds since the most overdue became due
    failed: dict[str, int] = field(default_factory=dict)  # jobs that gave up
    sync_lag: dict[str, float] = field(default_factory=dict)  # seconds since the stalest profile synced

    @property
    def mail_failures(self) -> int:
        return sum(self.failed.get(kind, 0) for kind in MAIL_KINDS)


@functools.lru_cache(maxsize=1)
def head_revisions() -> tuple[str, ...]:
    """The newest revisions among the migrations shipped with this code (read once)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return tuple(sorted(ScriptDirectory.from_config(config).get_heads()))


def schema_state(db: Database) -> SchemaState:
    heads = head_revisions()
    try:
        with db.engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
    except Exception as exc:  # readiness reports any failure; it never raises
        log.warning("readiness: database check failed: %s", type(exc).__name__, exc_info=True)
        return SchemaState("error", None, heads, f"database unreachable ({type(exc).__name__})")
    if revision is None:
        return SchemaState("ok", None, heads, "schema not migrated: run `calgate migrate`")
    if revision not in heads:
        return SchemaState(
            "ok", revision, heads,
            f"schema at {revision}, this code expects {', '.join(heads)}: run `calgate migrate`"
            " (or the database is newer than this code)",
        )
    return SchemaState("ok", revision, heads)


def ops_snapshot(db: Database, now: dt.datetime) -> OpsSnapshot:
    """Job queue and sync figures in one short read. Raises what the database raises."""
    pending = jobs.c.status == "pending"
    since = func.coalesce(profiles.c.last_synced_at, profiles.c.created_at)
    with db.engine.connect() as connection:
        depth = connection.execute(select(jobs.c.kind, func.count()).where(pending).group_by(jobs.c.kind))
        due = connection.execute(
            select(jobs.c.kind, func.min(jobs.c.run_after)).where(pending, jobs.c.run_after <= now).group_by(jobs.c.kind)
        )
        failed = connection.execute(
            select(jobs.c.kind, func.count()).where(jobs.c.status == "failed").group_by(jobs.c.kind)
        )
        synced = connection.execute(
            select(profiles.c.provider, func.min(since))
            .where(
                profiles.c.connected.is_(True),
                profiles.c.revoked_at.is_(None),
                profiles.c.credentials_sealed.is_not(None),
            )
            .group_by(profiles.c.provider)
        )
        return OpsSnapshot(
            queue_depth={kind: int(count) for kind, count in depth},
            oldest_due_age={kind: _age(now, oldest) for kind, oldest in due},
            failed={kind: int(count) for kind, count in failed},
            sync_lag={provider: _age(now, oldest) for provider, oldest in synced},
        )


def _age(now: dt.datetime, then: dt.datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0
