"""Tracked links: the UTM builder, short links served at /l/<code>, clicks counted per post,
network and landing page (robots left out, no address stored), replacement on send."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.core.tests.test_api import BASE, token_for
from pappus.publishing import facade, links, scheduler, services
from pappus.publishing.models import LinkClick, Post, TrackedLink, Variant
from pappus.publishing.tests.factories import ACTOR, make_post, make_scheduled_post, variants_of
from pappus.publishing.tests.mastodon_server import LocalMastodon, connector_factory
from pappus.strategy.tests.factories import make_campaign

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
MASTODON_PREVIEW = "http.rb/5.1.1 (Mastodon/4.2.10; +https://mastodon.social/)"


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _link_of(post: Post) -> TrackedLink:
    return TrackedLink.objects.get(post=post)


def test_the_utm_builder_prefills_the_strategy_campaign_and_makes_a_short_link(client, workspace, settings):
    settings.BASE_URL = "https://pappus.example"
    manager = make_member(workspace, role=Role.OWNER)
    campaign = make_campaign(manager, name="Winter Sale 2026")
    post = make_post(manager, campaign_id=campaign.pk)
    (variant,) = variants_of(post)
    client.force_login(manager.user)

    page = client.get(reverse("publishing:post_links", args=[post.pk]))
    assert 'name="utm_campaign" value="winter-sale-2026"' in _text(page)
    assert f'name="utm_content" value="post-{post.pk}"' in _text(page)

    response = client.post(
        reverse("publishing:post_link_create", args=[post.pk]),
        {
            "landing_url": "https://shop.example/buns?lang=nb&utm_source=old",
            "variant": str(variant.pk),
            "utm_medium": "social",
            "utm_campaign": "winter-sale-2026",
            "utm_content": f"post-{post.pk}",
            "utm_term": "cardamom buns",
        },
        follow=True,
    )

    link = _link_of(post)
    assert f"Short link: https://pappus.example/l/{link.code}" in _text(response)
    assert (link.network, link.variant_id, link.landing_url) == (
        "mastodon",
        variant.pk,
        "https://shop.example/buns?lang=nb&utm_source=old",
    )
    query = parse_qs(urlsplit(link.destination_url).query)
    assert query == {
        "lang": ["nb"],
        "utm_source": ["mastodon"],
        "utm_medium": ["social"],
        "utm_campaign": ["winter-sale-2026"],
        "utm_content": [f"post-{post.pk}"],
        "utm_term": ["cardamom buns"],
    }

    refused = client.post(
        reverse("publishing:post_link_create", args=[post.pk]), {"landing_url": "javascript:alert(1)"}
    )
    assert refused.status_code == 400
    assert TrackedLink.objects.count() == 1


def test_a_click_is_counted_once_per_request_and_redirected_robots_are_not_counted(workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_post(manager)
    (variant,) = variants_of(post)
    link = links.tracked_link_create(
        actor=ACTOR,
        membership=manager,
        post=post,
        variant=variant,
        landing_url="https://shop.example/buns",
        utm=links.Utm(source="mastodon", medium="social"),
    )
    browser = Client(REMOTE_ADDR="203.0.113.7")

    first = browser.get(f"/l/{link.code}", headers={"User-Agent": FIREFOX, "Referer": "https://mastodon.social/@x/1"})
    second = browser.get(f"/l/{link.code}", headers={"User-Agent": FIREFOX})
    preview = browser.get(f"/l/{link.code}", headers={"User-Agent": MASTODON_PREVIEW})
    empty_agent = browser.get(f"/l/{link.code}")
    missing = browser.get("/l/nosuchcode")

    destination = "https://shop.example/buns?utm_source=mastodon&utm_medium=social"
    for response in (first, second, preview, empty_agent):
        assert response.status_code == 302
        assert response["Location"] == destination
        assert response["Cache-Control"] == "no-store"
    assert missing.status_code == 404
    clicks = list(LinkClick.objects.order_by("id"))
    assert len(clicks) == 2
    assert TrackedLink.objects.get(pk=link.pk).clicks == 2
    assert [(click.post_id, click.variant_id, click.network) for click in clicks] == [
        (post.pk, variant.pk, "mastodon")
    ] * 2
    assert [click.referrer_host for click in clicks] == ["mastodon.social", ""]
    assert clicks[0].visitor == clicks[1].visitor  # same browser, same day: one visitor
    assert len(clicks[0].visitor) == 32
    stored = json.dumps([list(row) for row in LinkClick.objects.values_list()], default=str)
    assert "203.0.113.7" not in stored


def test_links_are_replaced_by_short_links_on_send_when_the_workspace_tracks_them(client, workspace, settings):
    settings.BASE_URL = "http://127.0.0.1:8000"
    owner = make_member(workspace, role=Role.OWNER)
    services.settings_update(actor=ACTOR, membership=owner, agency_may_publish=False, track_links=True)
    post = make_post(owner, text="Buns are back: https://shop.example/buns. Menu at https://cafe.example/menu")
    (variant,) = variants_of(post)
    services.variant_update(actor=ACTOR, membership=owner, variant=variant, link="https://shop.example/buns")
    services.post_submit(actor=ACTOR, membership=owner, post=post)
    services.post_approve(actor=ACTOR, membership=owner, post=post)
    services.post_schedule(actor=ACTOR, membership=owner, post=post, planned_at=timezone.now())

    with LocalMastodon() as server:
        scheduler.run_due(connector_for=connector_factory(server.base_url))
        (status,) = server.state.statuses.values()

    codes = {link.landing_url: link.code for link in TrackedLink.objects.filter(post=post)}
    assert set(codes) == {"https://shop.example/buns", "https://cafe.example/menu"}
    assert "https://shop.example/buns" not in status["content"]
    assert "https://cafe.example/menu" not in status["content"]
    assert f"http://127.0.0.1:8000/l/{codes['https://shop.example/buns']}" in status["content"]
    assert f"http://127.0.0.1:8000/l/{codes['https://cafe.example/menu']}" in status["content"]
    assert variants_of(post)[0].text == "Buns are back: https://shop.example/buns. Menu at https://cafe.example/menu"

    Client().get(f"/l/{codes['https://cafe.example/menu']}", headers={"User-Agent": FIREFOX})
    client.force_login(owner.user)
    page = _text(client.get(reverse("publishing:post_links", args=[post.pk])))
    rows = re.findall(r'<tr data-testid="link-row">(.*?)</tr>', page)
    menu_row = next(row for row in rows if "https://cafe.example/menu" in row)
    assert "Mastodon" in menu_row
    assert "<td>1</td>" in menu_row
    landing = _text(client.get(reverse("publishing:landing_pages")))
    assert re.search(r"https://cafe.example/menu</td><td>1</td><td>1</td>", landing.replace("> <", "><"))


def test_without_tracking_the_variant_goes_out_with_its_own_links(workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(manager, text="See https://shop.example/buns")
    with LocalMastodon() as server:
        scheduler.run_due(connector_for=connector_factory(server.base_url))
        (status,) = server.state.statuses.values()
    assert "https://shop.example/buns" in status["content"]
    assert not TrackedLink.objects.filter(post=post).exists()


def test_analytics_reads_clicks_through_the_facade_by_period(workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_post(manager)
    link = links.tracked_link_create(
        actor=ACTOR, membership=manager, post=post, landing_url="https://shop.example/", utm=links.Utm()
    )
    for address in ("198.51.100.1", "198.51.100.2"):
        Client(REMOTE_ADDR=address).get(f"/l/{link.code}", headers={"User-Agent": FIREFOX})
    LinkClick.objects.filter(pk=LinkClick.objects.order_by("id").first().pk).update(  # type: ignore[union-attr]
        clicked_at=timezone.now() - datetime.timedelta(days=10)
    )

    everything = facade.link_clicks(workspace.pk)
    this_week = facade.link_clicks(workspace.pk, since=timezone.now() - datetime.timedelta(days=7))

    assert [(row.post_id, row.landing_url, row.clicks, row.visitors) for row in everything] == [
        (post.pk, "https://shop.example/", 2, 2)
    ]
    assert [(row.clicks, row.visitors) for row in this_week] == [(1, 1)]
    assert facade.link_clicks(workspace.pk + 1000) == []


def test_tracked_links_through_the_api(workspace):
    member = make_member(workspace, role=Role.CONTENT_MANAGER)
    campaign_owner = make_member(workspace, role=Role.STRATEGIST)
    campaign = make_campaign(campaign_owner, name="Spring")
    post = make_post(member, campaign_id=campaign.pk)
    (variant,) = variants_of(post)
    headers = {"Authorization": f"Bearer {token_for(member)}"}
    api = Client()

    created = api.post(
        f"{BASE}/posts/{post.pk}/links",
        {"landing_url": "https://shop.example/spring", "variant_id": variant.pk},
        content_type="application/json",
        headers=headers,
    )
    body = created.json()
    assert created.status_code == 201
    assert parse_qs(urlsplit(body["destination_url"]).query) == {
        "utm_source": ["mastodon"],
        "utm_medium": ["social"],
        "utm_campaign": ["spring"],
        "utm_content": [f"post-{post.pk}"],
    }
    Client().get(f"/l/{body['code']}", headers={"User-Agent": FIREFOX})
    listed = api.get(f"{BASE}/posts/{post.pk}/links", headers=headers).json()
    assert [(row["network"], row["clicks"]) for row in listed] == [("mastodon", 1)]
    bad = api.post(
        f"{BASE}/posts/{post.pk}/links", {"landing_url": "ftp://x"}, content_type="application/json", headers=headers
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "landing_url"


def test_only_administrators_change_the_publishing_settings(client, workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    client.force_login(manager.user)
    assert client.get(reverse("publishing:settings")).status_code == 403

    owner = make_member(workspace, role=Role.OWNER)
    client.force_login(owner.user)
    response = client.post(reverse("publishing:settings"), {"review_link_days": "7", "track_links": "on"}, follow=True)
    assert "The publishing settings have been saved." in _text(response)
    assert services.settings_for(workspace).track_links is True


def test_analytics_hands_over_post_counters_through_the_facade(workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(manager)
    with LocalMastodon() as server:
        scheduler.run_due(connector_for=connector_factory(server.base_url))
    (variant,) = variants_of(post)

    facade.record_variant_metrics(workspace.pk, variant.pk, taken_at=timezone.now(), likes=3, shares=1, replies=0)

    assert variants_of(post)[0].engagement == 4
    with pytest.raises(Variant.DoesNotExist):
        facade.record_variant_metrics(workspace.pk + 1000, variant.pk, taken_at=timezone.now(), likes=1)


def test_turning_tracking_off_sends_the_variants_own_links_again(workspace):
    owner = make_member(workspace, role=Role.OWNER)
    services.settings_update(actor=ACTOR, membership=owner, agency_may_publish=False, track_links=True)
    post = make_post(owner, text="See https://shop.example/buns")
    services.post_submit(actor=ACTOR, membership=owner, post=post)
    services.post_approve(actor=ACTOR, membership=owner, post=post)
    services.post_schedule(actor=ACTOR, membership=owner, post=post, planned_at=timezone.now())
    assert variants_of(post)[0].tracked_urls != {}
    services.post_unschedule(actor=ACTOR, membership=owner, post=post)
    services.settings_update(actor=ACTOR, membership=owner, agency_may_publish=False, track_links=False)
    services.post_schedule(actor=ACTOR, membership=owner, post=post, planned_at=timezone.now())

    with LocalMastodon() as server:
        scheduler.run_due(connector_for=connector_factory(server.base_url))
        (status,) = server.state.statuses.values()

    assert "https://shop.example/buns" in status["content"]
    assert "/l/" not in status["content"]
