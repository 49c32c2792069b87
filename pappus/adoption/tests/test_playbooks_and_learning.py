"""Issue 13's process and learning parts: the playbook of recurring duties (seeded from the strategy RACI, made
into checklist items by the job, ticked on My duties, counted on time in the people KPIs), analysts' reports
delivered on time, outcome reasons by competitor, and regions learning from each other ("adopt this")."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pappus.adoption import selectors, services
from pappus.adoption.models import AdoptedCopy, Duty, DutyItem, Kpi, KpiDaily
from pappus.adoption.tests.factories import api_client, conversation, signed_in
from pappus.analytics import report_services
from pappus.analytics.models import DailyAccountRollup, PostSnapshot, Report, ReportStatus
from pappus.core.audit import Actor
from pappus.core.models import AuditEvent, Membership, Region, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.inbox.models import ConversationStatus, SavedReply
from pappus.publishing.models import Post, Variant, VariantStatus
from pappus.strategy.models import Competitor
from pappus.strategy.services import raci_assign

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 3, 2)


def _owner(workspace: Workspace) -> Membership:
    return Membership.objects.for_workspace(workspace).get(role=Role.OWNER)


def _spokes(workspace: Workspace) -> tuple[Region, Region, Region]:
    hub = Region.objects.for_workspace(workspace).get(parent__isnull=True)
    north = Region.objects.create(workspace=workspace, parent=hub, name="North")
    south = Region.objects.create(workspace=workspace, parent=hub, name="South")
    return hub, north, south


def _figures(workspace: Workspace, membership: Membership, day: datetime.date) -> dict[str, tuple[float, int]]:
    return {
        row.kpi: (row.total, row.count)
        for row in KpiDaily.objects.for_workspace(workspace).filter(user=membership.user, day=day)
    }


# --- the playbook ---------------------------------------------------------------------------------------------


def test_the_playbook_is_seeded_from_the_raci_and_each_owner_gets_one_item_per_period(workspace: Workspace) -> None:
    owner = _owner(workspace)
    _hub, north, _south = _spokes(workspace)
    manager = make_member(workspace, Role.COMMUNITY_MANAGER)
    analyst = make_member(workspace, Role.ANALYST)
    raci_assign(
        actor=Actor(owner.user),
        membership=owner,
        task="Weekly inbox review",
        responsible=[manager.user],
        accountable=manager.user,
    )
    raci_assign(
        actor=Actor(owner.user),
        membership=owner,
        task="Monthly report",
        responsible=[analyst.user],
        accountable=analyst.user,
    )

    assert services.playbook_seed_from_raci(actor=Actor(owner.user), membership=owner) == 2
    assert services.playbook_seed_from_raci(actor=Actor(owner.user), membership=owner) == 0  # not twice
    assert sorted(Duty.objects.for_workspace(workspace).values_list("title", "role", "cadence")) == [
        ("Monthly report", Role.ANALYST, "weekly"),
        ("Weekly inbox review", Role.COMMUNITY_MANAGER, "weekly"),
    ]
    # a region's duty goes to the members of that role limited to the region only
    north_manager = make_member(workspace, Role.COMMUNITY_MANAGER)
    north_manager.regions.set([north])
    services.duty_add(
        actor=Actor(owner.user),
        membership=owner,
        title="Check the North's reviews",
        role=Role.COMMUNITY_MANAGER,
        cadence="daily",
        region_id=north.pk,
    )

    created = services.duties_generate(today=MONDAY + datetime.timedelta(days=2))
    again = services.duties_generate(today=MONDAY + datetime.timedelta(days=3))

    assert created == 4  # the inbox review for both managers, the report for the analyst, the North's duty
    assert again == 1  # only the daily duty has a new period
    items = DutyItem.objects.for_workspace(workspace).filter(duty__title="Weekly inbox review")
    assert {(item.user_id, item.period_start, item.due_on) for item in items} == {
        (manager.user_id, MONDAY, MONDAY + datetime.timedelta(days=6)),
        (north_manager.user_id, MONDAY, MONDAY + datetime.timedelta(days=6)),
    }
    assert set(
        DutyItem.objects.for_workspace(workspace).filter(duty__region=north).values_list("user_id", flat=True)
    ) == {north_manager.user_id}


def test_duties_done_by_their_due_day_count_on_time_and_show_overdue_on_my_duties(workspace: Workspace) -> None:
    owner = _owner(workspace)
    manager = make_member(workspace, Role.COMMUNITY_MANAGER)
    duty = services.duty_add(
        actor=Actor(owner.user),
        membership=owner,
        title="Tag the week's complaints",
        role=Role.COMMUNITY_MANAGER,
        cadence="daily",
    )
    today = timezone.now().astimezone(datetime.UTC).date()
    days = [today - datetime.timedelta(days=offset) for offset in (3, 2, 1)]
    for day in days:
        services.duties_generate(today=day)
    items = {item.due_on: item for item in DutyItem.objects.for_workspace(workspace).filter(user=manager.user)}
    on_time, late = items[days[0]], items[days[1]]
    DutyItem.objects.filter(pk=on_time.pk).update(
        done_at=datetime.datetime.combine(days[0], datetime.time(15), tzinfo=datetime.UTC)
    )
    DutyItem.objects.filter(pk=late.pk).update(
        done_at=datetime.datetime.combine(days[2], datetime.time(9), tzinfo=datetime.UTC)
    )

    for day in days:
        services.kpi_compute(workspace.pk, day)

    assert _figures(workspace, manager, days[0])[Kpi.DUTIES_ON_TIME] == (1.0, 1)
    assert _figures(workspace, manager, days[1])[Kpi.DUTIES_ON_TIME] == (0.0, 1)  # done a day late
    assert _figures(workspace, manager, days[2])[Kpi.DUTIES_ON_TIME] == (0.0, 1)  # still open
    client = signed_in(manager)
    html = client.get(reverse("adoption:duties")).content.decode()
    assert "1 duty overdue" in html
    reminder = client.get(reverse("adoption:my_scorecard")).content.decode()
    assert 'data-testid="overdue-reminder">1 duty overdue · <a href="/adoption/duties/">My duties</a>' in reminder
    assert html.count("Tag the week&#x27;s complaints") == 3
    # ticking the overdue item is the member's own, audited action; another person's item is not found
    open_item = items[days[2]]
    assert client.post(reverse("adoption:duties"), {"item": open_item.pk, "done": "1"}).status_code == 302
    assert DutyItem.objects.get(pk=open_item.pk).done_at is not None
    assert AuditEvent.objects.filter(action="adoption.duty.done", actor=manager.user).count() == 1
    other = make_member(workspace, Role.COMMUNITY_MANAGER)
    assert signed_in(other).post(reverse("adoption:duties"), {"item": open_item.pk, "done": "0"}).status_code == 404
    assert duty.pk


def test_the_playbook_page_adds_and_removes_duties_only_for_the_hub_with_a_csrf_token(workspace: Workspace) -> None:
    owner = _owner(workspace)
    analyst = make_member(workspace, Role.ANALYST)
    agency = make_member(workspace, Role.AGENCY)

    assert signed_in(agency).get(reverse("adoption:playbook")).status_code == 403
    assert signed_in(agency).get(reverse("adoption:learn")).status_code == 403
    assert signed_in(agency).get(reverse("adoption:duties")).status_code == 200  # one's own duties
    assert signed_in(analyst).get(reverse("adoption:playbook")).status_code == 200
    assert (
        signed_in(analyst)
        .post(reverse("adoption:duty_add"), {"title": "X", "role": Role.ANALYST, "cadence": "weekly"})
        .status_code
        == 403
    )
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner.user)
    assert (
        strict.post(reverse("adoption:duty_add"), {"title": "X", "role": Role.ANALYST, "cadence": "weekly"}).status_code
        == 403
    )
    client = signed_in(owner)
    bad = client.post(reverse("adoption:duty_add"), {"title": "", "role": "wizard", "cadence": "weekly"})
    assert bad.status_code == 400
    assert "Select a valid choice. wizard is not one of the available choices." in bad.content.decode()
    good = client.post(
        reverse("adoption:duty_add"), {"title": "Post the weekly results", "role": Role.ANALYST, "cadence": "weekly"}
    )
    assert good.status_code == 302
    duty = Duty.objects.for_workspace(workspace).get()
    assert DutyItem.objects.for_workspace(workspace).filter(duty=duty, user=analyst.user).count() == 1
    html = client.get(reverse("adoption:playbook")).content.decode()
    assert "Post the weekly results" in html
    assert client.post(reverse("adoption:duty_delete", args=[duty.pk])).status_code == 302
    assert not Duty.objects.for_workspace(workspace).exists()


# --- analysts' reports delivered on time -----------------------------------------------------------------------


def test_a_scheduled_report_counts_on_time_for_whoever_last_saved_its_schedule(workspace: Workspace) -> None:
    analyst = make_member(workspace, Role.ANALYST)
    schedule = report_services.schedule_save(
        actor=Actor(analyst.user),
        membership=analyst,
        name="Weekly",
        kind="weekly",
        region_id=None,
        recipients=["boss@example.com"],
    )
    today = timezone.now().astimezone(datetime.UTC).date()
    due_day = today - datetime.timedelta(days=2)
    period_end = due_day - datetime.timedelta(days=1)

    def report(last_day: datetime.date, status: str, generated: datetime.datetime | None) -> None:
        Report.objects.create(
            workspace=workspace,
            schedule=schedule,
            kind="weekly",
            first_day=last_day - datetime.timedelta(days=6),
            last_day=last_day,
            scope_name="All",
            language="en",
            status=status,
            generated_at=generated,
        )

    report(
        period_end, ReportStatus.DELIVERED, datetime.datetime.combine(due_day, datetime.time(6), tzinfo=datetime.UTC)
    )
    report(due_day, ReportStatus.FAILED, None)  # due the next day, and failed

    services.kpi_compute(workspace.pk, due_day)
    services.kpi_compute(workspace.pk, due_day + datetime.timedelta(days=1))

    assert _figures(workspace, analyst, due_day)[Kpi.REPORTS_ON_TIME] == (1.0, 1)
    assert _figures(workspace, analyst, due_day + datetime.timedelta(days=1))[Kpi.REPORTS_ON_TIME] == (0.0, 1)
    card = selectors.person_scorecard(
        next(person for person in selectors.people(workspace.pk) if person.user_id == analyst.user_id),
        selectors.kpi_sums(workspace.pk, due_day, today)[analyst.user_id],
        {},
    )
    assert (card.values[0].kpi, card.values[0].value) == (Kpi.REPORTS_ON_TIME, 50.0)


# --- outcome reasons by competitor ----------------------------------------------------------------------------


def test_outcome_reasons_are_reported_by_the_competitor_named_in_the_reason_or_note(workspace: Workspace) -> None:
    analyst = make_member(workspace, Role.ANALYST)
    Competitor.objects.create(workspace=workspace, name="Acme")
    Competitor.objects.create(workspace=workspace, name="Globex")
    closed = timezone.now() - datetime.timedelta(days=3)

    def close(reason: str, note: str = "") -> None:
        conversation(
            workspace, status=ConversationStatus.CLOSED, closed_at=closed, outcome_reason=reason, outcome_note=note
        )

    close("Went to a competitor", "Chose ACME for the price")
    close("Went to a competitor", "globex delivers faster")
    close("Price", "acme was cheaper")
    close("Price", "Acmeville shop")  # not the competitor's name as a word
    close("Resolved")

    html = signed_in(analyst).get(reverse("adoption:outcomes")).content.decode()

    assert '<tr><th scope="row">Acme</th><td>2</td><td>Price (1), Went to a competitor (1)</td></tr>' in html
    assert '<tr><th scope="row">Globex</th><td>1</td><td>Went to a competitor (1)</td></tr>' in html
    assert 'data-vega-spec="chart-competitors"' in html
    assert "Chose ACME" not in html  # the notes stay in the inbox


# --- regions learn from each other ---------------------------------------------------------------------------


def _published(workspace: Workspace, region: Region, title: str, account_id: int, engagements: int) -> Post:
    now = timezone.now()
    published_at = now - datetime.timedelta(days=2)
    post = Post.objects.create(workspace=workspace, region=region, title=title, text=f"{title} text")
    variant = Variant.objects.create(
        workspace=workspace,
        post=post,
        network="mastodon",
        account_id=account_id,
        status=VariantStatus.PUBLISHED,
        remote_id=f"remote-{title}",
        published_at=published_at,
    )
    hour = (now - datetime.timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    PostSnapshot.objects.create(
        workspace=workspace,
        account_id=account_id,
        variant_id=variant.pk,
        post_id=post.pk,
        network="mastodon",
        region_id=region.pk,
        remote_id=variant.remote_id,
        published_at=published_at,
        hour=hour,
        taken_at=hour,
        impressions=1000,
        reactions=engagements,
        comments=0,
        shares=0,
        saves=0,
    )
    return post


def test_regions_are_compared_per_thousand_followers_and_a_post_is_adopted_with_attribution(
    workspace: Workspace,
) -> None:
    owner = _owner(workspace)
    _hub, north, south = _spokes(workspace)
    today = timezone.now().astimezone(datetime.UTC).date()
    for account_id, region, followers in ((11, north, 1000), (22, south, 20000)):
        DailyAccountRollup.objects.create(
            workspace=workspace,
            account_id=account_id,
            network="mastodon",
            region_id=region.pk,
            day=today - datetime.timedelta(days=1),
            followers=followers,
        )
    small = _published(workspace, north, "Small but loved", 11, 50)  # 50 per 1,000 followers
    _published(workspace, south, "Big and bland", 22, 200)  # 10 per 1,000 followers
    client = signed_in(owner)

    html = client.get(reverse("adoption:learn")).content.decode()

    assert (
        "score = (reactions + comments + shares + saves) ÷ followers of the accounts the post went out on × 1000"  # noqa: RUF001
        in html
    )
    assert html.index("Small but loved") < html.index("Big and bland")
    assert (
        f'<tr data-post="{small.pk}"><td>Small but loved</td><td>North</td><td>50.0</td><td>50</td><td>1000</td>'
        in html
    )

    response = client.post(
        reverse("adoption:learn"), {"kind": "post", "source": small.pk, "target_region": south.pk, "days": "90"}
    )

    assert response.status_code == 302
    copy = Post.objects.for_workspace(workspace).get(region=south, title="Small but loved")
    assert (copy.status, copy.text) == ("draft", "Small but loved text")
    adopted = AdoptedCopy.objects.for_workspace(workspace).get()
    assert (adopted.source_id, adopted.source_region_name, adopted.copy_ids) == (small.pk, "North", [copy.pk])
    assert AuditEvent.objects.filter(action="adoption.adopt", actor=owner.user).count() == 1
    html = client.get(reverse("adoption:learn")).content.decode()
    assert (
        f'<tr data-adopted="{adopted.pk}"><td>Small but loved <span class="muted">(post)</span></td><td>North</td>'
        "<td>South</td>"
    ) in html
    assert "<td>engagements per 1,000 followers</td>\n<td>50.0</td><td>—</td>" in html  # the copy is not out yet


def test_adopting_a_saved_reply_needs_the_inbox_settings_right_and_a_playbook_copies_its_duties(
    workspace: Workspace,
) -> None:
    owner = _owner(workspace)
    _hub, north, south = _spokes(workspace)
    analyst = make_member(workspace, Role.ANALYST)
    reply = SavedReply.objects.create(
        workspace=workspace, region=north, title="Delivery delay", body="Sorry {customer_name}!", language="en"
    )
    services.duty_add(
        actor=Actor(owner.user),
        membership=owner,
        title="Answer reviews",
        role=Role.COMMUNITY_MANAGER,
        region_id=north.pk,
    )

    refused = signed_in(analyst).post(
        reverse("adoption:learn"), {"kind": "saved_reply", "source": reply.pk, "target_region": south.pk}, follow=True
    )
    assert refused.status_code == 403
    assert not SavedReply.objects.for_workspace(workspace).filter(region=south).exists()

    client = signed_in(owner)
    client.post(reverse("adoption:learn"), {"kind": "saved_reply", "source": reply.pk, "target_region": south.pk})
    client.post(reverse("adoption:learn"), {"kind": "playbook", "source": north.pk, "target_region": south.pk})
    same = client.post(
        reverse("adoption:learn"), {"kind": "playbook", "source": north.pk, "target_region": north.pk}, follow=True
    )

    copy = SavedReply.objects.for_workspace(workspace).get(region=south)
    assert (copy.title, copy.body) == ("Delivery delay (from North)", "Sorry {customer_name}!")
    assert list(Duty.objects.for_workspace(workspace).filter(region=south).values_list("title", "role")) == [
        ("Answer reviews", Role.COMMUNITY_MANAGER)
    ]
    assert "target_region: Choose another region than the playbook&#x27;s own." in same.content.decode()
    assert AdoptedCopy.objects.for_workspace(workspace).count() == 2


def test_the_api_lists_my_duties_ticks_one_and_keeps_the_playbook_to_adoption_viewers(workspace: Workspace) -> None:
    owner = _owner(workspace)
    manager = make_member(workspace, Role.COMMUNITY_MANAGER)
    colleague = make_member(workspace, Role.COMMUNITY_MANAGER)
    services.duty_add(actor=Actor(owner.user), membership=owner, title="Weekly review", role=Role.COMMUNITY_MANAGER)
    services.duties_generate()
    client, headers = api_client(manager)

    mine = client.get("/api/v1/adoption/duties/me", headers=headers)
    item_id = mine.json()[0]["id"]
    ticked = client.post(
        f"/api/v1/adoption/duties/{item_id}", data={"done": True}, content_type="application/json", headers=headers
    )

    assert [(row["title"], row["overdue"], row["done_at"]) for row in mine.json()] == [("Weekly review", False, None)]
    assert ticked.status_code == 204
    assert DutyItem.objects.get(pk=item_id).done_at is not None
    # a community manager may not see adoption; a colleague's item is not found
    assert client.get("/api/v1/adoption/playbook", headers=headers).status_code == 403
    assert client.get("/api/v1/adoption/outcomes/competitors", headers=headers).status_code == 403
    colleague_client, colleague_headers = api_client(colleague)
    untick = colleague_client.post(
        f"/api/v1/adoption/duties/{item_id}",
        data={"done": False},
        content_type="application/json",
        headers=colleague_headers,
    )
    assert untick.status_code == 404
    owner_client, owner_headers = api_client(owner)
    playbook = owner_client.get("/api/v1/adoption/playbook", headers=owner_headers).json()
    assert [(row["title"], row["cadence"], row["region_id"]) for row in playbook] == [("Weekly review", "weekly", None)]
    assert owner_client.get("/api/v1/adoption/playbook?days=0", headers=owner_headers).status_code == 422
