"""The loyalty ladder's rules: pure functions over one member's figures, so they can be documented,
tested alone and run over a million members in batches (``services.loyalty_recompute``).

A workspace's rules (``CommunitySettings.loyalty_rules``) override the defaults key by key:

- ``window_days``: behaviour counts over this many days before now (recency of the score).
- ``weights``: points per activity kind in the window (conversation, mention, reply, share, ugc,
  referral, event, purchase, ticket).
- ``stages``: for ``engaged``, ``advocate`` and ``core_fan``, the conditions a member must all meet:
  ``min_score`` (weighted points), ``min_activities`` (frequency: activities in the window),
  ``max_days_since_active`` (recency), ``max_negative_share`` (sentiment: negative mentions and
  conversations over all rated ones in the window; none rated counts as 0) and ``min_counts``
  (per kind, e.g. ``{"ugc": 1}``). A member stands on the highest stage whose conditions hold;
  everyone else is a follower.
- ``alert_negative_share`` and ``alert_min_rated``: a core fan whose rated activities in the last
  ``alert_days`` are at least ``alert_min_rated`` and this share negative has "turned negative".
- ``quiet_days``: a core fan with no activity for this many days has "gone quiet".
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

KINDS = ("conversation", "mention", "reply", "share", "ugc", "referral", "event", "purchase", "ticket")
LADDER = ("engaged", "advocate", "core_fan")  # checked from the top down
CONDITIONS = ("min_score", "min_activities", "max_days_since_active", "max_negative_share", "min_counts")

DEFAULT_RULES: dict[str, Any] = {
    "window_days": 90,
    "weights": {
        "conversation": 1,
        "mention": 1,
        "reply": 2,
        "share": 2,
        "ugc": 4,
        "referral": 5,
        "event": 4,
        "purchase": 3,
        "ticket": 0,
    },
    "stages": {
        "engaged": {"min_score": 3, "min_activities": 2, "max_days_since_active": 60},
        "advocate": {"min_score": 10, "min_activities": 4, "max_days_since_active": 45, "max_negative_share": 0.3},
        "core_fan": {
            "min_score": 25,
            "min_activities": 8,
            "max_days_since_active": 45,
            "max_negative_share": 0.2,
            "min_counts": {"ugc": 1},
        },
    },
    "alert_days": 14,
    "alert_negative_share": 0.5,
    "alert_min_rated": 2,
    "quiet_days": 30,
}


def effective_rules(custom: Mapping[str, Any] | None) -> dict[str, Any]:
    """The defaults with a workspace's overrides laid over them (weights and stages key by key)."""
    rules = copy.deepcopy(DEFAULT_RULES)
    for key, value in (custom or {}).items():
        if key == "weights" and isinstance(value, Mapping):
            rules["weights"].update(value)
        elif key == "stages" and isinstance(value, Mapping):
            for stage, conditions in value.items():
                if isinstance(conditions, Mapping):
                    rules["stages"].setdefault(stage, {}).update(conditions)
        else:
            rules[key] = value
    return rules


def validate_rules(custom: Any) -> dict[str, Any]:
    """Check a workspace's rules; raise ValidationError naming the key at fault. Returns the overrides."""
    if not isinstance(custom, Mapping):
        raise ValidationError({"loyalty_rules": _("The rules are a JSON object.")})
    problems: list[str] = [_("Unknown key %(key)s.") % {"key": key} for key in custom if key not in DEFAULT_RULES]
    problems.extend(
        _("%(key)s must be a whole number of at least 1.") % {"key": key}
        for key in ("window_days", "alert_days", "quiet_days", "alert_min_rated")
        if key in custom and (not isinstance(custom[key], int) or isinstance(custom[key], bool) or custom[key] < 1)
    )
    if "alert_negative_share" in custom and not _share(custom["alert_negative_share"]):
        problems.append(_("alert_negative_share must be a number from 0 to 1."))
    weights = custom.get("weights", {})
    if not isinstance(weights, Mapping):
        problems.append(_("weights must be an object of activity kinds."))
    else:
        for kind, weight in weights.items():
            if kind not in KINDS:
                problems.append(_("weights: unknown activity kind %(kind)s.") % {"kind": kind})
            elif not _number(weight) or weight < 0:
                problems.append(_("weights.%(kind)s must be a number of at least 0.") % {"kind": kind})
    stages = custom.get("stages", {})
    if not isinstance(stages, Mapping):
        problems.append(_("stages must be an object of stages."))
    else:
        for stage, conditions in stages.items():
            if stage not in LADDER:
                problems.append(_("stages: unknown stage %(stage)s.") % {"stage": stage})
                continue
            if not isinstance(conditions, Mapping):
                problems.append(_("stages.%(stage)s must be an object of conditions.") % {"stage": stage})
                continue
            for name, value in conditions.items():
                where = f"stages.{stage}.{name}"
                if name not in CONDITIONS:
                    problems.append(_("%(where)s is not a known condition.") % {"where": where})
                elif name == "max_negative_share" and not _share(value):
                    problems.append(_("%(where)s must be a number from 0 to 1.") % {"where": where})
                elif name == "min_counts":
                    if not isinstance(value, Mapping) or any(
                        kind not in KINDS or not isinstance(count, int) or count < 0 for kind, count in value.items()
                    ):
                        problems.append(_("%(where)s maps activity kinds to whole numbers.") % {"where": where})
                elif name != "max_negative_share" and (not _number(value) or value < 0):
                    problems.append(_("%(where)s must be a number of at least 0.") % {"where": where})
    if problems:
        raise ValidationError({"loyalty_rules": problems})
    return dict(custom)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _share(value: Any) -> bool:
    return _number(value) and 0 <= value <= 1


@dataclass
class Figures:
    """One member's behaviour: counts per kind and sentiment in the window, the alert window's
    sentiment, and the last activity ever."""

    counts: dict[str, int] = field(default_factory=dict)
    rated: int = 0
    negative: int = 0
    recent_rated: int = 0
    recent_negative: int = 0
    last_active_at: datetime.datetime | None = None

    @property
    def activities(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Placement:
    stage: str
    score: float
    negative: bool
    quiet: bool


def score_of(figures: Figures, rules: Mapping[str, Any]) -> float:
    weights = rules["weights"]
    return float(sum(weights.get(kind, 0) * count for kind, count in figures.counts.items()))


def _meets(conditions: Mapping[str, Any], figures: Figures, score: float, days_since_active: float | None) -> bool:
    if score < conditions.get("min_score", 0):
        return False
    if figures.activities < conditions.get("min_activities", 0):
        return False
    most = conditions.get("max_days_since_active")
    if most is not None and (days_since_active is None or days_since_active > most):
        return False
    negative_share = figures.negative / figures.rated if figures.rated else 0.0
    if negative_share > conditions.get("max_negative_share", 1.0):
        return False
    return all(figures.counts.get(kind, 0) >= count for kind, count in conditions.get("min_counts", {}).items())


def place(figures: Figures, rules: Mapping[str, Any], now: datetime.datetime) -> Placement:
    """The member's stage, score and whether a core fan would count as negative or quiet."""
    score = score_of(figures, rules)
    days = (now - figures.last_active_at).total_seconds() / 86400 if figures.last_active_at else None
    stage = "follower"
    for candidate in reversed(LADDER):
        if _meets(rules["stages"].get(candidate, {}), figures, score, days):
            stage = candidate
            break
    negative = (
        figures.recent_rated >= rules["alert_min_rated"]
        and figures.recent_negative / figures.recent_rated >= rules["alert_negative_share"]
    )
    quiet = days is None or days >= rules["quiet_days"]
    return Placement(stage, score, negative, quiet)
