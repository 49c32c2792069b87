"""The REST API under /api/v1, as a client sees it: bearer tokens, workspace scoping, roles,
pagination, the one error format and the number of queries per list."""

import datetime
import json
from typing import Any, get_args
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from config.api import api
from config.settings.environment import BASE_DIR
from pappus.core import api as core_api
from pappus.core import audit, tokens
from pappus.core.audit import Actor
from pappus.core.models import LANGUAGE_CHOICES, ApiToken, AuditEvent, Membership, Region, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region, make_user, make_workspace

pytestmark = pytest.mark.django_db

BASE = "/api/v1"


def token_for(membership: Membership) -> str:
    """A plain token acting as ``membership``, whatever its role.

    Roles without api_tokens.manage cannot create tokens; their tokens are made while the member
    is an administrator and the role is set afterwards, as happens when someone's role changes.
    """
    role = membership.role
    membership.role = Role.ADMIN
    issued = tokens.token_create(actor=Actor.system("test"), membership=membership, name="test")
    membership.role = role
    membership.save(update_fields=["role"])
    return issued.plain


class ApiClient:
    """Django's test client speaking JSON with a bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(BASE + path, params or {}, headers=self.headers)

    def _send(self, method: str, path: str, body: Any) -> Any:
        data = body if isinstance(body, str) else json.dumps(body)
        return getattr(self.client, method)(BASE + path, data, content_type="application/json", headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self._send("post", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self._send("patch", path, body)

    def delete(self, path: str) -> Any:
        return self.client.delete(BASE + path, headers=self.headers)


def client_for(role: str = Role.ADMIN, workspace: Workspace | None = None) -> tuple[ApiClient, Membership]:
    membership = make_member(workspace or make_workspace(), role=role)
    return ApiClient(token_for(membership)), membership


def fields_of(response: Any) -> list[str | None]:
    return [error["field"] for error in response.json()["detail"]]


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer pap_not-a-token", "Token pap_x", "Basic dXNlcjpwYXNz"],
)
def test_requests_without_a_valid_token_get_401_in_the_error_format(authorization):
    make_member(role=Role.ADMIN)
    headers = {"Authorization": authorization} if authorization is not None else {}

    response = Client().get(f"{BASE}/regions", headers=headers)

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json() == {"detail": "Missing, invalid, expired or revoked API token."}


def test_a_revoked_token_stops_working_at_once():
    client, membership = client_for(Role.ADMIN)
    token_id = ApiToken.objects.get(user=membership.user).pk
    assert client.get("/me").status_code == 200

    tokens.token_revoke(actor=Actor(membership.user), membership=membership, token_id=token_id)

    assert client.get("/me").status_code == 401


def test_a_session_alone_does_not_authenticate_the_api():
    membership = make_member(role=Role.OWNER)
    browser = Client()
    browser.force_login(membership.user)

    assert browser.get(f"{BASE}/me").status_code == 401


def test_writes_with_a_token_need_no_csrf_cookie():
    membership = make_member(role=Role.ADMIN)
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        f"{BASE}/regions",
        json.dumps({"name": "Iceland"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_for(membership)}"},
    )

    assert response.status_code == 201


def test_me_describes_the_user_the_role_and_what_it_allows():
    client, membership = client_for(Role.AGENCY)

    body = client.get("/me").json()

    assert body["user"]["email"] == membership.user.email
    assert body["membership"] == {"id": membership.pk, "role": "agency", "workspace_id": membership.workspace_id}
    assert body["workspace"]["slug"] == membership.workspace.slug
    assert "content.draft" in body["allowed_actions"]
    assert "audit.view" not in body["allowed_actions"]
    assert "inbox.view" not in body["allowed_actions"]
    assert body["allowed_actions"] == sorted(body["allowed_actions"])


# --- roles -------------------------------------------------------------------------------------


def test_an_agency_token_cannot_read_the_audit_log_or_the_team():
    client, _ = client_for(Role.AGENCY)

    audit_response = client.get("/audit-events")
    members_response = client.get("/members")

    assert audit_response.status_code == 403
    assert audit_response.json() == {"detail": "not allowed: audit.view"}
    assert members_response.status_code == 403


def test_an_executive_reads_but_cannot_change_the_workspace():
    client, membership = client_for(Role.EXECUTIVE)

    assert client.get("/workspace").status_code == 200
    assert client.get("/audit-events").status_code == 200
    response = client.patch("/workspace", {"name": "Renamed"})

    assert response.status_code == 403
    assert response.json() == {"detail": "not allowed: workspace.manage"}
    assert Workspace.objects.get(pk=membership.workspace_id).name == membership.workspace.name


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.OWNER, True), (Role.ADMIN, True), (Role.STRATEGIST, False), (Role.EXECUTIVE, False), (Role.AGENCY, False)],
)
def test_only_roles_with_regions_manage_add_regions(role, allowed):
    client, membership = client_for(role)

    response = client.post("/regions", {"name": "Norway", "country_code": "no"})

    assert response.status_code == (201 if allowed else 403)
    assert Region.objects.for_workspace(membership.workspace).filter(name="Norway").exists() is allowed


def test_a_role_change_applies_to_the_next_request():
    client, membership = client_for(Role.ADMIN)
    assert client.get("/audit-events").status_code == 200

    membership.role = Role.AGENCY
    membership.save(update_fields=["role"])

    assert client.get("/audit-events").status_code == 403


# --- workspace scoping -------------------------------------------------------------------------


def test_ids_of_another_workspace_are_not_found_exactly_like_missing_ones():
    client, _ = client_for(Role.OWNER)
    other = make_workspace()
    other_region = make_region(other, "Elsewhere")
    other_member = make_member(other, role=Role.ANALYST)
    other_event = AuditEvent.objects.for_workspace(other).first()
    other_token = tokens.token_create(actor=Actor.system(), membership=make_member(other, role=Role.ADMIN), name="x")
    assert other_event is not None

    responses = [
        client.get(f"/regions/{other_region.pk}"),
        client.get(f"/members/{other_member.pk}"),
        client.patch(f"/members/{other_member.pk}", {"role": "agency"}),
        client.get(f"/audit-events/{other_event.pk}"),
        client.delete(f"/tokens/{other_token.token.pk}"),
        client.get("/regions/987654321"),
    ]

    assert [response.status_code for response in responses] == [404] * 6
    assert {json.dumps(response.json()) for response in responses} == {'{"detail": "Not found."}'}
    assert Membership.objects.get(pk=other_member.pk).role == Role.ANALYST
    assert ApiToken.objects.get(pk=other_token.token.pk).revoked_at is None


def test_lists_hold_only_the_tokens_workspace():
    client, membership = client_for(Role.OWNER)
    make_region(membership.workspace, "Sweden")
    other = make_workspace(name="Other")
    make_region(other, "Finland")
    make_member(other, role=Role.ANALYST)

    regions = client.get("/regions").json()["items"]
    members = client.get("/members").json()["items"]
    events = client.get("/audit-events", {"limit": 500}).json()["items"]

    assert [region["name"] for region in regions] == [membership.workspace.name, "Sweden"]
    assert {member["id"] for member in members} == set(
        Membership.objects.for_workspace(membership.workspace).values_list("pk", flat=True)
    )
    expected_events = set(AuditEvent.objects.for_workspace(membership.workspace).values_list("pk", flat=True))
    assert {event["id"] for event in events} == expected_events


def test_a_user_in_two_workspaces_sees_only_the_tokens_workspace():
    client, membership = client_for(Role.OWNER)
    elsewhere = make_member(role=Role.OWNER, user=membership.user)

    assert client.get("/workspace").json()["id"] == membership.workspace_id
    assert elsewhere.workspace.name not in {region["name"] for region in client.get("/regions").json()["items"]}


# --- workspace ---------------------------------------------------------------------------------


def test_patch_workspace_changes_only_the_fields_sent_and_is_audited_as_api():
    client, membership = client_for(Role.ADMIN)
    workspace = membership.workspace

    response = client.patch("/workspace", {"name": "Dandelion AS", "time_zone": "Europe/Oslo"})

    assert response.status_code == 200
    assert response.json()["name"] == "Dandelion AS"
    assert response.json()["time_zone"] == "Europe/Oslo"
    assert response.json()["currency"] == workspace.currency
    event = AuditEvent.objects.for_workspace(workspace).get(action="workspace.update")
    assert (event.via, event.actor_id, event.ip_address) == ("api", membership.user_id, "127.0.0.1")
    assert event.after == {"name": "Dandelion AS", "time_zone": "Europe/Oslo"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"currency": "euro"}, "currency"),
        ({"currency": "eur"}, "currency"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"default_language": "de"}, "default_language"),
        ({"name": ""}, "name"),
        ({"name": "a\x00b"}, "name"),
    ],
)
def test_patch_workspace_with_a_bad_value_is_422_naming_the_field(body, field):
    client, membership = client_for(Role.OWNER)

    response = client.patch("/workspace", body)

    assert response.status_code == 422
    assert fields_of(response) == [field]
    assert all(error["message"] for error in response.json()["detail"])
    assert Workspace.objects.get(pk=membership.workspace_id).currency == membership.workspace.currency


def test_patch_workspace_with_a_taken_slug_is_422_on_slug():
    make_workspace(slug="taken")
    client, _ = client_for(Role.OWNER)

    response = client.patch("/workspace", {"slug": "taken"})

    assert response.status_code == 422
    assert fields_of(response) == ["slug"]


# --- regions -----------------------------------------------------------------------------------


def test_post_region_creates_a_spoke_under_the_hub_by_default():
    client, membership = client_for(Role.ADMIN)
    hub = Region.objects.for_workspace(membership.workspace).get(parent__isnull=True)

    response = client.post("/regions", {"name": "Norway", "country_code": "no", "language": "nb"})

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "name": "Norway",
        "kind": "country",
        "parent_id": hub.pk,
        "country_code": "NO",
        "language": "nb",
        "is_hub": False,
    }
    assert client.get(f"/regions/{body['id']}").json() == body


def test_post_region_refuses_duplicates_and_foreign_parents_naming_the_field():
    client, membership = client_for(Role.ADMIN)
    make_region(membership.workspace, "Norway")
    foreign_parent = make_region(make_workspace(), "Abroad")

    duplicate = client.post("/regions", {"name": "Norway"})
    foreign = client.post("/regions", {"name": "Denmark", "parent_id": foreign_parent.pk})
    missing_name = client.post("/regions", {"country_code": "DK"})

    assert (duplicate.status_code, fields_of(duplicate)) == (422, ["name"])
    assert (foreign.status_code, fields_of(foreign)) == (422, ["parent_id"])
    assert (missing_name.status_code, fields_of(missing_name)) == (422, ["name"])
    no_body = client.post("/regions", "")
    assert (no_body.status_code, fields_of(no_body)) == (422, ["body"])
    assert not Region.objects.filter(name="Denmark").exists()


def test_a_body_that_is_not_json_is_400():
    client, _ = client_for(Role.ADMIN)

    response = client.post("/regions", "{not json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body"}


# --- members -----------------------------------------------------------------------------------


def test_post_member_adds_an_existing_user_by_email_with_regions():
    client, membership = client_for(Role.ADMIN)
    user = make_user("Kari@Example.com")
    region = make_region(membership.workspace, "Norway")

    response = client.post("/members", {"email": "KARI@example.com", "role": "analyst", "region_ids": [region.pk]})

    assert response.status_code == 201
    body = response.json()
    assert body["user"] == {"id": user.pk, "email": "kari@example.com", "full_name": ""}
    assert (body["role"], body["region_ids"]) == ("analyst", [region.pk])
    assert client.get(f"/members/{body['id']}").json() == body
    assert AuditEvent.objects.filter(action="membership.create", object_id=str(body["id"]), via="api").exists()


def test_post_member_errors_name_the_field():
    client, membership = client_for(Role.ADMIN)
    colleague = make_member(membership.workspace, role=Role.ANALYST)
    outsider = make_user()
    foreign_region = make_region(make_workspace(), "Abroad")

    unknown = client.post("/members", {"email": "nobody@example.com", "role": "analyst"})
    twice = client.post("/members", {"email": colleague.user.email, "role": "analyst"})
    bad_role = client.post("/members", {"email": outsider.email, "role": "emperor"})
    foreign = client.post("/members", {"email": outsider.email, "role": "analyst", "region_ids": [foreign_region.pk]})

    assert (unknown.status_code, fields_of(unknown)) == (422, ["email"])
    assert (twice.status_code, fields_of(twice)) == (422, ["email"])
    assert (bad_role.status_code, fields_of(bad_role)) == (422, ["role"])
    assert (foreign.status_code, fields_of(foreign)) == (422, ["region_ids"])
    assert not Membership.objects.filter(user=outsider).exists()


def test_only_an_owner_makes_owners():
    client, _ = client_for(Role.ADMIN)
    user = make_user()

    response = client.post("/members", {"email": user.email, "role": "owner"})

    assert response.status_code == 403
    assert not Membership.objects.filter(user=user).exists()


def test_patch_member_changes_the_role():
    client, membership = client_for(Role.OWNER)
    colleague = make_member(membership.workspace, role=Role.ANALYST)

    response = client.patch(f"/members/{colleague.pk}", {"role": "strategist"})

    assert response.status_code == 200
    assert response.json()["role"] == "strategist"
    assert Membership.objects.get(pk=colleague.pk).role == Role.STRATEGIST
    event = AuditEvent.objects.get(action="membership.update", object_id=str(colleague.pk))
    assert (event.before, event.after) == ({"role": "analyst"}, {"role": "strategist"})


# --- audit log ---------------------------------------------------------------------------------


def test_audit_events_filter_by_action_actor_object_type_and_time():
    client, membership = client_for(Role.OWNER)
    workspace = membership.workspace
    AuditEvent.objects.for_workspace(workspace).delete()
    now = timezone.now()
    actor = Actor(membership.user, via="test")
    old = audit.record(actor, "region.create", workspace=workspace, object_type="core.region", object_id="1")
    AuditEvent.objects.filter(pk=old.pk).update(created_at=now - datetime.timedelta(days=3))
    recent = audit.record(actor, "region.update", workspace=workspace, object_type="core.region", object_id="1")
    system = audit.record(Actor.system(), "workspace.update", workspace=workspace, object_type="core.workspace")

    def ids(**filters: Any) -> list[int]:
        response = client.get("/audit-events", filters)
        assert response.status_code == 200, response.json()
        return [event["id"] for event in response.json()["items"]]

    assert ids() == [system.pk, recent.pk, old.pk]
    assert ids(action="region.update") == [recent.pk]
    assert ids(actor=membership.user_id) == [recent.pk, old.pk]
    assert ids(object_type="core.workspace") == [system.pk]
    assert ids(since=(now - datetime.timedelta(days=1)).isoformat()) == [system.pk, recent.pk]
    assert ids(until=(now - datetime.timedelta(days=1)).isoformat()) == [old.pk]
    assert ids(since=(now - datetime.timedelta(days=4)).replace(tzinfo=None).isoformat(), action="region.create") == [
        old.pk
    ]
    detail = client.get(f"/audit-events/{recent.pk}").json()
    assert (detail["action"], detail["actor_label"], detail["via"]) == ("region.update", membership.user.email, "test")


def test_audit_event_filters_are_validated():
    client, _ = client_for(Role.OWNER)

    response = client.get("/audit-events", {"since": "yesterday", "actor": "0"})

    assert response.status_code == 422
    assert set(fields_of(response)) == {"actor", "since"}


# --- tokens over the API -----------------------------------------------------------------------


def test_tokens_are_created_listed_and_revoked_through_the_api():
    client, membership = client_for(Role.CONTENT_MANAGER)
    token_for(make_member(membership.workspace, role=Role.ADMIN))  # a colleague's tokens stay invisible

    created = client.post("/tokens", {"name": "Dashboard", "expires_at": "2999-01-01T00:00:00Z"})

    assert created.status_code == 201
    body = created.json()
    plain = body.pop("token")
    assert plain.startswith(body["prefix"])
    assert body["expires_at"].startswith("2999-01-01")
    assert ApiClient(plain).get("/me").json()["membership"]["id"] == membership.pk
    listed = client.get("/tokens").json()
    assert listed["count"] == 2
    assert [token["name"] for token in listed["items"]] == ["Dashboard", "test"]
    assert plain not in json.dumps(listed)
    assert all("token" not in token and "token_hash" not in token for token in listed["items"])

    revoked = client.delete(f"/tokens/{body['id']}")

    assert revoked.status_code == 204
    assert revoked.content == b""
    assert ApiClient(plain).get("/me").status_code == 401
    assert client.get("/tokens").json()["items"][0]["revoked_at"] is not None


def test_creating_a_token_with_a_past_expiry_is_422_on_expires_at():
    client, _ = client_for(Role.ADMIN)

    response = client.post("/tokens", {"name": "Old", "expires_at": "2001-01-01T00:00:00Z"})

    assert response.status_code == 422
    assert fields_of(response) == ["expires_at"]


def test_a_designer_token_cannot_manage_tokens():
    client, _ = client_for(Role.DESIGNER)

    assert client.get("/tokens").status_code == 403
    assert client.post("/tokens", {"name": "x"}).status_code == 403


# --- pagination --------------------------------------------------------------------------------


def test_pages_carry_count_and_links_and_together_hold_every_item_once():
    client, membership = client_for(Role.OWNER)
    for number in range(7):
        make_region(membership.workspace, f"Region {number:02}")
    expected = list(Region.objects.for_workspace(membership.workspace).values_list("name", flat=True))
    assert len(expected) == 8

    first = client.get("/regions", {"limit": 3}).json()

    assert (first["count"], first["limit"], first["offset"], first["previous"]) == (8, 3, 0, None)
    assert len(first["items"]) == 3
    seen: list[str] = []
    page = first
    while True:
        seen.extend(item["name"] for item in page["items"])
        if page["next"] is None:
            break
        parts = urlsplit(page["next"])
        assert parts.path == f"{BASE}/regions"
        assert parts.netloc == "testserver"
        page = client.get("/regions", {k: v[0] for k, v in parse_qs(parts.query).items()}).json()
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))
    assert (page["offset"], len(page["items"])) == (6, 2)
    assert parse_qs(urlsplit(page["previous"]).query) == {"limit": ["3"], "offset": ["3"]}


def test_page_links_keep_the_filters():
    client, membership = client_for(Role.OWNER)
    for _ in range(2):
        audit.record(Actor.system(), "report.send", workspace=membership.workspace, object_type="analytics.report")

    first = client.get("/audit-events", {"limit": 1, "object_type": "analytics.report"}).json()
    second = client.get("/audit-events", {"limit": 1, "object_type": "analytics.report", "offset": 1}).json()

    assert first["count"] == 2
    assert parse_qs(urlsplit(first["next"]).query) == {
        "limit": ["1"],
        "object_type": ["analytics.report"],
        "offset": ["1"],
    }
    assert second["next"] is None
    assert parse_qs(urlsplit(second["previous"]).query)["object_type"] == ["analytics.report"]
    assert first["items"][0]["id"] != second["items"][0]["id"]


def test_the_default_page_size_comes_from_settings(settings):
    settings.PAGE_SIZE = 2
    client, membership = client_for(Role.OWNER)
    for number in range(3):
        make_region(membership.workspace, f"Region {number}")

    page = client.get("/regions").json()

    assert (page["count"], page["limit"], len(page["items"])) == (4, 2, 2)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"offset": -1}, "offset"), ({"limit": "ten"}, "limit")],
)
def test_page_parameters_out_of_bounds_are_422(params, field):
    client, _ = client_for(Role.OWNER)

    response = client.get("/regions", params)

    assert response.status_code == 422
    assert fields_of(response) == [field]


def test_an_offset_past_the_end_is_an_empty_page():
    client, _ = client_for(Role.OWNER)

    page = client.get("/regions", {"offset": 50}).json()

    assert (page["count"], page["items"], page["next"]) == (1, [], None)
    assert parse_qs(urlsplit(page["previous"]).query)["offset"] == [str(50 - page["limit"])]


# --- error format ------------------------------------------------------------------------------


def test_an_unknown_path_is_404_in_the_error_format():
    response = Client().get(f"{BASE}/no-such-thing")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_an_unsupported_method_is_405_in_the_error_format():
    client, _ = client_for(Role.OWNER)

    response = client.client.put(f"{BASE}/regions", "{}", content_type="application/json", headers=client.headers)

    assert response.status_code == 405
    assert response.json() == {"detail": "This path does not support the method PUT."}
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}


def test_a_path_id_out_of_range_is_422_naming_it():
    client, _ = client_for(Role.OWNER)

    response = client.get(f"/regions/{2**64}")

    assert response.status_code == 422
    assert fields_of(response) == ["region_id"]


def test_an_unexpected_error_is_500_without_a_traceback(monkeypatch, caplog):
    client, _ = client_for(Role.OWNER)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("pappus.core.selectors.regions_of", broken)

    response = client.get("/regions")

    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}
    assert b"secret internals" not in response.content
    assert "api.internal_error" in caplog.text


# --- query counts ------------------------------------------------------------------------------

# Token (with user and workspace), membership, last-used update (at most once a minute), count, page.
LIST_QUERIES = 5
MEMBER_LIST_QUERIES = LIST_QUERIES + 1  # regions of the members on the page, prefetched at once


def _fill(membership: Membership, rows: int) -> None:
    workspace = membership.workspace
    for number in range(rows):
        region = make_region(workspace, f"Region {number:03}")
        colleague = make_member(workspace, role=Role.ANALYST)
        colleague.regions.set([region])
        tokens.token_create(actor=Actor.system("test"), membership=membership, name=f"token {number}")


@pytest.mark.parametrize(
    ("path", "max_queries"),
    [
        ("/regions", LIST_QUERIES),
        ("/members", MEMBER_LIST_QUERIES),
        ("/audit-events", LIST_QUERIES),
        ("/tokens", LIST_QUERIES),
        ("/me", 2),
        ("/workspace", 2),
    ],
)
@pytest.mark.parametrize("rows", [2, 30])
def test_query_counts_do_not_grow_with_the_rows(path, max_queries, rows, django_assert_max_num_queries):
    client, membership = client_for(Role.OWNER)
    _fill(membership, rows)
    client.get("/me")  # last_used_at is now fresh: the pinned counts below hold for every request

    with django_assert_max_num_queries(max_queries):
        response = client.get(path, {"limit": 500} if path not in {"/me", "/workspace"} else None)

    assert response.status_code == 200
    if "items" in response.json():
        assert len(response.json()["items"]) >= rows


# --- schema ------------------------------------------------------------------------------------


def test_the_language_codes_of_the_schemas_match_the_model():
    assert set(get_args(core_api.LanguageCode)) == {code for code, _name in LANGUAGE_CHOICES}


def test_the_openapi_schema_documents_bearer_auth_and_error_responses():
    schema = Client().get(f"{BASE}/openapi.json").json()

    assert schema["components"]["securitySchemes"]["ApiTokenAuth"]["scheme"] == "bearer"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"ApiTokenAuth": []}], (method, path)
            assert {"401", "403", "422", "500"} <= set(operation["responses"]), (method, path)
            if "{" in path:
                assert "404" in operation["responses"], (method, path)


def test_the_committed_openapi_schema_is_up_to_date():
    committed = json.loads((BASE_DIR / "docs" / "openapi.json").read_text())

    current = json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))

    assert committed == current, "docs/openapi.json is stale: run `make openapi`"
