"""Factories of strategy rows, written through the services like a strategist would."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from pappus.core.audit import Actor
from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.strategy import services
from pappus.strategy.models import Campaign, Kpi, Program

_counter = itertools.count(1)
START = datetime.date(2026, 1, 1)


def strategist(workspace: Workspace | None = None) -> Membership:
    return make_member(workspace, role=Role.STRATEGIST)


def actor(membership: Membership) -> Actor:
    return Actor(user=membership.user, via="test")


def make_program(membership: Membership, **values: Any) -> Program:
    values.setdefault("name", f"Program {next(_counter)}")
    values.setdefault("starts_on", START)
    values.setdefault("ends_on", START + datetime.timedelta(days=365))
    return services.program_create(actor=actor(membership), membership=membership, **values)


def make_campaign(membership: Membership, program: Program | None = None, **values: Any) -> Campaign:
    values.setdefault("name", f"Campaign {next(_counter)}")
    values.setdefault("starts_on", START)
    values.setdefault("ends_on", START + datetime.timedelta(days=100))
    return services.campaign_create(
        actor=actor(membership), membership=membership, program=program or make_program(membership), **values
    )


def make_kpi(membership: Membership, campaign: Campaign | None = None, **values: Any) -> Kpi:
    values.setdefault("name", f"KPI {next(_counter)}")
    values.setdefault("metric_key", "reach")
    values.setdefault("baseline", 1000)
    values.setdefault("target", 2000)
    values.setdefault("starts_on", START)
    values.setdefault("deadline", START + datetime.timedelta(days=100))
    if "program" not in values:
        values["campaign"] = campaign or make_campaign(membership)
    return services.kpi_create(actor=actor(membership), membership=membership, **values)
