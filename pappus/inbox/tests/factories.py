"""Factories and helpers of the inbox tests."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from typing import Any

from pappus.core.audit import Actor
from pappus.core.models import Membership, Workspace
from pappus.inbox import services
from pappus.inbox.contracts import MentionInteraction
from pappus.inbox.models import Conversation
from pappus.nlp.contracts import Analysis, Intent, Sentiment

_numbers = itertools.count(1)

# Markers in a test text decide its analysis, so tests do not depend on the trained models' guesses.
MARKERS = {
    "[purchase]": Intent.PURCHASE_INTENT,
    "[service]": Intent.SERVICE_REQUEST,
    "[complaint]": Intent.COMPLAINT,
    "[question]": Intent.QUESTION,
    "[praise]": Intent.PRAISE,
    "[spam]": Intent.SPAM,
}


def marked_analysis(text: str) -> Analysis:
    intent = next((intent for marker, intent in MARKERS.items() if marker in text), Intent.OTHER)
    language = next((code for code in ("ru", "no", "zh") if f"[{code}]" in text), "en")
    toxic = "[toxic]" in text
    return Analysis(
        language=language,
        language_confidence=0.9,
        sentiment=Sentiment.NEGATIVE if intent == Intent.COMPLAINT or toxic else Sentiment.NEUTRAL,
        sentiment_score=-0.5 if intent == Intent.COMPLAINT else 0.0,
        sentiment_confidence=0.8,
        intent=intent,
        intent_confidence=0.8,
        toxicity=0.9 if toxic else 0.05,
        toxic=toxic,
    )


def marked_analyze(texts: Sequence[str]) -> list[Analysis]:
    return [marked_analysis(text) for text in texts]


def mention(text: str, **fields: Any) -> MentionInteraction:
    number = next(_numbers)
    values: dict[str, Any] = {
        "network": "mastodon",
        "external_id": f"m{number}",
        "author_handle": f"@customer{number}@example.social",
        "author_name": f"Customer {number}",
        "published_at": datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC),
    }
    values.update(fields)
    return MentionInteraction(text=text, **values)


def make_conversation(workspace: Workspace, text: str = "[question] hello", **fields: Any) -> Conversation:
    result = services.ingest_mentions(workspace.pk, [mention(text, **fields)])
    return Conversation.objects.get(pk=result.conversation_ids[0])


def actor(membership: Membership) -> Actor:
    return Actor(membership.user, via="test")
