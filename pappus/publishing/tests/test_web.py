"""The publishing pages as a member uses them: plan, calendar, editor, approvals, failed posts, review link."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.publishing import scheduler, services
from pappus.publishing.models import Post, PostStatus, Variant, VariantStatus
from pappus.publishing.tests.factories import ACTOR, make_post, make_scheduled_post, variants_of
from pappus.publishing.tests.mastodon_server import LocalMastodon, Script, connector_factory

pytestmark = pytest.mark.django_db


def _signed_in(client: Any, membership: Any) -> Any:
    client.force_login(membership.user)
    return client


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_draft_review_approve_and_schedule_through_the_pages(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    _signed_in(client, manager)
    response = client.post(
        reverse("publishing:post_new"),
        {"title": "Winter menu", "text": "Cardamom buns are back", "content_type": "promo", "pillar": "Menu"},
    )
    post = Post.objects.get(title="Winter menu")
    assert response.status_code == 302
    assert response["Location"] == reverse("publishing:post", args=[post.pk])

    response = client.post(
        reverse("publishing:variant_add", args=[post.pk]),
        {
            "network": "mastodon",
            "account_label": "@nordlys",
            "text": "Cardamom buns are back",
            "hashtags": "buns #fika",
        },
    )
    assert response.status_code == 302
    (variant,) = variants_of(post)
    assert variant.hashtags == ["buns", "fika"]

    for action in ("submit", "approve"):
        assert client.post(reverse("publishing:post_action", args=[post.pk, action])).status_code == 302
    when = timezone.now() + datetime.timedelta(days=2)
    services.post_update(actor=ACTOR, membership=manager, post=post, planned_at=when)
    response = client.post(reverse("publishing:post_action", args=[post.pk, "schedule"]), follow=True)
    assert "Scheduled." in _text(response)
    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED


def test_a_refused_step_is_shown_not_raised(client, workspace):
    designer = make_member(workspace, role=Role.DESIGNER)
    post = make_post(designer)
    services.post_submit(actor=ACTOR, membership=designer, post=post)
    response = _signed_in(client, designer).post(
        reverse("publishing:post_action", args=[post.pk, "approve"]), follow=True
    )
    assert response.status_code == 200
    assert "Your role does not allow this." in _text(response)
    assert Post.objects.get(pk=post.pk).status == PostStatus.IN_REVIEW


def test_a_variant_over_the_limit_is_refused_with_the_variant_and_limit_named(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = services.post_create(actor=ACTOR, membership=manager, title="Long")
    response = _signed_in(client, manager).post(
        reverse("publishing:variant_add", args=[post.pk]),
        {"network": "mastodon", "account_label": "@nordlys", "text": "x" * 600},
    )
    assert response.status_code == 400
    assert "Mastodon @nordlys: the text is 600 characters long; the limit is 500." in _text(response)
    assert not variants_of(post)


def test_live_check_counts_against_the_networks_limit(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    _signed_in(client, manager)
    short = client.post(reverse("publishing:variant_check"), {"network": "bluesky", "text": "Hello"})
    assert "5 of 300 characters" in _text(short)
    long = client.post(reverse("publishing:variant_check"), {"network": "bluesky", "text": "y" * 301})
    assert "Bluesky: the text is 301 characters long; the limit is 300." in _text(long)
    story = client.post(
        reverse("publishing:variant_check"), {"network": "bluesky", "text": "Hi", "publish_as": "story"}
    )
    assert "Bluesky: this network does not publish stories; publish it as a post." in _text(story)


def test_the_plan_filters_by_status_and_network(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    make_post(manager, title="Only Mastodon", networks=("mastodon",))
    make_post(manager, title="Only Bluesky", networks=("bluesky",))
    make_scheduled_post(manager, title="Scheduled one", planned_at=timezone.now() + datetime.timedelta(days=1))
    _signed_in(client, manager)
    everything = _text(client.get(reverse("publishing:plan")))
    assert "3 posts" in everything
    bluesky = _text(client.get(reverse("publishing:plan"), {"network": "bluesky"}, headers={"HX-Request": "true"}))
    assert "Only Bluesky" in bluesky
    assert "Only Mastodon" not in bluesky
    assert "<html" not in bluesky  # the htmx answer is the table alone
    scheduled = _text(client.get(reverse("publishing:plan"), {"status": "scheduled"}))
    assert "1 post" in scheduled
    assert "Scheduled one" in scheduled


def test_the_plan_page_costs_a_fixed_number_of_queries(client, workspace, django_assert_max_num_queries):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    for _ in range(5):
        make_post(manager, networks=("mastodon", "bluesky"))
    _signed_in(client, manager)
    client.get(reverse("publishing:plan"))
    with django_assert_max_num_queries(14):
        client.get(reverse("publishing:plan"))
    for _ in range(10):
        make_post(manager, networks=("mastodon", "bluesky"))
    with django_assert_max_num_queries(14):
        client.get(reverse("publishing:plan"))


def test_calendar_shows_the_month_and_a_drop_moves_the_post(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=3)).replace(hour=10, minute=30)
    post = make_scheduled_post(manager, title="Roastery tour", planned_at=when)
    _signed_in(client, manager)
    page = _text(client.get(reverse("publishing:calendar"), {"month": f"{when:%Y-%m}"}))
    assert "10:30 Roastery tour" in page
    target = when.date() + datetime.timedelta(days=2)
    response = client.post(reverse("publishing:reschedule", args=[post.pk]), {"day": target.isoformat()})
    assert response.status_code == 200
    post.refresh_from_db()
    moved = timezone.localtime(post.planned_at)
    assert (moved.date(), moved.hour, moved.minute) == (target, 10, 30)
    assert {variant.next_attempt_at for variant in variants_of(post)} == {post.planned_at}


def test_calendar_drop_of_a_scheduled_post_needs_the_right_to_publish(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    designer = make_member(workspace, role=Role.DESIGNER)
    post = make_scheduled_post(manager, planned_at=timezone.now() + datetime.timedelta(days=1))
    response = _signed_in(client, designer).post(
        reverse("publishing:reschedule", args=[post.pk]), {"day": "2030-01-01"}
    )
    assert response.status_code == 403
    assert "may publish" in response.json()["detail"]


def test_failed_posts_banner_and_page(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    designer = make_member(workspace, role=Role.DESIGNER)
    post = make_scheduled_post(manager, title="Harvest news")
    with LocalMastodon() as server:
        server.state.scripted.append(Script(status=422, body={"error": "Validation failed: Text has been posted"}))
        scheduler.run_due(connector_for=connector_factory(server.base_url))
    assert Post.objects.get(pk=post.pk).status == PostStatus.FAILED

    home = _text(_signed_in(client, manager).get(reverse("core:home")))
    assert "1 post failed to publish." in home
    page = _text(client.get(reverse("publishing:failed")))
    assert "Harvest news" in page
    assert "Validation failed: Text has been posted" in page
    client.logout()
    assert "failed to publish" not in _text(_signed_in(client, designer).get(reverse("core:home")))


def test_unknown_outcome_is_resolved_on_the_failed_page(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(manager, networks=("telegram",))
    (variant,) = variants_of(post)
    scheduler.claim_due()
    scheduler.reclaim_expired(now=timezone.now() + scheduler.LEASE + datetime.timedelta(seconds=1))
    variant.refresh_from_db()
    assert variant.status == VariantStatus.UNKNOWN
    response = _signed_in(client, manager).post(
        reverse("publishing:variant_resolve", args=[variant.pk]),
        {"outcome": "published", "remote_url": "https://t.me/nordlys/1"},
    )
    assert response.status_code == 302
    variant.refresh_from_db()
    assert (variant.status, variant.remote_url) == (VariantStatus.PUBLISHED, "https://t.me/nordlys/1")
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED


def test_another_workspaces_post_is_not_found(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    stranger = make_member(role=Role.OWNER)
    post = make_post(manager)
    _signed_in(client, stranger)
    assert client.get(reverse("publishing:post", args=[post.pk])).status_code == 404
    assert client.post(reverse("publishing:post_action", args=[post.pk, "submit"])).status_code == 404


def test_an_external_reviewer_reads_and_comments_without_signing_in(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_post(manager, title="Spring campaign")
    token = services.review_link_token(actor=ACTOR, membership=manager, post=post)
    url = reverse("publishing:review", args=[token])
    assert "Spring campaign" in _text(client.get(url))
    response = client.post(url, {"name": "Ola (agency partner)", "text": "Love it"}, follow=True)
    assert "Love it" in _text(response)
    assert client.get(reverse("publishing:review", args=[token + "x"])).status_code == 404


@pytest.mark.parametrize(
    ("language", "title", "count"),
    [("ru", "Контент-план", "2 поста"), ("nb", "Innholdsplan", "2 innlegg"), ("zh-hans", "内容计划", "2 条帖子")],
)
def test_the_plan_speaks_the_members_language(client, workspace, language, title, count):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER, language=language)
    make_post(manager)
    make_post(manager)
    page = _text(_signed_in(client, manager).get(reverse("publishing:plan")))
    assert title in page
    assert count in page


def test_the_editor_offers_only_this_workspaces_connected_accounts(client, workspace):
    from pappus.connectors.models import AccountStatus
    from pappus.connectors.tests.factories import make_account
    from pappus.core.tests.factories import make_workspace

    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_post(manager)
    account = make_account(workspace, base_url="http://127.0.0.1:9", handle="@nordlys@example.social")
    make_account(
        workspace,
        base_url="http://127.0.0.1:9",
        handle="@gone@example.social",
        remote_id="2",
        status=AccountStatus.DISCONNECTED,
    )
    make_account(make_workspace(), base_url="http://127.0.0.1:9", handle="@other@example.social")
    _signed_in(client, manager)

    page = _text(client.get(reverse("publishing:post", args=[post.pk])))

    assert f'<option value="{account.pk}">Mastodon @nordlys@example.social</option>' in page
    assert "@gone@example.social" not in page
    assert "@other@example.social" not in page
    response = client.post(
        reverse("publishing:variant_add", args=[post.pk]),
        {"account": str(account.pk), "network": "", "text": "Hello from the editor"},
    )
    assert response.status_code == 302
    added = Variant.objects.get(post=post, account_id=account.pk)
    assert (added.network, added.account_label) == ("mastodon", "@nordlys@example.social")
