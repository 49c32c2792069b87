"""Attribution of conversions and revenue to paid campaigns (issue 12, item 3): the three rules on a
hand-computed fixture, then through the database: pixel visits through tracked links (traffic's
rows, read through ``traffic.facade``) and imported conversion paths, the workspace's rule on every
metrics page, and CPA, ROAS and ROI from the attributed figures when the workspace chooses them."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pappus.ads import attribution, selectors, services
from pappus.ads.models import Ad, ImportedConversion
from pappus.ads.tests.helpers import DAY, account, actor, campaign, day, signed_in
from pappus.core.models import AuditEvent, Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.traffic.models import Site, Visit

pytestmark = pytest.mark.django_db

A, B = 1, 2
# Hand-computed fixture: five paths of one day (touches first first; None = a click of no paid campaign).
FIXTURE = [
    attribution.Path(DAY, (A, B), conversions=2, revenue=Decimal("100.00")),
    attribution.Path(DAY, (B,), conversions=1, revenue=Decimal("30.00")),
    attribution.Path(DAY, (A, None, A), conversions=1, revenue=Decimal("60.00")),
    attribution.Path(DAY, (None,), conversions=1, revenue=Decimal("10.00")),
    attribution.Path(DAY, (), conversions=1, revenue=Decimal("5.00")),
]


def _sums(rule: str) -> dict[int, tuple[float, Decimal]]:
    found = attribution.attribute(FIXTURE, rule)
    return {campaign_id: (round(item.conversions, 4), item.revenue) for (campaign_id, _day), item in found.items()}


def test_last_click_credits_the_last_touch() -> None:
    # A: path 3 (1 conversion, 60); B: path 1 (2, 100) + path 2 (1, 30).
    assert _sums("last_click") == {A: (1.0, Decimal("60.00")), B: (3.0, Decimal("130.00"))}


def test_first_click_credits_the_first_touch() -> None:
    # A: path 1 (2, 100) + path 3 (1, 60); B: path 2 (1, 30).
    assert _sums("first_click") == {A: (3.0, Decimal("160.00")), B: (1.0, Decimal("30.00"))}


def test_linear_shares_each_path_equally_among_its_touches() -> None:
    # A: half of path 1 (1, 50) + two thirds of path 3 (0.6667, 40); B: half of path 1 (1, 50) + path 2 (1, 30).
    # The unpaid third of path 3, path 4 and path 5 (no touch) credit no paid campaign.
    assert _sums("linear") == {A: (1.6667, Decimal("90.00")), B: (2.0, Decimal("80.00"))}


def test_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown attribution rule"):
        attribution.credit((A,), "time_decay")


def _site(workspace: Workspace) -> Site:
    return Site.objects.create(workspace=workspace, name="Shop", key=f"ps_{uuid.uuid4().hex[:20]}")


def _visit(
    site: Site,
    visitor: str,
    minute: int,
    *,
    utm_campaign: str = "",
    post_id: int | None = None,
    conversions: int = 0,
) -> Visit:
    at = datetime.datetime(2026, 3, 10, 12, minute, tzinfo=datetime.UTC)
    return Visit.objects.create(
        workspace_id=site.workspace_id,
        site=site,
        visitor=visitor,
        day=at.date(),
        started_at=at,
        last_seen_at=at,
        landing_url="shop.example/spring",
        link_id=post_id and post_id + 1000,  # a post's visits come through one of its tracked links
        post_id=post_id,
        utm_campaign=utm_campaign,
        utm_source="facebook" if utm_campaign else "",
        conversions=conversions,
        page_views=1,
        rate_minute=at,
    )


def _two_campaigns(manager: Membership) -> tuple[int, int]:
    meta = account(manager)
    spring = campaign(manager, meta, "Spring", utm_campaign="spring_sale")
    retarget = campaign(manager, meta, "Retarget")
    Ad.objects.create(workspace_id=manager.workspace_id, campaign=retarget, name="Boost", post_id=777)
    day(manager, spring, spend=Decimal("100.00"), conversions=9, revenue=Decimal("900.00"))
    day(manager, retarget, spend=Decimal("50.00"), conversions=1, revenue=Decimal("10.00"))
    return spring.pk, retarget.pk


def _credited(workspace: Workspace, rule: str) -> dict[int, tuple[float, Decimal]]:
    found = selectors.attributed(workspace, DAY, DAY, rule=rule)
    return {pk: (round(item.conversions, 4), item.revenue) for (pk, _day), item in found.by_campaign_day.items()}


def test_pixel_visits_and_imported_paths_are_credited_under_each_rule(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    spring, retarget = _two_campaigns(manager)
    site = _site(workspace)
    # Visitor 1: an ad click of Spring (its utm_campaign, in another case), then the boosted post of
    # Retarget, then converts twice in that visit.
    _visit(site, "v1", 0, utm_campaign="SPRING_SALE")
    _visit(site, "v1", 5, post_id=777, conversions=2)
    # Visitor 2: a direct visit (not a click) that converts: no paid campaign gets it.
    _visit(site, "v2", 1, conversions=1)
    # An imported order: Spring, an organic step, Spring; 90 EUR.
    result = services.conversions_import(
        actor=actor(manager),
        membership=manager,
        name="paths.csv",
        data=b"Date,Campaign path,Revenue,Order ID\n2026-03-10,spring_sale > (organic) > spring_sale,90.00,A-1\n",
    )
    assert (result.imported, result.errors) == (1, [])

    assert _credited(workspace, "last_click") == {
        retarget: (2.0, Decimal("0.00")),
        spring: (1.0, Decimal("90.00")),
    }
    assert _credited(workspace, "first_click") == {spring: (3.0, Decimal("90.00"))}
    assert _credited(workspace, "linear") == {
        spring: (1.6667, Decimal("60.00")),  # half of the visit path's 2, two thirds of the order (and of 90)
        retarget: (1.0, Decimal("0.00")),
    }


def test_every_metrics_page_names_the_rule_and_keeps_the_networks_figures_apart(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    spring, _retarget = _two_campaigns(manager)
    services.conversions_import(
        actor=actor(manager),
        membership=manager,
        name="paths.csv",
        data=b"date,path,conversions,revenue\n2026-03-10,spring_sale,3,450.00\n",
    )
    client = signed_in(manager)
    period = {"start": "2026-03-01", "end": "2026-03-31"}

    overview = client.get(reverse("ads:overview"), period).content.decode()
    detail = client.get(reverse("ads:campaign", args=[spring]), period).content.decode()
    reallocation = client.get(reverse("ads:reallocation")).content.decode()

    for html in (overview, detail, reallocation):
        assert "Attribution: last click" in html
    assert "Conversions (network's)" in overview
    assert "Conversions (attributed)" in overview
    row = overview.split(f'href="/ads/campaigns/{spring}/"', 1)[1].split("</tr>", 1)[0]
    # network's 9 conversions and 900.00; attributed 3 and 450.00; CPA from the network's: 100 / 9.
    assert ">9<" in row
    assert ">900.00<" in row
    assert ">3<" in row
    assert ">450.00<" in row
    assert ">11.11<" in row

    # The workspace chooses first click and the attributed figures for CPA, ROAS and ROI.
    saved = client.post(
        reverse("ads:attribution_settings"),
        {"attribution_rule": "first_click", "ratio_basis": "attributed", "pacing_alerts_by_email": "on"},
    )
    assert saved.status_code == 302
    overview = client.get(reverse("ads:overview"), period).content.decode()
    assert "Attribution: first click" in overview
    assert "CPA, ROAS and ROI use the attributed figures." in overview
    row = overview.split(f'href="/ads/campaigns/{spring}/"', 1)[1].split("</tr>", 1)[0]
    assert ">33.33<" in row  # CPA 100 / 3
    assert ">4.50<" in row  # ROAS 450 / 100
    assert ">3.50<" in row  # ROI (450 - 100) / 100
    assert AuditEvent.objects.filter(action="ads.settings.update").count() == 1


def test_reimporting_conversion_paths_duplicates_nothing_and_bad_rows_are_named(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    data = (
        b"Date;Path;Conversions;Revenue;Currency;Order ID\n"
        b"2026-03-10;spring_sale > retarget;1;10,50;EUR;A-1\n"
        b"2026-03-10;spring_sale > retarget;1;4,50;EUR;A-1\n"
        b"10 March;spring_sale;1;5;EUR;A-2\n"
        b"2026-03-11;spring_sale;-2;5;EUR;A-3\n"
    )

    first = services.conversions_import(actor=actor(manager), membership=manager, name="orders.csv", data=data)
    second = services.conversions_import(actor=actor(manager), membership=manager, name="orders.csv", data=data)

    assert (first.rows_read, first.imported, first.updated) == (4, 1, 0)
    assert (second.imported, second.updated) == (0, 1)
    assert [error["row"] for error in first.errors] == [4, 5]
    assert "is not a date" in str(first.errors[0]["message"])
    assert "Conversions must be a whole number" in str(first.errors[1]["message"])
    stored = ImportedConversion.objects.get()
    assert (stored.path, stored.conversions, stored.revenue) == (["spring_sale", "retarget"], 2, Decimal("15.00"))


def test_a_file_without_a_path_column_is_refused_by_name(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    client = signed_in(manager)
    upload = SimpleUploadedFile("orders.csv", b"date,revenue\n2026-03-10,5\n", content_type="text/csv")

    response = client.post(reverse("ads:conversions_upload"), {"file": upload})

    assert response.status_code == 400
    assert "Choose the column that holds “path”." in response.content.decode()
    assert not ImportedConversion.objects.exists()


def test_only_those_who_manage_ads_change_the_rule_or_import(workspace: Workspace) -> None:
    analyst = make_member(workspace, Role.ANALYST)
    client = signed_in(analyst)

    page = client.get(reverse("ads:attribution"))
    refused = client.post(
        reverse("ads:attribution_settings"),
        {"attribution_rule": "linear", "ratio_basis": "network"},
    )

    assert page.status_code == 200
    assert "Attribution: last click" in page.content.decode()
    assert refused.status_code == 403
    assert selectors.ads_settings(workspace.pk).attribution_rule == "last_click"


def test_another_workspaces_visits_and_conversions_are_not_credited(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    _two_campaigns(manager)
    other_manager = make_member(make_workspace(currency="EUR"), Role.CAMPAIGN_MANAGER)
    other = other_manager.workspace
    _visit(_site(other), "v1", 0, utm_campaign="spring_sale", conversions=1)
    services.conversions_import(
        actor=actor(other_manager),
        membership=other_manager,
        name="paths.csv",
        data=b"date,path\n2026-03-10,spring_sale\n",
    )

    assert _credited(workspace, "last_click") == {}
    assert len(_credited(other, "last_click")) == 0  # its own campaigns do not exist: nothing to credit
