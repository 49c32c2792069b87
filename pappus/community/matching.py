"""How identities are normalized and how two members are judged to be one person: pure functions.

Evidence between two members and its weight (a confidence in [0, 1] each; several pieces combine as
``1 - Π(1 - c)``, so independent clues add up without passing 1):

- the same e-mail address (case-insensitive): 0.98
- the same phone number (digits only, a leading 00 dropped): 0.95
- the same profile address (e.g. a shop's record that names the Instagram profile): 0.97
- the same normalized handle on two different networks (``@Anna_B`` on one, ``anna.b@server`` on
  another): 0.6
- the same display name (only alongside another clue; names alone are too common): 0.3

With the defaults, an e-mail, phone or profile match merges on its own (≥ 0.9, the workspace's
``auto_merge_confidence``); a handle match waits for a person (0.6, or 0.72 with the same name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EVIDENCE_WEIGHTS: dict[str, float] = {
    "email": 0.98,
    "phone": 0.95,
    "profile": 0.97,
    "handle": 0.6,
    "name": 0.3,
}
SUGGEST_FROM = 0.5

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NOT_HANDLE = re.compile(r"[^0-9a-z\u00c0-\uffff]+")


def normalize_email(value: str) -> str:
    """Lower-cased address, or "" when it does not look like one."""
    value = value.strip().lower()
    return value if _EMAIL.match(value) else ""


def normalize_phone(value: str) -> str:
    """Digits only (a leading 00 dropped); "" when fewer than 7 digits remain."""
    digits = "".join(character for character in value if character.isdigit())
    if digits.startswith("00"):
        digits = digits[2:]
    return digits if len(digits) >= 7 else ""


def normalize_handle(value: str) -> str:
    """A handle without its leading @, its server part and punctuation: ``@Anna_B@mastodon.social`` →
    ``annab``."""
    value = value.strip().casefold().lstrip("@")
    value = value.split("@", 1)[0]
    return _NOT_HANDLE.sub("", value)[:300]


def normalize_name(value: str) -> str:
    return " ".join(value.casefold().split())


def normalize_url(value: str) -> str:
    value = value.strip().casefold()
    for prefix in ("https://", "http://"):
        value = value.removeprefix(prefix)
    return value.removeprefix("www.").rstrip("/")


def confidence_of(evidence: Iterable[str]) -> float:
    remaining = 1.0
    for kind in set(evidence):
        remaining *= 1.0 - EVIDENCE_WEIGHTS.get(kind, 0.0)
    return round(1.0 - remaining, 4)
