# SPDX-License-Identifier: Apache-2.0
"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from
``CALGATE_SECRET_KEY`` by HKDF-SHA256, one derived key per purpose.

Rotation: set ``CALGATE_SECRET_KEY`` to the new key and ``CALGATE_OLD_SECRET_KEYS`` to the
previous ones (comma separated); sealed values open with any of them and are re-sealed with the
new key when next written.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def derive_key(secret_key: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"calgate:{purpose}".encode())
    return hkdf.derive(secret_key.encode("utf-8"))


class FernetBox:
    """Implements ``domain.ports.SecretBox``."""

    def __init__(self, secret_key: str, old_keys: list[str] | None = None, purpose: str = "secrets") -> None:
        keys = [secret_key, *(old_keys or [])]
        self._fernet = MultiFernet([Fernet(base64.urlsafe_b64encode(derive_key(k, purpose))) for k in keys])

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ValueError("sealed value does not open with the configured keys") from exc
