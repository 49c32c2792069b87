"""Listening topics linked to a campaign: chosen by the strategist (checked against the workspace's
topics), shown on the campaign page with their mentions and sentiment over the campaign's days, and
measuring the campaign's mentions, share of voice and sentiment KPIs."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from pappus.analytics.tests.factories import at
from pappus.core.models import AuditEvent, Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.listening.models import MentionRollup, Topic, TopicKind
from pappus.strategy import facade, measured, services
from pappus.strategy.models import Campaign, KpiMeasurement, MeasurementSource
from pappus.strategy.tests.factories import actor, make_campaign, make_kpi, strategist
from pappus.strategy.tests.test_api import client_of

pytestmark = pytest.mark.django_db

MARCH_10, MARCH_14 = datetime.date(2026, 3, 10), datetime.date(2026, 3, 14)


def mentions(workspace: Workspace, topic_id: int, day: int, count: int, sentiment: str = "") -> None:
    MentionRollup.objects.create(
        workspace=workspace, hour=at(day, 9), topic_id=topic_id, source_id=1, count=count, sentiment=sentiment
    )


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def launch() -> tuple[Membership, Campaign, Topic, Topic]:
    """A campaign from 10 to 14 March 2026 followed by two topics.

    #launch: 30 positive, 10 negative, 10 neutral, 5 not analysed (55); "Spring blend": 15 positive
    (15) -- 70 mentions in all, 45 positive and 10 negative of 65 analysed: net sentiment 53.85 %.
    The competitor's topic has 30 in the days: share of voice 70 / 100 = 70 %. Mentions outside
    the days, of the brand topic, or of all mentions do not count.
    """
    editor = strategist()
    workspace = editor.workspace
    tag = Topic.objects.create(workspace=workspace, name="#launch", kind=TopicKind.CAMPAIGN, query="launch")
    blend = Topic.objects.create(workspace=workspace, name="Spring blend", kind=TopicKind.PRODUCT, query="blend")
    rival = Topic.objects.create(workspace=workspace, name="Rival", kind=TopicKind.COMPETITOR, query="rival")
    brand = Topic.objects.create(workspace=workspace, name="Nordlys", kind=TopicKind.BRAND, query="nordlys")
    services.competitor_create(
        actor=actor(editor), membership=editor, name="Rival Roasters", listening_topic_id=rival.pk
    )
    mentions(workspace, tag.pk, 10, 30, "positive")
    mentions(workspace, tag.pk, 11, 10, "negative")
    mentions(workspace, tag.pk, 12, 10, "neutral")
    mentions(workspace, tag.pk, 14, 5)
    mentions(workspace, blend.pk, 13, 15, "positive")
    mentions(workspace, rival.pk, 12, 30, "neutral")
    mentions(workspace, tag.pk, 9, 400, "positive")  # before the campaign
    mentions(workspace, tag.pk, 15, 400, "negative")  # after it
    mentions(workspace, brand.pk, 11, 900, "positive")
    mentions(workspace, 0, 11, 5000)  # every mention
    campaign = make_campaign(editor, starts_on=MARCH_10, ends_on=MARCH_14)
    services.campaign_update(
        actor=actor(editor), membership=editor, campaign=campaign, listening_topic_ids=[tag.pk, blend.pk, tag.pk]
    )
    return editor, campaign, tag, blend


def test_linked_topics_are_checked_kept_once_and_audited(launch):
    editor, campaign, tag, blend = launch
    campaign.refresh_from_db()
    assert campaign.listening_topic_ids == [tag.pk, blend.pk]
    event = AuditEvent.objects.filter(action="strategy.campaign.update").latest("pk")
    assert event.after["listening_topic_ids"] == [tag.pk, blend.pk]
    info = facade.get_campaign(editor.workspace_id, campaign.pk)
    assert info is not None
    assert info.listening_topic_ids == (tag.pk, blend.pk)

    elsewhere = Topic.objects.create(workspace=make_member().workspace, name="Theirs", query="x")
    with pytest.raises(ValidationError) as error:
        services.campaign_update(
            actor=actor(editor), membership=editor, campaign=campaign, listening_topic_ids=[tag.pk, elsewhere.pk]
        )
    assert error.value.message_dict == {
        "listening_topic_ids": [f"Item 2: no listening topic with id {elsewhere.pk} in the workspace."]
    }
    with pytest.raises(ValidationError) as error:
        services.campaign_update(actor=actor(editor), membership=editor, campaign=campaign, listening_topic_ids="1")
    assert "listening_topic_ids" in error.value.message_dict


def test_the_conversation_of_a_campaign_over_its_days(launch):
    editor, campaign, _tag, blend = launch
    heard = measured.campaign_conversation(
        editor.workspace, campaign.listening_topic_ids, first_day=MARCH_10, last_day=MARCH_14
    )
    assert heard.mentions == 70
    assert heard.competitor_mentions == 30
    assert heard.share_of_voice == pytest.approx(70.0)
    assert heard.net_sentiment == pytest.approx((45 - 10) / 65 * 100)
    by_name = {topic.name: topic for topic in heard.topics}
    assert by_name["#launch"].mentions == 55
    assert dict(by_name["#launch"].by_sentiment) == {"positive": 30, "neutral": 10, "negative": 10, "": 5}
    assert by_name["#launch"].net_sentiment == pytest.approx(20 / 50 * 100)
    assert by_name["Spring blend"].net_sentiment == pytest.approx(100.0)
    assert sum(count for _day, _sentiment, count in heard.daily) == 70
    assert len(heard.daily) == 5 * 4  # every day, every sentiment

    blend.delete()  # removed in listening: shown as missing, nothing counted
    heard = measured.campaign_conversation(
        editor.workspace, campaign.listening_topic_ids, first_day=MARCH_10, last_day=MARCH_14
    )
    assert heard.mentions == 55
    assert [topic.missing for topic in heard.topics] == [False, True]


def test_campaign_kpis_on_mentions_share_of_voice_and_sentiment_are_measured_from_its_topics(launch):
    editor, campaign, _tag, _blend = launch
    kpis = {
        metric: make_kpi(
            editor, campaign, metric_key=metric, baseline=0, target=100, starts_on=MARCH_10, deadline=MARCH_14
        )
        for metric in ("mentions", "share_of_voice", "sentiment")
    }
    recorded = services.kpi_record_from_analytics(workspace_id=editor.workspace_id, day=datetime.date(2026, 3, 12))

    values = {row.kpi.metric_key: row for row in recorded}
    assert values["mentions"].value == Decimal("50")  # 30 + 10 + 10 from the start date to the 12th
    assert values["share_of_voice"].value == Decimal("62.5000")  # 50 / (50 + 30)
    assert values["sentiment"].value == Decimal("40.0000")  # (30 - 10) / 50
    assert {row.source for row in recorded} == {MeasurementSource.LISTENING}
    assert (
        values["mentions"].note
        == "Listening: the campaign's topics (#launch, Spring blend), 2026-03-10 to 2026-03-12 (UTC)"
    )

    assert services.kpi_record_from_analytics(workspace_id=editor.workspace_id, day=datetime.date(2026, 3, 12)) == []
    services.kpi_record_value(
        actor=actor(editor), membership=editor, kpi=kpis["mentions"], measured_on=datetime.date(2026, 3, 13), value=7
    )
    later = services.kpi_record_from_analytics(workspace_id=editor.workspace_id, day=datetime.date(2026, 3, 13))
    assert {row.kpi.metric_key for row in later} == {"share_of_voice", "sentiment"}  # the hand value stays
    assert KpiMeasurement.objects.get(kpi=kpis["mentions"], measured_on="2026-03-13").value == Decimal("7")


def test_the_campaign_page_shows_the_topics_and_an_editor_chooses_them(launch):
    editor, campaign, tag, blend = launch
    page = signed_in(editor).get(reverse("strategy:campaign", args=[campaign.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="campaign-mentions">70<' in html
    assert 'data-testid="campaign-share">70.0 %<' in html
    assert 'data-testid="campaign-sentiment">53.8 %<' in html
    assert "Spring blend" in html
    assert "conversation-spec" in html

    response = signed_in(editor).post(
        reverse("strategy:campaign", args=[campaign.pk]), {"topics": "1", "listening_topic_ids": [str(blend.pk)]}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.listening_topic_ids == [blend.pk]

    bad = signed_in(editor).post(
        reverse("strategy:campaign", args=[campaign.pk]), {"topics": "1", "listening_topic_ids": ["999999"]}
    )
    assert bad.status_code == 400
    assert "999999" in bad.content.decode()

    agency = make_member(editor.workspace, role=Role.AGENCY)
    assert signed_in(agency).get(reverse("strategy:campaign", args=[campaign.pk])).status_code == 200
    refused = signed_in(agency).post(
        reverse("strategy:campaign", args=[campaign.pk]), {"topics": "1", "listening_topic_ids": [str(tag.pk)]}
    )
    assert refused.status_code == 403
    campaign.refresh_from_db()
    assert campaign.listening_topic_ids == [blend.pk]


def test_the_api_links_topics_with_a_field_named_error(launch):
    editor, campaign, tag, _blend = launch
    client = client_of(editor)
    path = f"/api/v1/strategy/campaigns/{campaign.pk}"
    changed = client.patch(path, {"listening_topic_ids": [tag.pk]}, content_type="application/json")
    assert changed.status_code == 200
    assert changed.json()["listening_topic_ids"] == [tag.pk]
    unknown = client.patch(path, {"listening_topic_ids": [tag.pk, 987654]}, content_type="application/json")
    assert unknown.status_code in {400, 422}
    assert "listening_topic_ids" in unknown.content.decode()
    assert "987654" in unknown.content.decode()
    negative = client.patch(path, {"listening_topic_ids": [0]}, content_type="application/json")
    assert negative.status_code == 422
    assert "listening_topic_ids" in negative.content.decode()
