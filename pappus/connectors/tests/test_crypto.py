"""Credentials at rest: Fernet under the configured keys, rotation with old keys still opening rows."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from pappus.connectors import crypto

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def test_credentials_round_trip_and_are_not_readable_at_rest() -> None:
    token = crypto.encrypt({"access_token": "secret-token-value"}, keys=[OLD])
    assert "secret-token-value" not in token
    assert crypto.decrypt(token, keys=[OLD]) == {"access_token": "secret-token-value"}


def test_after_rotation_the_new_key_alone_opens_the_row_and_old_rows_still_open_meanwhile() -> None:
    old_row = crypto.encrypt({"access_token": "a"}, keys=[OLD])
    assert crypto.decrypt(old_row, keys=[NEW, OLD]) == {"access_token": "a"}
    rotated = crypto.rotate(old_row, keys=[NEW, OLD])
    assert crypto.decrypt(rotated, keys=[NEW]) == {"access_token": "a"}
    with pytest.raises(crypto.CredentialsUnreadableError):
        crypto.decrypt(rotated, keys=[OLD])


def test_a_row_no_key_opens_is_reported() -> None:
    with pytest.raises(crypto.CredentialsUnreadableError, match="no configured encryption key"):
        crypto.decrypt(crypto.encrypt({"a": "b"}, keys=[OLD]), keys=[NEW])
