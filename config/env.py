"""Parse the environment once, with a clear message for every wrong or missing value.

Every setting Pappus reads from the environment goes through :class:`Environment`, which
collects *all* problems before failing, so an operator fixes them in one round. The defaults
give the embedded shape (SQLite under ./var, background work in the same process).
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit


class ConfigurationError(Exception):
    """One or more environment variables are wrong; the message names each of them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))

    def __str__(self) -> str:
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        return f"Pappus configuration is invalid:\n{lines}"


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass
class Environment:
    """Reads typed values from a mapping (``os.environ`` by default) and records problems."""

    source: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    problems: list[str] = field(default_factory=list)

    def raw(self, name: str) -> str | None:
        value = self.source.get(name)
        return value.strip() if value is not None else None

    def string(self, name: str, default: str) -> str:
        value = self.raw(name)
        return default if value is None or value == "" else value

    def required_string(self, name: str, expected: str) -> str:
        value = self.raw(name)
        if not value:
            self.problems.append(f"{name} is missing: expected {expected}")
            return ""
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        self.problems.append(f"{name}={value!r} is not a boolean: expected one of 1/0, true/false, yes/no, on/off")
        return default

    def integer(self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self.raw(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            self.problems.append(f"{name}={value!r} is not an integer: expected a whole number")
            return default
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            self.problems.append(f"{name}={number} is out of range: expected {bounds}")
            return default
        return number

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.string(name, default)
        if value not in choices:
            self.problems.append(f"{name}={value!r} is not allowed: expected one of {', '.join(choices)}")
            return default
        return value

    def string_list(self, name: str, default: list[str]) -> list[str]:
        value = self.raw(name)
        if value is None:
            return default
        return [item.strip() for item in value.split(",") if item.strip()]

    def time_zone(self, name: str, default: str) -> str:
        value = self.string(name, default)
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.problems.append(f"{name}={value!r} is not a time zone: expected an IANA name such as Europe/Oslo")
            return default
        return value

    def parsed(self, name: str, default: str, parser: Callable[[str], object], expected: str) -> object:
        value = self.string(name, default)
        try:
            return parser(value)
        except ValueError as error:
            self.problems.append(f"{name}={value!r} is invalid ({error}): expected {expected}")
            return parser(default)

    def check(self) -> None:
        if self.problems:
            raise ConfigurationError(self.problems)


def parse_database_url(url: str, *, base_directory: Path) -> dict[str, object]:
    """Turn ``sqlite:///var/pappus.sqlite3`` or ``postgres://user@host:5432/name`` into Django settings."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        raw_path = unquote(parts.path)
        # sqlite:///relative/path and sqlite:////absolute/path, as in most twelve-factor tools.
        relative = raw_path.removeprefix("/")
        if not relative or relative == "/":
            raise ValueError("the SQLite URL has no file path")
        path = Path(relative)
        if not path.is_absolute():
            path = base_directory / path
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    if parts.scheme in {"postgres", "postgresql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ValueError("the PostgreSQL URL has no database name")
        try:
            port = parts.port
        except ValueError as error:
            raise ValueError("the port is not a number") from error
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {"connect_timeout": 5},
        }
    raise ValueError(f"unknown scheme {parts.scheme!r}")


def parse_redis_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"}:
        raise ValueError(f"unknown scheme {parts.scheme!r}")
    if not parts.hostname:
        raise ValueError("the Redis URL has no host")
    try:
        _ = parts.port
    except ValueError as error:
        raise ValueError("the port is not a number") from error
    return url
