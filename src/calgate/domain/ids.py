# SPDX-License-Identifier: Apache-2.0
"""Identifiers and secrets.

Ids keep Cronofy's prefixes (``acc_``, ``pro_``, ``cal_``…). Tokens and codes are 32 ASCII
characters, as Cronofy's are; calgate stores only their SHA-256 (``digest``).
"""

from __future__ import annotations

import hashlib
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """``acc_`` + 24 hex characters and the like."""
    return f"{prefix}_{secrets.token_hex(length // 2)}"


def new_secret(length: int = 32) -> str:
    """A random string of ASCII letters and digits (tokens, codes, client secrets)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_numeric_code(digits: int = 6) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(digits))


def digest(secret: str) -> str:
    """What we store in place of a token: its SHA-256, hex encoded."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_secret(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
