# SPDX-License-Identifier: Apache-2.0
"""The Smart Invites repositories (``domain/smart_invites``): invitations by the
application's key, and their recipients. They never commit; the unit of work does."""

from __future__ import annotations

from sqlalchemy import select

from calgate.domain import model
from calgate.store.repositories import Repository


class SmartInvites(Repository[model.SmartInvite]):
    cls = model.SmartInvite

    def by_smart_invite_id(self, application_id: str, smart_invite_id: str, *, for_update: bool = False) -> model.SmartInvite | None:
        stmt = select(model.SmartInvite).where(
            model.SmartInvite.application_id == application_id, model.SmartInvite.smart_invite_id == smart_invite_id
        )
        if for_update:
            # Row lock on PostgreSQL, so two updates of one invitation take SEQUENCE in turn
            # (SQLite's BEGIN IMMEDIATE already serialises writers).
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()


class SmartInviteRecipients(Repository[model.SmartInviteRecipient]):
    cls = model.SmartInviteRecipient

    def of_invite(self, invite_id: str) -> list[model.SmartInviteRecipient]:
        """In the order they were first invited (those invited together: by address)."""
        stmt = (
            select(model.SmartInviteRecipient)
            .where(model.SmartInviteRecipient.invite_id == invite_id)
            .order_by(model.SmartInviteRecipient.created_at, model.SmartInviteRecipient.email)
        )
        return list(self.session.scalars(stmt))

    def by_email(self, invite_id: str, email: str, *, for_update: bool = False) -> model.SmartInviteRecipient | None:
        stmt = select(model.SmartInviteRecipient).where(
            model.SmartInviteRecipient.invite_id == invite_id, model.SmartInviteRecipient.email == email
        )
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).first()
