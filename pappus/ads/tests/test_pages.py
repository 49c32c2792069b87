"""The ads pages as a campaign manager and an agency use them: spend against plan with the metrics
and the daily chart, a campaign's ads and ad sets, a missing exchange rate shown rather than hidden,
hand entry, and who sees the navigation entry. The agency role runs ads but reaches no customer page."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from pappus.ads import services
from pappus.ads.models import AdAccount, AdDaily
from pappus.ads.tests.helpers import DAY, account, actor, campaign, day, signed_in
from pappus.core.models import Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2026-03-01", "end": "2026-03-31"}


def test_the_overview_shows_spend_against_plan_metrics_and_the_daily_chart(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    spring = campaign(manager, account(manager), budget_planned=Decimal("400.00"), planned_conversions=8)
    day(manager, spring, spend=Decimal("100.00"), impressions=20_000, clicks=200, conversions=4, revenue=Decimal("300"))
    day(manager, spring, DAY + datetime.timedelta(days=1), spend=Decimal("100.00"), impressions=0)

    response = signed_in(manager).get(reverse("ads:overview"), PERIOD)

    assert response.status_code == 200
    html = response.content.decode()
    row = html.split(f'data-campaign="{spring.pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num" data-testid="spent-share">50 %</td>' in row
    assert "0.50" in row  # effectiveness 4 / 8
    assert "200.00" in row
    assert "10.00" in row
    assert "Attribution: last click" in html
    assert "are the ad networks' own figures as imported or entered" in html
    spec = json.loads(html.split('id="chart-daily-spend" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert {value["spend"] for value in spec["datasets"][next(iter(spec["datasets"]))]} == {100.0}


def test_a_missing_exchange_rate_is_named_and_its_spend_is_not_counted_silently(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)  # the workspace reports in EUR
    vk = account(manager, "VK Ads", currency="RUB", network="vk")
    awareness = campaign(manager, vk, "Awareness")
    day(manager, awareness, spend=Decimal("10000.00"))
    day(manager, awareness, DAY + datetime.timedelta(days=1), spend=Decimal("10000.00"))
    day(manager, awareness, datetime.date(2026, 3, 19), spend=Decimal("500.00"))
    services.rate_set(actor=actor(manager), membership=manager, day=DAY, currency="RUB", rate=Decimal("0.01"))
    client = signed_in(manager)

    complete = client.get(reverse("ads:overview"), {"start": "2026-03-10", "end": "2026-03-17"}).content.decode()
    partial = client.get(reverse("ads:overview"), {"start": "2026-03-10", "end": "2026-03-20"}).content.decode()

    assert 'data-testid="missing-rates"' not in complete  # the 10th's rate serves the 11th (a week at most)
    assert "200.00" in complete
    assert 'data-testid="missing-rates"' in partial
    assert "<li>RUB 2026-03-19</li>" in partial
    assert "200.00" not in partial
    assert "205.00" not in partial


def test_the_campaign_page_shows_ad_sets_and_ads_from_an_import(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    meta = account(manager)
    upload = services.import_upload(
        actor=actor(manager),
        membership=manager,
        account_id=meta.pk,
        name="meta.csv",
        data=(
            b"Date,Campaign,Ad set,Ad,Spend,Clicks\n"
            b"2026-03-10,Spring,Broad,Video,30,3\n"
            b"2026-03-10,Spring,Broad,Carousel,20,0\n"
        ),
    )
    services.import_commit(
        actor=actor(manager),
        membership=manager,
        import_id=upload.pk,
        mapping={
            "day": "Date",
            "campaign": "Campaign",
            "ad_set": "Ad set",
            "ad": "Ad",
            "spend": "Spend",
            "clicks": "Clicks",
        },
    )
    spring = AdDaily.objects.first().campaign  # type: ignore[union-attr]

    html = signed_in(manager).get(reverse("ads:campaign", args=[spring.pk]), PERIOD).content.decode()

    ads = html.split('data-testid="ads"', 1)[1].split("</section>", 1)[0]
    assert "Video" in ads
    assert "Carousel" in ads
    carousel = ads.split("Carousel", 1)[1].split("</tr>", 1)[0]
    assert "20.00" in carousel
    assert "—" in carousel
    assert "50.00" in html.split('data-testid="total"', 1)[1].split("</section>", 1)[0]


def test_hand_entry_and_rates_through_the_setup_page(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    client = signed_in(manager)
    created = client.post(reverse("ads:account_create"), {"network": "meta", "name": "Meta", "currency": "NOK"})
    meta = AdAccount.objects.get()
    bad = client.post(reverse("ads:account_create"), {"network": "meta", "name": "Other", "currency": "nokk"})
    spring = campaign(manager, meta)

    entered = client.post(
        reverse("ads:daily_enter"),
        {
            "campaign": spring.pk,
            "day": "2026-03-10",
            "spend": "12.50",
            "impressions": 10,
            "reach": 5,
            "clicks": 20,
            "conversions": 0,
            "revenue": "0",
        },
    )
    huge = client.post(
        reverse("ads:daily_enter"),
        {
            "campaign": spring.pk,
            "day": "2026-03-10",
            "spend": "1e30",
            "impressions": 10**20,
            "reach": 0,
            "clicks": 0,
            "conversions": 0,
            "revenue": "0",
        },
    )
    rate = client.post(reverse("ads:rate_set"), {"day": "2026-03-10", "currency": "NOK", "rate": "0.087"})

    assert created.status_code == 302
    assert bad.status_code == 400
    assert entered.status_code == 400
    assert "More clicks than impressions." in entered.content.decode()
    assert huge.status_code == 400
    assert rate.status_code == 302
    assert AdDaily.objects.count() == 0


def test_the_navigation_shows_paid_campaigns_only_to_roles_with_ads_view(workspace: Workspace) -> None:
    url = reverse("ads:overview")
    for role, visible in (
        (Role.CAMPAIGN_MANAGER, True),
        (Role.AGENCY, True),
        (Role.ANALYST, True),
        (Role.DESIGNER, False),
    ):
        member = make_member(workspace, role)
        home = signed_in(member).get(reverse("core:home")).content.decode()
        assert (f'href="{url}"' in home) is visible, role
        assert signed_in(member).get(url).status_code == (200 if visible else 403), role


def test_the_agency_runs_ads_work_but_reaches_no_customer_page(workspace: Workspace) -> None:
    agency = make_member(workspace, Role.AGENCY)
    client = signed_in(agency)
    meta = account(agency)
    spring = campaign(agency, meta)
    day(agency, spring)

    for name, args in (("ads:overview", []), ("ads:campaign", [spring.pk]), ("ads:imports", []), ("ads:setup", [])):
        assert client.get(reverse(name, args=args)).status_code == 200, name
    for name in ("community:members", "community:imports", "inbox:queue"):
        assert client.get(reverse(name)).status_code == 403, name


def test_a_viewer_without_ads_manage_cannot_change_anything(workspace: Workspace) -> None:
    analyst = make_member(workspace, Role.ANALYST)
    client = signed_in(analyst)

    assert client.get(reverse("ads:overview")).status_code == 200
    assert client.get(reverse("ads:setup")).status_code == 403
    assert (
        client.post(reverse("ads:account_create"), {"network": "meta", "name": "x", "currency": "EUR"}).status_code
        == 403
    )


def test_another_workspaces_campaign_is_not_found(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    stranger = make_member(None, Role.CAMPAIGN_MANAGER)
    theirs = campaign(stranger, account(stranger))

    assert signed_in(manager).get(reverse("ads:campaign", args=[theirs.pk])).status_code == 404
