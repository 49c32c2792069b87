# ruff: noqa: RUF001, RUF002  (multilingual text: Cyrillic and CJK letters are meant)
"""Language identification: a cheap first pass, lingua only where the first pass is unsure.

lingua alone runs ~1,000-2,300 texts/s on one core here, too slow for the ingest target, so:

1. Letters are counted by Unicode script. Han, kana, Hangul, Arabic, Devanagari, Greek,
   Hebrew and Thai decide the language by script alone (Han without kana is "zh").
2. Cyrillic: letters only Ukrainian has (і ї є ґ) or only Russian has (ы э ъ ё) decide.
3. Latin (and Cyrillic without such letters): function words ("the", "und", "ikke", "się", ...)
   vote; a clear winner is taken.
4. Otherwise lingua, restricted to the languages of that script, low-accuracy mode off
   (it cost 0.3 points of accuracy on the validation texts, mostly French, Italian and
   Portuguese), scored once per text: the best language unless its confidence is less than
   0.1 above the runner-up (lingua's minimum relative distance), else "unknown".

Texts with fewer than three letters (after links, user names and hashtags' signs are removed)
are "unknown": "ok", "+1" or a row of emoji say nothing about a language.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pappus.nlp.contracts import UNKNOWN_LANGUAGE

if TYPE_CHECKING:
    from lingua import LanguageDetector

MINIMUM_LETTERS = 3
MINIMUM_CJK_CHARACTERS = 1
MINIMUM_RELATIVE_DISTANCE = 0.1

#: Codes that `detect_languages` may return, besides "unknown".
SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "en", "ru", "no", "zh", "de", "fr", "es", "pt", "it", "uk", "ar", "ja", "ko", "pl", "tr",
    "hi", "el", "he", "th",
)  # fmt: skip

# Swedish, Danish and Dutch are left out on purpose: with them, lingua took a fifth of the Norwegian
# review sentences of NoReC dev for Danish or Swedish. Text in those languages comes out as "no"
# (or "de"); the model card says so.
LATIN_LANGUAGES: tuple[str, ...] = ("en", "no", "de", "fr", "es", "pt", "it", "pl", "tr")
CYRILLIC_LANGUAGES: tuple[str, ...] = ("ru", "uk")

# Frequent function words of each language. Only a word listed under exactly one language votes.
FUNCTION_WORDS: dict[str, str] = {
    "en": "the and is are was were you your this that with have has not what for of to it i my me they "
    "don't can't it's i'm just but from will would about there their been be do does did",
    "de": "und der die das ist nicht ich ein eine mit auf für sich auch es wir ihr sind war "
    "aber noch nur wie bei dem den des zu wenn doch mal schon hat haben kein keine",
    "fr": "le la les et est une des pas je vous nous ce qui dans pour sur avec du au mais sont "
    "c'est j'ai il elle tout plus très être fait cette ça",
    "es": "el la los las y es que en un una por para con no lo del se muy pero más esta está "
    "como yo hay son fue ser tiene todo cuando también ya",
    "pt": "o a os as e é que em um uma não com para do da dos das no na se mais muito mas você "
    "eu tem foi ser está isso esse essa também já",
    "it": "il la le e è che di un una non per con del della sono ma anche più come io ho ha "
    "questo questa gli nel alla essere tutto sempre già",
    "no": "og er det ikke jeg på med som til en et av har var for den de du vi kan seg men "
    "også så om fra hun han skal vil bare ble blir være eller meg",
    "pl": "i w nie na się to że jest z do jak co ale tak po jestem są już mnie tylko być "
    "jego jej dla przez może bardzo",
    "tr": "ve bir bu da de için çok ne ile mi değil ama var yok gibi daha ben sen o en olarak kadar sonra şey",
    "ru": "и в не на что я с он как это по но из у за от так все она мы вы да же бы только уже был была если очень",
    "uk": "і в не на що я з він як це по але із у за від так все вона ми ви та же би тільки вже був була якщо дуже",
    # Hindi written in Latin letters (romanised, "Hinglish"), as in XLM-T's Hindi tweets. Words that
    # are also common in a Latin-script language here ("main", "se", "to", "jo", "wo", "mein", "kar")
    # are left out.
    "hi": "hai hain ka ki ke ko nahi nahin nhi kya aur bhi tha thi yeh ye raha rahe rahi bhai ji kuch koi "
    "abhi apne apna apni tera teri tere meri mere tum aap hum kaise kyun kyu diya gaya liye wala wali yaar "
    "accha acha hota hoga bahut bohot sahi sirf mujhe tujhe hamesha pyar dil kiya karo karna kaha kahan",
}

_LISTED: dict[str, set[str]] = {}
for _language, _words in FUNCTION_WORDS.items():
    for _word in _words.split():
        _LISTED.setdefault(_word, set()).add(_language)
_WORD_VOTES: dict[str, str] = {
    word: next(iter(languages)) for word, languages in _LISTED.items() if len(languages) == 1
}

# Letters that only one supported Latin-script language uses.
DISTINCT_LETTERS: dict[str, str] = {
    **dict.fromkeys("łąęśźżćń", "pl"),
    **dict.fromkeys("ğşı", "tr"),
    **dict.fromkeys("øæå", "no"),
    **dict.fromkeys("ñ¿¡", "es"),
    **dict.fromkeys("ãõ", "pt"),
    **dict.fromkeys("ß", "de"),
    **dict.fromkeys("œ", "fr"),
}
_CLEANUP_PATTERN = re.compile(r"https?://\S+|www\.\S+|[@#]\w*|&\w+;", re.IGNORECASE)
_WORD_PATTERN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")

UKRAINIAN_LETTERS = frozenset("іїєґ")
RUSSIAN_LETTERS = frozenset("ыэъё")

_LINGUA_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("ENGLISH",), "no": ("BOKMAL", "NYNORSK"), "de": ("GERMAN",), "fr": ("FRENCH",),
    "es": ("SPANISH",), "pt": ("PORTUGUESE",), "it": ("ITALIAN",), "pl": ("POLISH",),
    "tr": ("TURKISH",), "nl": ("DUTCH",), "sv": ("SWEDISH",), "da": ("DANISH",),
    "ru": ("RUSSIAN",), "uk": ("UKRAINIAN",),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    language: str
    confidence: float
    method: str  # "script", "letters", "words", "lingua" or "none"


def _script_of(character: str) -> str:
    code = ord(character)
    if code < 0x250:
        return "latin"
    if 0x400 <= code < 0x530:
        return "cyrillic"
    if 0x3040 <= code < 0x3100 or 0x31F0 <= code < 0x3200 or 0xFF66 <= code < 0xFF9E:
        return "kana"
    if 0x4E00 <= code < 0xA000 or 0x3400 <= code < 0x4DC0 or 0x20000 <= code < 0x2FA20:
        return "han"
    if 0xAC00 <= code < 0xD7B0 or 0x1100 <= code < 0x1200 or 0x3130 <= code < 0x3190:
        return "hangul"
    if 0x600 <= code < 0x700 or 0x750 <= code < 0x780 or 0xFB50 <= code < 0xFF00:
        return "arabic"
    if 0x900 <= code < 0x980:
        return "devanagari"
    if 0x370 <= code < 0x400:
        return "greek"
    if 0x590 <= code < 0x600:
        return "hebrew"
    if 0xE00 <= code < 0xE80:
        return "thai"
    if 0x1E00 <= code < 0x1F00:
        return "latin"
    return "other"


_SCRIPT_LANGUAGE = {"hangul": "ko", "arabic": "ar", "devanagari": "hi", "greek": "el", "hebrew": "he", "thai": "th"}


class _Lingua:
    """lingua detectors per script, built once per process on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._detectors: dict[str, LanguageDetector] = {}
        self._codes: dict[str, str] = {}

    def detector(self, script: str) -> LanguageDetector:
        detector = self._detectors.get(script)
        if detector is not None:
            return detector
        with self._lock:
            detector = self._detectors.get(script)
            if detector is None:
                from lingua import Language, LanguageDetectorBuilder

                codes = LATIN_LANGUAGES if script == "latin" else CYRILLIC_LANGUAGES
                languages = []
                for code in codes:
                    for name in _LINGUA_NAMES[code]:
                        languages.append(getattr(Language, name))
                        self._codes[name] = code
                detector = (
                    LanguageDetectorBuilder.from_languages(*languages)
                    .with_minimum_relative_distance(MINIMUM_RELATIVE_DISTANCE)
                    .with_preloaded_language_models()
                    .build()
                )
                self._detectors[script] = detector
        return detector

    def detect(self, text: str, script: str) -> LanguageGuess:
        # One call: `detect_language_of` followed by `compute_language_confidence` scored the text
        # twice. lingua's own rule (top confidence minus the runner-up below the minimum relative
        # distance means no answer) is applied to the sorted values here; on 4,179 validation
        # texts the answers are identical and the language pass is 2.2 times faster.
        values = self.detector(script).compute_language_confidence_values(text)
        if not values:
            return LanguageGuess(UNKNOWN_LANGUAGE, 0.0, "lingua")
        best = values[0]
        runner_up = values[1].value if len(values) > 1 else 0.0
        if best.value <= 0.0 or best.value - runner_up < MINIMUM_RELATIVE_DISTANCE:
            return LanguageGuess(UNKNOWN_LANGUAGE, 0.0, "lingua")
        return LanguageGuess(self._codes[best.language.name], round(float(best.value), 4), "lingua")


_LINGUA = _Lingua()


def preload() -> None:
    """Build the lingua detectors now (they are otherwise built on first need)."""
    _LINGUA.detector("latin")
    _LINGUA.detector("cyrillic")


def _vote(words: Sequence[str], letter_votes: Sequence[str]) -> tuple[str, float] | None:
    votes: dict[str, int] = {}
    for language in letter_votes:
        votes[language] = votes.get(language, 0) + 1
    for word in words:
        voted = _WORD_VOTES.get(word)
        if voted is not None:
            votes[voted] = votes.get(voted, 0) + 1
    if not votes:
        return None
    ranked = sorted(votes.items(), key=lambda item: (-item[1], item[0]))
    best_language, best = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0
    # Two votes and at least three times the runner-up: the function words have spoken.
    if best >= 2 and best >= 3 * second:
        return best_language, min(0.99, 0.6 + 0.4 * (best - second) / best)
    return None


_ASCII_LETTER_PATTERN = re.compile(r"[A-Za-z]")
_NON_ASCII_PATTERN = re.compile(r"[^\x00-\x7f]")


def _script_counts(cleaned: str) -> dict[str, int]:
    """Letters per script. ASCII letters are counted by one regular expression; only the other
    characters go through `_script_of` one by one (a third of the language pass's time before)."""
    counts: dict[str, int] = {}
    ascii_letters = len(_ASCII_LETTER_PATTERN.findall(cleaned))
    if ascii_letters:
        counts["latin"] = ascii_letters
    for character in _NON_ASCII_PATTERN.findall(cleaned):
        if character.isalpha():
            script = _script_of(character)
            counts[script] = counts.get(script, 0) + 1
    return counts


def detect_language(text: str) -> LanguageGuess:
    cleaned = _CLEANUP_PATTERN.sub(" ", text)
    counts = _script_counts(cleaned)
    letters = sum(counts.values())
    if not counts:
        return LanguageGuess(UNKNOWN_LANGUAGE, 0.0, "none")
    # On a tie, a script other than Latin wins: it says more about the language ("@user داعش. http").
    script, count = max(counts.items(), key=lambda item: (item[1], item[0] != "latin"))
    cjk = counts.get("han", 0) + counts.get("kana", 0)
    if cjk >= MINIMUM_CJK_CHARACTERS and cjk + counts.get("hangul", 0) >= count:
        if counts.get("hangul", 0) > cjk:
            return LanguageGuess("ko", round(counts["hangul"] / letters, 4), "script")
        if counts.get("kana", 0) > 0:
            return LanguageGuess("ja", round(cjk / letters, 4), "script")
        return LanguageGuess("zh", round(cjk / letters, 4), "script")
    if letters < MINIMUM_LETTERS:
        return LanguageGuess(UNKNOWN_LANGUAGE, 0.0, "none")
    share = count / letters
    if script in _SCRIPT_LANGUAGE:
        return LanguageGuess(_SCRIPT_LANGUAGE[script], round(share, 4), "script")
    if script not in {"latin", "cyrillic"}:
        return LanguageGuess(UNKNOWN_LANGUAGE, 0.0, "none")
    lowered = cleaned.lower()
    if script == "cyrillic":
        letters_seen = set(lowered)
        ukrainian = bool(letters_seen & UKRAINIAN_LETTERS)
        russian = bool(letters_seen & RUSSIAN_LETTERS)
        if ukrainian != russian:
            return LanguageGuess("uk" if ukrainian else "ru", round(0.9 * share, 4), "letters")
    words = _WORD_PATTERN.findall(lowered)
    letter_votes = [DISTINCT_LETTERS[letter] for letter in set(lowered) if letter in DISTINCT_LETTERS]
    voted = _vote(words, letter_votes if script == "latin" else [])
    if voted is not None and (voted[0] in CYRILLIC_LANGUAGES) == (script == "cyrillic"):
        return LanguageGuess(voted[0], round(voted[1] * share, 4), "words")
    return _LINGUA.detect(unicodedata.normalize("NFC", cleaned), script)


def detect_languages(texts: Sequence[str]) -> list[LanguageGuess]:
    return [detect_language(text) for text in texts]
