"""Fixtures of the connector tests: the replay server and the real local peers (../shared/peers)."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

from conftest import service_unavailable
from pappus.connectors.tests.replay import ReplayServer

PEERS = Path(os.environ.get("PAPPUS_PEERS_DIR", Path(__file__).resolve().parents[3].parent / "shared" / "peers"))


@pytest.fixture(autouse=True)
def english_after_each_test() -> Iterator[None]:
    """A page rendered in another language leaves it active in the thread; messages here are asserted in English."""
    yield
    translation.activate("en")


@pytest.fixture(scope="session")
def replay_server() -> Iterator[ReplayServer]:
    server = ReplayServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def replay(replay_server: ReplayServer) -> ReplayServer:
    replay_server.reset()
    return replay_server


def start_peer(name: str, *, timeout: int) -> dict[str, str]:
    """Start (or reuse, when already running) one peer and return the values it prints.

    Peers stay running after the session so the next run reuses them (their start is idempotent).
    """
    script = PEERS / f"{name}.sh"
    if not script.exists():
        service_unavailable(f"the {name} peer is missing at {script}")
    try:
        started = subprocess.run(
            ["bash", str(script), "start"], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        service_unavailable(f"the {name} peer did not start within {timeout} s")
    if started.returncode != 0:
        service_unavailable(f"the {name} peer did not start: {started.stderr.strip()[-500:]}")
    return dict(line.split("=", 1) for line in shlex.split(started.stdout) if "=" in line)


@pytest.fixture(scope="session")
def mastodon_peer() -> dict[str, str]:
    """snac2 speaking the Mastodon client API (mastodon.sh): MASTODON_* values."""
    return start_peer("mastodon", timeout=300)


@pytest.fixture(scope="session")
def matrix_peer() -> dict[str, str]:
    """Synapse (matrix.sh): MATRIX_* values."""
    return start_peer("matrix", timeout=300)


@pytest.fixture(scope="session")
def bluesky_peer() -> dict[str, str]:
    """A local AT Protocol network (bluesky.sh: PLC, PDS, AppView): BLUESKY_* values.

    A running network is reused (~0.1 s); a stopped one restarts in ~8 s; the first install
    downloads from npm (~2 min), hence the long timeout. Each start is a new network (new DIDs).
    """
    return start_peer("bluesky", timeout=400)
