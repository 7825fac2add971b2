# SPDX-License-Identifier: Apache-2.0
"""Developer sign-up, sign-in and sign-out for the dashboard (argon2id password hashes; a
lockout after repeated wrong passwords; a session epoch that signing out moves on)."""

from __future__ import annotations

import datetime as dt
import math

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from calgate.domain import ids, model
from calgate.domain.errors import ValidationFailed
from calgate.domain.ports import UnitOfWork

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
MAX_FAILED_SIGN_INS = 5
LOCKOUT = dt.timedelta(minutes=15)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def valid_email(email: str) -> bool:
    local, _, domain = email.partition("@")
    return bool(local) and "." in domain and " " not in email and len(email) <= 254


def sign_up(uow: UnitOfWork, email: str, password: str) -> model.Developer:
    email = normalize_email(email)
    if not valid_email(email):
        raise ValidationFailed.single("email", "invalid", "Enter a valid email address")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.single(
            "password", "too_short", f"Use at least {MIN_PASSWORD_LENGTH} characters"
        )
    if uow.developers.by_email(email) is not None:
        raise ValidationFailed.single("email", "taken", "An account with this email already exists")
    developer = model.Developer(id=ids.new_id("dev"), email=email, password_hash=_hasher.hash(password))
    uow.developers.add(developer)
    return developer


def sign_in(uow: UnitOfWork, email: str, password: str, now: dt.datetime) -> model.Developer:
    """The developer, when the password is right. ``MAX_FAILED_SIGN_INS`` wrong ones in a row
    lock the account's sign-in for ``LOCKOUT`` (the right password included), so a password
    cannot be guessed at speed; the count is kept even though the request fails."""
    developer = uow.developers.by_email(normalize_email(email))
    if developer is not None and developer.locked_until is not None and developer.locked_until > now:
        minutes = max(1, math.ceil((developer.locked_until - now).total_seconds() / 60))
        raise ValidationFailed.single(
            "password", "locked", f"Too many wrong passwords: try again in {minutes} minute{'s' if minutes > 1 else ''}"
        )
    try:
        if developer is None:
            # Spend the same time as a real check so sign-in does not reveal who exists.
            _hasher.hash(password)
            raise VerificationError()
        _hasher.verify(developer.password_hash, password)
    except (VerificationError, InvalidHashError):
        if developer is not None:
            developer.failed_sign_ins += 1
            if developer.failed_sign_ins >= MAX_FAILED_SIGN_INS:
                developer.failed_sign_ins, developer.locked_until = 0, now + LOCKOUT
            uow.commit()
        raise ValidationFailed.single("password", "invalid", "Email or password is not right") from None
    developer.failed_sign_ins, developer.locked_until = 0, None
    return developer


def sign_out_everywhere(uow: UnitOfWork, developer_id: str) -> None:
    """Every session cookie issued so far stops working, copies included."""
    developer = uow.developers.get(developer_id)
    if developer is not None:
        developer.session_epoch += 1
