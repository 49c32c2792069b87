"""Opinion leaders: authors found in listening (``listening.facade.author_stats``), ranked by a score
whose every part explains itself, with signals of bought or bot audiences, and a pipeline
(found → contacted → agreed → content live → results) with the agreement, its cost and results, for ROI.

The score is the weighted sum of five parts, each from 0 to 1 (weights in ``WEIGHTS``):

- **reach**: log10(followers + 1) / 7 (10 million followers = 1);
- **engagement**: engagement per mention over followers, 5 % or more = 1 (without followers: per
  mention, 1,000 or more = 1);
- **relevance**: mentions matching the brand's or its products' listening topics, 5 or more = 1;
- **sentiment towards the brand**: (positive - negative) / rated on brand and product topics, from -1..1
  to 0..1 (none rated: 0.5); the sentiment towards competitors is shown beside it;
- **audience overlap**: the share of the author's mentions in the target audience's languages and
  countries, and on its networks (``LeaderTarget``; none set: 0.5).

Signals of a bought or bot audience, where the data allows, each cut the score by a quarter:
many followers (10,000+) with almost no engagement (under 0.05 % per mention), most mentions
near-duplicates of others, or 20 and more mentions within one hour.
"""

from __future__ import annotations

import datetime
import decimal
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.community.models import LeaderStage, LeaderTarget, OpinionLeader
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Action, require
from pappus.listening import facade as listening_facade

WEIGHTS = {"reach": 0.3, "engagement": 0.2, "relevance": 0.2, "sentiment": 0.15, "audience": 0.15}
BRAND_KINDS = ("brand", "product")
BOT_PENALTY = 0.25
MAX_MONEY = decimal.Decimal("999999999999.99")
MAX_COUNT = 10**15
PIPELINE = tuple(LeaderStage.values)


@dataclass(frozen=True)
class Scored:
    score: float
    parts: list[dict[str, Any]]
    signals: list[str]


def _sentiment(counts: dict[str, dict[str, int]], kinds: Sequence[str]) -> tuple[int, int, int]:
    positive = sum(counts.get(kind, {}).get("positive", 0) for kind in kinds)
    negative = sum(counts.get(kind, {}).get("negative", 0) for kind in kinds)
    rated = positive + negative + sum(counts.get(kind, {}).get("neutral", 0) for kind in kinds)
    return positive, negative, rated


def score(author: listening_facade.AuthorStats, target: LeaderTarget | None) -> Scored:
    """The score of one author with each part's value, weight and explanation (see the module's doc)."""
    parts: list[dict[str, Any]] = []

    def part(name: str, value: float, explanation: str) -> None:
        value = max(0.0, min(1.0, value))
        parts.append({"part": name, "value": round(value, 3), "weight": WEIGHTS[name], "explanation": explanation})

    followers = author.followers or 0
    part(
        "reach",
        math.log10(followers + 1) / 7,
        _("%(followers)s followers") % {"followers": f"{followers:,}"}
        if author.followers is not None
        else _("followers unknown"),
    )
    per_mention = author.engagement / author.mentions if author.mentions else 0.0
    if followers:
        rate = per_mention / followers
        part(
            "engagement",
            rate / 0.05,
            _("%(per)s engagements per mention, %(rate)s %% of followers")
            % {"per": f"{per_mention:,.0f}", "rate": f"{rate * 100:.2f}"},
        )
    else:
        part("engagement", per_mention / 1000, _("%(per)s engagements per mention") % {"per": f"{per_mention:,.0f}"})
    relevant = sum(sum(counts.values()) for kind, counts in author.sentiment_by_kind.items() if kind in BRAND_KINDS)
    part(
        "relevance",
        relevant / 5,
        _("%(relevant)s of %(mentions)s mentions about the brand or its products")
        % {"relevant": relevant, "mentions": author.mentions},
    )
    positive, negative, rated = _sentiment(author.sentiment_by_kind, BRAND_KINDS)
    rival_positive, rival_negative, rival_rated = _sentiment(author.sentiment_by_kind, ("competitor",))
    rivals = (
        _("; about competitors %(positive)s positive, %(negative)s negative of %(rated)s")
        % {"positive": rival_positive, "negative": rival_negative, "rated": rival_rated}
        if rival_rated
        else ""
    )
    part(
        "sentiment",
        ((positive - negative) / rated + 1) / 2 if rated else 0.5,
        _("about the brand %(positive)s positive, %(negative)s negative of %(rated)s rated")
        % {"positive": positive, "negative": negative, "rated": rated}
        + rivals,
    )
    languages = set(target.languages) if target else set()
    countries = set(target.countries) if target else set()
    networks = set(target.networks) if target else set()
    if not (languages or countries or networks):
        part("audience", 0.5, _("no target audience set"))
    else:
        shares = []
        if languages:
            total = sum(author.languages.values())
            shares.append(sum(n for code, n in author.languages.items() if code in languages) / total if total else 0)
        if countries:
            total = sum(author.countries.values())
            shares.append(sum(n for code, n in author.countries.items() if code in countries) / total if total else 0)
        if networks:
            shares.append(1.0 if author.network in networks else 0.0)
        part(
            "audience",
            sum(shares) / len(shares),
            _("languages %(languages)s, countries %(countries)s, network %(network)s")
            % {
                "languages": ", ".join(sorted(author.languages)) or "—",
                "countries": ", ".join(sorted(author.countries)) or "—",
                "network": author.network,
            },
        )
    signals = []
    if followers >= 10_000 and per_mention / followers < 0.0005:
        signals.append(
            _("%(followers)s followers but %(per)s engagements per mention: bought or inactive followers?")
            % {"followers": f"{followers:,}", "per": f"{per_mention:,.1f}"}
        )
    if author.mentions >= 4 and author.duplicates * 2 >= author.mentions:
        signals.append(
            _("%(duplicates)s of %(mentions)s mentions are near-duplicates of others")
            % {"duplicates": author.duplicates, "mentions": author.mentions}
        )
    if author.busiest_hour >= 20:
        signals.append(_("%(number)s mentions within one hour") % {"number": author.busiest_hour})
    total = sum(item["value"] * item["weight"] for item in parts)
    return Scored(round(total * (1 - BOT_PENALTY) ** len(signals), 4), parts, signals)


def target_of(workspace: Workspace | int) -> LeaderTarget | None:
    return LeaderTarget.objects.for_workspace(workspace).first()


@dataclass(frozen=True)
class DiscoverResult:
    found: int
    new: int


def discover(workspace_id: int, *, days: int = 90, min_mentions: int = 2, limit: int = 500) -> DiscoverResult:
    """Rank the authors of the last ``days`` days again; new ones start as "found", known ones keep
    their pipeline (stage, agreement, cost, results)."""
    since = timezone.now() - datetime.timedelta(days=days)
    authors = listening_facade.author_stats(workspace_id, since=since, min_mentions=min_mentions, limit=limit)
    target = target_of(workspace_id)
    known = {
        (row.network, row.handle): row
        for row in OpinionLeader.objects.for_workspace(workspace_id).filter(
            handle__in=[author.handle[:300] for author in authors]
        )
    }
    now = timezone.now()
    new = 0
    with transaction.atomic():
        for author in authors:
            scored = score(author, target)
            row = known.get((author.network[:60], author.handle[:300]))
            if row is None:
                row = OpinionLeader(
                    workspace_id=workspace_id,
                    network=author.network[:60],
                    handle=author.handle[:300],
                    discovered_at=now,
                )
                new += 1
            row.name = author.name[:300] or row.name
            row.profile_url = author.profile_url[:2000] or row.profile_url
            row.followers = author.followers
            row.mentions = author.mentions
            row.engagement = author.engagement
            row.score = scored.score
            row.score_parts = scored.parts
            row.bot_signals = scored.signals
            row.scored_at = now
            row.save()
    return DiscoverResult(found=len(authors), new=new)


def leaders(workspace: Workspace | int, *, stage: str = "") -> QuerySet[OpinionLeader]:
    rows = OpinionLeader.objects.for_workspace(workspace)
    if stage:
        rows = rows.filter(stage=stage)
    return rows.order_by("-score", "id")


def roi(leader: OpinionLeader) -> float | None:
    """(value delivered - cost) / cost; None without both."""
    if leader.cost is None or leader.result_value is None or leader.cost <= 0:
        return None
    return round(float((leader.result_value - leader.cost) / leader.cost), 4)


@dataclass(frozen=True)
class PipelineTotals:
    by_stage: dict[str, int]
    cost: decimal.Decimal
    value: decimal.Decimal
    roi: float | None


def totals(workspace: Workspace | int) -> PipelineTotals:
    rows = OpinionLeader.objects.for_workspace(workspace)
    by_stage = dict.fromkeys(PIPELINE, 0)
    for stage, number in rows.values_list("stage").annotate(number=Count("pk")).values_list("stage", "number"):
        by_stage[stage] = number
    sums = rows.filter(cost__isnull=False, result_value__isnull=False).aggregate(
        cost=Sum("cost"), value=Sum("result_value")
    )
    cost = sums["cost"] or decimal.Decimal(0)
    value = sums["value"] or decimal.Decimal(0)
    return PipelineTotals(by_stage, cost, value, round(float((value - cost) / cost), 4) if cost > 0 else None)


AUDITED = ("stage", "agreement", "cost", "currency", "result_reach", "result_engagement", "result_value", "notes")


@transaction.atomic
def leader_update(*, actor: Actor, membership: Membership, leader: OpinionLeader, **values: Any) -> OpinionLeader:
    """Move a leader along the pipeline and record the agreement, cost and results (checked by name)."""
    require(membership, Action.COMMUNITY_MANAGE)
    before = audit.snapshot(leader, AUDITED)
    errors: dict[str, str] = {}
    stage = values.get("stage")
    if stage is not None and stage not in PIPELINE:
        errors["stage"] = _("Choose one of %(stages)s.") % {"stages": ", ".join(PIPELINE)}
    for name in ("cost", "result_value"):
        value = values.get(name)
        if value is not None and not (0 <= decimal.Decimal(str(value)) <= MAX_MONEY):
            errors[name] = _("An amount from 0 to %(most)s.") % {"most": MAX_MONEY}
    for name in ("result_reach", "result_engagement"):
        value = values.get(name)
        if value is not None and not (isinstance(value, int) and 0 <= value <= MAX_COUNT):
            errors[name] = _("A whole number from 0 to %(most)s.") % {"most": MAX_COUNT}
    currency = values.get("currency")
    if currency is not None and currency and not (len(currency) == 3 and currency.isalpha()):
        errors["currency"] = _("A three-letter currency code, e.g. NOK.")
    if errors:
        raise ValidationError(errors)
    for name in AUDITED:
        if name not in values:
            continue
        new_value: Any = values[name]
        if name in ("cost", "result_value") and new_value is not None:
            new_value = decimal.Decimal(str(new_value)).quantize(decimal.Decimal("0.01"))
        elif name in ("agreement", "notes", "currency"):
            new_value = str(new_value or "").upper() if name == "currency" else str(new_value or "")
        setattr(leader, name, new_value)
    if stage is not None and stage != before["stage"]:
        leader.stage_changed_at = timezone.now()
    leader.save()
    audit.record(
        actor,
        "community.leader.update",
        workspace=membership.workspace,
        target=leader,
        before=before,
        after=audit.snapshot(leader, AUDITED),
    )
    return leader


@transaction.atomic
def target_update(
    *, actor: Actor, membership: Membership, languages: Sequence[str], countries: Sequence[str], networks: Sequence[str]
) -> LeaderTarget:
    require(membership, Action.COMMUNITY_MANAGE)
    errors: dict[str, str] = {}
    clean_languages = sorted({code.strip().lower() for code in languages if code.strip()})
    clean_countries = sorted({code.strip().upper() for code in countries if code.strip()})
    clean_networks = sorted({name.strip().lower() for name in networks if name.strip()})
    if any(len(code) > 16 for code in clean_languages) or len(clean_languages) > 50:
        errors["languages"] = _("Language codes such as en, nb (at most 50).")
    if any(len(code) != 2 or not code.isalpha() for code in clean_countries) or len(clean_countries) > 250:
        errors["countries"] = _("Two-letter country codes such as NO, SE.")
    if any(len(name) > 60 for name in clean_networks) or len(clean_networks) > 50:
        errors["networks"] = _("Network codes such as instagram (at most 50).")
    if errors:
        raise ValidationError(errors)
    row, _created = LeaderTarget.objects.get_or_create(workspace=membership.workspace)
    before = audit.snapshot(row, ("languages", "countries", "networks"))
    row.languages, row.countries, row.networks = clean_languages, clean_countries, clean_networks
    row.save()
    audit.record(
        actor,
        "community.leader.target",
        workspace=membership.workspace,
        target=row,
        before=before,
        after=audit.snapshot(row, ("languages", "countries", "networks")),
    )
    return row
