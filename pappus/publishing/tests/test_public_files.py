"""A post with an image to Instagram through the real scheduler: Instagram fetches the file itself, so the
connector gets a signed, expiring public link under PAPPUS_PUBLIC_URL (served without signing in);
without that setting the variant is refused before anything is sent. Instagram is a local replay of
the Graph API's documented answers (pappus/connectors/tests/replay.py)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from pappus.connectors.tests.factories import make_account
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.publishing import assets, public_files, scheduler, services
from pappus.publishing.models import Variant, VariantStatus
from pappus.publishing.tests.factories import ACTOR

pytestmark = pytest.mark.django_db

IG_USER = "17841405822304914"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
MEDIA = "17920238422030506"


@pytest.fixture(autouse=True)
def media_storage(settings: Any, tmp_path: Any) -> Any:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    return tmp_path


@pytest.fixture
def instagram() -> Iterator[ReplayServer]:
    server = ReplayServer()
    try:
        yield server
    finally:
        server.close()


def graph(path: str) -> str:
    return f"/v21.0/{path}"


def scheduled_instagram_post(workspace: Any, server: ReplayServer) -> Variant:
    admin = make_member(workspace, role=Role.ADMIN)
    account = make_account(
        workspace,
        base_url=server.url,
        network="instagram",
        handle="@nordlys",
        remote_id=IG_USER,
        options={"ig_user_id": IG_USER},
        credentials={"access_token": "EAApage-token"},
    )
    post = services.post_create(actor=ACTOR, membership=admin, title="Beans", text="Ny kaffe #nordlys")
    variant = services.variant_add(actor=ACTOR, membership=admin, post=post, network="instagram", account_id=account.pk)
    asset = assets.asset_upload(actor=ACTOR, membership=admin, upload=SimpleUploadedFile("beans.jpg", JPEG))
    assets.asset_attach(actor=ACTOR, membership=admin, variant=variant, asset=asset)
    services.post_submit(actor=ACTOR, membership=admin, post=post)
    services.post_approve(actor=ACTOR, membership=admin, post=post)
    services.post_schedule(
        actor=ACTOR, membership=admin, post=post, planned_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    return Variant.objects.get(pk=variant.pk)


def test_instagram_fetches_the_image_through_a_signed_expiring_public_link(
    workspace: Any, instagram: ReplayServer, settings: Any, monkeypatch: Any
) -> None:
    settings.PUBLIC_URL = "https://pappus.example.org"
    variant = scheduled_instagram_post(workspace, instagram)
    quota = {"data": [{"quota_usage": 1, "config": {"quota_total": 50, "quota_duration": 86400}}]}
    instagram.add("GET", graph(f"{IG_USER}/content_publishing_limit"), Answer(200, quota))
    instagram.add("POST", graph(f"{IG_USER}/media"), Answer(200, {"id": "17889455560051444"}))
    instagram.add("GET", graph("17889455560051444"), Answer(200, {"status_code": "FINISHED"}))
    instagram.add("POST", graph(f"{IG_USER}/media_publish"), Answer(200, {"id": MEDIA}))
    details = {"permalink": "https://www.instagram.com/p/C1a2b3/", "timestamp": "2026-11-02T10:00:00+0000"}
    instagram.add("GET", graph(MEDIA), Answer(200, details))

    scheduler.run_due()

    variant.refresh_from_db()
    assert variant.status == VariantStatus.PUBLISHED, variant.last_error
    assert variant.remote_id == MEDIA
    container = instagram.requests_to("POST", graph(f"{IG_USER}/media"))[0]
    image_url = parse_qs(container.body.decode())["image_url"][0]
    assert image_url.startswith("https://pappus.example.org/f/")

    # The network has no session: the link opens the file without signing in.
    path = urlsplit(image_url).path
    fetched = Client().get(path)
    assert fetched.status_code == 200
    assert fetched["Content-Type"] == "image/jpeg"
    assert fetched["X-Content-Type-Options"] == "nosniff"
    assert b"".join(fetched.streaming_content) == JPEG  # type: ignore[attr-defined]

    tampered = path.replace("/f/", "/f/x", 1)
    assert Client().get(tampered).status_code == 404
    monkeypatch.setattr(public_files, "LINK_LIFETIME", datetime.timedelta(seconds=-1))
    assert Client().get(path).status_code == 404  # expired


def test_without_a_public_address_the_instagram_variant_is_refused_before_sending(
    workspace: Any, instagram: ReplayServer, settings: Any
) -> None:
    settings.PUBLIC_URL = ""
    variant = scheduled_instagram_post(workspace, instagram)

    scheduler.run_due()

    variant.refresh_from_db()
    assert variant.status == VariantStatus.FAILED
    assert "Instagram fetches beans.jpg from a public address, and this file has none" in variant.last_error
    assert "set PAPPUS_PUBLIC_URL" in variant.last_error
    assert instagram.requests_to("POST", graph(f"{IG_USER}/media")) == []
    assert instagram.requests_to("POST", graph(f"{IG_USER}/media_publish")) == []


def test_other_networks_get_the_files_bytes(workspace: Any, settings: Any) -> None:
    settings.PUBLIC_URL = ""
    admin = make_member(workspace, role=Role.ADMIN)
    post = services.post_create(actor=ACTOR, membership=admin, title="Beans", text="Fresh beans")
    variant = services.variant_add(actor=ACTOR, membership=admin, post=post, network="mastodon", account_label="@b")
    first = assets.asset_upload(actor=ACTOR, membership=admin, upload=SimpleUploadedFile("a.jpg", JPEG))
    second = assets.asset_upload(actor=ACTOR, membership=admin, upload=SimpleUploadedFile("b.jpg", JPEG + b"2"))
    assets.asset_attach(actor=ACTOR, membership=admin, variant=variant, asset=second)
    assets.asset_attach(actor=ACTOR, membership=admin, variant=variant, asset=first)
    files = public_files.variant_media_files(Variant.objects.get(pk=variant.pk))
    assert [(media.filename, media.mime_type, media.content, media.source_url) for media in files] == [
        ("b.jpg", "image/jpeg", JPEG + b"2", ""),
        ("a.jpg", "image/jpeg", JPEG, ""),
    ]


def test_large_files_are_handed_as_paths_to_connectors_that_stream_them(
    workspace: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PUBLIC_URL = ""
    monkeypatch.setattr(public_files, "STREAM_ABOVE_BYTES", 100)
    admin = make_member(workspace, role=Role.ADMIN)
    post = services.post_create(actor=ACTOR, membership=admin, title="Beans", text="Fresh beans")
    small = assets.asset_upload(actor=ACTOR, membership=admin, upload=SimpleUploadedFile("small.jpg", JPEG[:50]))
    large = assets.asset_upload(actor=ACTOR, membership=admin, upload=SimpleUploadedFile("large.jpg", JPEG))
    streaming = services.variant_add(actor=ACTOR, membership=admin, post=post, network="x", account_label="@b")
    reading = services.variant_add(actor=ACTOR, membership=admin, post=post, network="wechat", account_label="@b")
    for variant in (streaming, reading):
        assets.asset_attach(actor=ACTOR, membership=admin, variant=variant, asset=small)
        assets.asset_attach(actor=ACTOR, membership=admin, variant=variant, asset=large)
    kept, streamed = public_files.variant_media_files(Variant.objects.get(pk=streaming.pk))
    assert (kept.content, kept.path) == (JPEG[:50], "")
    assert streamed.content == b""
    assert streamed.path.endswith(".jpg")
    assert (streamed.size, streamed.read()) == (len(JPEG), JPEG)
    assert b"".join(streamed.chunks(10, chunk_bytes=64)) == JPEG[10:]
    # WeChat's connector reads the bytes: it gets them, as before.
    assert [
        (media.content, media.path) for media in public_files.variant_media_files(Variant.objects.get(pk=reading.pk))
    ] == [
        (JPEG[:50], ""),
        (JPEG, ""),
    ]
