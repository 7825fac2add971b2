# SPDX-License-Identifier: Apache-2.0
"""What a request may reach, each in one round trip (issue 18; ``ports.Access``): a bearer
token's row joined with its grant and the grant's account, application and service account;
a calendar's row joined with its profile.

The domain (``authorization.authenticate``, ``service_accounts.authenticate``,
``accounts.own_calendar``) still makes every decision: the token's kind, revocation and expiry,
the grant's state and whom it is for, whose calendar it is. The rows come into the session's
identity map as if each had been loaded by itself.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from calgate.domain import model


class Access:
    def __init__(self, session: Session) -> None:
        self.session = session

    def token(self, digest: str) -> model.TokenContext | None:
        Token, Grant = model.Token, model.Grant
        stmt = (
            select(Token, Grant, model.Account, model.Application, model.ServiceAccount)
            .outerjoin(Grant, Grant.id == Token.grant_id)
            .outerjoin(model.Account, model.Account.id == Grant.account_id)
            .outerjoin(model.Application, model.Application.id == Grant.application_id)
            .outerjoin(model.ServiceAccount, model.ServiceAccount.id == Grant.service_account_id)
            .where(Token.digest == digest)
        )
        row = self.session.execute(stmt).first()
        return None if row is None else model.TokenContext(*row)

    def calendar(self, calendar_id: str) -> tuple[model.Calendar, model.Profile | None] | None:
        stmt = (
            select(model.Calendar, model.Profile)
            .outerjoin(model.Profile, model.Profile.id == model.Calendar.profile_id)
            .where(model.Calendar.id == calendar_id)
        )
        row = self.session.execute(stmt).first()
        return None if row is None else (row[0], row[1])
