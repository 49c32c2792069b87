"""Fixtures of the connector tests: the replay server and the real local peers (../shared/peers)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from conftest import start_peer
from pappus.connectors.tests.replay import ReplayServer


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
