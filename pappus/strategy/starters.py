"""The four built-in starting points for a program: product launch, brand awareness, community
growth and crisis recovery. Each holds the program's goals, a first campaign, its KPIs and risks.

``builtin_content(kind)`` returns a template's content in the active language; a workspace gets
its own editable copy (a ``StrategyTemplate`` row) on first use, in its default language.
Targets are relative to the baseline the strategist enters (``target_gain``: the planned change),
because a template cannot know a brand's current numbers.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from pappus.strategy.models import TemplateKind


def builtin_name(kind: str) -> str:
    return str(TemplateKind(kind).label)


def builtin_content(kind: str) -> dict[str, Any]:
    """The content of a built-in template, translated into the active language."""
    if kind == TemplateKind.PRODUCT_LAUNCH:
        return {
            "goals": _(
                "Make the new product known to its audience before and at launch, and turn interest "
                "into first customers within the launch quarter."
            ),
            "duration_days": 90,
            "campaign": {
                "name": _("Launch campaign"),
                "description": _("Teasers two weeks before, launch day, then reviews and offers for four weeks."),
                "networks": ["instagram", "facebook", "youtube"],
                "duration_days": 42,
            },
            "kpis": [
                {"name": _("Reach"), "metric_key": "reach", "unit": "", "direction": "increase", "target_gain": 500000},
                {
                    "name": _("Clicks"),
                    "metric_key": "clicks",
                    "unit": "",
                    "direction": "increase",
                    "target_gain": 15000,
                },
                {"name": _("Leads"), "metric_key": "leads", "unit": "", "direction": "increase", "target_gain": 1200},
            ],
            "risks": [
                {
                    "title": _("The product ships late"),
                    "likelihood": 3,
                    "impact": 4,
                    "mitigation": _("Keep teasers free of dates until the date is confirmed."),
                },
                {
                    "title": _("Negative first reviews"),
                    "likelihood": 2,
                    "impact": 4,
                    "mitigation": _("Prepared answers; community managers on duty on launch day."),
                },
            ],
        }
    if kind == TemplateKind.BRAND_AWARENESS:
        return {
            "goals": _("More people in the target audiences know and recognise the brand."),
            "duration_days": 180,
            "campaign": {
                "name": _("Awareness campaign"),
                "description": _("Video and image series that tell the brand's story, with paid reach."),
                "networks": ["instagram", "youtube", "tiktok"],
                "duration_days": 60,
            },
            "kpis": [
                {
                    "name": _("Reach"),
                    "metric_key": "reach",
                    "unit": "",
                    "direction": "increase",
                    "target_gain": 1000000,
                },
                {
                    "name": _("Share of voice"),
                    "metric_key": "share_of_voice",
                    "unit": "%",
                    "direction": "increase",
                    "target_gain": 5,
                },
            ],
            "risks": [
                {
                    "title": _("The message is not remembered"),
                    "likelihood": 3,
                    "impact": 3,
                    "mitigation": _("Test two creative lines in the first two weeks; keep the better one."),
                }
            ],
        }
    if kind == TemplateKind.COMMUNITY_GROWTH:
        return {
            "goals": _("Grow an active community that talks to the brand and to each other."),
            "duration_days": 365,
            "campaign": {
                "name": _("Community drive"),
                "description": _("Weekly conversation starters, user content features and a monthly live event."),
                "networks": ["instagram", "facebook", "vk", "wechat"],
                "duration_days": 90,
            },
            "kpis": [
                {
                    "name": _("Followers"),
                    "metric_key": "followers",
                    "unit": "",
                    "direction": "increase",
                    "target_gain": 10000,
                },
                {
                    "name": _("Engagement rate"),
                    "metric_key": "engagement_rate",
                    "unit": "%",
                    "direction": "increase",
                    "target_gain": 1,
                },
            ],
            "risks": [
                {
                    "title": _("Too few moderators for the growing conversation"),
                    "likelihood": 3,
                    "impact": 3,
                    "mitigation": _("Saved replies and a rota agreed before the campaign starts."),
                }
            ],
        }
    if kind == TemplateKind.CRISIS_RECOVERY:
        return {
            "goals": _("Win back trust after an incident: answer openly, show what changed, and bring sentiment back."),
            "duration_days": 120,
            "campaign": {
                "name": _("Recovery campaign"),
                "description": _("Open answers, a statement of what changed, then proof points for eight weeks."),
                "networks": ["facebook", "x", "linkedin"],
                "duration_days": 56,
            },
            "kpis": [
                {
                    "name": _("Net sentiment"),
                    "metric_key": "sentiment",
                    "unit": "",
                    "direction": "increase",
                    "target_gain": 20,
                },
                {
                    "name": _("Response time"),
                    "metric_key": "response_time",
                    "unit": "h",
                    "direction": "decrease",
                    "target_gain": 4,
                },
            ],
            "risks": [
                {
                    "title": _("The incident repeats during recovery"),
                    "likelihood": 2,
                    "impact": 5,
                    "mitigation": _("No promotional posts until the cause is fixed; PR approves every statement."),
                }
            ],
        }
    raise ValueError(f"unknown template kind: {kind}")
