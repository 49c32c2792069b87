"""PAPPUS_ENCRYPTION_KEY is parsed at start: a bad or (with PostgreSQL) missing key stops Pappus with its name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[3]


def load_settings(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PAPPUS_") and key != "DJANGO_SETTINGS_MODULE"
    }
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings", "PAPPUS_DATA_DIR": str(tmp_path), **variables}
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(len(settings.ENCRYPTION_KEYS), settings.ENCRYPTION_KEY_FILE)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_embedded_shape_generates_a_private_key_file_once(tmp_path: Path) -> None:
    first = load_settings(tmp_path)
    assert first.stdout == f"1 {tmp_path / 'encryption-key'}\n"
    key = (tmp_path / "encryption-key").read_text()
    assert oct((tmp_path / "encryption-key").stat().st_mode & 0o777) == "0o600"
    load_settings(tmp_path)
    assert (tmp_path / "encryption-key").read_text() == key


def test_keys_from_the_environment_are_listed_newest_first(tmp_path: Path) -> None:
    keys = f"{Fernet.generate_key().decode()}, {Fernet.generate_key().decode()}"
    assert load_settings(tmp_path, PAPPUS_ENCRYPTION_KEY=keys).stdout == "2 \n"


def test_a_malformed_key_is_named_at_start(tmp_path: Path) -> None:
    loaded = load_settings(tmp_path, PAPPUS_ENCRYPTION_KEY=f"{Fernet.generate_key().decode()},not-a-key")
    assert loaded.returncode == 1
    assert "PAPPUS_ENCRYPTION_KEY is invalid (key 2): expected Fernet keys" in loaded.stderr


def test_postgresql_requires_a_key(tmp_path: Path) -> None:
    loaded = load_settings(
        tmp_path,
        PAPPUS_DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused",
        PAPPUS_SECRET_KEY="x" * 40,
    )
    assert loaded.returncode == 1
    assert "PAPPUS_ENCRYPTION_KEY is missing: expected a Fernet key (required with PostgreSQL" in loaded.stderr
