# ruff: noqa: RUF001, E501 - real Norwegian, Russian and Chinese punctuation and sentences in the demo texts
"""The demo inbox: teams with business hours and SLAs, routing rules, saved replies in four
languages, and conversations from listening (purchase questions, complaints, praise, spam) in
English, Russian, Norwegian and Chinese, some answered, noted, tagged or closed.

Written through the services, so triage (pappus.nlp), routing, assignment, SLA clocks and the
audit log are what real work would give. Idempotent: teams, rules and replies are found by name,
messages by their external id (the ingest counts a second load as duplicates).
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.utils import timezone

from pappus.core.audit import Actor
from pappus.core.models import Membership, Region, Workspace
from pappus.core.permissions import Action, Role, role_allows
from pappus.inbox import services
from pappus.inbox.contracts import MentionInteraction
from pappus.inbox.models import AssignmentMode, Conversation, Message, RoutingRule, SavedReply, Team, TeamKind

WEEKDAYS_9_TO_17 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
WEEKDAYS_8_TO_20 = {day: [["08:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}

# (network, handle, name, language region, text)
CONVERSATIONS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "mastodon",
        "@linnea@norden.social",
        "Linnea Berg",
        "Norway",
        "Hei! Selger dere Autumn blend i 1 kg poser? Jeg vil gjerne kjøpe to til kontoret.",
    ),
    (
        "mastodon",
        "@ola@snabb.no",
        "Ola Hansen",
        "Norway",
        "Bestillingen min har ikke kommet etter to uker. Dette er skikkelig dårlig service.",
    ),
    ("mastodon", "@mia@kaffe.no", "Mia Strand", "Norway", "Beste kaffen i Tromsø! Takk for en fantastisk morgen ☕"),
    (
        "bluesky",
        "@petrov.bsky.social",
        "Иван Петров",
        "Russia",
        "Здравствуйте! Хочу купить зерно для кофейни, есть ли оптовые цены?",
    ),
    (
        "bluesky",
        "@marina.bsky.social",
        "Марина Козлова",
        "Russia",
        "Кофемашина, которую я купила у вас, сломалась через неделю. Помогите с ремонтом, пожалуйста.",
    ),
    ("mastodon", "@anna_k@mastodon.ru", "Анна К.", "Russia", "Спасибо за вкусный кофе и быстрые ответы!"),
    ("mastodon", "@xiaoming@m.cmx.im", "小明", "China", "你好，请问秋季拼配咖啡豆在哪里可以买到？我想订购五包。"),
    ("mastodon", "@lihua@m.cmx.im", "李华", "China", "我的订单已经晚了十天，客服一直不回复，太失望了。"),
    (
        "mastodon",
        "@tom@mastodon.social",
        "Tom Baker",
        "United Kingdom & International",
        "Do you ship the Autumn blend to the UK? I'd like to order a subscription.",
    ),
    (
        "mastodon",
        "@sarah@mastodon.social",
        "Sarah Jones",
        "United Kingdom & International",
        "My grinder stopped working after a month. How do I get it repaired under warranty?",
    ),
    (
        "mastodon",
        "@grumpy@mastodon.social",
        "Grumpy Joe",
        "United Kingdom & International",
        "Your coffee tastes like burnt garbage and your staff are idiots.",
    ),
    (
        "mastodon",
        "@deals4u@spam.example",
        "Best Deals",
        "United Kingdom & International",
        "CLICK HERE for free followers!!! Cheap watches and crypto giveaway http://spam.example",
    ),
    (
        "mastodon",
        "@emma@mastodon.social",
        "Emma Wilson",
        "United Kingdom & International",
        "Loved the latte art workshop yesterday, thank you so much!",
    ),
)

SAVED_REPLIES: tuple[tuple[str, str, str], ...] = (
    (
        "Thanks for the order question",
        "en",
        "Hi {customer_name}, thanks for asking! You can order here: https://nordlys.example/shop. — {agent_name}",
    ),
    (
        "Thanks for the order question",
        "nb",
        "Hei {customer_name}, takk for spørsmålet! Du kan bestille her: https://nordlys.example/shop. — {agent_name}",
    ),
    (
        "Thanks for the order question",
        "ru",
        "Здравствуйте, {customer_name}! Спасибо за вопрос. Заказать можно здесь: https://nordlys.example/shop. — {agent_name}",
    ),
    (
        "Thanks for the order question",
        "zh-hans",
        "{customer_name}，您好！感谢您的咨询，可在此订购：https://nordlys.example/shop。— {agent_name}",
    ),
    (
        "Sorry about the delay",
        "en",
        "Hi {customer_name}, we are sorry your order is late. Please send us your order number in a direct message. — {agent_name}",
    ),
    (
        "Sorry about the delay",
        "nb",
        "Hei {customer_name}, beklager at bestillingen er forsinket. Send oss ordrenummeret i en direktemelding. — {agent_name}",
    ),
    (
        "Sorry about the delay",
        "ru",
        "{customer_name}, извините за задержку заказа. Пришлите, пожалуйста, номер заказа в личные сообщения. — {agent_name}",
    ),
    ("Sorry about the delay", "zh-hans", "{customer_name}，很抱歉您的订单延误了。请私信告诉我们订单号。— {agent_name}"),
)

CLOSE_REASONS = ("Answered", "Sale made", "Problem solved", "Passed to another department", "Spam or abuse")


def _first_member(workspace: Workspace, role: str) -> Membership | None:
    return (
        Membership.objects.for_workspace(workspace)
        .filter(role=role, is_active=True)
        .select_related("user", "workspace")
        .order_by("pk")
        .first()
    )


def contribute(workspace: Workspace, rng: random.Random) -> None:
    owner = _first_member(workspace, Role.OWNER)
    if owner is None:
        return
    actor = Actor(owner.user, via="demo")
    agents = [
        membership.user
        for membership in Membership.objects.for_workspace(workspace).filter(is_active=True).select_related("user")
        if role_allows(membership.role, Action.INBOX_REPLY)
    ]
    teams = {team.name: team for team in Team.objects.for_workspace(workspace)}
    if "Support" not in teams:
        teams["Support"] = services.team_create(
            actor=actor,
            membership=owner,
            name="Support",
            kind=TeamKind.SUPPORT,
            members=agents,
            assignment_mode=AssignmentMode.LOAD_BASED,
            time_zone="Europe/Oslo",
            business_hours=WEEKDAYS_8_TO_20,
            holidays=["2026-12-24", "2026-12-25", "2026-12-26", "2027-01-01"],
        )
        services.sla_policy_set(
            actor=actor, membership=owner, team=teams["Support"], first_response_minutes=60, resolution_minutes=480
        )
    if "Sales" not in teams:
        teams["Sales"] = services.team_create(
            actor=actor,
            membership=owner,
            name="Sales",
            kind=TeamKind.SALES,
            members=agents,
            assignment_mode=AssignmentMode.ROUND_ROBIN,
            time_zone="Europe/Oslo",
            business_hours=WEEKDAYS_9_TO_17,
        )
        services.sla_policy_set(
            actor=actor, membership=owner, team=teams["Sales"], first_response_minutes=30, resolution_minutes=240
        )
    if "PR" not in teams:
        teams["PR"] = services.team_create(
            actor=actor,
            membership=owner,
            name="PR",
            kind=TeamKind.PR,
            members=agents[:1],
            assignment_mode=AssignmentMode.MANUAL,
            time_zone="Europe/Oslo",
        )
        services.sla_policy_set(
            actor=actor,
            membership=owner,
            team=teams["PR"],
            first_response_minutes=120,
            resolution_minutes=1440,
            escalation_user=owner.user,
        )
    if not RoutingRule.objects.for_workspace(workspace).exists():
        services.routing_rule_create(
            actor=actor, membership=owner, name="Buyers to sales", team=teams["Sales"], intents=["purchase_intent"]
        )
        services.routing_rule_create(
            actor=actor,
            membership=owner,
            name="Press and abuse to PR",
            team=teams["PR"],
            keywords=["journalist", "press", "журналист", "记者", "idiots"],
        )
        services.routing_rule_create(
            actor=actor, membership=owner, name="Everything else to support", team=teams["Support"]
        )
    existing_replies = set(SavedReply.objects.for_workspace(workspace).values_list("title", "language"))
    for title, language, body in SAVED_REPLIES:
        if (title, language) not in existing_replies:
            services.saved_reply_create(actor=actor, membership=owner, title=title, body=body, language=language)
    for reason in CLOSE_REASONS:
        services.close_reason_create(actor=actor, membership=owner, name=reason)

    regions = {region.name: region.pk for region in Region.objects.for_workspace(workspace)}
    now = timezone.now()
    mentions = []
    for number, (network, handle, name, region, text) in enumerate(CONVERSATIONS):
        minutes = rng.randint(5, 600)
        mentions.append(
            MentionInteraction(
                network=network,
                external_id=f"demo-{workspace.slug}-{number}",
                text=text,
                author_handle=handle,
                author_name=name,
                url=f"https://{network}.example/{number}",
                published_at=now - datetime.timedelta(minutes=minutes),
                region_id=regions.get(region),
                customer_tier="vip" if number % 5 == 0 else "",
            )
        )
    _saved_reply_history(workspace, owner, actor, agents, rng)
    result = services.ingest_mentions(workspace.pk, mentions)
    if not result.conversations_created:
        return
    conversations = list(Conversation.objects.for_workspace(workspace).filter(pk__in=result.conversation_ids))
    for conversation in conversations:
        if conversation.intent == "praise":
            services.conversation_close(
                actor=actor,
                membership=owner,
                conversation_id=conversation.pk,
                reason="Answered",
                note="Thanked in person at the shop.",
            )
        elif conversation.intent == "spam":
            services.conversation_tag(actor=actor, membership=owner, conversation_id=conversation.pk, add=["spam"])
            services.conversation_close(
                actor=actor, membership=owner, conversation_id=conversation.pk, reason="Spam or abuse"
            )
        elif conversation.intent == "complaint":
            services.note_add(
                actor=actor,
                membership=owner,
                conversation_id=conversation.pk,
                text="Checked the order system: the parcel is stuck at the carrier.",
            )
            services.conversation_tag(actor=actor, membership=owner, conversation_id=conversation.pk, add=["delivery"])


# The spokes' own saved replies (title, language by the region's language, body) and how their answers went:
# (share closed with a positive reason, share with a complaint soon after), so the regions-learn page ranks them.
SPOKE_REPLIES: dict[str, tuple[str, str, str]] = {
    "nb": ("Forsinket pakke", "nb", "Hei {customer_name}! Beklager forsinkelsen, vi sender en ny pakke i dag."),
    "ru": ("Задержка доставки", "ru", "Здравствуйте, {customer_name}! Простите за задержку, отправим заказ сегодня."),
    "zh-hans": ("物流延迟", "zh-hans", "{customer_name}您好！抱歉延误，我们今天重新发货。"),
    "en": ("Parcel delayed", "en", "Hi {customer_name}, sorry for the wait: a new parcel goes out today."),
}
SPOKE_REPLY_OUTCOMES = ((0.85, 0.05), (0.6, 0.25), (0.7, 0.1), (0.5, 0.3))
HISTORY_ANSWERS = 8  # answers per spoke reply over the past weeks (the page ranks from 3)


def _saved_reply_history(
    workspace: Workspace, owner: Membership, actor: Actor, agents: list[Any], rng: random.Random
) -> None:
    """Past weeks of answers based on each spoke's own saved reply, their conversations closed with a reason and a
    few customers complaining again, so that the demo's regions-learn page ranks saved replies. Idempotent."""
    if Message.objects.for_workspace(workspace).filter(saved_reply__isnull=False).exists():
        return
    now = timezone.now()
    spokes = list(Region.objects.for_workspace(workspace).filter(parent__isnull=False).order_by("name"))
    for number, region in enumerate(spokes):
        title, language, body = SPOKE_REPLIES.get(region.language, SPOKE_REPLIES["en"])
        reply = SavedReply.objects.for_workspace(workspace).filter(title=title, language=language).first()
        if reply is None:
            reply = services.saved_reply_create(
                actor=actor, membership=owner, title=title, body=body, language=language, region=region
            )
        positive, complaints = SPOKE_REPLY_OUTCOMES[number % len(SPOKE_REPLY_OUTCOMES)]
        for answer in range(HISTORY_ANSWERS):
            arrived = now - datetime.timedelta(days=rng.randint(3, 40), hours=rng.randint(0, 12))
            customer = f"@demo-{region.pk}-{answer}@example.social"
            conversation = Conversation.objects.create(
                workspace=workspace,
                external_scope="demo-history",
                network="mastodon",
                thread_key=f"saved-reply-{reply.pk}-{answer}",
                customer_handle=customer,
                customer_name=customer.split("@")[1],
                customer_key=customer,
                region=region,
                language=language,
                intent="complaint",
                created_at=arrived,
                last_message_at=arrived,
            )
            Message.objects.create(
                workspace=workspace,
                conversation=conversation,
                external_scope="demo-history",
                direction="in",
                author_handle=customer,
                text="Where is my parcel?",
                intent="complaint",
                sent_at=arrived,
            )
            answered = arrived + datetime.timedelta(minutes=rng.randint(10, 180))
            Message.objects.create(
                workspace=workspace,
                conversation=conversation,
                external_scope="demo-history",
                direction="out",
                author_user=rng.choice(agents) if agents else owner.user,
                text=services.saved_reply_fill(reply.body, conversation=conversation, agent=owner.user),
                sent_at=answered,
                delivery_status="sent",
                saved_reply=reply,
            )
            closed = answered + datetime.timedelta(hours=rng.randint(1, 30))
            conversation.status = "closed"
            conversation.closed_at = closed
            conversation.first_responded_at = answered
            conversation.outcome_reason = (
                "Problem solved" if rng.random() < positive else "Passed to another department"
            )
            conversation.message_count = 2
            conversation.save()
            if rng.random() < complaints and closed + datetime.timedelta(days=2) < now:
                again = Conversation.objects.create(
                    workspace=workspace,
                    external_scope="demo-history",
                    network="mastodon",
                    thread_key=f"saved-reply-{reply.pk}-{answer}-again",
                    customer_handle=customer,
                    customer_key=customer,
                    region=region,
                    language=language,
                    intent="complaint",
                    created_at=closed + datetime.timedelta(days=2),
                    last_message_at=closed + datetime.timedelta(days=2),
                    status="closed",
                    closed_at=closed + datetime.timedelta(days=3),
                    outcome_reason="Passed to another department",
                )
                Message.objects.create(
                    workspace=workspace,
                    conversation=again,
                    external_scope="demo-history",
                    direction="in",
                    author_handle=customer,
                    text="Still nothing arrived!",
                    intent="complaint",
                    sent_at=closed + datetime.timedelta(days=2),
                )
