"""Language, sentiment, intent and toxicity models: `analyze(texts) -> list[Analysis]`."""

from pappus.nlp.contracts import Analysis, Intent, Sentiment
from pappus.nlp.facade import analyze

__all__ = ["Analysis", "Intent", "Sentiment", "analyze"]
