"""The traffic sites API: add, list, change and re-key a site as the pages do (the same services,
audited), the snippet's key counts hits, bad fields are named, and only members who may set up
traffic in the token's own workspace see anything."""

from __future__ import annotations

import pytest
from django.test import Client

from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_workspace
from pappus.core.tests.test_api import client_for
from pappus.traffic.models import Site, Visit

pytestmark = pytest.mark.django_db
PATH = "/traffic/sites"


def _hit(key: str, page: str = "https://shop.example.com/spring") -> str:
    answer = Client().get("/t/hit.gif", {"k": key, "u": page}, headers={"User-Agent": "Mozilla/5.0 Firefox/130.0"})
    return str(answer["X-Pappus-Outcome"])


def test_an_analyst_adds_lists_changes_and_rekeys_a_site() -> None:
    api, member = client_for(Role.ANALYST)

    created = api.post(PATH, {"name": " Spring shop ", "hosts": ["https://Shop.Example.com/landing"]})
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["hosts"]) == ("Spring shop", ["shop.example.com"])
    assert body["key"].startswith("ps_")
    assert f'data-site="{body["key"]}"' in body["snippet"]
    assert f"/t/hit.gif?k={body['key']}" in body["snippet"]
    assert _hit(body["key"]) == "counted"
    assert _hit(body["key"], "https://elsewhere.example.org/") == "foreign_host"

    listed = api.get(PATH).json()
    assert (listed["count"], [item["id"] for item in listed["items"]]) == (1, [body["id"]])
    assert api.get(f"{PATH}/{body['id']}").json()["key"] == body["key"]

    changed = api._send("put", f"{PATH}/{body['id']}", {"name": "Shop", "hosts": []})
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["hosts"], changed.json()["key"]) == ("Shop", [], body["key"])
    assert _hit(body["key"], "https://elsewhere.example.org/") == "counted"  # any host now

    rekeyed = api.post(f"{PATH}/{body['id']}/key", {})
    assert rekeyed.status_code == 200
    new_key = rekeyed.json()["key"]
    assert new_key != body["key"]
    assert _hit(body["key"]) == "unknown_site"
    assert _hit(new_key) == "counted"
    # The same visitor within 30 minutes: one visit with the three counted page views.
    assert list(Visit.objects.filter(site_id=body["id"]).values_list("page_views", flat=True)) == [3]

    actions = list(
        AuditEvent.objects.filter(workspace=member.workspace, action__startswith="traffic.site")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["traffic.site.create", "traffic.site.update", "traffic.site.rotate_key"]


def test_bad_fields_are_named_and_bounded() -> None:
    api, _member = client_for(Role.ANALYST)

    assert api.post(PATH, {"name": "", "hosts": []}).status_code == 422
    assert api.post(PATH, {"name": "x" * 201}).status_code == 422
    bad_host = api.post(PATH, {"name": "Shop", "hosts": ["not a host"]})
    assert bad_host.status_code == 422
    assert [error["field"] for error in bad_host.json()["detail"]] == ["hosts"]
    assert api.post(PATH, {"name": "Shop", "hosts": [f"h{n}.example.com" for n in range(101)]}).status_code == 422
    assert api.get(f"{PATH}/{2**63}").status_code == 422
    assert api.get(f"{PATH}/999999").status_code == 404
    assert api.post(f"{PATH}/999999/key", {}).status_code == 404
    assert not Site.objects.exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.OWNER, True),
        (Role.ADMIN, True),
        (Role.STRATEGIST, True),
        (Role.ANALYST, True),
        (Role.EXECUTIVE, False),
        (Role.COMMUNITY_MANAGER, False),
        (Role.AGENCY, False),
    ],
)
def test_roles(role: str, allowed: bool) -> None:
    workspace = make_workspace()
    admin_api, _admin = client_for(Role.ADMIN, workspace)
    site = admin_api.post(PATH, {"name": "Shop"}).json()
    api, _member = client_for(role, workspace)

    expected = 200 if allowed else 403
    assert api.get(PATH).status_code == expected
    assert api.get(f"{PATH}/{site['id']}").status_code == expected
    assert api.post(PATH, {"name": "Another"}).status_code == (201 if allowed else 403)
    assert api._send("put", f"{PATH}/{site['id']}", {"name": "Renamed"}).status_code == expected
    assert api.post(f"{PATH}/{site['id']}/key", {}).status_code == expected


def test_another_workspaces_site_is_not_found() -> None:
    admin_api, _admin = client_for(Role.ADMIN)
    site = admin_api.post(PATH, {"name": "Theirs"}).json()
    stranger_api, _stranger = client_for(Role.ADMIN)

    assert stranger_api.get(PATH).json()["items"] == []
    assert stranger_api.get(f"{PATH}/{site['id']}").status_code == 404
    assert stranger_api._send("put", f"{PATH}/{site['id']}", {"name": "Mine"}).status_code == 404
    assert stranger_api.post(f"{PATH}/{site['id']}/key", {}).status_code == 404
    assert Site.objects.get(pk=site["id"]).name == "Theirs"
