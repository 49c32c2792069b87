"""The post workflow through the services: states, permissions, approval chains, limits, review links."""

from __future__ import annotations

import datetime
import time

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region, make_workspace
from pappus.publishing import services
from pappus.publishing.models import Post, PostComment, PostStatus, VariantStatus
from pappus.publishing.tests.factories import ACTOR, make_post, make_scheduled_post, variants_of

pytestmark = pytest.mark.django_db


def test_the_whole_workflow_is_audited_step_by_step(workspace):
    author = make_member(workspace, role=Role.DESIGNER)
    approver = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_post(author, networks=("mastodon", "bluesky"))
    assert post.status == PostStatus.DRAFT

    services.post_submit(actor=ACTOR, membership=author, post=post)
    services.post_approve(actor=ACTOR, membership=approver, post=post)
    planned = timezone.now() + datetime.timedelta(days=1)
    services.post_schedule(actor=ACTOR, membership=approver, post=post, planned_at=planned)

    post.refresh_from_db()
    assert post.status == PostStatus.SCHEDULED
    assert [(variant.status, variant.next_attempt_at) for variant in variants_of(post)] == [
        (VariantStatus.SCHEDULED, planned),
        (VariantStatus.SCHEDULED, planned),
    ]
    actions = list(
        AuditEvent.objects.filter(object_type="publishing.post", object_id=str(post.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["post.create", "post.submit", "post.approve_step", "post.approve", "post.schedule"]
    last = AuditEvent.objects.filter(action="post.schedule").get()
    assert last.workspace_id == workspace.pk
    assert last.before == {"status": "approved", "planned_at": None}
    assert last.after == {"status": "scheduled", "planned_at": planned.isoformat()}


def test_transitions_out_of_order_are_refused(workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_post(manager)
    with pytest.raises(ValidationError, match="draft"):
        services.post_approve(actor=ACTOR, membership=manager, post=post)
    with pytest.raises(ValidationError):
        services.post_schedule(actor=ACTOR, membership=manager, post=post, planned_at=timezone.now())
    empty = services.post_create(actor=ACTOR, membership=manager, title="No variants")
    with pytest.raises(ValidationError, match="at least one network variant"):
        services.post_submit(actor=ACTOR, membership=manager, post=empty)


def test_editing_an_approved_post_sends_it_back_to_draft(workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_post(manager)
    services.post_submit(actor=ACTOR, membership=manager, post=post)
    services.post_approve(actor=ACTOR, membership=manager, post=post)
    services.post_update(actor=ACTOR, membership=manager, post=post, text="Changed after approval")
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT


def test_a_scheduled_post_cannot_be_edited_until_unscheduled(workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(manager, planned_at=timezone.now() + datetime.timedelta(hours=2))
    with pytest.raises(ValidationError, match="take it off the schedule"):
        services.post_update(actor=ACTOR, membership=manager, post=post, text="late change")
    services.post_unschedule(actor=ACTOR, membership=manager, post=post)
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    assert {variant.status for variant in variants_of(post)} == {VariantStatus.DRAFT}


@pytest.mark.parametrize(
    ("role", "may_draft", "may_approve", "may_publish"),
    [
        (Role.OWNER, True, True, True),
        (Role.ADMIN, True, True, True),
        (Role.CONTENT_MANAGER, True, True, True),
        (Role.STRATEGIST, True, True, False),
        (Role.DESIGNER, True, False, False),
        (Role.COMMUNITY_MANAGER, True, False, False),
        (Role.CAMPAIGN_MANAGER, True, False, False),
        (Role.AGENCY, True, False, False),
        (Role.ANALYST, False, False, False),
        (Role.EXECUTIVE, False, False, False),
    ],
)
def test_role_matrix(workspace, role, may_draft, may_approve, may_publish):
    member = make_member(workspace, role=role)
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    if may_draft:
        post = make_post(member)
    else:
        with pytest.raises(PermissionDenied):
            make_post(member)
        post = make_post(manager)
    services.post_submit(actor=ACTOR, membership=manager, post=post)
    if may_approve:
        services.post_approve(actor=ACTOR, membership=member, post=post)
    else:
        with pytest.raises(PermissionDenied):
            services.post_approve(actor=ACTOR, membership=member, post=post)
        services.post_approve(actor=ACTOR, membership=manager, post=post)
    when = timezone.now() + datetime.timedelta(hours=1)
    if may_publish:
        services.post_schedule(actor=ACTOR, membership=member, post=post, planned_at=when)
        assert Post.objects.get(pk=post.pk).status == PostStatus.SCHEDULED
    else:
        with pytest.raises(PermissionDenied):
            services.post_schedule(actor=ACTOR, membership=member, post=post, planned_at=when)
        assert Post.objects.get(pk=post.pk).status == PostStatus.APPROVED


def test_an_agency_publishes_only_where_the_workspace_allows_it(workspace):
    owner = make_member(workspace, role=Role.OWNER)
    agency = make_member(workspace, role=Role.AGENCY)
    post = make_post(agency)
    services.post_submit(actor=ACTOR, membership=agency, post=post)
    services.post_approve(actor=ACTOR, membership=owner, post=post)
    when = timezone.now() + datetime.timedelta(hours=1)
    with pytest.raises(PermissionDenied):
        services.post_schedule(actor=ACTOR, membership=agency, post=post, planned_at=when)
    with pytest.raises(PermissionDenied):  # only those who manage the workspace change the setting
        services.settings_update(actor=ACTOR, membership=agency, agency_may_publish=True)
    services.settings_update(actor=ACTOR, membership=owner, agency_may_publish=True)
    services.post_schedule(actor=ACTOR, membership=agency, post=post, planned_at=when)
    assert Post.objects.get(pk=post.pk).status == PostStatus.SCHEDULED
    assert AuditEvent.objects.filter(action="publishing_settings.update", workspace=workspace).count() == 1


def test_a_two_step_region_chain_needs_the_right_people_in_order(workspace):
    owner = make_member(workspace, role=Role.OWNER)
    norway = make_region(workspace, "Norway")
    strategist = make_member(workspace, role=Role.STRATEGIST)
    legal = make_member(workspace, role=Role.CONTENT_MANAGER)
    other_manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    services.approval_step_add(
        actor=ACTOR, membership=owner, name="Brand", region=norway, approver_role=Role.STRATEGIST
    )
    services.approval_step_add(actor=ACTOR, membership=owner, name="Legal", region=norway, approver=legal.user)
    author = make_member(workspace, role=Role.DESIGNER)
    post = make_post(author, region=norway)
    services.post_submit(actor=ACTOR, membership=author, post=post)

    with pytest.raises(PermissionDenied, match="Brand"):
        services.post_approve(actor=ACTOR, membership=legal, post=post)
    services.post_approve(actor=ACTOR, membership=strategist, post=post)
    assert Post.objects.get(pk=post.pk).status == PostStatus.IN_REVIEW
    with pytest.raises(PermissionDenied, match="Legal"):
        services.post_approve(actor=ACTOR, membership=other_manager, post=post)
    services.post_approve(actor=ACTOR, membership=legal, post=post, note="ok")
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    assert [(a.step_name, a.user_id) for a in post.approvals.all()] == [
        ("Brand", strategist.user_id),
        ("Legal", legal.user_id),
    ]


def test_requesting_changes_returns_the_post_to_draft_with_a_comment(workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_post(manager)
    services.post_submit(actor=ACTOR, membership=manager, post=post)
    with pytest.raises(ValidationError):
        services.post_request_changes(actor=ACTOR, membership=manager, post=post, note="  ")
    services.post_request_changes(actor=ACTOR, membership=manager, post=post, note="Shorter, please")
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    assert [comment.text for comment in post.comments.all()] == ["Shorter, please"]


def test_limit_errors_name_the_variant_and_the_limit(workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = services.post_create(actor=ACTOR, membership=manager, title="Long", text="x" * 501)
    with pytest.raises(ValidationError) as raised:
        services.variant_add(actor=ACTOR, membership=manager, post=post, network="mastodon", account_label="@nordlys")
    assert raised.value.messages == [
        "Mastodon @nordlys: the text is 501 characters long; the limit is 500.",
    ]
    # Bluesky counts 300; a link counts in full there, but as 23 characters on Mastodon.
    link = "https://nordlys.example/" + "a" * 100
    services.variant_add(actor=ACTOR, membership=manager, post=post, network="mastodon", text="x" * 470, link=link)
    with pytest.raises(ValidationError) as raised:
        services.variant_add(
            actor=ACTOR,
            membership=manager,
            post=post,
            network="bluesky",
            account_label="@nordlys.bsky",
            text="y" * 200,
            link=link,
            media=[{"name": "clip.mov", "mime_type": "video/quicktime", "size": 10}] * 5,
        )
    assert raised.value.messages == [
        "Bluesky @nordlys.bsky: the text is 326 characters long; the limit is 300.",
        "Bluesky @nordlys.bsky: 5 files are attached; the limit is 4.",
        *["Bluesky @nordlys.bsky: clip.mov is of type video/quicktime, which this network does not take."] * 5,
    ]


def test_lookups_never_cross_workspaces(workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    stranger = make_member(make_workspace(), role=Role.OWNER)
    post = make_post(manager)
    with pytest.raises(Post.DoesNotExist):
        services.post_submit(actor=ACTOR, membership=stranger, post=post.pk)
    with pytest.raises(Post.DoesNotExist):
        services.comment_add(actor=ACTOR, membership=stranger, post=post.pk, text="hi")
    with pytest.raises(Post.DoesNotExist):
        services.review_link_token(actor=ACTOR, membership=stranger, post=post.pk)


def test_review_link_opens_the_post_until_it_expires(workspace, monkeypatch):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_post(manager)
    token = services.review_link_token(actor=ACTOR, membership=manager, post=post)
    assert services.review_link_post(token) == post
    comment = services.review_link_comment(token=token, name="Olga (legal, external)", text="Fine by us")
    assert PostComment.objects.get(pk=comment.pk).author_name == "Olga (legal, external)"
    assert AuditEvent.objects.filter(action="post.comment", via="review-link", workspace=workspace).count() == 1

    with pytest.raises(signing.BadSignature):
        services.review_link_post(token[:-2] + "xx")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 8 * 86400)  # default: links last 7 days
    with pytest.raises(signing.SignatureExpired):
        services.review_link_post(token)


def test_the_demo_plan_has_every_state_in_four_languages_and_loads_twice(db):
    from pappus.core.demo import demo_plan, load_demo

    plan = demo_plan()
    load_demo(plan, password="demo-password-123")
    nordlys = Post.objects.filter(workspace__slug="nordlys-coffee")
    assert set(nordlys.values_list("status", flat=True)) == set(PostStatus.values)
    assert set(nordlys.values_list("language", flat=True)) == {"en", "nb", "ru", "zh-hans"}
    count = Post.objects.count()
    load_demo(plan, password="demo-password-123")
    assert Post.objects.count() == count
