"""The community pages: the import's mapping and preview steps, the member page, filters, settings."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pappus.community import services
from pappus.community.models import Activity, Member, MemberImport, MergeRecord, StageChange
from pappus.community.tests.factories import actor, add_activity, make_identity, manager, member_of, owner_of
from pappus.core.models import Membership

pytestmark = pytest.mark.django_db


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_an_import_goes_through_upload_mapping_preview_and_import_on_the_pages():
    membership = manager()
    client = signed_in(membership)
    data = (
        "id,full name,email,type,order,total,date\n"
        "7,Nora Dahl,nora@example.com,purchase,A-1,50,2026-10-01\n"
        "8,Bad,x,,,,\n"
    )
    response = client.post(
        reverse("community:imports"),
        {"source_name": "shop", "file": SimpleUploadedFile("orders.csv", data.encode(), "text/csv")},
    )
    batch = MemberImport.objects.get(workspace=membership.workspace)
    assert response.status_code == 302
    assert response["Location"] == reverse("community:import", args=[batch.pk])
    page = client.get(response["Location"]).content.decode()
    assert '<option value="full name" selected>full name</option>' in page  # guessed from the column name
    assert 'data-testid="preview"' in page

    mapping = {"customer_id": "id", "name": "full name", "email": "email", "row_type": "type"}
    mapping |= {"order_id": "order", "amount": "total", "occurred_at": "date"}
    preview = client.post(reverse("community:import", args=[batch.pk]), {**mapping, "step": "preview"}, follow=True)
    html = preview.content.decode()
    assert html.count('data-testid="preview-row"') == 2
    assert "x is not an e-mail address." in html

    client.post(reverse("community:import", args=[batch.pk]), {**mapping, "step": "import"})
    batch.refresh_from_db()
    assert (batch.status, batch.rows_imported, batch.rows_failed, batch.activities_created) == ("done", 1, 1, 1)
    done = client.get(reverse("community:import", args=[batch.pk])).content.decode()
    assert 'data-testid="import-errors"' in done
    nora = Member.objects.get(workspace=membership.workspace, email="nora@example.com")
    assert nora.display_name == "Nora Dahl"
    assert Activity.objects.get(member=nora).external_ref == "import:shop:purchase:A-1"


def test_an_upload_of_the_wrong_kind_is_refused_with_the_reason():
    membership = manager()
    response = signed_in(membership).post(
        reverse("community:imports"),
        {"source_name": "shop", "file": SimpleUploadedFile("photo.png", b"\x89PNG\x00\x00", "image/png")},
    )
    assert response.status_code == 200
    assert "Upload a CSV file (.csv, .tsv or .txt)." in response.content.decode()
    assert not MemberImport.objects.exists()


def test_the_member_page_shows_what_the_brand_knows_and_saves_details_and_notes():
    membership = manager()
    identity = make_identity(
        membership.workspace, "bluesky", handle="ola", display_name="Ola", profile_url="https://bsky.app/profile/ola"
    )
    add_activity(identity, "mention", title="Great beans", sentiment="positive")
    add_activity(identity, "conversation", title="Where is my order")
    add_activity(identity, "purchase", title="Grinder")
    member = member_of(identity)
    client = signed_in(membership)
    url = reverse("community:member", args=[member.pk])

    html = client.get(url).content.decode()
    assert "Great beans" in html
    assert 'data-testid="sentiment">positive' in html
    assert "Where is my order" in html
    assert "Grinder" in html
    assert 'href="https://bsky.app/profile/ola"' in html

    response = client.post(
        url,
        {
            "form": "details",
            "display_name": "Ola N",
            "email": "ola@example.com",
            "phone": "",
            "tags": "vip, Beta",
            "consent_marketing": "on",
            "consent_source": "shop form",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.display_name, member.email, member.tags, member.consent_marketing, member.consent_source) == (
        "Ola N",
        "ola@example.com",
        ["beta", "vip"],
        True,
        "shop form",
    )
    bad = client.post(url, {"form": "details", "email": "not-mail", "tags": ""})
    assert "Enter an e-mail address such as anna@example.com." in bad.content.decode()
    client.post(url, {"form": "note", "text": "Met at the fair"})
    assert "Met at the fair" in client.get(url).content.decode()
    # The community manager may neither export nor erase: the page offers neither.
    assert 'data-testid="personal-data"' not in client.get(url).content.decode()


def test_a_merge_is_split_from_the_member_page_and_a_merged_member_points_at_its_target():
    membership = manager()
    target = member_of(make_identity(membership.workspace, "x", handle="one"))
    absorbed = member_of(make_identity(membership.workspace, "x", handle="two"))
    record = services.member_merge(actor=actor(membership), membership=membership, target=target, absorbed=absorbed)
    client = signed_in(membership)
    response = client.get(reverse("community:member", args=[absorbed.pk]))
    assert response["Location"] == reverse("community:member", args=[target.pk])
    html = client.get(reverse("community:member", args=[target.pk])).content.decode()
    assert reverse("community:merge_split", args=[record.pk]) in html

    client.post(reverse("community:merge_split", args=[record.pk]))
    assert MergeRecord.objects.get(pk=record.pk).split_at is not None
    assert Member.objects.get(pk=absorbed.pk).merged_into_id is None


def test_the_owner_exports_json_and_erases_from_the_member_page():
    membership = manager()
    owner = owner_of(membership.workspace)
    member = member_of(make_identity(membership.workspace, "x", handle="leaving", display_name="Leaving Person"))
    client = signed_in(owner)
    exported = client.post(reverse("community:member_export", args=[member.pk]))
    assert exported["Content-Type"].startswith("application/json")
    assert json.loads(exported.content)["identities"][0]["handle"] == "leaving"
    refused = client.post(reverse("community:member", args=[member.pk]), {"form": "erase", "reason": "req 1"})
    assert refused.status_code == 200
    assert Member.objects.filter(pk=member.pk).exists()
    client.post(reverse("community:member", args=[member.pk]), {"form": "erase", "reason": "req 1", "confirm": "on"})
    assert not Member.objects.filter(pk=member.pk).exists()


def test_the_member_list_filters_and_its_queries_are_pinned(django_assert_max_num_queries):
    membership = manager()
    workspace = membership.workspace
    for number in range(12):
        identity = make_identity(
            workspace, "bluesky" if number % 2 else "x", handle=f"fan{number}", display_name=f"Fan {number}"
        )
        add_activity(identity, "mention")
    services.loyalty_recompute(workspace.pk)
    client = signed_in(membership)
    with django_assert_max_num_queries(12):
        html = client.get(reverse("community:members"), {"network": "bluesky"}).content.decode()
    assert html.count('data-testid="member-row"') == 6
    html = client.get(reverse("community:members"), {"q": "@fan1"}).content.decode()
    assert html.count('data-testid="member-row"') == 1  # the handle
    html = client.get(reverse("community:members"), {"q": "fan 1"}).content.decode()
    assert html.count('data-testid="member-row"') == 3  # Fan 1, Fan 10, Fan 11: the start of the name


def test_settings_refuse_bad_rules_with_their_place_and_save_good_ones():
    membership = manager()
    client = signed_in(membership)
    url = reverse("community:settings")
    bad = client.post(url, {"auto_merge_confidence": "0.9", "loyalty_rules": '{"weights": {"likes": 1}'})
    assert "Not valid JSON at line 1, column 25." in bad.content.decode()
    bad = client.post(url, {"auto_merge_confidence": "0.9", "loyalty_rules": '{"weights": {"likes": 1}}'})
    assert "weights: unknown activity kind likes." in bad.content.decode()
    client.post(url, {"auto_merge_confidence": "0.95", "retention_days": "400", "loyalty_rules": '{"window_days": 30}'})
    row = services.community_settings(membership.workspace)
    assert (row.auto_merge_confidence, row.retention_days, row.loyalty_rules) == (0.95, 400, {"window_days": 30})


def test_the_core_fans_page_charts_moves_between_stages_per_week():
    membership = manager()
    member = member_of(make_identity(membership.workspace, "instagram", handle="mover"))
    StageChange.objects.create(workspace=membership.workspace, member=member, from_stage="", to_stage="follower")
    StageChange.objects.create(workspace=membership.workspace, member=member, from_stage="follower", to_stage="engaged")
    page = signed_in(membership).get(reverse("community:core_fans")).content.decode()
    assert 'data-testid="movement-chart"' in page
    spec = json.loads(page.split('<script id="movement-spec" type="application/json">')[1].split("</script>")[0])
    assert [(row["move"], row["members"]) for row in spec["datasets"][next(iter(spec["datasets"]))]] == [
        ("Follower → Engaged", 1)
    ]
