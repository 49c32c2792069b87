"""Demo analytics data (filled in below)."""

from __future__ import annotations

import random

from pappus.core.models import Workspace


def contribute(workspace: Workspace, rng: random.Random) -> None:
    return None
