"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) under the keys of PAPPUS_ENCRYPTION_KEY.

The first key encrypts; every key decrypts, so that a rotation can re-encrypt row by row while
old rows still open (``pappus manage rotate_encryption_key``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialsUnreadableError(Exception):
    """Stored credentials that no configured key opens (a key was removed too early, or the row is damaged)."""


def _fernet(keys: Sequence[str] | None = None) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in (keys if keys is not None else settings.ENCRYPTION_KEYS)])


def encrypt(credentials: Mapping[str, str], *, keys: Sequence[str] | None = None) -> str:
    payload = json.dumps(dict(credentials), sort_keys=True, separators=(",", ":")).encode()
    return _fernet(keys).encrypt(payload).decode("ascii")


def decrypt(token: str, *, keys: Sequence[str] | None = None) -> dict[str, str]:
    try:
        payload = _fernet(keys).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError) as error:
        raise CredentialsUnreadableError("no configured encryption key opens these credentials") from error
    value = json.loads(payload)
    return {str(name): str(item) for name, item in value.items()}


def rotate(token: str, *, keys: Sequence[str] | None = None) -> str:
    """The same credentials encrypted under the first key (unchanged in meaning)."""
    try:
        return _fernet(keys).rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as error:
        raise CredentialsUnreadableError("no configured encryption key opens these credentials") from error


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")
