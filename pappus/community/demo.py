"""The demo community: members collected from the demo inbox and mentions (through the facades),
duplicates resolved, the ladder computed. Idempotent: collection resumes from its cursors and
activities are keyed by their source, so a second load adds nothing."""

from __future__ import annotations

import random

from pappus.community import services
from pappus.core.models import Workspace


def contribute(workspace: Workspace, rng: random.Random) -> None:
    services.collect(workspace.pk)
    services.resolve(workspace.pk)
    services.loyalty_recompute(workspace.pk)
