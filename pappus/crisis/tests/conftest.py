"""Crisis test fixtures: the real local SMTP server and webhook sink of ../shared/peers, and a
workspace with hourly rollups to raise alerts from."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import service_unavailable

PEERS = Path(__file__).resolve().parents[3].parent / "shared" / "peers"


def _peer(name: str) -> Iterator[dict[str, str]]:
    """Start a peer (unless it already runs), yield its KEY=VALUE lines, stop it if we started it."""
    script = PEERS / f"{name}.sh"
    if not script.exists():
        service_unavailable(f"{script} not found")
    running = subprocess.run([str(script), "status"], capture_output=True, check=False).returncode == 0
    started = subprocess.run([str(script), "start"], capture_output=True, text=True, check=False, timeout=120)
    if started.returncode != 0:
        service_unavailable(f"{name} peer did not start: {started.stderr.strip()[-300:]}")
    values = {}
    for line in started.stdout.splitlines():
        key, _, value = line.partition("=")
        if key and value:
            values[key] = value.strip().strip("'\"")
    try:
        yield values
    finally:
        if not running:
            subprocess.run([str(script), "stop"], capture_output=True, check=False, timeout=60)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[dict[str, str]]:
    yield from _peer("smtp")


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
