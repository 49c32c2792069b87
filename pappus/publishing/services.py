"""Every write to publishing rows. Each change goes through here, is role-checked and audited.

The post's workflow: draft → in_review → approved → scheduled → published / failed. Edits to a
post in review or approved send it back to draft (its approvals no longer hold); a scheduled post
must be taken off the schedule before it changes. The delivery of each variant (sending, retries,
the outcome) is the scheduler's: :mod:`pappus.publishing.scheduler`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region, User, Workspace
from pappus.core.permissions import Action, Role, require, role_allows
from pappus.publishing import limits
from pappus.publishing.models import (
    ApprovalStep,
    ContentType,
    Post,
    PostApproval,
    PostComment,
    PostStatus,
    PublishingSettings,
    Variant,
    VariantStatus,
)

POST_FIELDS = (
    "title",
    "text",
    "language",
    "region_id",
    "pillar",
    "content_type",
    "campaign_id",
    "status",
    "planned_at",
)
VARIANT_FIELDS = (
    "network",
    "account_id",
    "account_label",
    "text",
    "link",
    "first_comment",
    "hashtags",
    "media",
    "publish_as",
    "cover_frame_ms",
    "status",
    "next_attempt_at",
)
EDITABLE_STATUSES = frozenset({PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.APPROVED})
REVIEW_LINK_SALT = "pappus.publishing.review-link"


# --- settings and permissions ------------------------------------------------------------------


def settings_for(workspace: Workspace | int) -> PublishingSettings:
    """The workspace's publishing settings (created with the defaults on first use)."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    found, _created = PublishingSettings.objects.get_or_create(workspace_id=workspace_id)
    return found


def can_publish(membership: Membership | None) -> bool:
    """Whether the member may schedule and publish: by role, or an agency where the workspace allows it."""
    if membership is None or not membership.is_active:
        return False
    if role_allows(membership.role, Action.CONTENT_PUBLISH):
        return True
    return membership.role == Role.AGENCY and settings_for(membership.workspace_id).agency_may_publish


def require_publish(membership: Membership | None) -> Membership:
    if membership is None or not can_publish(membership):
        raise PermissionDenied(f"not allowed: {Action.CONTENT_PUBLISH}")
    return membership


@transaction.atomic
def settings_update(
    *,
    actor: Actor,
    membership: Membership,
    agency_may_publish: bool,
    review_link_days: int | None = None,
    track_links: bool | None = None,
) -> PublishingSettings:
    require(membership, Action.WORKSPACE_MANAGE)
    current = PublishingSettings.objects.select_for_update().get(pk=settings_for(membership.workspace_id).pk)
    before = audit.snapshot(current)
    current.agency_may_publish = agency_may_publish
    if track_links is not None:
        current.track_links = track_links
    if review_link_days is not None:
        if not 1 <= review_link_days <= 90:
            raise ValidationError({"review_link_days": _("Review links last between 1 and 90 days.")})
        current.review_link_days = review_link_days
    current.save()
    audit.record(
        actor,
        "publishing_settings.update",
        workspace=membership.workspace,
        target=current,
        before=before,
        after=audit.snapshot(current),
    )
    return current


# --- approval steps ----------------------------------------------------------------------------


@transaction.atomic
def approval_step_add(
    *,
    actor: Actor,
    membership: Membership,
    name: str,
    region: Region | None = None,
    approver_role: str = "",
    approver: User | None = None,
) -> ApprovalStep:
    """Append a step to the chain of the workspace (``region`` None) or of one region."""
    require(membership, Action.WORKSPACE_MANAGE)
    workspace = membership.workspace
    if region is not None and region.workspace_id != workspace.pk:
        raise Region.DoesNotExist("the region belongs to another workspace")
    if bool(approver_role) == (approver is not None):
        raise ValidationError(_("A step is passed by a role or by one person: choose one of the two."))
    if approver_role and not role_allows(approver_role, Action.CONTENT_APPROVE):
        raise ValidationError({"approver_role": _("This role may not approve posts.")})
    if approver is not None and not Membership.objects.for_workspace(workspace).filter(user=approver).exists():
        raise ValidationError({"approver": _("This person is not a member of the workspace.")})
    chain = ApprovalStep.objects.for_workspace(workspace).filter(region=region)
    last = max((step.position for step in chain), default=0)
    step = ApprovalStep(
        workspace=workspace,
        region=region,
        position=last + 1,
        name=name,
        approver_role=approver_role,
        approver=approver,
    )
    step.full_clean()
    step.save()
    audit.record(actor, "approval_step.create", workspace=workspace, target=step, after=audit.snapshot(step))
    return step


@transaction.atomic
def approval_step_remove(*, actor: Actor, membership: Membership, step: ApprovalStep) -> None:
    require(membership, Action.WORKSPACE_MANAGE)
    if step.workspace_id != membership.workspace_id:
        raise ApprovalStep.DoesNotExist("the step belongs to another workspace")
    audit.record(
        actor, "approval_step.delete", workspace=membership.workspace, target=step, before=audit.snapshot(step)
    )
    step.delete()


@dataclass(frozen=True)
class ChainStep:
    """One step of a post's chain as it applies to that post."""

    position: int
    name: str
    approver_role: str = ""
    approver_id: int | None = None

    def allows(self, membership: Membership) -> bool:
        if not role_allows(membership.role, Action.CONTENT_APPROVE):
            return False
        if membership.role in {Role.OWNER, Role.ADMIN}:
            return True  # those who set the chain may always pass a step of it
        if self.approver_id is not None:
            return membership.user_id == self.approver_id
        if self.approver_role:
            return membership.role == self.approver_role
        return True


def approval_chain(post: Post) -> list[ChainStep]:
    """The steps a post passes: its region's chain, else the workspace's, else one approval by anyone allowed."""
    steps = ApprovalStep.objects.for_workspace(post.workspace_id)
    chosen: list[ApprovalStep] = []
    if post.region_id is not None:
        chosen = list(steps.filter(region_id=post.region_id).order_by("position", "id"))
    if not chosen:
        chosen = list(steps.filter(region__isnull=True).order_by("position", "id"))
    if not chosen:
        return [ChainStep(position=1, name=_("Approval"))]
    return [
        ChainStep(position=index, name=step.name, approver_role=step.approver_role, approver_id=step.approver_id)
        for index, step in enumerate(chosen, start=1)
    ]


# --- posts -------------------------------------------------------------------------------------


def _post_for_update(membership: Membership, post: Post | int) -> Post:
    post_id = post if isinstance(post, int) else post.pk
    return Post.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=post_id)


def _record_post(actor: Actor, action: str, post: Post, before: Mapping[str, Any] | None = None) -> None:
    audit.record(
        actor,
        action,
        workspace=post.workspace,
        target=post,
        before=dict(before or {}),
        after=audit.snapshot(post, POST_FIELDS),
    )


def _check_region(membership: Membership, region: Region | None) -> None:
    if region is not None and region.workspace_id != membership.workspace_id:
        raise ValidationError({"region": _("This region belongs to another workspace.")})


def _check_editable(post: Post) -> None:
    if post.status not in EDITABLE_STATUSES:
        raise ValidationError(
            _("“%(post)s” is %(status)s: take it off the schedule before changing it.")
            % {"post": post.title, "status": post.get_status_display().lower()}
            if post.status == PostStatus.SCHEDULED
            else _("“%(post)s” is %(status)s and can no longer change.")
            % {"post": post.title, "status": post.get_status_display().lower()}
        )


def _back_to_draft(actor: Actor, post: Post) -> None:
    """An edit after submission: the post goes back to draft and its review starts over."""
    if post.status != PostStatus.DRAFT:
        post.status = PostStatus.DRAFT
        post.approval_position = 0
        post.save(update_fields=["status", "approval_position", "updated_at"])


@transaction.atomic
def post_create(
    *,
    actor: Actor,
    membership: Membership,
    title: str,
    text: str = "",
    region: Region | None = None,
    language: str = "",
    pillar: str = "",
    content_type: str = ContentType.EDUCATIONAL,
    planned_at: datetime.datetime | None = None,
    campaign_id: int | None = None,
) -> Post:
    require(membership, Action.CONTENT_DRAFT)
    _check_region(membership, region)
    post = Post(
        workspace=membership.workspace,
        region=region,
        author=membership.user,
        title=title,
        text=text,
        language=language,
        pillar=pillar,
        content_type=ContentType(content_type),
        planned_at=planned_at,
        campaign_id=campaign_id,
    )
    post.full_clean()
    post.save()
    _record_post(actor, "post.create", post)
    return post


@transaction.atomic
def post_update(*, actor: Actor, membership: Membership, post: Post | int, **values: Any) -> Post:
    """Change the post's plan or master text; a post in review or approved goes back to draft."""
    require(membership, Action.CONTENT_DRAFT)
    post = _post_for_update(membership, post)
    _check_editable(post)
    before = audit.snapshot(post, POST_FIELDS)
    allowed = {"title", "text", "language", "region", "pillar", "content_type", "planned_at", "campaign_id"}
    for name, value in values.items():
        if name not in allowed:
            raise ValueError(f"unknown post field: {name}")
        if name == "region":
            _check_region(membership, value)
        setattr(post, name, value)
    post.full_clean()
    post.save()
    content_changed = any(name in values and getattr(post, name) != before.get(name) for name in ("title", "text"))
    if content_changed:
        _back_to_draft(actor, post)
    _record_post(actor, "post.update", post, before)
    return post


@transaction.atomic
def post_delete(*, actor: Actor, membership: Membership, post: Post | int) -> None:
    require(membership, Action.CONTENT_DRAFT)
    post = _post_for_update(membership, post)
    if (
        post.status in {PostStatus.SCHEDULED, PostStatus.PUBLISHED}
        or post.variants.filter(
            status__in=[VariantStatus.SENDING, VariantStatus.PUBLISHED, VariantStatus.UNKNOWN]
        ).exists()
    ):
        raise ValidationError(_("A scheduled or published post cannot be deleted."))
    audit.record(actor, "post.delete", workspace=post.workspace, target=post, before=audit.snapshot(post, POST_FIELDS))
    post.delete()


# --- variants ----------------------------------------------------------------------------------


def variant_check(variant: Variant) -> limits.LimitCheck:
    return limits.check_variant(
        limits.VariantDraft(
            label=variant.label,
            network=variant.network,
            text=variant.full_text(),
            link=variant.link,
            media=tuple(variant.media or ()),
            publish_as=variant.publish_as,
            cover_frame_ms=variant.cover_frame_ms,
        )
    )


def _raise_limit_problems(checks: Iterable[limits.LimitCheck]) -> None:
    problems = [problem for check in checks for problem in check.problems]
    if problems:
        raise ValidationError(problems)


def _clean_hashtags(hashtags: Sequence[str]) -> list[str]:
    cleaned = []
    for tag in hashtags:
        name = tag.strip().lstrip("#").strip()
        if name and name not in cleaned:
            cleaned.append(name)
    return cleaned


VARIANT_VALUES = (
    "text",
    "link",
    "first_comment",
    "hashtags",
    "media",
    "account_id",
    "account_label",
    "network",
    "publish_as",
    "cover_frame_ms",
)


@transaction.atomic
def variant_add(
    *,
    actor: Actor,
    membership: Membership,
    post: Post | int,
    network: str,
    account_id: int | None = None,
    account_label: str = "",
    text: str | None = None,
    link: str = "",
    first_comment: str = "",
    hashtags: Sequence[str] = (),
    media: Sequence[Mapping[str, Any]] = (),
    publish_as: str = "post",
) -> Variant:
    """Add the post's version for one connected account; its text starts as the master text."""
    require(membership, Action.CONTENT_DRAFT)
    post = _post_for_update(membership, post)
    _check_editable(post)
    if account_id is not None:
        from pappus.publishing.selectors import publishable_account

        account = publishable_account(membership.workspace_id, account_id)
        if account is None:
            raise ValidationError({"account_id": _("No connected account with this id in the workspace.")})
        network, account_label = account.network, account_label or account.handle
    if network not in limits.networks():
        raise ValidationError({"network": _("Unknown network: %(network)s.") % {"network": network}})
    variant = Variant(
        workspace_id=post.workspace_id,
        post=post,
        network=network,
        account_id=account_id,
        account_label=account_label,
        text=post.text if text is None else text,
        link=link,
        first_comment=first_comment,
        hashtags=_clean_hashtags(hashtags),
        media=[dict(item) for item in media],
        publish_as=publish_as,
    )
    variant.full_clean()
    _raise_limit_problems([variant_check(variant)])
    variant.save()
    _back_to_draft(actor, post)
    audit.record(
        actor, "variant.create", workspace=post.workspace, target=variant, after=audit.snapshot(variant, VARIANT_FIELDS)
    )
    return variant


@transaction.atomic
def variant_update(*, actor: Actor, membership: Membership, variant: Variant | int, **values: Any) -> Variant:
    require(membership, Action.CONTENT_DRAFT)
    variant_id = variant if isinstance(variant, int) else variant.pk
    found = Variant.objects.for_workspace(membership.workspace_id).select_related("post").get(pk=variant_id)
    post = _post_for_update(membership, found.post_id)
    _check_editable(post)
    before = audit.snapshot(found, VARIANT_FIELDS)
    for name, value in values.items():
        if name not in VARIANT_VALUES:
            raise ValueError(f"unknown variant field: {name}")
        setattr(found, name, _clean_hashtags(value) if name == "hashtags" else value)
    found.full_clean()
    _raise_limit_problems([variant_check(found)])
    found.save()
    _back_to_draft(actor, post)
    audit.record(
        actor,
        "variant.update",
        workspace=post.workspace,
        target=found,
        before=before,
        after=audit.snapshot(found, VARIANT_FIELDS),
    )
    return found


@transaction.atomic
def variant_remove(*, actor: Actor, membership: Membership, variant: Variant | int) -> None:
    require(membership, Action.CONTENT_DRAFT)
    variant_id = variant if isinstance(variant, int) else variant.pk
    found = Variant.objects.for_workspace(membership.workspace_id).get(pk=variant_id)
    post = _post_for_update(membership, found.post_id)
    _check_editable(post)
    audit.record(
        actor, "variant.delete", workspace=post.workspace, target=found, before=audit.snapshot(found, VARIANT_FIELDS)
    )
    found.delete()


# --- the workflow ------------------------------------------------------------------------------


def _require_status(post: Post, *statuses: str) -> None:
    if post.status not in statuses:
        raise ValidationError(
            _("“%(post)s” is %(status)s; this is not possible now.")
            % {"post": post.title, "status": post.get_status_display().lower()}
        )


@transaction.atomic
def post_submit(*, actor: Actor, membership: Membership, post: Post | int) -> Post:
    """Send a draft for review: it needs at least one variant, and every variant within its limits."""
    require(membership, Action.CONTENT_DRAFT)
    post = _post_for_update(membership, post)
    _require_status(post, PostStatus.DRAFT)
    variants = list(post.variants.all())
    if not variants:
        raise ValidationError(_("Add at least one network variant before sending the post for review."))
    _raise_limit_problems(variant_check(variant) for variant in variants)
    before = audit.snapshot(post, POST_FIELDS)
    post.status = PostStatus.IN_REVIEW
    post.approval_position = 0
    post.save(update_fields=["status", "approval_position", "updated_at"])
    _record_post(actor, "post.submit", post, before)
    return post


@transaction.atomic
def post_approve(*, actor: Actor, membership: Membership, post: Post | int, note: str = "") -> Post:
    """Pass the post's current approval step; after the last one the post is approved."""
    require(membership, Action.CONTENT_APPROVE)
    post = _post_for_update(membership, post)
    _require_status(post, PostStatus.IN_REVIEW)
    chain = approval_chain(post)
    step = chain[min(post.approval_position, len(chain) - 1)]
    if not step.allows(membership):
        raise PermissionDenied(_("The step “%(step)s” is not yours to approve.") % {"step": step.name})
    before = audit.snapshot(post, POST_FIELDS)
    PostApproval.objects.create(
        workspace_id=post.workspace_id,
        post=post,
        step_name=step.name,
        position=step.position,
        approved=True,
        user=membership.user,
        note=note,
    )
    post.approval_position = step.position
    audit.record(
        actor,
        "post.approve_step",
        workspace=post.workspace,
        target=post,
        after={"step": step.name, "position": step.position, "note": note},
    )
    if step.position >= len(chain):
        post.status = PostStatus.APPROVED
    post.save(update_fields=["status", "approval_position", "updated_at"])
    if post.status == PostStatus.APPROVED:
        _record_post(actor, "post.approve", post, before)
    return post


@transaction.atomic
def post_request_changes(*, actor: Actor, membership: Membership, post: Post | int, note: str) -> Post:
    """Send the post back to its author as a draft, with the reason as a comment."""
    require(membership, Action.CONTENT_APPROVE)
    post = _post_for_update(membership, post)
    _require_status(post, PostStatus.IN_REVIEW, PostStatus.APPROVED)
    if not note.strip():
        raise ValidationError({"note": _("Say what should change.")})
    before = audit.snapshot(post, POST_FIELDS)
    chain = approval_chain(post)
    step = chain[min(post.approval_position, len(chain) - 1)]
    PostApproval.objects.create(
        workspace_id=post.workspace_id,
        post=post,
        step_name=step.name,
        position=step.position,
        approved=False,
        user=membership.user,
        note=note,
    )
    PostComment.objects.create(workspace_id=post.workspace_id, post=post, author=membership.user, text=note)
    post.status = PostStatus.DRAFT
    post.approval_position = 0
    post.save(update_fields=["status", "approval_position", "updated_at"])
    _record_post(actor, "post.request_changes", post, before)
    return post


@transaction.atomic
def post_schedule(
    *, actor: Actor, membership: Membership, post: Post | int, planned_at: datetime.datetime | None = None
) -> Post:
    """Put an approved post on the schedule: each variant becomes due at the planned time."""
    require_publish(membership)
    post = _post_for_update(membership, post)
    _require_status(post, PostStatus.APPROVED)
    when = planned_at or post.planned_at
    if when is None:
        raise ValidationError({"planned_at": _("Choose when the post goes out.")})
    variants = list(post.variants.select_for_update())
    if not variants:
        raise ValidationError(_("Add at least one network variant before scheduling the post."))
    _raise_limit_problems(variant_check(variant) for variant in variants)
    before = audit.snapshot(post, POST_FIELDS)
    post.planned_at = when
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["planned_at", "status", "updated_at"])
    for variant in variants:
        if variant.status in {VariantStatus.DRAFT, VariantStatus.SCHEDULED}:
            variant.status = VariantStatus.SCHEDULED
            variant.next_attempt_at = when
            variant.save(update_fields=["status", "next_attempt_at", "updated_at"])
    if settings_for(post.workspace_id).track_links:
        from pappus.publishing import links

        links.prepare_for_send(variant for variant in variants if variant.status == VariantStatus.SCHEDULED)
    else:  # tracking turned off since an earlier scheduling: the variants go out with their own links
        post.variants.filter(status=VariantStatus.SCHEDULED).exclude(tracked_urls={}).update(tracked_urls={})
    _record_post(actor, "post.schedule", post, before)
    return post


@transaction.atomic
def post_unschedule(*, actor: Actor, membership: Membership, post: Post | int) -> Post:
    """Take a scheduled post off the schedule (back to approved) while none of its variants went out."""
    require_publish(membership)
    post = _post_for_update(membership, post)
    _require_status(post, PostStatus.SCHEDULED)
    variants = list(post.variants.select_for_update())
    if any(variant.status not in {VariantStatus.SCHEDULED, VariantStatus.DRAFT} for variant in variants):
        raise ValidationError(_("Some variants are being sent or went out already: the post stays scheduled."))
    before = audit.snapshot(post, POST_FIELDS)
    post.variants.update(status=VariantStatus.DRAFT, next_attempt_at=None)
    post.status = PostStatus.APPROVED
    post.save(update_fields=["status", "updated_at"])
    _record_post(actor, "post.unschedule", post, before)
    return post


@transaction.atomic
def post_reschedule(*, actor: Actor, membership: Membership, post: Post | int, planned_at: datetime.datetime) -> Post:
    """Move a post to another time (the calendar's drag and drop); a scheduled one needs the right to publish."""
    require(membership, Action.CONTENT_DRAFT)
    post = _post_for_update(membership, post)
    if post.status in {PostStatus.PUBLISHED, PostStatus.FAILED}:
        _require_status(post, *EDITABLE_STATUSES, PostStatus.SCHEDULED)
    before = audit.snapshot(post, POST_FIELDS)
    if post.status == PostStatus.SCHEDULED:
        require_publish(membership)
        if planned_at < timezone.now() - datetime.timedelta(minutes=1):
            raise ValidationError({"planned_at": _("A scheduled post cannot move into the past.")})
        # Only variants still waiting move; one being sent or sent already keeps its outcome.
        post.variants.select_for_update().filter(status=VariantStatus.SCHEDULED).update(next_attempt_at=planned_at)
    post.planned_at = planned_at
    post.save(update_fields=["planned_at", "updated_at"])
    _record_post(actor, "post.reschedule", post, before)
    return post


@transaction.atomic
def post_retry_failed(*, actor: Actor, membership: Membership, post: Post | int) -> Post:
    """Send a failed post's failed variants again now (after the cause was fixed)."""
    require_publish(membership)
    post = _post_for_update(membership, post)
    _require_status(post, PostStatus.FAILED)
    failed = list(post.variants.select_for_update().filter(status=VariantStatus.FAILED))
    _raise_limit_problems(variant_check(variant) for variant in failed)
    before = audit.snapshot(post, POST_FIELDS)
    now = timezone.now()
    for variant in failed:
        variant.status = VariantStatus.SCHEDULED
        variant.next_attempt_at = now
        variant.attempts = 0
        variant.save(update_fields=["status", "next_attempt_at", "attempts", "updated_at"])
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["status", "updated_at"])
    _record_post(actor, "post.retry", post, before)
    return post


@transaction.atomic
def variant_resolve_unknown(
    *, actor: Actor, membership: Membership, variant: Variant | int, published: bool, remote_url: str = ""
) -> Variant:
    """A person checked the network: the post is there (published) or is not (send it again now)."""
    require_publish(membership)
    variant_id = variant if isinstance(variant, int) else variant.pk
    found = Variant.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=variant_id)
    if found.status != VariantStatus.UNKNOWN:
        raise ValidationError(_("Only a variant whose outcome is unknown can be resolved."))
    before = audit.snapshot(found, (*VARIANT_FIELDS, "remote_url"))
    now = timezone.now()
    if published:
        found.status = VariantStatus.PUBLISHED
        found.remote_url = remote_url
        found.published_at = now
    else:
        found.status = VariantStatus.SCHEDULED
        found.next_attempt_at = now
    found.lease_expires_at = None
    found.claim_token = None
    found.save()
    audit.record(
        actor,
        "variant.resolve",
        workspace=membership.workspace,
        target=found,
        before=before,
        after=audit.snapshot(found, (*VARIANT_FIELDS, "remote_url")),
    )
    from pappus.publishing.scheduler import settle_post

    settle_post(found.post_id, actor=actor)
    return found


# --- comments and the external review link -----------------------------------------------------


@transaction.atomic
def comment_add(*, actor: Actor, membership: Membership, post: Post | int, text: str) -> PostComment:
    require(membership, Action.CONTENT_VIEW)
    post_id = post if isinstance(post, int) else post.pk
    found = Post.objects.for_workspace(membership.workspace_id).get(pk=post_id)
    return _comment(actor, found, text=text, author=membership.user)


def _comment(
    actor: Actor, post: Post, *, text: str, author: User | None = None, external_name: str = ""
) -> PostComment:
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write a comment first.")})
    comment = PostComment.objects.create(
        workspace_id=post.workspace_id, post=post, author=author, external_name=external_name, text=text[:5000]
    )
    audit.record(
        actor,
        "post.comment",
        workspace=post.workspace,
        target=post,
        after={"comment": comment.pk, "text": comment.text[:200], "external_name": external_name},
    )
    return comment


def review_link_token(*, actor: Actor, membership: Membership, post: Post | int) -> str:
    """A signed token for an external reviewer: read the post and comment, until it expires."""
    require(membership, Action.CONTENT_DRAFT)
    post_id = post if isinstance(post, int) else post.pk
    found = Post.objects.for_workspace(membership.workspace_id).get(pk=post_id)
    token = signing.TimestampSigner(salt=REVIEW_LINK_SALT).sign_object({"w": found.workspace_id, "p": found.pk})
    audit.record(actor, "post.review_link", workspace=found.workspace, target=found)
    return token


def review_link_post(token: str) -> Post:
    """The post a review link opens; ``signing.SignatureExpired`` or ``BadSignature`` when it does not."""
    signer = signing.TimestampSigner(salt=REVIEW_LINK_SALT)
    value = signer.unsign_object(token)  # checks the signature before anything else is read
    if not isinstance(value, dict) or not isinstance(value.get("w"), int) or not isinstance(value.get("p"), int):
        raise signing.BadSignature("malformed review link")
    days = settings_for(value["w"]).review_link_days
    signer.unsign_object(token, max_age=datetime.timedelta(days=days))
    return Post.objects.for_workspace(value["w"]).select_related("workspace", "region", "author").get(pk=value["p"])


@transaction.atomic
def review_link_comment(*, token: str, name: str, text: str) -> PostComment:
    post = review_link_post(token)
    name = name.strip()[:200]
    if not name:
        raise ValidationError({"name": _("Tell the team who you are.")})
    actor = Actor(user=None, via="review-link")
    return _comment(actor, post, text=text, external_name=name)


# --- metrics of published variants ---------------------------------------------------------------


@transaction.atomic
def variant_metrics_record(
    *,
    workspace_id: int,
    variant_id: int,
    taken_at: datetime.datetime,
    likes: int | None = None,
    shares: int | None = None,
    replies: int | None = None,
    impressions: int | None = None,
) -> Variant:
    """Store the network's latest counters of a published variant (read by a job, not a person;
    counters are data, not changes, so they are not audited)."""
    variant = Variant.objects.for_workspace(workspace_id).select_for_update().get(pk=variant_id)
    if variant.status != VariantStatus.PUBLISHED:
        raise ValidationError(_("Only a published variant has metrics."))
    variant.likes, variant.shares, variant.replies, variant.impressions = likes, shares, replies, impressions
    variant.metrics_at = taken_at
    variant.save(update_fields=["likes", "shares", "replies", "impressions", "metrics_at", "updated_at"])
    return variant
