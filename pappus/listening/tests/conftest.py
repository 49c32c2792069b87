"""Fixtures of the listening tests: the connectors' real local peers and replay server, shared from there."""

from __future__ import annotations

from pappus.connectors.tests.conftest import (  # noqa: F401 - fixtures, found by name
    bluesky_peer,
    mastodon_peer,
    replay,
    replay_server,
)
