# ruff: noqa: RUF001, E501 - real Norwegian, Russian and Chinese punctuation and sentences in the demo texts
"""The demo crisis data: alert rules on the brand topic, playbooks in four languages, and the alert
the negative spike of the listening demo really raises, with an open incident following it.

Runs after listening's contributor (registered earlier: listening comes before crisis in
INSTALLED_APPS). Nothing is fabricated: the rules are evaluated by the periodic job's own
service, as the hourly job would have run during the spike and now; the incident is opened on
the alert that evaluation raised. Idempotent: rules and playbooks by name, the incident by title.
"""

from __future__ import annotations

import datetime
import random
import zoneinfo
from typing import Final

from django.utils import timezone

from pappus.core.audit import Actor
from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Role
from pappus.crisis import services
from pappus.crisis.models import Alert, AlertRule, EntryKind, Incident, Metric, Playbook, Severity
from pappus.listening import demo as listening_demo
from pappus.listening import facade as listening

NEGATIVE_RULE: Final = "Nordlys: negative share"
VOLUME_RULE: Final = "Nordlys: mention volume"
PLAYBOOK: Final = "Product quality or delivery complaint"
INCIDENT: Final = "Burnt taste and late deliveries of the Autumn blend"

STEPS: Final = {
    "en": (
        "Confirm the facts with operations and logistics (batch number, affected orders)",
        "Pause scheduled promotional posts about the product",
        "Publish the holding statement on every network",
        "Answer each complaint with the approved reply and move it to a direct message",
        "Brief the regional teams and customer service",
        "Write the post-incident summary",
    ),
    "nb": (
        "Bekreft fakta med drift og logistikk (batchnummer, berørte ordre)",
        "Sett planlagte kampanjeinnlegg om produktet på pause",
        "Publiser den godkjente uttalelsen i alle kanaler",
        "Svar hver klage med godkjent svar og flytt samtalen til direktemelding",
        "Orienter regionene og kundeservice",
    ),
    "ru": (
        "Уточнить факты у производства и логистики (номер партии, затронутые заказы)",
        "Приостановить запланированные рекламные публикации о продукте",
        "Опубликовать согласованное заявление во всех сетях",
        "Ответить на каждую жалобу утверждённым ответом и перевести разговор в личные сообщения",
    ),
    "zh-hans": (
        "与生产和物流确认事实（批次号、受影响订单）",
        "暂停该产品的预定推广帖子",
        "在所有平台发布已批准的声明",
        "用已批准的回复回应每条投诉，并转为私信沟通",
    ),
}

TEMPLATES: Final = {
    "en": (
        {
            "title": "Holding statement",
            "body": "We know some of you received a batch of our Autumn blend that tastes burnt, and that deliveries are late. We are sorry. We are checking the batch now and will replace every affected bag free of charge. Updates here within 24 hours.",
        },
        {
            "title": "Reply to a complaint",
            "body": "Hi {customer_name}, we are sorry about your order. Please send us your order number in a direct message and we will send a fresh bag right away. — {agent_name}",
        },
    ),
    "nb": (
        {
            "title": "Foreløpig uttalelse",
            "body": "Vi vet at noen av dere har fått en høstblanding som smaker brent, og at leveringene er forsinket. Det beklager vi. Vi sjekker batchen nå og erstatter alle berørte poser kostnadsfritt.",
        },
        {
            "title": "Svar på klage",
            "body": "Hei {customer_name}, beklager at bestillingen ikke ble som den skulle. Send oss ordrenummeret i en direktemelding, så sender vi en ny pose med en gang. — {agent_name}",
        },
    ),
    "ru": (
        {
            "title": "Предварительное заявление",
            "body": "Мы знаем, что часть партии осеннего купажа горчит, а доставка задерживается. Приносим извинения. Мы проверяем партию и бесплатно заменим каждую пачку.",
        },
        {
            "title": "Ответ на жалобу",
            "body": "{customer_name}, извините за проблему с заказом. Пришлите номер заказа в личные сообщения, и мы сразу отправим новую пачку. — {agent_name}",
        },
    ),
    "zh-hans": (
        {
            "title": "初步声明",
            "body": "我们了解到部分秋季拼配咖啡有焦味，且配送出现延误。对此深表歉意。我们正在检查该批次，并将免费更换所有受影响的产品。",
        },
        {
            "title": "投诉回复",
            "body": "{customer_name}，您好！很抱歉您的订单出现问题。请私信告诉我们订单号，我们会立即为您寄出新的一包。— {agent_name}",
        },
    ),
}


def _member(workspace: Workspace, role: str) -> Membership | None:
    return (
        Membership.objects.for_workspace(workspace)
        .filter(role=role, is_active=True)
        .select_related("user", "workspace")
        .order_by("pk")
        .first()
    )


def contribute(workspace: Workspace, rng: random.Random) -> None:
    """Rules, playbooks, the evaluation over the demo series and an incident (Nordlys only)."""
    if workspace.slug != listening_demo.WORKSPACE:
        return
    owner = _member(workspace, Role.OWNER)
    topic = next((row for row in listening.topics(workspace.pk) if row.name == listening_demo.BRAND_TOPIC), None)
    if owner is None or topic is None:
        return
    actor = Actor(owner.user, via="demo")
    rules = {rule.name: rule for rule in AlertRule.objects.for_workspace(workspace)}
    created = False
    for name, metric, sensitivity in ((NEGATIVE_RULE, Metric.NEGATIVE_SHARE, 0.8), (VOLUME_RULE, Metric.VOLUME, 0.65)):
        if name not in rules:
            rules[name] = services.rule_create(
                actor=actor,
                membership=owner,
                name=name,
                topic_id=topic.id,
                metric=metric,
                sensitivity=sensitivity,
                cooldown_hours=6,
            )
            created = True
    playbooks = {(playbook.name, playbook.language): playbook for playbook in Playbook.objects.for_workspace(workspace)}
    for language, steps in STEPS.items():
        if (PLAYBOOK, language) not in playbooks:
            playbooks[PLAYBOOK, language] = services.playbook_create(
                actor=actor,
                membership=owner,
                name=PLAYBOOK,
                language=language,
                steps=steps,
                templates=TEMPLATES[language],
                approved=True,
            )
    if created:
        _evaluate(workspace, [rules[NEGATIVE_RULE].pk, rules[VOLUME_RULE].pk])
    if not Incident.objects.for_workspace(workspace).filter(title=INCIDENT).exists():
        _open_incident(workspace, actor, owner, rules[NEGATIVE_RULE], playbooks[PLAYBOOK, "en"])


def spike_start(workspace: Workspace, now: datetime.datetime) -> datetime.datetime:
    """The first hour of the listening demo's spike (two days ago, local afternoon), in UTC."""
    zone = zoneinfo.ZoneInfo(workspace.time_zone)
    day = now.astimezone(zone).date() - datetime.timedelta(days=2)
    local = datetime.datetime.combine(day, datetime.time(listening_demo.SPIKE_HOURS[0]), tzinfo=zone)
    return local.astimezone(datetime.UTC)


def _evaluate(workspace: Workspace, rule_ids: list[int]) -> None:
    """Run the rules' evaluation as the hourly job did: during the spike, after it, and now."""
    now = timezone.now()
    start = spike_start(workspace, now)
    moments = [start + datetime.timedelta(hours=hours) for hours in (1, 2, 4, len(listening_demo.SPIKE_HOURS) + 1)]
    for moment in [*moments, now]:
        for rule_id in rule_ids:
            services.rule_evaluate(rule_id, now=moment)


def _open_incident(workspace: Workspace, actor: Actor, owner: Membership, rule: AlertRule, playbook: Playbook) -> None:
    alerts = list(Alert.objects.for_workspace(workspace).filter(rule__name__in=(NEGATIVE_RULE, VOLUME_RULE)))
    if not alerts:
        return
    lead = _member(workspace, Role.COMMUNITY_MANAGER) or owner
    incident = services.incident_open(
        actor=actor,
        membership=owner,
        title=INCIDENT,
        severity=Severity.HIGH,
        owner=lead.user,
        playbook=playbook,
        alerts=alerts,
    )
    services.incident_note(
        actor=actor,
        membership=owner,
        incident=incident,
        kind=EntryKind.HAPPENED,
        text="Complaints about a burnt taste of the Autumn blend and late deliveries in all four markets, "
        "starting in the afternoon. Logistics confirms a two-day backlog at the Tromsø warehouse.",
    )
    services.incident_check_step(actor=actor, membership=owner, incident=incident, step=0, done=True)
    services.incident_note(
        actor=actor,
        membership=owner,
        incident=incident,
        kind=EntryKind.ACTION,
        text="Holding statement published in English, Norwegian, Russian and Chinese; promotional posts paused.",
    )
