"""The asset library as members use it: uploads checked by their contents, rights and expiry,
usage and performance, the hub's recommendations and the regions' localized copies."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pappus.core.models import AuditEvent, Region
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region
from pappus.core.tests.test_api import BASE, token_for
from pappus.publishing import assets, scheduler, services
from pappus.publishing.models import Asset, AssetUse, Variant
from pappus.publishing.tests.factories import ACTOR, make_post, variants_of
from pappus.publishing.tests.mastodon_server import LocalMastodon, connector_factory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media_storage(settings: Any, tmp_path: Any) -> Any:
    """Files go to a fresh folder per test, through the configured default storage backend."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    return tmp_path


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _upload(membership: Any, content: bytes = PNG, name: str = "logo.png", **fields: Any) -> Asset:
    return assets.asset_upload(actor=ACTOR, membership=membership, upload=SimpleUploadedFile(name, content), **fields)


def _spoke_member(workspace: Any, region: Region, role: str = Role.CONTENT_MANAGER) -> Any:
    member = make_member(workspace, role=role)
    member.regions.add(region)
    return member


# --- upload ------------------------------------------------------------------------------------


def test_an_upload_is_stored_with_the_type_found_in_its_bytes(client, workspace, media_storage):
    designer = make_member(workspace, role=Role.DESIGNER)
    client.force_login(designer.user)

    response = client.post(
        reverse("publishing:asset_upload"),
        {"file": SimpleUploadedFile("summer.png", JPEG), "tags": "summer #Beach", "usage_rights": "Own photo"},
    )

    asset = Asset.objects.get(workspace=workspace)
    assert response.status_code == 302
    assert response["Location"] == reverse("publishing:asset", args=[asset.pk])
    assert (asset.name, asset.mime_type, asset.size, asset.tags) == (
        "summer.png",
        "image/jpeg",
        len(JPEG),
        ["summer", "beach"],
    )
    assert str(asset.file.name).startswith(f"assets/{workspace.pk}/")
    assert str(asset.file.name).endswith(".jpg")
    assert (media_storage / asset.file.name).read_bytes() == JPEG
    assert AuditEvent.objects.filter(workspace=workspace, action="asset.upload", actor=designer.user).count() == 1
    served = client.get(reverse("publishing:asset_file", args=[asset.pk]))
    assert served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == JPEG


def test_a_file_whose_contents_are_not_an_accepted_type_is_refused_with_the_reason(client, workspace, media_storage):
    client.force_login(make_member(workspace, role=Role.DESIGNER).user)

    response = client.post(
        reverse("publishing:asset_upload"), {"file": SimpleUploadedFile("invoice.png", b"MZ\x90\x00 not a picture")}
    )

    assert response.status_code == 400
    assert (
        "“invoice.png” is not a file type the library accepts "
        "(its contents are not JPEG, PNG, GIF, WebP, MP4, QuickTime, PDF)." in _text(response)
    )
    assert not Asset.objects.exists()
    assert not list(media_storage.rglob("*.*"))


def test_an_oversized_upload_is_refused_with_its_size_and_the_limit(client, workspace, media_storage):
    client.force_login(make_member(workspace, role=Role.CONTENT_MANAGER).user)
    big = PNG + b"\x00" * (16 * 1024 * 1024)

    response = client.post(reverse("publishing:asset_upload"), {"file": SimpleUploadedFile("poster.png", big)})

    assert response.status_code == 400
    assert "“poster.png” is 16.1 MB; the limit for PNG files is 16 MB." in _text(response)
    assert not Asset.objects.exists()


def test_roles_without_the_asset_library_cannot_upload(client, workspace):
    analyst = make_member(workspace, role=Role.ANALYST)
    client.force_login(analyst.user)

    response = client.post(reverse("publishing:asset_upload"), {"file": SimpleUploadedFile("a.png", PNG)})

    assert response.status_code == 403
    assert not Asset.objects.exists()


# --- rights, expiry and use in posts -----------------------------------------------------------


def test_an_expired_asset_cannot_be_attached_and_is_flagged_on_scheduled_posts(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    expired = _upload(manager, rights_expire_on=timezone.localdate() - datetime.timedelta(days=1), name="old.png")
    (variant,) = variants_of(make_post(manager))
    client.force_login(manager.user)

    response = client.post(reverse("publishing:variant_asset", args=[variant.pk]), {"asset": expired.pk}, follow=True)

    assert f"The usage rights of “{expired.name}” expired on" in _text(response)
    assert not AssetUse.objects.exists()
    assert Variant.objects.get(pk=variant.pk).media == []

    # An asset attached while its rights held, on a post that is scheduled when they run out.
    fresh = _upload(manager, name="fresh.png", rights_expire_on=timezone.localdate() + datetime.timedelta(days=30))
    client.post(reverse("publishing:variant_asset", args=[variant.pk]), {"asset": fresh.pk})
    assert Variant.objects.get(pk=variant.pk).media == [
        {"name": "fresh.png", "mime_type": "image/png", "size": len(PNG), "asset_id": fresh.pk}
    ]
    post = variant.post
    services.post_submit(actor=ACTOR, membership=manager, post=post)
    services.post_approve(actor=ACTOR, membership=manager, post=post)
    services.post_schedule(
        actor=ACTOR, membership=manager, post=post, planned_at=timezone.now() + datetime.timedelta(days=60)
    )
    Asset.objects.filter(pk=fresh.pk).update(rights_expire_on=timezone.localdate() - datetime.timedelta(days=1))

    plan = _text(client.get(reverse("publishing:plan")))
    page = _text(client.get(reverse("publishing:post", args=[post.pk])))

    assert 'data-testid="plan-expired-assets"' in plan
    assert "The usage rights of these assets have expired: fresh.png." in page
    assert assets.scheduled_posts_with_expired_assets(workspace.pk) == {post.pk: ["fresh.png"]}


def test_the_asset_page_lists_the_posts_that_used_it_and_their_engagement(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    asset = _upload(manager, name="hero.png")
    published_post = make_post(manager, title="Launch day")
    draft_post = make_post(manager, title="Follow-up")
    for post in (published_post, draft_post):
        (variant,) = variants_of(post)
        assets.asset_attach(actor=ACTOR, membership=manager, variant=variant, asset=asset)
    services.post_submit(actor=ACTOR, membership=manager, post=published_post)
    services.post_approve(actor=ACTOR, membership=manager, post=published_post)
    services.post_schedule(
        actor=ACTOR, membership=manager, post=published_post, planned_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    with LocalMastodon() as server:
        scheduler.run_due(connector_for=connector_factory(server.base_url))
    (sent,) = variants_of(published_post)
    assert sent.status == "published"
    client.force_login(manager.user)

    before = _text(client.get(reverse("publishing:asset", args=[asset.pk])))
    services.variant_metrics_record(
        workspace_id=workspace.pk, variant_id=sent.pk, taken_at=timezone.now(), likes=12, shares=3, replies=2
    )
    after = client.get(reverse("publishing:asset", args=[asset.pk]))

    assert before.count("no metrics yet") == 2
    rows = re.findall(r'<tr data-testid="usage-row">(.*?)</tr>', _text(after))
    assert len(rows) == 2
    assert "Launch day" in rows[1]
    assert "<td>17</td>" in rows[1]
    assert "Follow-up" in rows[0]
    assert "no metrics yet" in rows[0]


# --- hub and regions ---------------------------------------------------------------------------


def test_a_region_sees_its_own_and_the_hubs_recommended_assets_and_localizes_them(client, workspace):
    hub_manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    norway, sweden = make_region(workspace, "Norway", language="nb"), make_region(workspace, "Sweden")
    oslo = _spoke_member(workspace, norway)
    stockholm = _spoke_member(workspace, sweden)
    brand = _upload(hub_manager, name="brand.png", tags=["brand"], usage_rights="All regions, 2027")
    draft = _upload(hub_manager, name="hub-draft.png")
    swedish = _upload(stockholm, name="midsommar.png")

    assert set(assets.visible_assets(oslo)) == set()
    client.force_login(oslo.user)
    response = client.post(reverse("publishing:asset_recommend", args=[brand.pk]), {"recommended": "1"})
    assert response.status_code == 404  # a spoke does not even see the hub's unrecommended asset
    assets.asset_recommend(actor=ACTOR, membership=hub_manager, asset=brand, recommended=True)
    assert {asset.name for asset in assets.visible_assets(oslo)} == {"brand.png"}
    library = _text(client.get(reverse("publishing:assets")))
    assert "brand.png" in library
    assert "recommended for regions" in library
    assert "hub-draft.png" not in library
    assert "midsommar.png" not in library

    refused = client.post(reverse("publishing:asset_recommend", args=[brand.pk]), {"recommended": "0"}, follow=True)
    assert "Only the hub recommends assets for the regions." in _text(refused)
    assert Asset.objects.get(pk=brand.pk).recommended is True

    response = client.post(
        reverse("publishing:asset_localize", args=[brand.pk]),
        {"region": norway.pk, "file": SimpleUploadedFile("merke.png", PNG + b"nb"), "name": "Merke"},
    )
    copy = Asset.objects.get(original=brand)
    assert response.status_code == 302
    assert (copy.region, copy.name, copy.language, copy.usage_rights) == (norway, "Merke", "nb", "All regions, 2027")
    assert copy.file.read() == PNG + b"nb"
    assert {asset.name for asset in assets.visible_assets(oslo)} == {"brand.png", "Merke"}
    assert "Merke" not in {asset.name for asset in assets.visible_assets(stockholm)}
    original_page = _text(client.get(reverse("publishing:asset", args=[brand.pk])))
    assert "Localized copies" in original_page
    assert "Merke" in original_page

    denied = client.post(reverse("publishing:asset_localize", args=[brand.pk]), {"region": sweden.pk})
    assert denied.status_code == 400  # Sweden is not among Oslo's regions: not offered
    assert Asset.objects.filter(original=brand).count() == 1
    assert client.get(reverse("publishing:asset", args=[swedish.pk])).status_code == 404
    assert client.get(reverse("publishing:asset", args=[draft.pk])).status_code == 404


# --- the API -----------------------------------------------------------------------------------


def test_assets_through_the_api(workspace):
    member = make_member(workspace, role=Role.CONTENT_MANAGER)
    headers = {"Authorization": f"Bearer {token_for(member)}"}
    api = Client()

    refused = api.post(f"{BASE}/assets", {"file": SimpleUploadedFile("notes.pdf", b"plain text")}, headers=headers)
    created = api.post(
        f"{BASE}/assets",
        {"file": SimpleUploadedFile("deck.pdf", b"%PDF-1.7\n" + b"x" * 50), "tags": "deck, q3", "name": "Q3 deck"},
        headers=headers,
    )

    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "file"
    assert "“notes.pdf” is not a file type the library accepts" in refused.json()["detail"][0]["message"]
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["mime_type"], body["tags"], body["expired"]) == (
        "Q3 deck",
        "application/pdf",
        ["deck", "q3"],
        False,
    )
    listed = api.get(f"{BASE}/assets", {"tag": "Q3"}, headers=headers).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    patched = api.patch(
        f"{BASE}/assets/{body['id']}",
        {"rights_expire_on": "2020-01-01", "recommended": True},
        content_type="application/json",
        headers=headers,
    ).json()
    assert (patched["expired"], patched["recommended"]) == (True, True)
    (variant,) = variants_of(make_post(member))
    attach = api.post(
        f"{BASE}/variants/{variant.pk}/assets",
        {"asset_id": body["id"]},
        content_type="application/json",
        headers=headers,
    )
    assert attach.status_code == 422
    assert "expired on 2020-01-01" in attach.json()["detail"][0]["message"]
    usage = api.get(f"{BASE}/assets/{body['id']}/usage", headers=headers)
    assert usage.json() == []


def test_the_library_page_makes_the_same_number_of_queries_for_3_or_30_assets(
    client, workspace, django_assert_max_num_queries
):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    client.force_login(manager.user)
    for number in range(3):
        _upload(manager, name=f"a{number}.png", tags=["brand"])
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("publishing:assets"))
    for number in range(27):
        _upload(manager, name=f"b{number}.png")
    with django_assert_max_num_queries(12) as many:
        client.get(reverse("publishing:assets"))
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    ("role", "upload", "link"),
    [
        (Role.DESIGNER, 302, 302),
        (Role.AGENCY, 302, 302),
        (Role.ANALYST, 403, 403),
        (Role.EXECUTIVE, 403, 403),
        (Role.COMMUNITY_MANAGER, 403, 302),
    ],
)
def test_who_may_upload_assets_and_make_tracked_links(client, workspace, role, upload, link):
    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_post(author)
    member = make_member(workspace, role=role)
    client.force_login(member.user)

    uploaded = client.post(reverse("publishing:asset_upload"), {"file": SimpleUploadedFile("a.png", PNG)})
    linked = client.post(
        reverse("publishing:post_link_create", args=[post.pk]), {"landing_url": "https://shop.example/"}
    )

    assert (uploaded.status_code, linked.status_code) == (upload, link)
    assert Asset.objects.count() == (1 if upload == 302 else 0)
    assert client.get(reverse("publishing:assets")).status_code == 200
