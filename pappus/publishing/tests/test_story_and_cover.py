"""A variant chosen as an Instagram story, or a video's cover frame: checked against the network's
limits when saved, and handed to the connector by the scheduler's send path (``PostKind.STORY``,
``MediaFile.thumbnail_offset_ms``). How Instagram sends them is tested in the connectors' own tests
(test_instagram_stories.py, test_instagram_reels.py)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pappus.connectors.contracts import PostKind
from pappus.connectors.tests.factories import make_account
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.publishing import assets, scheduler, services
from pappus.publishing.models import Variant
from pappus.publishing.sending import Delivery
from pappus.publishing.tests.factories import ACTOR

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
MP4 = (24).to_bytes(4, "big") + b"ftypisom" + (512).to_bytes(4, "big") + b"isomavc1" + (16).to_bytes(4, "big") + b"mdat"
MP4 += bytes(8)


@pytest.fixture(autouse=True)
def media_storage(settings: Any, tmp_path: Any) -> Any:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    settings.PUBLIC_URL = "https://pappus.example.org"
    return tmp_path


def instagram_variant(workspace: Any, filename: str, content: bytes) -> tuple[Any, Variant]:
    admin = make_member(workspace, role=Role.ADMIN)
    account = make_account(
        workspace,
        network="instagram",
        base_url="http://127.0.0.1:9",
        handle="@nordlys",
        remote_id="1784",
        options={"ig_user_id": "1784"},
    )
    post = services.post_create(actor=ACTOR, membership=admin, title="Beans", text="Fresh beans")
    variant = services.variant_add(actor=ACTOR, membership=admin, post=post, network="instagram", account_id=account.pk)
    asset = assets.asset_upload(actor=ACTOR, membership=admin, upload=SimpleUploadedFile(filename, content))
    assets.asset_attach(actor=ACTOR, membership=admin, variant=variant, asset=asset)
    return admin, Variant.objects.get(pk=variant.pk)


def schedule(admin: Any, variant: Variant) -> Delivery:
    post = variant.post
    services.post_submit(actor=ACTOR, membership=admin, post=post)
    services.post_approve(actor=ACTOR, membership=admin, post=post)
    services.post_schedule(
        actor=ACTOR, membership=admin, post=post, planned_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    (delivery,) = scheduler.claim_due()
    return delivery


def test_an_instagram_image_chosen_as_a_story_is_sent_as_a_story(workspace: Any) -> None:
    admin, variant = instagram_variant(workspace, "beans.jpg", JPEG)
    services.variant_update(actor=ACTOR, membership=admin, variant=variant, text="", publish_as="story")  # no text
    delivery = schedule(admin, Variant.objects.get(pk=variant.pk))
    assert delivery.request.kind == PostKind.STORY
    assert [file.filename for file in delivery.request.media] == ["beans.jpg"]
    assert delivery.request.text == ""


def test_a_cover_frame_goes_with_the_video_to_the_connector(workspace: Any) -> None:
    admin, variant = instagram_variant(workspace, "pour.mp4", MP4)
    services.variant_update(actor=ACTOR, membership=admin, variant=variant, cover_frame_ms=2500)
    delivery = schedule(admin, Variant.objects.get(pk=variant.pk))
    assert delivery.request.kind == PostKind.POST  # a video alone: Instagram makes it a Reel
    (video,) = delivery.request.media
    assert (video.mime_type, video.thumbnail_offset_ms) == ("video/mp4", 2500)


def test_a_story_where_the_network_has_none_or_a_cover_frame_without_a_video_is_refused(workspace: Any) -> None:
    admin, variant = instagram_variant(workspace, "beans.jpg", JPEG)
    with pytest.raises(ValidationError, match="a cover frame needs exactly one video attached"):
        services.variant_update(actor=ACTOR, membership=admin, variant=variant, cover_frame_ms=1000)
    mastodon = services.variant_add(actor=ACTOR, membership=admin, post=variant.post, network="mastodon")
    with pytest.raises(ValidationError, match="this network does not publish stories"):
        services.variant_update(actor=ACTOR, membership=admin, variant=mastodon, publish_as="story")
    assert Variant.objects.get(pk=mastodon.pk).publish_as == "post"


def test_a_video_is_held_to_the_networks_video_ceiling_not_the_image_one() -> None:
    from pappus.publishing import limits

    video = {"name": "pour.mp4", "mime_type": "video/mp4", "size": 5_000_000}
    image = {"name": "beans.png", "mime_type": "image/png", "size": 5_000_000}
    fits = limits.check_variant(limits.VariantDraft(label="Bluesky", network="bluesky", text="x", media=(video,)))
    assert fits.problems == ()
    big = limits.check_variant(limits.VariantDraft(label="Bluesky", network="bluesky", text="x", media=(image,)))
    assert big.problems == ("Bluesky: beans.png is 5000000 bytes; the limit is 1000000 bytes.",)
