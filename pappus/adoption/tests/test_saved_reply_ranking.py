"""Saved replies ranked across the spokes on /adoption/learn/ by how the conversations they answered ended; the
figures below are computed by hand from the fixture (see each reply's comment)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from pappus.adoption import selectors, services
from pappus.adoption.models import AdoptedKind
from pappus.adoption.tests.factories import api_client, conversation, signed_in
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.inbox.models import Conversation, ConversationStatus, Message, SavedReply

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def _answer(row: Conversation, reply: SavedReply, at: datetime.datetime, *, status: str = "sent") -> None:
    Message.objects.create(
        workspace_id=row.workspace_id,
        conversation=row,
        external_scope=row.external_scope,
        direction="out",
        text=f"{reply.body} (edited)",
        sent_at=at,
        delivery_status=status,
        saved_reply=reply,
    )


def _close(row: Conversation, at: datetime.datetime, reason: str) -> None:
    row.status, row.closed_at, row.outcome_reason = ConversationStatus.CLOSED, at, reason
    row.save()


def _complaint(workspace: Workspace, customer: str, at: datetime.datetime) -> None:
    again = conversation(workspace, customer_key=customer, customer_handle=customer)
    Message.objects.create(
        workspace=workspace,
        conversation=again,
        external_scope="mastodon",
        direction="in",
        text="Still broken!",
        intent="complaint",
        sent_at=at,
    )


def _reply(workspace: Workspace, region: Region | None, title: str) -> SavedReply:
    return SavedReply.objects.create(
        workspace=workspace, region=region, title=title, body=f"{title} text", language="en"
    )


@pytest.fixture
def fixture(workspace: Workspace) -> dict[str, Any]:
    hub = Region.objects.for_workspace(workspace).get(parent__isnull=True)
    north = Region.objects.create(workspace=workspace, parent=hub, name="North")
    south = Region.objects.create(workspace=workspace, parent=hub, name="South")
    base = timezone.now().replace(microsecond=0) - datetime.timedelta(days=20)

    # A (North): 4 answers in 3 conversations. c1 answered twice (first at base), closed "Problem solved" after 3 h,
    # its customer complained again 2 days later; c2 closed "Answered" after 5 h (a complaint 9 days later is outside
    # the 7 days); c3 still open. Positive 2/3 = 66.7 %, complaints 1/2 = 50.0 %, hours (3 + 5) / 2 = 4.0,
    # score 66.7 - 50.0 = 16.7.
    delay = _reply(workspace, north, "Delivery delay")
    c1, c2, c3 = (conversation(workspace, region=north) for _ in range(3))
    _answer(c1, delay, base)
    _answer(c1, delay, base + HOUR)
    _close(c1, base + 3 * HOUR, "Problem solved")
    _complaint(workspace, c1.customer_key, base + datetime.timedelta(days=2))
    _answer(c2, delay, base)
    _close(c2, base + 5 * HOUR, "Answered")
    _complaint(workspace, c2.customer_key, base + datetime.timedelta(days=9))
    _answer(c3, delay, base)

    # B (South): 3 answers in 3 conversations (a 4th, refused by the network, does not count), closed "Sale made"
    # after 2 h, "Customer stopped answering" after 4 h, "Answered" after 6 h. Positive 2/3 = 66.7 %, complaints
    # 0/3 = 0.0 %, hours (2 + 4 + 6) / 3 = 4.0, score 66.7.
    refund = _reply(workspace, south, "Refund steps")
    for hours, reason in ((2, "Sale made"), (4, "Customer stopped answering"), (6, "Answered")):
        row = conversation(workspace, region=south)
        _answer(row, refund, base)
        if hours == 6:
            _answer(row, refund, base + HOUR, status="failed")
        _close(row, base + hours * HOUR, reason)

    # C (North): 2 answers in the period and one 120 days ago → 2 uses, under the minimum of 3: listed, not ranked.
    hello = _reply(workspace, north, "Hello")
    for _ in range(2):
        _answer(conversation(workspace, region=north), hello, base)
    _answer(conversation(workspace, region=north), hello, base - datetime.timedelta(days=100))

    # The hub's reply (used 5 times) is not a spoke's: not listed.
    hubs = _reply(workspace, None, "Hub greeting")
    for _ in range(5):
        _answer(conversation(workspace), hubs, base)

    # Another workspace's reply with the same title and uses never counts here.
    other = make_workspace("Elsewhere")
    other_hub = Region.objects.for_workspace(other).get(parent__isnull=True)
    other_spoke = Region.objects.create(workspace=other, parent=other_hub, name="North")
    foreign = _reply(other, other_spoke, "Delivery delay")
    for _ in range(4):
        _answer(conversation(other), foreign, base)
    return {"delay": delay, "refund": refund, "hello": hello, "north": north, "south": south, "base": base}


def test_saved_replies_are_ranked_by_positive_closes_minus_later_complaints(
    workspace: Workspace, fixture: dict[str, Any]
) -> None:
    owner = Membership.objects.for_workspace(workspace).get(role=Role.OWNER)
    overview = selectors.learning_overview(owner, 90)
    got = [
        (r.title, r.uses, r.conversations, r.closed, r.positive_share, r.complaint_share, r.hours_to_close, r.score)
        for r in overview.saved_replies
    ]
    assert got == [
        ("Refund steps", 3, 3, 3, 66.7, 0.0, 4.0, 66.7),
        ("Delivery delay", 4, 3, 2, 66.7, 50.0, 4.0, 16.7),
        ("Hello", 2, 2, 0, 0.0, None, None, 0.0),
    ]
    assert [r.ranked for r in overview.saved_replies] == [True, True, False]

    html = signed_in(owner).get(reverse("adoption:learn")).content.decode()
    assert "cannot be ranked" not in html
    assert "Not ranked" not in html
    assert "Only replies used at least 3 times in the period are ranked." in html
    assert "within 7 days" in html
    order = re.findall(r'<tr data-reply="(\d+)">', html)
    assert order == [str(fixture["refund"].pk), str(fixture["delay"].pk), str(fixture["hello"].pk)]
    refund_row = html.split(f'<tr data-reply="{fixture["refund"].pk}">')[1].split("</tr>")[0]
    assert "<td>1</td><td>Refund steps" in refund_row
    assert "<td>66.7 %</td><td>0.0 %</td><td>4.0</td><td>66.7</td>" in refund_row
    hello_row = html.split(f'<tr data-reply="{fixture["hello"].pk}">')[1].split("</tr>")[0]
    assert "under 3 uses" in hello_row
    assert "<td>—</td><td>—</td><td>—</td><td>—</td>" in hello_row


def test_an_adopted_saved_reply_shows_the_copys_positive_share_beside_the_originals(
    workspace: Workspace, fixture: dict[str, Any]
) -> None:
    owner = Membership.objects.for_workspace(workspace).get(role=Role.OWNER)
    refund = fixture["refund"]
    north = fixture["north"]
    base = fixture["base"]
    assert isinstance(refund, SavedReply)
    assert isinstance(north, Region)
    assert isinstance(base, datetime.datetime)
    services.adopt(
        actor=Actor(owner.user),
        membership=owner,
        kind=AdoptedKind.SAVED_REPLY,
        source_id=refund.pk,
        target_region_id=north.pk,
    )
    copy = SavedReply.objects.for_workspace(workspace).get(region=north, title="Refund steps (from South)")
    html = signed_in(owner).get(reverse("adoption:learn")).content.decode()
    assert "conversations closed with a positive reason (%), once used 3 times</td>\n<td>66.7</td><td>—</td>" in html

    # The copy answers 3 conversations in North: one closed "Answered", two still open → 1/3 = 33.3 %.
    rows = [conversation(workspace, region=north) for _ in range(3)]
    for row in rows:
        _answer(row, copy, base + datetime.timedelta(days=1))
    _close(rows[0], base + datetime.timedelta(days=1, hours=1), "Answered")
    html = signed_in(owner).get(reverse("adoption:learn")).content.decode()
    assert "conversations closed with a positive reason (%), once used 3 times</td>\n<td>66.7</td><td>33.3</td>" in html


def test_an_agency_member_may_not_see_the_ranking(workspace: Workspace, fixture: dict[str, Any]) -> None:
    agency = make_member(workspace, Role.AGENCY)
    assert signed_in(agency).get(reverse("adoption:learn")).status_code == 403


@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("ru", "В рейтинг входят только ответы, использованные за период не менее 3 раз."),  # noqa: RUF001
        ("nb", "Bare svar brukt minst 3 ganger i perioden rangeres."),
        ("zh-hans", "只有在该期间使用至少 3 次的回复才参与排名。"),
    ],
)
def test_the_ranking_and_its_formula_are_translated(
    workspace: Workspace, fixture: dict[str, Any], language: str, phrase: str
) -> None:
    owner = Membership.objects.for_workspace(workspace).select_related("user").get(role=Role.OWNER)
    owner.user.language = language
    owner.user.save()
    html = signed_in(owner).get(reverse("adoption:learn")).content.decode()
    assert phrase in html


def test_the_api_gives_the_same_ranking_and_refuses_a_bad_period(workspace: Workspace, fixture: dict[str, Any]) -> None:
    owner = Membership.objects.for_workspace(workspace).get(role=Role.OWNER)
    client, headers = api_client(owner)
    rows = client.get("/api/v1/adoption/regions/saved-replies", {"days": 90}, headers=headers).json()
    assert [(row["title"], row["rank"], row["uses"], row["positive_share"], row["score"]) for row in rows] == [
        ("Refund steps", 1, 3, 66.7, 66.7),
        ("Delivery delay", 2, 4, 66.7, 16.7),
        ("Hello", None, 2, None, None),
    ]
    assert rows[1]["complaint_share"] == 50.0
    assert rows[1]["hours_to_close"] == 4.0
    bad = client.get("/api/v1/adoption/regions/saved-replies", {"days": 0}, headers=headers)
    assert bad.status_code == 422
    assert "days" in bad.content.decode()


def test_the_demo_ranks_saved_replies_of_its_spokes() -> None:
    from pappus.core import demo
    from pappus.core.tests.factories import PASSWORD

    demo.load_demo(demo.demo_plan(11), password=PASSWORD)
    nordlys = Workspace.objects.get(slug="nordlys-coffee")
    owner = Membership.objects.for_workspace(nordlys).get(user__email="demo@pappus.local")
    ranked = [row for row in selectors.learning_overview(owner, 90).saved_replies if row.ranked]
    assert len(ranked) >= 3
    assert all(row.uses >= selectors.MIN_REPLY_USES and row.positive_share is not None for row in ranked)
    assert len({row.region_name for row in ranked}) == len(ranked)  # one reply of each spoke
    demo.load_demo(demo.demo_plan(11), password=PASSWORD)  # loading again adds no more answers
    assert [row.uses for row in selectors.learning_overview(owner, 90).saved_replies if row.ranked] == [
        row.uses for row in ranked
    ]
