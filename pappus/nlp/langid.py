# ruff: noqa: RUF001, RUF002  (multilingual text: Cyrillic and CJK letters are meant)
"""Language identification: a cheap first pass, lingua only where the first pass is unsure.

lingua alone runs ~1,000-2,300 texts/s on one core here, too slow for the ingest target, so:

1. Letters are counted by Unicode script. Han, kana, Hangul, Arabic, Devanagari, Greek,
   Hebrew and Thai decide the language by script alone (Han without kana is "zh").
2. Cyrillic: letters only Ukrainian has (і ї є ґ) or only Russian has (ы э ъ ё) decide.
3. Latin (and Cyrillic without such letters): function words ("the", "und", "ikke", "się", ...)
   vote; a clear winner is taken.
4. Latin script still undecided (and no Polish or Turkish letter in it): a small linear
   classifier over the hashed character and word n-grams that `analyze` computes anyway
   (`language-v1.npz`, trained by `pappus nlp train` on the shared train splits; en, no, de,
   fr, es, pt, it) decides when its probability reaches the threshold chosen on held-out
   training texts (where it was at least as often right as lingua on the texts it took).
5. Otherwise lingua, restricted to the languages of that script, low-accuracy mode off
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
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from scipy import sparse

from pappus.nlp.contracts import UNKNOWN_LANGUAGE
from pappus.nlp.features import FeatureSpec, may_hold_link

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
_NO_LETTERS: frozenset[str] = frozenset()

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
    method: str  # "script", "letters", "words", "model", "lingua" or "none"


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
    for voted in map(_WORD_VOTES.get, words):  # no Python call per word
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


_NOT_ASCII_LETTERS = bytes(code for code in range(128) if not chr(code).isalpha())  # deleted to count letters
_SCRIPTS = ("latin", "cyrillic", "kana", "han", "hangul", "arabic", "devanagari", "greek", "hebrew", "thai", "other")
_SCRIPT_OF_TAG = {chr(ord("a") + number): script for number, script in enumerate(_SCRIPTS)}
_TAG_OF_SCRIPT = {script: tag for tag, script in _SCRIPT_OF_TAG.items()}


class _ScriptTags(dict[int, str | None]):
    """``str.translate`` table: a non-ASCII letter becomes its script's one-letter tag, anything
    else (ASCII, counted apart; not a letter) is deleted. Filled as characters are met, and emptied
    past a limit, so memory stays flat whatever the input."""

    LIMIT = 50_000

    def __init__(self) -> None:
        super().__init__(dict.fromkeys(range(128)))

    def __missing__(self, code: int) -> str | None:
        character = chr(code)
        tag = _TAG_OF_SCRIPT[_script_of(character)] if character.isalpha() else None
        if len(self) >= self.LIMIT:
            self.clear()
            self.update(dict.fromkeys(range(128)))
        self[code] = tag
        return tag


_SCRIPT_TAGS = _ScriptTags()


def _script_counts(cleaned: str) -> dict[str, int]:
    """Letters per script. ASCII letters are counted at once (``bytes.translate`` drops everything
    else); the other letters are turned into script tags by one ``str.translate`` and counted by
    ``str.count``, with no Python step per character."""
    counts: dict[str, int] = {}
    ascii_letters = len(cleaned.encode("ascii", "ignore").translate(None, _NOT_ASCII_LETTERS))
    if ascii_letters:
        counts["latin"] = ascii_letters
    if cleaned.isascii():
        return counts
    tags = cleaned.translate(_SCRIPT_TAGS)
    for tag in set(tags):
        script = _SCRIPT_OF_TAG[tag]
        counts[script] = counts.get(script, 0) + tags.count(tag)
    return counts


LANGUAGE_MODEL_FILE_NAME = "language-v1.npz"
# Letters of the supported Latin-script languages the n-gram classifier has no data for: a text
# with one of them goes to lingua, which knows Polish and Turkish.
_UNMODELLED_LETTERS = frozenset(letter for letter, language in DISTINCT_LETTERS.items() if language in {"pl", "tr"})


def language_features(counts: sparse.csr_matrix, fold_bits: int) -> sparse.csr_matrix:
    """Raw n-gram counts folded into 2**fold_bits columns, sublinear TF, rows scaled to unit length.

    Columns that fold together keep separate entries (a product with weights adds them up); the
    length is that of the unfolded row, so training and inference agree whatever the folding.
    """
    values = (1.0 + np.log(np.maximum(counts.data, 1.0))).astype(np.float32)
    row_lengths = np.diff(counts.indptr)
    squares = np.zeros(counts.shape[0], dtype=np.float64)
    nonempty = row_lengths > 0
    if values.size:
        squares[nonempty] = np.add.reduceat(values.astype(np.float64) ** 2, counts.indptr[:-1][nonempty])
    norms = np.sqrt(squares)
    norms[norms == 0] = 1.0
    values /= np.repeat(norms, row_lengths).astype(np.float32)
    mask = (1 << fold_bits) - 1
    return sparse.csr_matrix(
        (values, counts.indices & mask, counts.indptr.copy()), shape=(counts.shape[0], 1 << fold_bits)
    )


@dataclass(frozen=True)
class CharacterLanguageModel:
    """One-vs-rest linear classifier of Latin-script languages over folded n-gram counts (softmax of its scores)."""

    labels: tuple[str, ...]
    weights: npt.NDArray[np.float32]  # 2**fold_bits x languages
    bias: npt.NDArray[np.float32]
    spec: FeatureSpec  # the count space it reads: the linear models' (see `analyze`)
    fold_bits: int
    threshold: float

    def probabilities(self, counts: sparse.csr_matrix) -> npt.NDArray[np.float32]:
        scores = np.asarray(language_features(counts, self.fold_bits) @ self.weights, dtype=np.float32) + self.bias
        scores -= scores.max(axis=1, keepdims=True)
        exponentials = np.exp(scores)
        probabilities: npt.NDArray[np.float32] = (exponentials / exponentials.sum(axis=1, keepdims=True)).astype(
            np.float32
        )
        return probabilities

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            labels=np.array(self.labels),
            weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32),
            spec=self.spec.as_array(),
            fold_bits=np.array([self.fold_bits], dtype=np.int64),
            threshold=np.array([self.threshold], dtype=np.float32),
        )

    @classmethod
    def load(cls, path: Path) -> CharacterLanguageModel:
        with np.load(path, allow_pickle=False) as archive:
            return cls(
                labels=tuple(str(label) for label in archive["labels"]),
                weights=archive["weights"].astype(np.float32),
                bias=archive["bias"].astype(np.float32),
                spec=FeatureSpec.from_array(archive["spec"]),
                fold_bits=int(archive["fold_bits"][0]),
                threshold=float(archive["threshold"][0]),
            )


_MODEL_LOCK = threading.Lock()
_CHARACTER_MODELS: dict[Path, CharacterLanguageModel | None] = {}


def character_model_path() -> Path:
    from pappus.nlp.models import model_path

    return model_path().with_name(LANGUAGE_MODEL_FILE_NAME)


def character_model() -> CharacterLanguageModel | None:
    """The n-gram language classifier beside the linear models (None when that file is absent), read once."""
    path = character_model_path()
    if path in _CHARACTER_MODELS:
        return _CHARACTER_MODELS[path]
    with _MODEL_LOCK:
        if path not in _CHARACTER_MODELS:
            _CHARACTER_MODELS[path] = CharacterLanguageModel.load(path) if path.exists() else None
    return _CHARACTER_MODELS[path]


@dataclass(frozen=True, slots=True)
class _Undecided:
    """What the cheap passes leave to the classifier or lingua: the script and the cleaned text."""

    script: str
    cleaned: str
    modelled: bool  # Latin script without a Polish or Turkish letter: the n-gram classifier may decide


def _cleaned(text: str) -> str:
    """The text without links, user names, hashtags and HTML entities (each becomes a space)."""
    if "@" in text or "#" in text or "&" in text or may_hold_link(text):
        return _CLEANUP_PATTERN.sub(" ", text)
    return text  # nothing _CLEANUP_PATTERN could match


def _first_pass(text: str) -> LanguageGuess | _Undecided:
    cleaned = _cleaned(text)
    counts = _script_counts(cleaned)
    if not counts:
        return LanguageGuess(UNKNOWN_LANGUAGE, 0.0, "none")
    if len(counts) == 1:
        ((script, count),) = counts.items()
        letters = count
    else:
        letters = sum(counts.values())
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
    # Only non-ASCII letters tell languages apart here (DISTINCT_LETTERS, the Cyrillic and the
    # unmodelled letters): an ASCII text has none to look for.
    letters_seen = _NO_LETTERS if lowered.isascii() else set(lowered)
    if script == "cyrillic":
        ukrainian = bool(letters_seen & UKRAINIAN_LETTERS)
        russian = bool(letters_seen & RUSSIAN_LETTERS)
        if ukrainian != russian:
            return LanguageGuess("uk" if ukrainian else "ru", round(0.9 * share, 4), "letters")
    words = _WORD_PATTERN.findall(lowered)
    letter_votes = [DISTINCT_LETTERS[letter] for letter in letters_seen if letter in DISTINCT_LETTERS]
    voted = _vote(words, letter_votes if script == "latin" else [])
    if voted is not None and (voted[0] in CYRILLIC_LANGUAGES) == (script == "cyrillic"):
        return LanguageGuess(voted[0], round(voted[1] * share, 4), "words")
    modelled = script == "latin" and letters_seen.isdisjoint(_UNMODELLED_LETTERS)
    return _Undecided(script, unicodedata.normalize("NFC", cleaned), modelled)


def detect_language(text: str) -> LanguageGuess:
    return detect_languages([text])[0]


def detect_languages(
    texts: Sequence[str],
    *,
    counts: sparse.csr_matrix | None = None,
    use_model: bool = True,
    model: CharacterLanguageModel | None = None,
) -> list[LanguageGuess]:
    """The language of each text, in order.

    counts: the raw n-gram counts of the texts (`pappus.nlp.models.raw_counts`) in the classifier's
    feature space (its `spec`) when the caller has them already, as `analyze` does; otherwise they
    are computed for the texts that need them.
    use_model=False skips the n-gram classifier (lingua decides those texts, as before it existed);
    model replaces the shipped classifier (training uses the one it has just fitted).
    """
    guesses: list[LanguageGuess | None] = []
    undecided: dict[int, _Undecided] = {}
    for row, text in enumerate(texts):
        decided = _first_pass(text)
        if isinstance(decided, _Undecided):
            undecided[row] = decided
            guesses.append(None)
        else:
            guesses.append(decided)
    if model is None and use_model:
        model = character_model()
    if not use_model:
        model = None
    modelled = [row for row, pending in undecided.items() if pending.modelled]
    if model is not None and modelled:
        if counts is not None and counts.shape[1] == model.spec.width:
            matrix = counts[modelled]
        else:
            from pappus.nlp.models import raw_counts

            matrix = raw_counts([texts[row] for row in modelled], model.spec)
        probabilities = model.probabilities(matrix)
        best = probabilities.argmax(axis=1)
        for position, row in enumerate(modelled):
            confidence = float(probabilities[position, best[position]])
            if confidence >= model.threshold:
                guesses[row] = LanguageGuess(model.labels[int(best[position])], round(confidence, 4), "model")
    for row, pending in undecided.items():
        if guesses[row] is None:
            guesses[row] = _LINGUA.detect(pending.cleaned, pending.script)
    return [guess for guess in guesses if guess is not None]
