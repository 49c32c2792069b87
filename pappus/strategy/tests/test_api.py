"""The strategy REST API: roles, workspace scoping, field-named errors and plan versus actual."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.test import Client

from pappus.core import tokens
from pappus.core.models import ApiToken, Membership
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.strategy.tests.factories import make_campaign, make_program, strategist

pytestmark = pytest.mark.django_db


def client_of(membership: Membership) -> Client:
    """A bearer client for the member; roles that may not make tokens get one stored directly."""
    plain = "pap_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=membership.user,
        workspace=membership.workspace,
        name="test",
        prefix=plain[:12],
        token_hash=tokens.hash_token(plain),
    )
    return Client(headers={"Authorization": f"Bearer {plain}"})


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/strategy/{path}", body, content_type="application/json")


def test_a_strategist_builds_a_campaign_with_a_kpi_and_reads_plan_versus_actual():
    member = strategist()
    client = client_of(member)

    program = post(client, "programs", {"name": "Launch", "starts_on": "2026-01-01", "ends_on": "2026-06-30"}).json()
    campaign = post(
        client,
        "campaigns",
        {
            "program_id": program["id"],
            "name": "Launch week",
            "starts_on": "2026-01-01",
            "ends_on": "2026-04-11",
            "budget_planned": "1000.00",
            "budget_spent": "400.00",
        },
    ).json()
    kpi = post(
        client,
        "kpis",
        {
            "campaign_id": campaign["id"],
            "name": "Reach",
            "metric_key": "reach",
            "baseline": "0",
            "target": "1000",
            "starts_on": "2026-01-01",
            "deadline": "2026-04-11",
        },
    ).json()
    for day, value in (("2026-01-01", "0"), ("2026-01-11", "100"), ("2026-01-21", "200")):
        response = post(client, f"kpis/{kpi['id']}/values", {"measured_on": day, "value": value})
        assert response.status_code == 201
        assert response.json()["source"] == "api"

    rows = client.get("/api/v1/strategy/plan-versus-actual").json()

    assert len(rows) == 1
    assert rows[0]["kpi_id"] == kpi["id"]
    assert rows[0]["forecast"]["method"] == "line_with_interval"
    assert rows[0]["forecast"]["value"] == pytest.approx(1000, abs=1e-9)
    assert rows[0]["effectiveness"] == 0.2
    assert rows[0]["efficiency"] == 0.5  # 200 reached for 400 spent


def test_errors_name_the_field_and_ids_of_other_workspaces_are_unknown():
    member, other = strategist(), strategist()
    foreign = make_program(other)
    client = client_of(member)

    response = post(
        client, "campaigns", {"program_id": foreign.pk, "name": "X", "starts_on": "2026-01-01", "ends_on": "2026-02-01"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"field": "program_id", "message": "No program with this id in the workspace."}]
    }
    assert client.get(f"/api/v1/strategy/programs/{foreign.pk}").status_code == 404

    program = make_program(member)
    response = post(client, f"programs/{program.pk}/revisions", {"reason": "r", "ends_on": "2025-01-01"})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "ends_on", "message": "The end date must not be before the start date."}
    ]


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.AGENCY])
def test_readers_read_and_cannot_write(role):
    editor = strategist()
    make_campaign(editor)
    client = client_of(make_member(editor.workspace, role=role))

    assert client.get("/api/v1/strategy/campaigns").json()["count"] == 1
    response = post(client, "programs", {"name": "No", "starts_on": "2026-01-01", "ends_on": "2026-02-01"})
    assert response.status_code == 403
    assert response.json() == {"detail": "not allowed: strategy.edit"}
    assert client.post("/api/v1/strategy/documents").status_code == 403
