"""Thin jobs of the adoption app (their schedule is in ``config/schedule.py``)."""

from __future__ import annotations

from pappus.adoption import services


def refresh_rollups() -> dict[str, int]:
    """Roll up yesterday and today: usage per person and feature, and people KPIs."""
    return services.refresh(days=2)
