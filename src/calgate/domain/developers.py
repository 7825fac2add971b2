# SPDX-License-Identifier: Apache-2.0
"""Developer sign-up and sign-in for the dashboard (argon2id password hashes)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from calgate.domain import ids, model
from calgate.domain.errors import ValidationFailed
from calgate.domain.ports import UnitOfWork

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


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


def sign_in(uow: UnitOfWork, email: str, password: str) -> model.Developer:
    developer = uow.developers.by_email(normalize_email(email))
    try:
        if developer is None:
            # Spend the same time as a real check so sign-in does not reveal who exists.
            _hasher.hash(password)
            raise VerificationError()
        _hasher.verify(developer.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise ValidationFailed.single("password", "invalid", "Email or password is not right") from None
    return developer
