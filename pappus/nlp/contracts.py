"""What `pappus.nlp.analyze` returns: frozen values, safe to share between threads."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

UNKNOWN_LANGUAGE = "unknown"


class Sentiment(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Intent(StrEnum):
    COMPLAINT = "complaint"
    SERVICE_REQUEST = "service_request"
    PURCHASE_INTENT = "purchase_intent"
    QUESTION = "question"
    PRAISE = "praise"
    OTHER = "other"
    SPAM = "spam"


SENTIMENT_LABELS: tuple[Sentiment, ...] = (Sentiment.NEGATIVE, Sentiment.NEUTRAL, Sentiment.POSITIVE)
INTENT_LABELS: tuple[Intent, ...] = tuple(Intent)


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the models say about one text.

    language: ISO 639-1 code ("no" for Norwegian Bokmål and Nynorsk) or "unknown".
    language_confidence: 0..1, how sure the language identifier is (0 for "unknown").
    sentiment: negative / neutral / positive.
    sentiment_score: polarity in -1..1, P(positive) - P(negative).
    sentiment_confidence: probability of the chosen sentiment label.
    intent: inbox triage class.
    intent_confidence: probability of the chosen intent.
    toxicity: 0..1, how likely the text is offensive or abusive.
    toxic: toxicity at or above the shipped threshold (or a listed slur or insult).
    """

    language: str
    language_confidence: float
    sentiment: Sentiment
    sentiment_score: float
    sentiment_confidence: float
    intent: Intent
    intent_confidence: float
    toxicity: float
    toxic: bool
