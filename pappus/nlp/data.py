"""Readers for the shared training data (`../shared/data`, or PAPPUS_SHARED_DATA).

Only train and validation/dev splits are read. `sentiment/sentirueval2016/banks_test_etalon.xml`
is the gold file of SentiRuEval-2016's *test* split, so it is never read: there is no Russian
sentiment training data here (see the model card).
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pappus.nlp.features import unescape_dataset_text

XLMT_LANGUAGES: dict[str, str] = {
    "ar": "arabic", "de": "german", "en": "english", "es": "spanish",
    "fr": "french", "hi": "hindi", "it": "italian", "pt": "portuguese",
}  # fmt: skip
NOREC_LABELS = {"Negative": 0, "Neutral": 1, "Positive": 2}
CHINESE_DEVELOPMENT_SHARE = 0.1
CHINESE_TRAIN_LIMIT = 8000
CHINESE_DEVELOPMENT_LIMIT = 2000


@dataclass(frozen=True)
class Labelled:
    texts: list[str]
    labels: list[int]

    def __len__(self) -> int:
        return len(self.texts)


def shared_data_directory() -> Path:
    override = os.environ.get("PAPPUS_SHARED_DATA")
    if override:
        return Path(override)
    repository = Path(__file__).resolve().parents[2]
    return repository.parent / "shared" / "data"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def _paired(text_path: Path, label_path: Path) -> Labelled:
    labels = [int(value) for value in label_path.read_text(encoding="utf-8").split()]
    texts = [unescape_dataset_text(text) for text in _lines(text_path)[: len(labels)]]
    return Labelled(texts, labels)


def xlmt(language: str, split: str) -> Labelled:
    """XLM-T tweets; split is "train" or "val"; labels 0 negative, 1 neutral, 2 positive."""
    folder = shared_data_directory() / "sentiment" / "xlm-t" / "data" / "sentiment" / XLMT_LANGUAGES[language]
    return _paired(folder / f"{split}_text.txt", folder / f"{split}_labels.txt")


def norec(split: str) -> Labelled:
    """NoReC_sentence three-way; split is "train" or "dev"."""
    path = shared_data_directory() / "sentiment" / "norec_sentence" / "3class" / f"{split}.json"
    rows = json.loads(path.read_text(encoding="utf-8"))
    return Labelled([row["text"] for row in rows], [NOREC_LABELS[row["label"]] for row in rows])


def chinese(split: str, seed: int = 13) -> Labelled:
    """ChnSentiCorp hotels + online_shopping_10_cats, two classes (0 negative, 2 positive).

    The sources have no split, so one is made: a seeded 10% of the texts is "dev", the rest
    "train"; both are capped (balanced by the seed's shuffle) to keep training light.
    """
    folder = shared_data_directory() / "sentiment" / "chinese"
    rows: list[tuple[str, int]] = []
    with (folder / "ChnSentiCorp_htl_all.csv").open(encoding="utf-8") as handle:
        rows.extend((row["review"], int(row["label"])) for row in csv.DictReader(handle) if row["review"])
    with zipfile.ZipFile(folder / "online_shopping_10_cats.zip") as archive:
        content = archive.read("online_shopping_10_cats.csv").decode("utf-8-sig")
        rows.extend((row["review"], int(row["label"])) for row in csv.DictReader(io.StringIO(content)) if row["review"])
    unique = sorted(set(rows))
    random.Random(seed).shuffle(unique)  # noqa: S311 - a seeded split, not cryptography
    cut = int(len(unique) * CHINESE_DEVELOPMENT_SHARE)
    chosen = unique[:cut] if split == "dev" else unique[cut:]
    limit = CHINESE_DEVELOPMENT_LIMIT if split == "dev" else CHINESE_TRAIN_LIMIT
    chosen = chosen[:limit]
    return Labelled([text for text, _ in chosen], [2 if label == 1 else 0 for _, label in chosen])


def toxicity(split: str) -> Labelled:
    """TweetEval offensive + hate (English), 1 when either set marks the tweet; split "train" or "val"."""
    texts: list[str] = []
    labels: list[int] = []
    for name in ("tweeteval-offensive", "tweeteval-hate"):
        folder = shared_data_directory() / "toxicity" / name
        part = _paired(folder / f"{split}_text.txt", folder / f"{split}_labels.txt")
        texts.extend(part.texts)
        labels.extend(part.labels)
    return Labelled(texts, labels)


# Bitext intents mapped to Pappus's inbox classes. Requests to do something are service requests,
# requests to know something are questions, problems are complaints.
BITEXT_INTENTS: dict[str, str] = {
    "complaint": "complaint",
    "payment_issue": "complaint",
    "place_order": "purchase_intent",
    "check_invoice": "question",
    "check_invoices": "question",
    "check_refund_policy": "question",
    "check_cancellation_fee": "question",
    "check_payment_methods": "question",
    "delivery_options": "question",
    "delivery_period": "question",
    "cancel_order": "service_request",
    "change_order": "service_request",
    "track_order": "service_request",
    "get_refund": "service_request",
    "track_refund": "service_request",
    "get_invoice": "service_request",
    "create_account": "service_request",
    "delete_account": "service_request",
    "edit_account": "service_request",
    "switch_account": "service_request",
    "recover_password": "service_request",
    "registration_problems": "service_request",
    "change_shipping_address": "service_request",
    "set_up_shipping_address": "service_request",
    "contact_customer_service": "service_request",
    "contact_human_agent": "service_request",
    "newsletter_subscription": "service_request",
    "review": "service_request",
}


def bitext() -> list[tuple[str, str]]:
    """(utterance, Pappus intent) from both Bitext samples, de-duplicated."""
    folder = shared_data_directory() / "intent" / "Data" / "archive"
    pairs: set[tuple[str, str]] = set()
    for path in sorted(folder.rglob("*.csv")):
        with path.open(encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                intent = BITEXT_INTENTS.get(row.get("intent") or "")
                if intent and row["utterance"]:
                    pairs.add((row["utterance"], intent))
    return sorted(pairs)
