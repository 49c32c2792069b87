"""Thin jobs of the ads app (the periodic ones are scheduled in ``config/schedule.py``)."""

from __future__ import annotations


def check_pacing() -> int:
    """Raise, resolve and e-mail pacing alerts of every workspace; returns how many were raised."""
    from pappus.ads import alerts

    return alerts.check_pacing()


def read_networks() -> int:
    """Read every ad account whose scheduled read has come, with its stored token; returns reads that worked."""
    from pappus.ads import services

    return services.read_due_accounts()
