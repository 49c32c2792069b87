"""Create → approve → schedule → published in a real browser (Debian's Chromium through Playwright),
against the real local Mastodon-API peer (snac2, ../shared/peers/mastodon.sh).

An author writes a post with a Mastodon variant (the preview follows the typing) and sends it for
review; an approver approves and schedules it; the once-a-minute job, called here as the scheduler
would, publishes it; the author's page shows it published with the network's link, and the status
is read back from the peer's API.
"""

from __future__ import annotations

import datetime
import os
import uuid
import zoneinfo
from typing import Any

import httpx
import pytest

from conftest import start_peer
from pappus.connectors import services as connector_services
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import PASSWORD, make_member, make_workspace
from pappus.publishing import tasks
from pappus.publishing.models import Post, PostStatus, Variant, VariantStatus

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


@pytest.fixture(scope="module")
def mastodon_peer() -> dict[str, str]:
    return start_peer("mastodon", timeout=300)


def _signed_in(browser: Any, base_url: str, email: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")
    return page


def test_a_post_goes_from_draft_to_published_on_the_mastodon_peer(
    browser, live_server, transactional_db, mastodon_peer
):
    workspace = make_workspace(name="Nordlys Coffee", time_zone="Europe/Oslo")
    admin = make_member(workspace, role=Role.ADMIN, email="owner@example.com")
    author = make_member(workspace, role=Role.DESIGNER, email="ada@example.com")
    approver = make_member(workspace, role=Role.CONTENT_MANAGER, email="grace@example.com")
    base_url, token = mastodon_peer["MASTODON_BASE_URL"], mastodon_peer["MASTODON_ALICE_TOKEN"]
    account = connector_services.account_connect(
        actor=Actor.system("test"),
        membership=admin,
        network="mastodon",
        base_url=base_url,
        credentials={"access_token": token},
    )
    marker = uuid.uuid4().hex[:10]
    text = f"Autumn roast is back in every shop {marker}"

    # The author writes the post and its Mastodon variant, watching the preview, and sends it for review.
    page = _signed_in(browser, live_server.url, author.user.email)
    page.goto(f"{live_server.url}/publishing/new/")
    page.get_by_label("Title").fill("Autumn roast")
    page.get_by_label("Master text").fill(text)
    page.get_by_label("Planned time").fill(datetime.datetime.now(OSLO).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Draft the post").click()
    page.wait_for_url("**/publishing/posts/*/")
    variant_form = page.locator('form[action$="/variants/"]')
    variant_form.get_by_label("Account", exact=True).select_option(str(account.pk))
    variant_form.get_by_label("Text", exact=True).fill(text)
    variant_form.get_by_label("Hashtags").fill("coffee")
    live = page.get_by_test_id("variant-live")
    live.get_by_test_id("preview-text").get_by_text("#coffee").wait_for()
    assert live.get_by_test_id("preview").get_attribute("data-network") == "mastodon"
    variant_form.get_by_role("button", name="Add the variant").click()
    page.get_by_test_id("variant").get_by_test_id("preview").wait_for()
    page.get_by_role("button", name="Send for review").click()
    page.get_by_text("Sent for review.").wait_for()
    post = Post.objects.get(workspace=workspace, title="Autumn roast")
    assert post.status == PostStatus.IN_REVIEW

    # The approver approves and schedules it.
    review = _signed_in(browser, live_server.url, approver.user.email)
    review.goto(f"{live_server.url}/publishing/posts/{post.pk}/")
    review.get_by_role("button", name="Approve").click()
    review.get_by_text("Approved.").wait_for()
    review.get_by_role("button", name="Schedule").click()
    review.get_by_text("Scheduled.").wait_for()
    assert Post.objects.get(pk=post.pk).status == PostStatus.SCHEDULED

    # The minute strikes: the scheduler's job runs (its senders run here, tasks being immediate in tests).
    assert tasks.dispatch_due() == 1
    variant = Variant.objects.get(post=post)
    assert variant.status == VariantStatus.PUBLISHED, variant.last_error
    assert variant.remote_url.startswith(base_url)

    # The author sees it published, with the network's link.
    page.reload()
    assert "Published" in page.get_by_test_id("variant").inner_text()
    link = page.get_by_role("link", name="See it on the network")
    assert link.get_attribute("href") == variant.remote_url

    # And the status really is on the peer.
    status = httpx.get(
        f"{base_url}/api/v1/statuses/{variant.remote_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert status.status_code == 200
    assert marker in status.json()["content"]
    assert "coffee" in status.json()["content"]
