# ruff: noqa: RUF001  (multilingual text: Cyrillic and CJK letters are meant)
"""Seeded training of the shipped models: `python -m pappus.nlp.train [--output PATH] [--seed N] [--sample N]`.

One hashed n-gram + cue feature space; three logistic regressions (scikit-learn, lbfgs, n_jobs=1):
sentiment over XLM-T (8 languages) + NoReC + Chinese reviews, intent over Bitext mapped to the
inbox classes plus weak labels, toxicity over TweetEval offensive + hate. The same seed and
data give the same file.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

from pappus.nlp import data
from pappus.nlp.contracts import INTENT_LABELS, SENTIMENT_LABELS
from pappus.nlp.features import FeatureSpec, inverse_document_frequency, weight
from pappus.nlp.models import MODEL_DIRECTORY, MODEL_FILE_NAME, LinearHead, LinearModels, raw_counts

logger = logging.getLogger(__name__)

SENTIMENT_C = 2.0
INTENT_C = 2.0
TOXICITY_C = 2.0
TOXICITY_THRESHOLD = 0.5
METRICS_FILE_NAME = "training-metrics.json"

SPAM_TEMPLATES: tuple[str, ...] = (
    "Get {n}k free followers now!!! click here {url}",
    "🔥 GIVEAWAY 🔥 win a free iPhone, follow and retweet {url}",
    "Earn ${n}00 a day from home, DM me for details {url}",
    "Crypto signal group: {n}x guaranteed profit, join {url}",
    "Check my profile for hot pics 😘 {url}",
    "Follow back? I follow everyone who follows me #f4f #followback",
    "Use promo code WIN{n} for {n}0% off, limited offer!!! {url}",
    "Best casino bonus, {n}00 free spins {url}",
    "Бесплатные подписчики! Переходи по ссылке {url}",
    "Заработок в интернете от {n}000 рублей в день, пиши в личку",
    "Розыгрыш iPhone! Подпишись и сделай репост {url}",
    "Gratis følgere! Klikk her {url}",
    "Tjen {n}000 kr i uken hjemmefra, send meg en melding",
    "免费领取优惠券，点击链接 {url}",
    "加微信 赚钱 日入{n}00元",
    "Kostenlose Follower, klick hier {url}",
    "Gana dinero desde casa, {n}00 dólares al día {url}",
    "Seguidores gratis!!! entra aquí {url}",
)


@dataclass
class TrainingSet:
    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)

    def add(self, texts: Sequence[str], labels: Sequence[int], limit: int | None, rng: random.Random) -> None:
        indexes = list(range(len(texts)))
        if limit is not None and limit < len(indexes):
            indexes = sorted(rng.sample(indexes, limit))
        self.texts.extend(texts[index] for index in indexes)
        self.labels.extend(labels[index] for index in indexes)


def spam_examples(count: int, rng: random.Random) -> list[str]:
    examples = []
    for _ in range(count):
        template = rng.choice(SPAM_TEMPLATES)
        url = f"https://{rng.choice(['bit.ly', 'tinyurl.com', 'win-now.xyz'])}/{rng.randrange(10**6):x}"
        examples.append(template.format(n=rng.randrange(1, 10), url=url))
    return examples


def sentiment_training_set(rng: random.Random, sample: int | None) -> TrainingSet:
    training = TrainingSet()
    for language in data.XLMT_LANGUAGES:
        part = data.xlmt(language, "train")
        training.add(part.texts, part.labels, sample, rng)
    part = data.norec("train")
    training.add(part.texts, part.labels, sample, rng)
    part = data.chinese("train")
    training.add(part.texts, part.labels, sample, rng)
    return training


def intent_training_set(rng: random.Random, sample: int | None) -> TrainingSet:
    index = {label.value: position for position, label in enumerate(INTENT_LABELS)}
    training = TrainingSet()
    pairs = data.bitext()
    training.add([text for text, _ in pairs], [index[label] for _, label in pairs], sample, rng)
    # Weak labels: general tweets are "other" unless clearly positive (then "praise" of something);
    # negative review sentences are complaints, positive ones praise.
    for language in data.XLMT_LANGUAGES:
        part = data.xlmt(language, "train")
        labels = [index["praise"] if label == 2 else index["other"] for label in part.labels]
        training.add(part.texts, labels, sample, rng)
    for part in (data.norec("train"), data.chinese("train")):
        labels = [{0: index["complaint"], 1: index["other"], 2: index["praise"]}[label] for label in part.labels]
        training.add(part.texts, labels, min(sample or 3000, 3000), rng)
    spam = spam_examples(min(sample or 1500, 1500), rng)
    training.add(spam, [index["spam"]] * len(spam), None, rng)
    return training


def fit_head(
    features: sparse.csr_matrix, labels: Sequence[int], names: Sequence[str], c: float, seed: int, *, binary: bool
) -> LinearHead:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced", random_state=seed)
    model.fit(features, np.asarray(labels))
    weights: npt.NDArray[np.float32] = model.coef_.T.astype(np.float32)
    bias: npt.NDArray[np.float32] = model.intercept_.astype(np.float32)
    if not binary and weights.shape[1] != len(names):
        # Classes missing from a small sample: give them an impossible bias instead of no column.
        full = np.zeros((weights.shape[0], len(names)), dtype=np.float32)
        full_bias = np.full(len(names), -1e4, dtype=np.float32)
        for column, label in enumerate(model.classes_):
            full[:, int(label)] = weights[:, column]
            full_bias[int(label)] = bias[column]
        weights, bias = full, full_bias
    return LinearHead(labels=tuple(names), weights=weights, bias=bias)


def train_models(*, seed: int = 13, sample: int | None = None, spec: FeatureSpec | None = None) -> LinearModels:
    """Read the shared data, fit all heads and return them (nothing is written)."""
    spec = spec or FeatureSpec()
    rng = random.Random(seed)  # noqa: S311 - a seeded sampler for reproducibility, not cryptography
    sets = {
        "sentiment": sentiment_training_set(rng, sample),
        "intent": intent_training_set(rng, sample),
        "toxicity": TrainingSet(),
    }
    toxic = data.toxicity("train")
    sets["toxicity"].add(toxic.texts, toxic.labels, sample, rng)
    started = time.perf_counter()
    counts = {task: raw_counts(training.texts, spec) for task, training in sets.items()}
    idf = inverse_document_frequency(sparse.vstack(list(counts.values())).tocsr())
    logger.info("nlp.train.features", extra={"seconds": round(time.perf_counter() - started, 1)})
    heads = {
        "sentiment": fit_head(
            weight(counts["sentiment"], idf),
            sets["sentiment"].labels,
            [label.value for label in SENTIMENT_LABELS],
            SENTIMENT_C,
            seed,
            binary=False,
        ),
        "intent": fit_head(
            weight(counts["intent"], idf),
            sets["intent"].labels,
            [label.value for label in INTENT_LABELS],
            INTENT_C,
            seed,
            binary=False,
        ),
        "toxicity": fit_head(
            weight(counts["toxicity"], idf),
            sets["toxicity"].labels,
            ["not_toxic", "toxic"],
            TOXICITY_C,
            seed,
            binary=True,
        ),
    }
    return LinearModels(spec=spec, idf=idf, heads=heads, toxicity_threshold=TOXICITY_THRESHOLD)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pappus nlp train", description=__doc__)
    parser.add_argument("--output", type=Path, default=MODEL_DIRECTORY / MODEL_FILE_NAME)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--sample", type=int, default=None, help="at most N texts per source (quick runs)")
    parser.add_argument("--no-eval", action="store_true", help="skip the validation report")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    started = time.perf_counter()
    models = train_models(seed=arguments.seed, sample=arguments.sample)
    models.save(arguments.output)
    seconds = round(time.perf_counter() - started, 1)
    logger.info("nlp.train.saved path=%s seconds=%s", arguments.output, seconds)
    if not arguments.no_eval:
        from pappus.nlp.evaluate import evaluate_models, print_report

        report = evaluate_models(models)
        report["training_seconds"] = seconds
        report["seed"] = arguments.seed
        print_report(report)
        metrics_path = arguments.output.with_name(METRICS_FILE_NAME)
        metrics_path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
