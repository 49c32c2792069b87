"""Crisis test fixtures: the real local SMTP server and webhook sink of ../shared/peers, and a
workspace with hourly rollups to raise alerts from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import peer_running, start_peer, stop_peer


def _peer(name: str) -> Iterator[dict[str, str]]:
    """Start a peer (unless it already runs), yield its KEY=VALUE lines, stop it if we started it."""
    running = peer_running(name)
    values = start_peer(name, timeout=120)
    try:
        yield values
    finally:
        if not running:
            stop_peer(name)


@pytest.fixture(scope="session")
def webhook_sink() -> Iterator[dict[str, str]]:
    yield from _peer("webhook-sink")


@pytest.fixture
def smtp_mailer(smtp_server: dict[str, str], settings: Any) -> Path:
    """Django's default mailer pointed at the real local SMTP server; returns its mail folder."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": smtp_server["SMTP_HOST"], "port": int(smtp_server["SMTP_PORT"]), "timeout": 10},
        }
    }
    return Path(smtp_server["SMTP_MAIL_DIR"])


def add_rollups(workspace_id: int, counts: dict[Any, int], *, topic_id: int = 0, sentiment: str = "") -> None:
    """Hourly rollups as listening's store stage writes them (test setup only)."""
    from pappus.listening.rollups import rollups_add

    rollups_add(
        workspace_id,
        Counter({(hour, topic_id, sentiment, 1, "en", 0): number for hour, number in counts.items() if number}),
    )
