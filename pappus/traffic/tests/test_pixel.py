"""The pixel over real HTTP: through the Django test client (whole middleware stack) and through the
live server with a plain HTTP client, as a browser on a landing page would call it."""

from __future__ import annotations

import datetime
import urllib.parse
import urllib.request
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from pappus.core.audit import Actor
from pappus.core.models import Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.publishing import links
from pappus.publishing.tests.factories import make_post
from pappus.traffic import facade, pixel, services
from pappus.traffic.models import Site, Visit

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
ACTOR = Actor.system("test")


@pytest.fixture
def site(workspace: Workspace) -> Site:
    analyst = make_member(workspace, Role.ANALYST)
    return services.site_create(actor=ACTOR, membership=analyst, name="Nordlys", hosts="nordlys.example")


def hit(client: Client, site: Site, page: str, *, event: str = "view", agent: str = BROWSER, **headers: Any) -> Any:
    query = {"k": site.key, "e": event, "u": page, "r": "https://social.example/@nordlys/1"}
    return client.get("/t/hit.gif", query, HTTP_USER_AGENT=agent, **headers)


def test_a_page_view_is_a_visit_answered_with_a_gif_and_no_cookie(site: Site) -> None:
    client = Client(REMOTE_ADDR="127.0.0.1")

    response = hit(client, site, "https://nordlys.example/spring?x=1", HTTP_ACCEPT_LANGUAGE="nb-NO,nb;q=0.9,en;q=0.5")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Pappus-Outcome"] == "counted"
    assert not response.cookies
    visit = Visit.objects.get()
    assert (visit.workspace_id, visit.landing_url, visit.page_views, visit.conversions) == (
        site.workspace_id,
        "nordlys.example/spring",
        1,
        0,
    )
    assert (visit.language, visit.country, visit.referrer_host) == ("nb", "NO", "social.example")
    assert "127.0.0.1" not in visit.visitor


def test_the_same_visitor_continues_the_visit_and_a_conversion_ends_the_bounce(site: Site) -> None:
    client = Client(REMOTE_ADDR="127.0.0.1")
    hit(client, site, "https://nordlys.example/spring")
    hit(client, site, "https://nordlys.example/spring/menu")
    hit(client, site, "https://nordlys.example/spring/order", event="conversion")
    other = Client(REMOTE_ADDR="127.0.0.2")
    hit(other, site, "https://nordlys.example/autumn")

    visits = {visit.landing_url: visit for visit in Visit.objects.all()}
    assert set(visits) == {"nordlys.example/spring", "nordlys.example/autumn"}
    assert (visits["nordlys.example/spring"].page_views, visits["nordlys.example/spring"].conversions) == (2, 1)
    today = timezone.now().date()
    pages = {
        page.landing_url: page for page in facade.landing_pages(site.workspace_id, first_day=today, last_day=today)
    }
    assert (pages["nordlys.example/spring"].sessions, pages["nordlys.example/spring"].bounces) == (1, 0)
    assert (pages["nordlys.example/autumn"].sessions, pages["nordlys.example/autumn"].bounces) == (1, 1)
    assert pages["nordlys.example/spring"].conversions == 1


def test_after_thirty_quiet_minutes_the_visitor_starts_a_new_visit(site: Site) -> None:
    client = Client(REMOTE_ADDR="127.0.0.1")
    hit(client, site, "https://nordlys.example/spring")
    Visit.objects.update(last_seen_at=timezone.now() - datetime.timedelta(minutes=31))

    hit(client, site, "https://nordlys.example/spring")

    assert Visit.objects.count() == 2


def test_robots_unknown_keys_and_foreign_hosts_are_not_counted(site: Site) -> None:
    client = Client(REMOTE_ADDR="127.0.0.1")

    robot = hit(client, site, "https://nordlys.example/", agent="Googlebot/2.1 (+http://www.google.com/bot.html)")
    foreign = hit(client, site, "https://copycat.example/")
    unknown = client.get("/t/hit.gif", {"k": "ps_nope", "u": "https://nordlys.example/"}, HTTP_USER_AGENT=BROWSER)
    bad_page = hit(client, site, "javascript:alert(1)")
    beacon = client.post(f"/t/hit.gif?k={site.key}&u=https://copycat.example/", HTTP_USER_AGENT=BROWSER)

    outcomes = [response["X-Pappus-Outcome"] for response in (robot, foreign, unknown, bad_page)]
    assert outcomes == ["robot", "foreign_host", "unknown_site", "bad_page"]
    assert beacon.status_code == 403
    assert Visit.objects.count() == 0


def test_a_subdomain_of_an_allowed_host_counts_and_a_beacon_post_needs_no_csrf_token(site: Site) -> None:
    client = Client(REMOTE_ADDR="127.0.0.1", enforce_csrf_checks=True)

    response = client.post(
        "/t/hit.gif?" + urllib.parse.urlencode({"k": site.key, "u": "https://shop.nordlys.example/cart"}),
        HTTP_USER_AGENT=BROWSER,
    )

    assert response.status_code == 204
    assert Visit.objects.get().landing_url == "shop.nordlys.example/cart"


def test_a_visitor_over_the_hit_limit_is_refused(site: Site) -> None:
    # The limit is per clock minute: on a loaded machine the hits can straddle one, so a try that did
    # is made again as another visitor.
    for attempt in range(3):
        client = Client(REMOTE_ADDR=f"127.0.0.{attempt + 1}")
        minute = timezone.now().replace(second=0, microsecond=0)
        for _ in range(pixel.VISITOR_HITS_PER_MINUTE):
            hit(client, site, "https://nordlys.example/spring")
        response = hit(client, site, "https://nordlys.example/spring")
        if timezone.now().replace(second=0, microsecond=0) == minute:
            break

    assert response.status_code == 429
    assert Visit.objects.latest("pk").page_views == pixel.VISITOR_HITS_PER_MINUTE


def test_a_visit_is_attributed_to_the_tracked_link_by_its_utm_values(site: Site) -> None:
    content = make_member(Workspace.objects.get(pk=site.workspace_id), Role.CONTENT_MANAGER)
    post = make_post(content, networks=("mastodon", "bluesky"))
    variants = list(post.variants.order_by("network"))  # bluesky, mastodon
    first = links.tracked_link_create(
        actor=ACTOR,
        membership=content,
        post=post,
        variant=variants[1],
        landing_url="https://nordlys.example/spring",
        utm=links.default_utm(post, variants[1]),
    )
    links.tracked_link_create(
        actor=ACTOR,
        membership=content,
        post=post,
        variant=variants[0],
        landing_url="https://nordlys.example/spring",
        utm=links.default_utm(post, variants[0]),
    )
    client = Client(REMOTE_ADDR="127.0.0.1")

    hit(client, site, first.destination_url)
    hit(Client(REMOTE_ADDR="127.0.0.9"), site, "https://nordlys.example/spring")  # came from elsewhere

    visit = Visit.objects.get(link_id__isnull=False)
    assert (visit.link_id, visit.post_id, visit.network, visit.utm_source) == (
        first.pk,
        post.pk,
        "mastodon",
        "mastodon",
    )
    today = timezone.now().date()
    [page] = facade.landing_pages(site.workspace_id, first_day=today, last_day=today)
    assert (page.sessions, page.referral_sessions) == (2, 1)
    [mastodon_only] = facade.landing_pages(site.workspace_id, first_day=today, last_day=today, networks=("mastodon",))
    assert (mastodon_only.sessions, mastodon_only.referral_sessions) == (1, 1)


def test_a_click_on_the_short_link_attributes_the_visit_when_the_page_lost_its_parameters(site: Site) -> None:
    content = make_member(Workspace.objects.get(pk=site.workspace_id), Role.CONTENT_MANAGER)
    post = make_post(content, networks=("mastodon",))
    link = links.tracked_link_create(
        actor=ACTOR,
        membership=content,
        post=post,
        variant=post.variants.get(),
        landing_url="https://nordlys.example/spring",
        utm=links.Utm(source="mastodon"),
    )
    client = Client(REMOTE_ADDR="127.0.0.1")
    assert client.get(f"/l/{link.code}", HTTP_USER_AGENT=BROWSER).status_code == 302

    hit(client, site, "https://nordlys.example/spring")  # the site dropped the query string

    assert Visit.objects.get().link_id == link.pk


def test_another_workspaces_visits_never_count(site: Site) -> None:
    other = make_workspace()
    other_site = services.site_create(actor=ACTOR, membership=make_member(other, Role.ANALYST), name="Other")
    hit(Client(REMOTE_ADDR="127.0.0.1"), other_site, "https://nordlys.example/spring")
    today = timezone.now().date()

    assert facade.landing_pages(site.workspace_id, first_day=today, last_day=today) == []
    assert len(facade.landing_pages(other.pk, first_day=today, last_day=today)) == 1


def test_the_snippet_loads_from_the_live_server_and_its_hit_counts(site: Site, live_server: Any) -> None:
    with urllib.request.urlopen(f"{live_server.url}/t/p.js", timeout=10) as response:
        script = response.read().decode()
        assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert "sendBeacon" in script
    assert "/t/hit.gif" in script
    query = urllib.parse.urlencode({"k": site.key, "u": "https://nordlys.example/winter", "e": "view"})
    request = urllib.request.Request(
        f"{live_server.url}/t/hit.gif?{query}",
        method="POST",
        data=b"",
        headers={"User-Agent": BROWSER, "Origin": "https://nordlys.example", "Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers.get("Set-Cookie") is None
    assert Visit.objects.get().landing_url == "nordlys.example/winter"
    unknown = f"{live_server.url}/t/hit.gif?k=ps_unknown&u=https://nordlys.example/"
    with urllib.request.urlopen(unknown, timeout=10) as response:
        assert (response.status, response.headers["X-Pappus-Outcome"]) == (200, "unknown_site")
    assert Visit.objects.count() == 1
