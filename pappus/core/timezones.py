"""A workspace's time zone by name, for every app that counts its days (analytics, strategy,
publishing): one lookup, cached, that never fails."""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@functools.cache
def zone_named(name: str) -> ZoneInfo:
    """The time zone called ``name``; UTC for an empty name or one this installation's time zone
    database does not know (a zone saved earlier and since removed, say)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
