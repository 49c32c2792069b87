"""What every database benchmark does first: a PostgreSQL database of its own and the settings."""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlparse


def _admin_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    return parsed.path.lstrip("/"), parsed._replace(path="/postgres").geturl()


def recreate_database(url: str) -> None:
    """Drop and create the benchmark's own database, so every run starts empty."""
    import psycopg

    name, admin = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def ensure_database(url: str) -> None:
    """Create the benchmark's database when it does not exist yet."""
    import psycopg

    name, admin = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def configure(database_url: str | None = None) -> None:
    """Production settings for a benchmark: its database, and throwaway keys unless given (never reused)."""
    if database_url is not None:
        os.environ["PAPPUS_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not os.environ.get("PAPPUS_SECRET_KEY"):
        os.environ["PAPPUS_SECRET_KEY"] = secrets.token_urlsafe(50)
    if not os.environ.get("PAPPUS_ENCRYPTION_KEY"):
        from cryptography.fernet import Fernet

        os.environ["PAPPUS_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
