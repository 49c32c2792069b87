"""Reading a Meta ad account through the Marketing API, against a local server replaying Meta's
documented insights answers: pages followed, conversions from the purchase actions (counted once),
a second read updating the same days, and an expired token refused with Meta's own message."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from pappus.ads import services
from pappus.ads.models import AdDaily, Source
from pappus.ads.tests.helpers import actor
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.models import AuditEvent, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db
PATH = "/v21.0/act_1234567890/insights"


@pytest.fixture
def meta() -> Iterator[ReplayServer]:
    server = ReplayServer()
    yield server
    server.close()


def insight(day: str, ad: str, spend: str, purchases: str = "0", value: str = "0") -> dict[str, Any]:
    """One row as the insights edge documents it (numbers as strings)."""
    return {
        "campaign_id": "120200000001",
        "campaign_name": "Spring sale",
        "adset_id": "120200000011",
        "adset_name": "Broad 25-44",
        "ad_id": f"1202000001{ad[-1]}",
        "ad_name": ad,
        "spend": spend,
        "impressions": "10000",
        "reach": "8000",
        "clicks": "150",
        "actions": [
            {"action_type": "link_click", "value": "120"},
            {"action_type": "omni_purchase", "value": purchases},
            {"action_type": "offsite_conversion.fb_pixel_purchase", "value": purchases},
        ],
        "action_values": [{"action_type": "omni_purchase", "value": value}],
        "account_currency": "NOK",
        "date_start": day,
        "date_stop": day,
    }


def test_insights_are_read_page_by_page_and_a_second_read_updates_the_same_days(
    workspace: Workspace, meta: ReplayServer
) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    account = services.account_create(
        actor=actor(manager),
        membership=manager,
        network="meta",
        name="Meta",
        currency="NOK",
        external_id="act_1234567890",
    )
    first_page = {
        "data": [insight("2026-03-10", "Video 1", "120.50", "3", "897.00"), insight("2026-03-10", "Carousel 2", "80")],
        "paging": {"cursors": {"after": "MQZDZD"}, "next": f"{meta.url}{PATH}?after=MQZDZD"},
    }
    second_page = {"data": [insight("2026-03-11", "Video 1", "99.99", "1", "299.00")], "paging": {"cursors": {}}}
    for body in (first_page, second_page):
        meta.add("GET", PATH, Answer(body=body))
    since, until = datetime.date(2026, 3, 10), datetime.date(2026, 3, 11)

    first = services.sync_account(
        actor=actor(manager),
        membership=manager,
        account_id=account.pk,
        token="EAAB-token",
        since=since,
        until=until,
        base_url=f"{meta.url}/v21.0",
    )

    assert (first.rows_read, first.days_imported, first.days_updated) == (3, 3, 0)
    video = AdDaily.objects.get(ad__name="Video 1", day=since)
    assert (video.spend, video.conversions, video.revenue, video.currency, video.source) == (
        Decimal("120.50"),
        3,
        Decimal("897.00"),
        "NOK",
        Source.API,
    )
    requests = meta.requests_to("GET", PATH)
    assert requests[0].headers["Authorization"] == "Bearer EAAB-token"
    assert "time_increment=1" in requests[0].query
    assert "level=ad" in requests[0].query
    assert requests[1].query == "after=MQZDZD"

    meta.add("GET", PATH, Answer(body={"data": [insight("2026-03-10", "Video 1", "130.00", "4", "1196.00")]}))
    again = services.sync_account(
        actor=actor(manager),
        membership=manager,
        account_id=account.pk,
        token="EAAB-token",
        since=since,
        until=since,
        base_url=f"{meta.url}/v21.0",
    )

    assert (again.days_imported, again.days_updated) == (0, 1)
    assert AdDaily.objects.count() == 3
    assert AdDaily.objects.get(ad__name="Video 1", day=since).spend == Decimal("130.00")
    assert AuditEvent.objects.filter(action="ads.sync").count() == 2


def test_an_expired_token_is_refused_with_metas_message(workspace: Workspace, meta: ReplayServer) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    account = services.account_create(
        actor=actor(manager), membership=manager, network="meta", name="Meta", currency="EUR", external_id="1234567890"
    )
    meta.add(
        "GET",
        PATH,
        Answer(
            status=400,
            body={
                "error": {
                    "message": "Error validating access token: Session has expired on Monday, 30-Nov-26.",
                    "type": "OAuthException",
                    "code": 190,
                    "error_subcode": 463,
                    "fbtrace_id": "AbCdEf",
                }
            },
        ),
    )

    with pytest.raises(ValidationError) as refused:
        services.sync_account(
            actor=actor(manager),
            membership=manager,
            account_id=account.pk,
            token="old",
            since=datetime.date(2026, 3, 10),
            until=datetime.date(2026, 3, 10),
            base_url=f"{meta.url}/v21.0",
        )

    assert refused.value.message_dict["token"] == [
        "Meta refused the request (400): Error validating access token: Session has expired on Monday, 30-Nov-26."
    ]
    assert AdDaily.objects.count() == 0
