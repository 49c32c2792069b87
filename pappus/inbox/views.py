"""The inbox pages: the queue with filters and bulk actions, and the conversation with its thread,
the customer's history, notes, saved replies, reply box, assignment and closing. Thin: forms parse,
services write, selectors read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pappus.community import facade as community_facade
from pappus.core.models import Membership, User
from pappus.core.permissions import Action, require, role_allows
from pappus.core.views import actor_of, member_required
from pappus.inbox import selectors, services
from pappus.inbox.forms import AssignForm, BulkForm, CloseForm, NoteForm, QueueFilterForm, ReplyForm, TagForm
from pappus.inbox.models import Conversation, Team

PAGE_SIZE = 50


def _conversation_or_404(membership: Membership, conversation_id: int) -> Conversation:
    try:
        return selectors.conversation_get(membership, conversation_id)
    except Conversation.DoesNotExist as error:
        raise Http404 from error


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _agent(membership: Membership, user_id: str) -> User | None:
    if not user_id:
        return None
    return next((agent for agent in selectors.agents_of(membership) if str(agent.pk) == user_id), None)


def _back(conversation_id: int) -> HttpResponse:
    return redirect("inbox:conversation", conversation_id=conversation_id)


@require_GET
@member_required(Action.INBOX_VIEW)
def queue(request: HttpRequest, membership: Membership) -> HttpResponse:
    teams = list(selectors.teams_of(membership))
    agents = selectors.agents_of(membership)
    form = QueueFilterForm(request.GET or None, teams=teams, agents=agents, networks=selectors.networks_of(membership))
    rows = selectors.conversations_queue(membership, form.filters())
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "page_title": _("Inbox"),
        "form": form,
        "page": page,
        "conversations": list(page.object_list),
        "now": timezone.now(),
        "bulk_form": BulkForm(agents=agents, reasons=selectors.reasons_of(membership)),
        "may_reply": role_allows(membership.role, Action.INBOX_REPLY),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "inbox/queue.html#queue-table", context)
    return render(request, "inbox/queue.html", context)


@require_GET
@member_required(Action.INBOX_VIEW)
def conversation(request: HttpRequest, membership: Membership, conversation_id: int) -> HttpResponse:
    current = _conversation_or_404(membership, conversation_id)
    return render(request, "inbox/conversation.html", _conversation_context(request, membership, current))


def _conversation_context(
    request: HttpRequest, membership: Membership, current: Conversation, **forms: Any
) -> dict[str, Any]:
    agents = selectors.agents_of(membership)
    teams: list[Team] = list(selectors.teams_of(membership))
    user = request.user if isinstance(request.user, User) else None
    replies = [
        (reply, services.saved_reply_fill(reply.body, conversation=current, agent=user))
        for reply in selectors.saved_replies_for(membership, current)
    ]
    return {
        "page_title": str(current),
        "conversation": current,
        "messages_list": list(current.messages.all()),
        "notes": list(current.notes.all()),
        "tags": [tag.name for tag in current.tags.all()],
        "history": selectors.customer_history(membership, current),
        "saved_replies": replies,
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "close_form": forms.get("close_form") or CloseForm(reasons=selectors.reasons_of(membership)),
        "assign_form": AssignForm(
            initial={"assignee": current.assignee_id or "", "team": ""}, teams=teams, agents=agents
        ),
        "tag_form": TagForm(),
        "may_reply": role_allows(membership.role, Action.INBOX_REPLY),
        "customer_tier": _customer_tier(membership, current),
        "now": timezone.now(),
    }


def _customer_tier(membership: Membership, current: Conversation) -> str:
    """The customer tier of the conversation's member (the community's segments), else the one the
    conversation arrived with; only for roles that may see community members (never the agency)."""
    if not role_allows(membership.role, Action.COMMUNITY_VIEW):
        return ""
    tier = community_facade.customer_tier(membership.workspace_id, current.network, current.customer_handle)
    return tier or current.customer_tier


def _render_with(
    request: HttpRequest, membership: Membership, conversation_id: int, status: int = 422, **forms: Any
) -> HttpResponse:
    current = _conversation_or_404(membership, conversation_id)
    return render(
        request, "inbox/conversation.html", _conversation_context(request, membership, current, **forms), status=status
    )


@require_POST
@member_required(Action.INBOX_REPLY)
def reply(request: HttpRequest, membership: Membership, conversation_id: int) -> HttpResponse:
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _render_with(request, membership, conversation_id, reply_form=form)
    try:
        message = services.conversation_reply(
            actor=actor_of(request),
            membership=membership,
            conversation_id=conversation_id,
            text=form.cleaned_data["text"],
            saved_reply_id=form.cleaned_data["saved_reply"],
        )
    except ObjectDoesNotExist as error:
        raise Http404 from error
    except ValidationError as error:
        form.add_error("text", _errors(error))
        return _render_with(request, membership, conversation_id, reply_form=form)
    if message.delivery_status == "failed":
        messages.error(request, _("The network refused the reply: %(reason)s") % {"reason": message.error})
    else:
        messages.success(request, _("Reply sent."))
    return _back(conversation_id)


@require_POST
@member_required(Action.INBOX_REPLY)
def retry(request: HttpRequest, membership: Membership, message_id: int) -> HttpResponse:
    try:
        message = services.message_retry(actor=actor_of(request), membership=membership, message_id=message_id)
    except ObjectDoesNotExist as error:
        raise Http404 from error
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect("inbox:queue")
    if message.delivery_status == "failed":
        messages.error(request, _("The network refused the reply: %(reason)s") % {"reason": message.error})
    else:
        messages.success(request, _("Reply sent."))
    return _back(message.conversation_id)


@require_POST
@member_required(Action.INBOX_REPLY)
def assign(request: HttpRequest, membership: Membership, conversation_id: int) -> HttpResponse:
    teams = list(selectors.teams_of(membership))
    form = AssignForm(request.POST, teams=teams, agents=selectors.agents_of(membership))
    if not form.is_valid():
        messages.error(request, _("Choose someone from the list."))
        return _back(conversation_id)
    team = next((team for team in teams if str(team.pk) == form.cleaned_data["team"]), None)
    try:
        services.conversation_assign(
            actor=actor_of(request),
            membership=membership,
            conversation_id=conversation_id,
            assignee=_agent(membership, form.cleaned_data["assignee"]),
            team=team,
        )
    except ObjectDoesNotExist as error:
        raise Http404 from error
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("Assignment saved."))
    return _back(conversation_id)


@require_POST
@member_required(Action.INBOX_REPLY)
def close(request: HttpRequest, membership: Membership, conversation_id: int) -> HttpResponse:
    form = CloseForm(request.POST, reasons=selectors.reasons_of(membership))
    if not form.is_valid():
        return _render_with(request, membership, conversation_id, close_form=form)
    try:
        services.conversation_close(
            actor=actor_of(request),
            membership=membership,
            conversation_id=conversation_id,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except ObjectDoesNotExist as error:
        raise Http404 from error
    except ValidationError as error:
        form.add_error(None, _errors(error))
        return _render_with(request, membership, conversation_id, close_form=form)
    messages.success(request, _("Conversation closed."))
    return redirect("inbox:queue")


@require_POST
@member_required(Action.INBOX_REPLY)
def reopen(request: HttpRequest, membership: Membership, conversation_id: int) -> HttpResponse:
    try:
        services.conversation_reopen(actor=actor_of(request), membership=membership, conversation_id=conversation_id)
    except ObjectDoesNotExist as error:
        raise Http404 from error
    except ValidationError as error:
        messages.error(request, _errors(error))
    return _back(conversation_id)


@require_POST
@member_required(Action.INBOX_REPLY)
def note(request: HttpRequest, membership: Membership, conversation_id: int) -> HttpResponse:
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_with(request, membership, conversation_id, note_form=form)
    try:
        services.note_add(
            actor=actor_of(request),
            membership=membership,
            conversation_id=conversation_id,
            text=form.cleaned_data["text"],
        )
    except ObjectDoesNotExist as error:
        raise Http404 from error
    return _back(conversation_id)


@require_POST
@member_required(Action.INBOX_REPLY)
def tag(request: HttpRequest, membership: Membership, conversation_id: int) -> HttpResponse:
    form = TagForm(request.POST)
    remove = request.POST.get("remove", "")
    try:
        if remove:
            services.conversation_tag(
                actor=actor_of(request), membership=membership, conversation_id=conversation_id, remove=[remove]
            )
        elif form.is_valid():
            services.conversation_tag(
                actor=actor_of(request),
                membership=membership,
                conversation_id=conversation_id,
                add=[form.cleaned_data["tag"]],
            )
    except ObjectDoesNotExist as error:
        raise Http404 from error
    except ValidationError as error:
        messages.error(request, _errors(error))
    return _back(conversation_id)


@require_POST
@member_required(Action.INBOX_VIEW)
def presence(request: HttpRequest, membership: Membership, conversation_id: int) -> HttpResponse:
    """Refresh this person's marker and answer with who else works on the conversation (htmx)."""
    try:
        others = services.presence_touch(
            membership=membership, conversation_id=conversation_id, activity=request.POST.get("activity", "viewing")
        )
    except ObjectDoesNotExist as error:
        raise Http404 from error
    return render(request, "inbox/_presence.html", {"others": others})


@require_POST
@member_required(Action.INBOX_REPLY)
def moderate(request: HttpRequest, membership: Membership, message_id: int) -> HttpResponse:
    action = request.POST.get("action", "")
    try:
        message = services.message_moderate(
            actor=actor_of(request), membership=membership, message_id=message_id, action=action
        )
    except ObjectDoesNotExist as error:
        raise Http404 from error
    except ValidationError as error:
        messages.error(request, _errors(error))
        conversation_id = request.POST.get("conversation", "")
        return _back(int(conversation_id)) if conversation_id.isdigit() else redirect("inbox:queue")
    messages.success(request, _("The message was removed from the network."))
    return _back(message.conversation_id)


@require_POST
@member_required(Action.INBOX_REPLY)
def bulk(request: HttpRequest, membership: Membership) -> HttpResponse:
    require(membership, Action.INBOX_REPLY)
    agents = selectors.agents_of(membership)
    form = BulkForm(request.POST, agents=agents, reasons=selectors.reasons_of(membership))
    back = reverse("inbox:queue") + (f"?{request.POST['query']}" if request.POST.get("query") else "")
    if not form.is_valid():
        messages.error(request, _("Select conversations and what to do with them."))
        return redirect(back)
    data = form.cleaned_data
    try:
        result = services.conversations_bulk(
            actor=actor_of(request),
            membership=membership,
            conversation_ids=data["conversations"],
            action=data["action"],
            assignee=_agent(membership, data["assignee"]),
            reason=data["reason"],
            tag=data["tag"],
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect(back)
    if result.done:
        messages.success(request, _("%(count)s conversations done.") % {"count": len(result.done)})
    for reason in sorted(set(result.failed.values())):
        messages.error(request, reason)
    return redirect(back)
