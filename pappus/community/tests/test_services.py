"""The community's services on a real database: collection through the facades, resolution with
evidence, merges and exact splits, CSV imports, the loyalty ladder, export, erasure and retention."""

from __future__ import annotations

import datetime
import decimal
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pappus.community import services
from pappus.community.models import (
    Activity,
    CommunityAlert,
    Identity,
    Member,
    MemberImport,
    MemberNote,
    MergeRecord,
    MergeSuggestion,
    StageChange,
)
from pappus.community.tests.factories import (
    activities_of,
    actor,
    add_activity,
    make_identity,
    make_mention,
    manager,
    member_of,
    owner_of,
)
from pappus.core.models import AuditEvent, Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.inbox import facade as inbox_facade
from pappus.inbox.contracts import MentionInteraction

pytestmark = pytest.mark.django_db


# --- collection ----------------------------------------------------------------------------------


def test_collection_reads_inbox_customers_and_mention_authors_once(settings):
    membership = manager()
    workspace = membership.workspace
    inbox_facade.receive_mentions(
        workspace.pk,
        [
            MentionInteraction(
                network="bluesky",
                external_id="c1",
                text="@nordlys where is my order?",
                author_handle="@anna.b",
                author_name="Anna B",
            )
        ],
    )
    make_mention(workspace, author_handle="anna.b", author_name="Anna B", sentiment="positive", media=[{"url": "x"}])
    make_mention(workspace, author_handle="olav", author_name="Olav", sentiment="negative", parent_external_id="p1")

    first = services.collect(workspace.pk)
    second = services.collect(workspace.pk)

    assert (first.conversations, first.mentions, first.activities_added) == (1, 2, 3)
    assert (second.conversations, second.mentions, second.activities_added) == (0, 0, 0)
    anna = Identity.objects.get(workspace=workspace, network="bluesky", handle_key="annab")
    assert anna.display_name == "Anna B"
    kinds = sorted(Activity.objects.filter(member_id=anna.member_id).values_list("kind", "sentiment"))
    assert kinds[0][0] == "conversation"
    assert kinds[1] == ("ugc", "positive")
    olav = Identity.objects.get(workspace=workspace, handle_key="olav")
    assert list(Activity.objects.filter(member_id=olav.member_id).values_list("kind", "sentiment")) == [
        ("reply", "negative")
    ]
    assert Member.objects.filter(workspace=workspace).count() == 2


# --- resolution ----------------------------------------------------------------------------------


def test_same_email_merges_automatically_and_a_handle_match_waits_for_a_person():
    membership = manager()
    workspace = membership.workspace
    shop = make_identity(workspace, "import:shop", remote_id="C-1", email="Anna@Example.com", handle="")
    bluesky = make_identity(workspace, "bluesky", handle="anna_b", email="anna@example.com")
    mastodon = make_identity(workspace, "mastodon", handle="@Anna.B@social.example")
    stranger = make_identity(workspace, "x", handle="someone", display_name="Anna B")

    result = services.resolve(workspace.pk)

    assert result.merged == 1
    assert member_of(shop) == member_of(bluesky)
    record = MergeRecord.objects.get(workspace=workspace)
    assert record.is_automatic
    assert record.evidence == ["email"]
    assert record.confidence == 0.98
    suggestion = MergeSuggestion.objects.get(workspace=workspace)
    assert {suggestion.first_id, suggestion.second_id} == {member_of(shop).pk, member_of(mastodon).pk}
    assert suggestion.evidence == ["handle"]
    assert suggestion.confidence == 0.6
    assert member_of(stranger) not in {member_of(shop), member_of(mastodon)}
    assert services.resolve(workspace.pk).suggested == 0  # not suggested twice


def test_handle_and_name_together_raise_the_confidence_and_a_rejection_is_final():
    membership = manager()
    workspace = membership.workspace
    make_identity(workspace, "bluesky", handle="kari", display_name="Kari Nord")
    make_identity(workspace, "mastodon", handle="kari@fedi.example", display_name="Kari  nord")
    services.resolve(workspace.pk)
    suggestion = MergeSuggestion.objects.get(workspace=workspace)
    assert sorted(suggestion.evidence) == ["handle", "name"]
    assert suggestion.confidence == 0.72

    services.suggestion_reject(actor=actor(membership), membership=membership, suggestion=suggestion)
    services.resolve(workspace.pk)
    assert MergeSuggestion.objects.filter(workspace=workspace, status="pending").count() == 0
    assert Member.objects.filter(workspace=workspace, merged_into__isnull=True).count() == 2


def test_accepting_a_suggestion_merges_and_a_split_restores_both_members_exactly():
    membership = manager()
    workspace = membership.workspace
    first = make_identity(workspace, "bluesky", handle="lena", display_name="Lena")
    second = make_identity(workspace, "instagram", handle="lena", display_name="")
    add_activity(first, "mention", external_ref="a")
    add_activity(second, "purchase", external_ref="b")
    second_member = member_of(second)
    services.member_update(
        actor=actor(membership),
        membership=membership,
        member=second_member,
        email="lena@example.com",
        tags=["vip"],
        consent_marketing=True,
    )
    services.note_add(actor=actor(membership), membership=membership, member=second_member, text="Likes oat milk")
    first_member = member_of(first)
    before = {
        member.pk: (member.display_name, member.email, member.tags, member.consent_marketing)
        for member in (first_member, member_of(second))
    }
    services.resolve(workspace.pk)
    suggestion = MergeSuggestion.objects.get(workspace=workspace, status="pending")

    record = services.suggestion_accept(actor=actor(membership), membership=membership, suggestion=suggestion)

    merged = Member.objects.get(pk=first_member.pk)
    assert (merged.email, merged.tags, merged.consent_marketing) == ("lena@example.com", ["vip"], True)
    assert activities_of(merged) == ["a", "b"]
    assert MemberNote.objects.get().member_id == merged.pk
    assert Member.objects.get(pk=second_member.pk).merged_into_id == merged.pk

    restored = services.merge_split(actor=actor(membership), membership=membership, record=record)

    assert restored.pk == second_member.pk
    after = {
        member.pk: (member.display_name, member.email, member.tags, member.consent_marketing)
        for member in Member.objects.filter(pk__in=before)
    }
    assert after == before
    assert activities_of(Member.objects.get(pk=first_member.pk)) == ["a"]
    assert activities_of(restored) == ["b"]
    assert MemberNote.objects.get().member_id == restored.pk
    assert member_of(second) == restored
    assert member_of(first).pk == first_member.pk
    record.refresh_from_db()
    assert record.split_at is not None
    services.resolve(workspace.pk)  # a split pair is never merged again
    assert Member.objects.filter(workspace=workspace, merged_into__isnull=True).count() == 2
    with pytest.raises(ValidationError):
        services.merge_split(actor=actor(membership), membership=membership, record=record)


def test_an_analyst_may_read_but_not_merge():
    membership = manager()
    analyst = make_member(membership.workspace, role=Role.ANALYST)
    one = member_of(make_identity(membership.workspace))
    two = member_of(make_identity(membership.workspace))
    with pytest.raises(PermissionDenied):
        services.member_merge(actor=actor(analyst), membership=analyst, target=one, absorbed=two)


# --- CSV import ----------------------------------------------------------------------------------

CSV = (
    "Customer ID;Name;E-mail;Phone;Instagram;Network;Newsletter;Type;Order;Total;Currency;Date;Product\n"
    "C-1;Anna Berg;anna@example.com;+47 912 34 567;anna.berg;instagram;yes;customer;;;;;\n"
    "C-1;Anna Berg;anna@example.com;;;;;purchase;A-100;129,50;NOK;2026-11-01;Beans\n"
    "C-2;Olav;not-an-email;;;;maybe;customer;;;;;\n"
    "C-3;Kari;kari@example.com;;;;no;ticket;T-9;;;yesterday;Broken grinder\n"
    "C-4;Per;per@example.com;;;;;purchase;A-101;99;NOK;2026-11-02;Cups\n"
)


def upload(membership: Membership, text: str = CSV, name: str = "shop.csv") -> MemberImport:
    return services.import_upload(
        actor=actor(membership), membership=membership, file_name=name, data=text.encode(), source_name="Shop"
    )


def test_an_import_maps_columns_previews_errors_per_row_and_keeps_purchases():
    membership = manager()
    workspace = membership.workspace
    inbox_customer = make_identity(workspace, "instagram", handle="@anna.berg")
    batch = upload(membership)
    assert batch.columns[:3] == ["Customer ID", "Name", "E-mail"]
    assert batch.mapping["customer_id"] == "Customer ID"
    assert batch.mapping["email"] == "E-mail"
    mapping = {**batch.mapping, "handle": "Instagram", "network": "Network", "consent": "Newsletter"}
    mapping |= {"row_type": "Type", "order_id": "Order", "amount": "Total", "occurred_at": "Date", "title": "Product"}
    services.import_map(actor=actor(membership), membership=membership, batch=batch, mapping=mapping)

    preview = services.import_preview(batch)
    assert [row.number for row in preview] == [2, 3, 4, 5, 6]
    assert preview[0].errors == []
    assert preview[1].errors == []
    assert {error["field"] for error in preview[2].errors} == {"email", "consent"}
    assert [error["field"] for error in preview[3].errors] == ["occurred_at"]

    done = services.import_run(actor=actor(membership), membership=membership, batch=batch)

    assert (done.rows_imported, done.rows_failed, done.activities_created) == (3, 2, 2)
    assert {(error["row"], error["field"]) for error in done.errors} == {
        ("4", "email"),
        ("4", "consent"),
        ("5", "occurred_at"),
    }
    assert done.content == ""
    anna = member_of(inbox_customer)  # the row's Instagram handle joined the inbox customer
    assert (anna.display_name, anna.email, anna.phone, anna.consent_marketing) == (
        "Anna Berg",
        "anna@example.com",
        "4791234567",
        True,
    )
    purchase = Activity.objects.get(member=anna)
    assert (purchase.kind, purchase.amount, purchase.currency, purchase.title) == (
        "purchase",
        decimal.Decimal("129.50"),
        "NOK",
        "Beans",
    )
    members = Member.objects.filter(workspace=workspace, merged_into__isnull=True).count()

    again = upload(membership)
    services.import_map(actor=actor(membership), membership=membership, batch=again, mapping=mapping)
    services.import_run(actor=actor(membership), membership=membership, batch=again)
    again.refresh_from_db()
    assert (again.members_created, again.activities_created) == (0, 0)
    assert Member.objects.filter(workspace=workspace, merged_into__isnull=True).count() == members
    assert Activity.objects.filter(workspace=workspace).count() == 2


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("shop.xlsx", b"a,b\n1,2\n", "Upload a CSV file"),
        ("shop.csv", b"", "The first line must name the columns"),
        ("shop.csv", b"email\n", "no rows"),
        ("shop.csv", b"\x00\x01binary", "not a text file"),
        ("shop.csv", b"a\n" + b"x" * (5 * 1024 * 1024), "larger than 5 MB"),
    ],
)
def test_an_upload_says_what_is_wrong_with_the_file(name, data, message):
    membership = manager()
    with pytest.raises(ValidationError) as caught:
        services.import_upload(
            actor=actor(membership), membership=membership, file_name=name, data=data, source_name="shop"
        )
    assert message in " ".join(caught.value.message_dict["file"])


def test_a_mapping_without_a_way_to_find_rows_again_is_refused():
    membership = manager()
    batch = upload(membership)
    with pytest.raises(ValidationError) as caught:
        services.import_map(actor=actor(membership), membership=membership, batch=batch, mapping={"name": "Name"})
    assert "customer_id" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.import_map(actor=actor(membership), membership=membership, batch=batch, mapping={"email": "Missing"})
    assert "no column Missing" in caught.value.message_dict["email"][0]


# --- the loyalty ladder -------------------------------------------------------------------------


def fan(workspace: Workspace, *, days_ago: int = 1, sentiment: str = "positive", count: int = 22) -> Member:
    identity = make_identity(workspace)
    now = timezone.now()
    for number in range(count):
        kind = "ugc" if number == 0 else "mention"
        add_activity(identity, kind, when=now - datetime.timedelta(days=days_ago, minutes=number), sentiment=sentiment)
    return member_of(identity)


def test_the_ladder_places_members_by_the_documented_rules_and_keeps_history():
    membership = manager()
    workspace = membership.workspace
    core = fan(workspace)
    engaged = fan(workspace, count=2, sentiment="")
    follower = member_of(make_identity(workspace))
    old = fan(workspace, days_ago=200)

    result = services.loyalty_recompute(workspace.pk)

    stages = {member.pk: member.stage for member in Member.objects.filter(workspace=workspace)}
    assert stages == {core.pk: "core_fan", engaged.pk: "engaged", follower.pk: "follower", old.pk: "follower"}
    assert Member.objects.get(pk=core.pk).score == 4 + 21
    assert result.members == 4
    assert result.moved == 0
    assert StageChange.objects.filter(member=core).get().to_stage == "core_fan"

    services.settings_update(
        actor=actor(membership),
        membership=membership,
        loyalty_rules={"stages": {"core_fan": {"min_score": 100}}},
    )
    result = services.loyalty_recompute(workspace.pk)
    assert Member.objects.get(pk=core.pk).stage == "advocate"
    assert result.moved == 1
    assert list(StageChange.objects.filter(member=core).values_list("from_stage", "to_stage")) == [
        ("core_fan", "advocate"),
        ("", "core_fan"),
    ]


def test_a_core_fan_who_turns_negative_or_goes_quiet_raises_one_alert():
    membership = manager()
    workspace = membership.workspace
    member = fan(workspace, days_ago=20)
    services.loyalty_recompute(workspace.pk)
    assert Member.objects.get(pk=member.pk).stage == "core_fan"
    identity = member.identities.get()
    for number in range(3):
        add_activity(identity, "mention", sentiment="negative", external_ref=f"angry{number}")

    services.loyalty_recompute(workspace.pk)
    services.loyalty_recompute(workspace.pk)

    assert list(CommunityAlert.objects.filter(member=member).values_list("kind", flat=True)) == ["negative"]
    later = timezone.now() + datetime.timedelta(days=35)
    services.loyalty_recompute(workspace.pk, now=later)
    kinds = set(CommunityAlert.objects.filter(member=member, resolved_at__isnull=True).values_list("kind", flat=True))
    assert kinds == {"quiet"}  # 35 days on: quiet, and the negative mentions left the 14-day alert window


def test_rules_are_checked_key_by_key():
    membership = manager()
    with pytest.raises(ValidationError) as caught:
        services.settings_update(
            actor=actor(membership),
            membership=membership,
            loyalty_rules={"weights": {"likes": 1}, "stages": {"core_fan": {"max_negative_share": 2}}, "x": 1},
        )
    problems = " ".join(caught.value.message_dict["loyalty_rules"])
    assert "unknown activity kind likes" in problems
    assert "stages.core_fan.max_negative_share" in problems
    assert "Unknown key x" in problems


# --- personal data --------------------------------------------------------------------------------


def test_export_holds_everything_and_the_audit_log_holds_no_personal_data():
    membership = manager()
    workspace = membership.workspace
    owner = owner_of(workspace)
    identity = make_identity(workspace, "bluesky", handle="secretive", email="hidden@example.com")
    add_activity(identity, "purchase", title="Beans")
    member = member_of(identity)
    services.note_add(actor=actor(membership), membership=membership, member=member, text="Private remark")
    services.member_update(actor=actor(membership), membership=membership, member=member, phone="+4799999999")

    data = services.member_export(actor=actor(owner), membership=owner, member=member)

    assert data["identities"][0]["handle"] == "secretive"
    assert data["activities"][0]["what"] == "Beans"
    assert data["notes"][0]["text"] == "Private remark"
    assert data["member"]["phone"] == "4799999999"
    json.dumps(data)
    events = AuditEvent.objects.filter(workspace=workspace, action__startswith="community.")
    assert {event.action for event in events} >= {"community.member.export", "community.note.create"}
    text = json.dumps([[e.object_repr, e.before, e.after] for e in events])
    for secret in ("secretive", "hidden@example.com", "Private remark", "4799999999"):
        assert secret not in text
    with pytest.raises(PermissionDenied):  # the community manager may not export
        services.member_export(actor=actor(membership), membership=membership, member=member)


def test_erasure_deletes_the_person_with_merged_members_and_collection_does_not_bring_them_back():
    membership = manager()
    workspace = membership.workspace
    owner = owner_of(workspace)
    make_mention(workspace, author_handle="gone", author_name="Gone Person")
    services.collect(workspace.pk)
    identity = Identity.objects.get(workspace=workspace, handle_key="gone")
    other = make_identity(workspace, "instagram", handle="other")
    services.member_merge(
        actor=actor(membership), membership=membership, target=member_of(identity), absorbed=member_of(other)
    )
    member = member_of(identity)

    deleted = services.member_erase(actor=actor(owner), membership=owner, member=member, reason="ticket 7")

    assert deleted == 2
    assert not Member.objects.filter(workspace=workspace).exists()
    assert not Identity.objects.filter(workspace=workspace).exists()
    assert not MergeRecord.objects.filter(workspace=workspace).exists()
    event = AuditEvent.objects.get(action="community.member.erase")
    assert event.after == {"reason": "ticket 7", "members": 2}
    assert "Gone" not in event.object_repr
    services.collect(workspace.pk)
    make_mention(workspace, author_handle="gone", external_id="again")
    services.collect(workspace.pk)
    assert not Identity.objects.filter(workspace=workspace, handle_key="gone").exists()
    with pytest.raises(PermissionDenied):
        services.member_erase(actor=actor(membership), membership=membership, member=member)


def test_retention_really_deletes_inactive_members_and_keeps_the_active():
    membership = manager()
    workspace = membership.workspace
    active = fan(workspace, days_ago=5, count=1)
    stale = fan(workspace, days_ago=400, count=1)
    Member.objects.filter(pk__in=[active.pk, stale.pk]).update(created_at=timezone.now() - datetime.timedelta(days=500))
    services.loyalty_recompute(workspace.pk)
    assert services.retention_sweep(workspace.pk) == 0  # no retention set: kept

    services.settings_update(actor=actor(membership), membership=membership, retention_days=365)
    assert services.retention_sweep(workspace.pk) == 1

    assert list(Member.objects.filter(workspace=workspace).values_list("pk", flat=True)) == [active.pk]
    assert not Activity.objects.filter(member_id=stale.pk).exists()
    assert AuditEvent.objects.filter(action="community.retention.delete", workspace=workspace).get().after == {
        "members": 1,
        "days": 365,
    }
