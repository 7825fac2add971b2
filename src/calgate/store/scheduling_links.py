# SPDX-License-Identifier: Apache-2.0
"""Real-Time Scheduling links (``domain/scheduling_links``) by id and by their URL token's
digest. They never commit; the unit of work does."""

from __future__ import annotations

from sqlalchemy import select

from calgate.domain import model
from calgate.store.repositories import Repository


class SchedulingLinks(Repository[model.SchedulingLink]):
    cls = model.SchedulingLink

    def by_token(self, token_digest: str, *, for_update: bool = False) -> model.SchedulingLink | None:
        stmt = select(model.SchedulingLink).where(model.SchedulingLink.token_digest == token_digest)
        if for_update:
            # Row lock on PostgreSQL: two submissions of one link are booked one after the
            # other, and the second finds it completed (SQLite serialises writers already).
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(stmt).first()
