"""Thin jobs of the ads app (the periodic ones are scheduled in ``config/schedule.py``)."""

from __future__ import annotations


def check_pacing() -> int:
    """Raise, resolve and e-mail pacing alerts of every workspace; returns how many were raised."""
    from pappus.ads import alerts

    return alerts.check_pacing()
