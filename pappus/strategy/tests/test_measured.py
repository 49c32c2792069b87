"""What the data measures beside the plan: share of voice per competitor from listening's rollups,
the measured audience profile, and KPI actuals recorded from analytics by the nightly job."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from pappus.analytics import rollups
from pappus.analytics.tests.factories import account_snapshot, at, make_published_variant, post_snapshot
from pappus.core.models import AuditEvent, Membership, Workspace
from pappus.core.tests.factories import make_region
from pappus.listening.models import Mention, MentionRollup, Source, SourceKind, Topic, TopicKind
from pappus.strategy import measured, services, tasks
from pappus.strategy.models import Kpi, KpiMeasurement, MeasurementSource
from pappus.strategy.tests.factories import actor, make_campaign, make_kpi, make_program, strategist

pytestmark = pytest.mark.django_db

MARCH_10, MARCH_12 = datetime.date(2026, 3, 10), datetime.date(2026, 3, 12)


def mentions(workspace: Workspace, topic_id: int, day: int, count: int, **fields: str) -> None:
    MentionRollup.objects.create(
        workspace=workspace, hour=at(day, 9), topic_id=topic_id, source_id=1, count=count, **fields
    )


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def voices() -> Membership:
    """Brand 80 mentions (60 + 20), Rival 40 (30 + 10), Other 20 from 10 to 12 March 2026."""
    editor = strategist()
    workspace = editor.workspace
    brand = Topic.objects.create(workspace=workspace, name="Nordlys", kind=TopicKind.BRAND, query="nordlys")
    rival = Topic.objects.create(workspace=workspace, name="Rival", kind=TopicKind.COMPETITOR, query="rival")
    other = Topic.objects.create(workspace=workspace, name="Other", kind=TopicKind.COMPETITOR, query="other")
    mentions(workspace, brand.pk, 10, 60, sentiment="positive")
    mentions(workspace, brand.pk, 11, 20, sentiment="neutral")
    mentions(workspace, rival.pk, 11, 30, sentiment="negative")
    mentions(workspace, rival.pk, 11, 10, sentiment="neutral")
    mentions(workspace, other.pk, 12, 20)
    mentions(workspace, rival.pk, 13, 500)  # after the range
    mentions(workspace, 0, 11, 1000)  # every mention: not a party
    gone = Topic.objects.create(workspace=workspace, name="Gone", kind=TopicKind.COMPETITOR, query="gone")
    for name, topic_id in (
        ("Rival Roasters", rival.pk),
        ("Other Beans", other.pk),
        ("Unlinked", None),
        ("Gone", gone.pk),
    ):
        services.competitor_create(actor=actor(editor), membership=editor, name=name, listening_topic_id=topic_id)
    gone.delete()  # removed in listening afterwards: the competitor stays, without a share
    return editor


def test_share_of_voice_per_competitor_over_the_chosen_days(voices):
    result = measured.share_of_voice(voices.workspace, first_day=MARCH_10, last_day=MARCH_12, brand_name="Nordlys")

    by_name = {voice.name: voice for voice in result.voices}
    assert result.total == 140
    assert (by_name["Nordlys"].mentions, by_name["Rival Roasters"].mentions, by_name["Other Beans"].mentions) == (
        80,
        40,
        20,
    )
    assert by_name["Nordlys"].share == pytest.approx(80 / 140 * 100)
    assert by_name["Rival Roasters"].share == pytest.approx(40 / 140 * 100)
    assert by_name["Other Beans"].share == pytest.approx(20 / 140 * 100)
    assert by_name["Unlinked"].share is None
    assert not by_name["Unlinked"].topic_missing
    assert by_name["Gone"].share is None
    assert by_name["Gone"].topic_missing
    daily = {(day, party): count for day, party, count in result.daily}
    assert daily[(MARCH_10, "Nordlys")] == 60
    assert daily[(datetime.date(2026, 3, 11), "Rival Roasters")] == 40
    assert daily[(MARCH_12, "Rival Roasters")] == 0

    one_day = measured.share_of_voice(voices.workspace, first_day=MARCH_12, last_day=MARCH_12, brand_name="Nordlys")
    assert [(voice.name, voice.share) for voice in one_day.voices if voice.share is not None] == [
        ("Nordlys", 0.0),
        ("Other Beans", 100.0),
        ("Rival Roasters", 0.0),
    ]


def test_share_of_voice_counts_the_workspace_days(voices):
    """Days run from midnight to midnight in the workspace's time zone, as on the analytics dashboard."""
    workspace = voices.workspace
    other = Topic.objects.get(workspace=workspace, name="Other")
    MentionRollup.objects.create(workspace=workspace, hour=at(12, 20), topic_id=other.pk, source_id=1, count=7)
    utc = measured.share_of_voice(workspace, first_day=MARCH_10, last_day=MARCH_12, brand_name="Nordlys")
    assert utc.total == 147  # 20:00 UTC on 12 March is inside 10-12 March in UTC

    workspace.time_zone = "Asia/Shanghai"
    workspace.save(update_fields=["time_zone"])
    shanghai = measured.share_of_voice(workspace, first_day=MARCH_10, last_day=MARCH_12, brand_name="Nordlys")
    assert shanghai.total == 140  # ... but 04:00 on 13 March in Shanghai: outside
    daily = {(day, party): count for day, party, count in shanghai.daily}
    assert daily[(MARCH_10, "Nordlys")] == 60  # 09:00 UTC is 17:00 in Shanghai, the same day
    assert daily[(MARCH_12, "Other Beans")] == 20


def test_the_brand_page_shows_share_of_voice_for_the_chosen_range_with_a_chart(voices):
    client = signed_in(voices)
    html = client.get(reverse("strategy:brand"), {"first_day": "2026-03-10", "last_day": "2026-03-12"}).content.decode()

    assert "57.1 %" in html
    assert "28.6 %" in html
    assert "14.3 %" in html
    assert 'data-vega-spec="voice-spec"' in html
    assert "The linked listening topic no longer exists." in html
    assert "No listening topic linked." in html

    wrong = client.get(reverse("strategy:brand"), {"first_day": "2026-03-12", "last_day": "2026-03-10"})
    assert "To: The end date must not be before the start date." in wrong.content.decode()


def test_measured_audience_profile_beside_the_planned_one():
    editor = strategist()
    workspace = editor.workspace
    today = datetime.datetime.now(tz=datetime.UTC)
    for language, count in (("en", 30), ("ru", 10), ("", 5)):
        MentionRollup.objects.create(
            workspace=workspace,
            hour=today.replace(minute=0, second=0, microsecond=0) - datetime.timedelta(days=2),
            topic_id=0,
            source_id=1,
            language=language,
            count=count,
        )
    source = Source.objects.create(workspace=workspace, name="Feed", kind=SourceKind.WEBHOOK)
    for number, country in enumerate(("NO", "NO", "NO", "SE", "")):
        Mention.objects.create(
            workspace=workspace,
            source=source,
            network="bluesky",
            external_id=f"post{number}",
            country=country,
            published_at=today - datetime.timedelta(days=3),
        )
    Mention.objects.create(  # before the 90 days
        workspace=workspace,
        source=source,
        network="bluesky",
        external_id="old",
        country="DK",
        published_at=today - datetime.timedelta(days=120),
    )
    account_snapshot(workspace, 1, today - datetime.timedelta(days=1), 1200, network="instagram")
    account_snapshot(workspace, 2, today - datetime.timedelta(days=1), 300, network="vk")
    rollups.rollups_backfill(workspace.pk)
    services.audience_create(
        actor=actor(editor),
        membership=editor,
        name="Home brewers",
        networks=["instagram"],
        planned_profile={"language": "en", "country": "NO"},
    )

    profile = measured.measured_profile(workspace, last_day=today.date())
    assert profile.languages == (("en", 30, 75.0), ("ru", 10, 25.0))
    assert profile.not_detected == 5
    assert profile.followers_on(["instagram"]) == (("instagram", 1200),)
    assert profile.countries == (("NO", 3, 75.0), ("SE", 1, 25.0))
    assert profile.countries_sampled is False

    html = signed_in(editor).get(reverse("strategy:audiences")).content.decode()
    planned, measured_part = html.split('data-testid="planned"')[1].split('data-testid="measured"')
    assert "country" in planned
    assert "NO" in planned
    assert "en: 75.0 % (30)" in measured_part
    assert "ru: 25.0 % (10)" in measured_part
    assert "instagram: 1200" in measured_part
    assert "vk" not in measured_part
    assert "NO: 75.0 % (3)" in measured_part
    assert "DK" not in measured_part
    assert "Not measured yet." in measured_part  # age and other demographics


@pytest.fixture
def measured_campaign():
    """A campaign with one post measured by analytics, and KPIs on it and on its program."""
    editor = strategist()
    workspace = editor.workspace
    program = make_program(editor, name="Awareness", starts_on=datetime.date(2026, 3, 1))
    campaign = make_campaign(
        editor, program=program, name="Spring", starts_on=datetime.date(2026, 3, 1), ends_on=datetime.date(2026, 4, 30)
    )
    ours = make_published_variant(
        workspace, account_id=1, remote_id="m1", published_at=at(9, 9), campaign_id=campaign.pk
    )
    post_snapshot(workspace, ours, at(9, 15), reach=100, impressions=1000, reactions=40, link_clicks=5)
    post_snapshot(workspace, ours, at(11), reach=300, impressions=2000, reactions=90, comments=10, link_clicks=25)
    post_snapshot(workspace, ours, at(13), reach=999, impressions=9999, reactions=999, link_clicks=999)  # after the day
    other = make_published_variant(workspace, account_id=1, remote_id="m2", published_at=at(10, 9))  # no campaign
    post_snapshot(workspace, other, at(11), reach=5000, impressions=5000)
    account_snapshot(workspace, 1, at(11), 500)
    account_snapshot(workspace, 1, at(12, 20), 520)
    rollups.rollups_backfill(workspace.pk)
    brand = Topic.objects.create(workspace=workspace, name="Nordlys", kind=TopicKind.BRAND, query="nordlys")
    rival = Topic.objects.create(workspace=workspace, name="Rival", kind=TopicKind.COMPETITOR, query="rival")
    mentions(workspace, brand.pk, 5, 75, sentiment="positive")
    mentions(workspace, rival.pk, 6, 25, sentiment="negative")

    def kpi(metric: str, **values: object):
        values.setdefault("baseline", 0)
        values.setdefault("target", 100_000)
        values.setdefault("starts_on", MARCH_10)
        values.setdefault("deadline", datetime.date(2026, 4, 30))
        return make_kpi(editor, campaign=campaign, name=metric, metric_key=metric, **values)

    kpis = {metric: kpi(metric) for metric in ("reach", "impressions", "engagement", "engagement_rate", "clicks")}
    kpis["followers"] = kpi("followers", baseline=400, target=1000)
    kpis["leads"] = kpi("leads")
    kpis["share_of_voice"] = make_kpi(
        editor,
        program=program,
        name="Share of voice",
        metric_key="share_of_voice",
        baseline=50,
        target=80,
        starts_on=datetime.date(2026, 3, 1),
        deadline=datetime.date(2026, 6, 30),
    )
    kpis["program_reach"] = make_kpi(
        editor,
        program=program,
        name="Program reach",
        metric_key="reach",
        baseline=0,
        target=10_000,
        starts_on=MARCH_10,
        deadline=datetime.date(2026, 6, 30),
    )
    return editor, kpis


def recorded(kpi: Kpi) -> tuple[Decimal | None, str, str]:
    """The KPI's value, source and note on 12 March; (None, "", "") when nothing was recorded."""
    row = KpiMeasurement.objects.filter(kpi=kpi, measured_on=MARCH_12).first()
    return (row.value, row.source, row.note) if row else (None, "", "")


def test_the_nightly_job_records_actuals_from_analytics_scoped_to_the_campaign(measured_campaign):
    editor, kpis = measured_campaign
    services.kpi_record_value(
        actor=actor(editor),
        membership=editor,
        kpi=kpis["clicks"],
        measured_on=MARCH_12,
        value=7,
        note="counted by hand",
    )

    written = services.kpi_record_from_analytics(workspace_id=editor.workspace_id, day=MARCH_12)

    # Posts of the campaign only, counters grown from the KPI's start (10 March) to the end of 12 March.
    assert recorded(kpis["reach"]) == (
        Decimal("200.0000"),
        MeasurementSource.ANALYTICS,
        "Analytics: posts of the campaign, 2026-03-10 to 2026-03-12 (UTC)",
    )
    assert recorded(kpis["impressions"])[0] == Decimal(1000)
    assert recorded(kpis["engagement"])[0] == Decimal(60)  # reactions 90 - 40, comments 10
    assert recorded(kpis["engagement_rate"])[0] == Decimal(6)  # 60 / 1000 x 100
    assert recorded(kpis["followers"])[:2] == (Decimal(520), MeasurementSource.ANALYTICS)
    assert recorded(kpis["followers"])[2] == "Analytics: the whole workspace, 2026-03-12 (UTC)"
    # A program's share of voice over the last 28 days (from its start on 1 March): 75 of 100.
    assert recorded(kpis["share_of_voice"])[0] == Decimal(75)
    assert recorded(kpis["program_reach"]) == (
        Decimal(200),
        MeasurementSource.ANALYTICS,
        "Analytics: posts of the program's campaigns, 2026-03-10 to 2026-03-12 (UTC)",
    )
    assert recorded(kpis["leads"])[0] is None  # analytics does not measure leads
    assert recorded(kpis["clicks"]) == (Decimal(7), MeasurementSource.MANUAL, "counted by hand")  # kept
    assert len(written) == 7
    events = AuditEvent.objects.filter(action="strategy.measurement.record", actor__isnull=True)
    assert events.count() == 7

    campaign_page = (
        signed_in(editor).get(reverse("strategy:campaign", args=[kpis["reach"].campaign_id])).content.decode()
    )
    assert "From analytics — Analytics: posts of the campaign, 2026-03-10 to 2026-03-12 (UTC)" in campaign_page
    assert "Entered by hand — counted by hand" in campaign_page

    assert services.kpi_record_from_analytics(workspace_id=editor.workspace_id, day=MARCH_12) == []
    assert services.kpi_record_actuals_everywhere(day=MARCH_12) == 0
    assert AuditEvent.objects.filter(action="strategy.measurement.record", actor__isnull=True).count() == 7


def test_a_program_in_a_region_is_measured_over_that_region(measured_campaign):
    editor, kpis = measured_campaign
    region = make_region(editor.workspace, "Norway")
    program = kpis["followers"].campaign.program
    services.program_revise(
        actor=actor(editor), membership=editor, program=program, reason="Norway only", region_id=region.pk
    )
    services.kpi_record_from_analytics(workspace_id=editor.workspace_id, day=MARCH_12)
    assert recorded(kpis["followers"])[0] is None  # the workspace's account has no region: nothing in Norway
    assert recorded(kpis["reach"])[0] == Decimal(200)  # posts of the campaign, wherever they are


def test_days_outside_a_kpi_and_archived_programs_record_nothing(measured_campaign):
    editor, kpis = measured_campaign
    # 9 March: before the campaign KPIs start; the program's share of voice (from 1 March) counts.
    written = services.kpi_record_from_analytics(workspace_id=editor.workspace_id, day=datetime.date(2026, 3, 9))
    assert [(row.kpi.name, row.value) for row in written] == [("Share of voice", Decimal(75))]
    program = kpis["reach"].campaign.program
    services.program_revise(
        actor=actor(editor), membership=editor, program=program, reason="Stopped", status="archived"
    )
    assert services.kpi_record_from_analytics(workspace_id=editor.workspace_id, day=MARCH_12) == []


def test_the_strategy_document_carries_share_of_voice_and_the_measured_profile(voices):
    generated = services.document_generate(actor=actor(voices), membership=voices, as_of=MARCH_12)

    name = voices.workspace.name
    assert "Mentions from 2026-02-13 to 2026-03-12 (days in UTC), counted by listening." in generated.markdown
    assert f"| {name} | 80 | 57.1 % |" in generated.markdown
    assert "| Rival Roasters | 40 | 28.6 % |" in generated.markdown
    assert "| Unlinked |" not in generated.markdown


def test_the_scheduled_job_records_yesterdays_followers():
    editor = strategist()
    workspace = editor.workspace
    yesterday = datetime.datetime.now(tz=datetime.UTC).date() - datetime.timedelta(days=1)
    moment = datetime.datetime.combine(yesterday, datetime.time(15), tzinfo=datetime.UTC)
    account_snapshot(workspace, 1, moment, 640)
    rollups.rollups_backfill(workspace.pk)
    kpi = make_kpi(
        editor,
        name="Followers",
        metric_key="followers",
        baseline=500,
        target=1000,
        starts_on=yesterday - datetime.timedelta(days=10),
        deadline=yesterday + datetime.timedelta(days=60),
    )

    tasks.record_actuals()  # jobs run inline in the test settings

    row = KpiMeasurement.objects.get(kpi=kpi)
    assert (row.measured_on, row.value, row.source) == (yesterday, Decimal(640), MeasurementSource.ANALYTICS)


def test_the_job_records_each_workspaces_last_complete_day_in_its_time_zone():
    """At 01:37 UTC on 13 March it is 18:37 on 12 March in Los Angeles: its last complete day is
    11 March, while a UTC workspace's is 12 March."""
    recorded = {}
    for zone in ("UTC", "America/Los_Angeles"):
        editor = strategist()
        workspace = editor.workspace
        workspace.time_zone = zone
        workspace.save(update_fields=["time_zone"])
        account_snapshot(workspace, 1, at(10, 15), 600)
        rollups.rollups_backfill(workspace.pk)
        recorded[zone] = make_kpi(
            editor,
            name="Followers",
            metric_key="followers",
            baseline=500,
            target=1000,
            starts_on=datetime.date(2026, 3, 1),
            deadline=datetime.date(2026, 5, 1),
        )

    services.kpi_record_actuals_everywhere(now=datetime.datetime(2026, 3, 13, 1, 37, tzinfo=datetime.UTC))

    days = {zone: [row.measured_on for row in KpiMeasurement.objects.filter(kpi=kpi)] for zone, kpi in recorded.items()}
    assert days == {"UTC": [MARCH_12], "America/Los_Angeles": [datetime.date(2026, 3, 11)]}
