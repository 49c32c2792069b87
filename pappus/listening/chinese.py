"""Chinese words for search and topic matching, pure Python over two wheels.

Chinese is written without spaces, so text with Han characters (and no kana: Japanese keeps
one token per character, see :func:`pappus.listening.query.tokenize_text`) is

1. converted to simplified characters (OpenCC's ``t2s`` tables, phrase-aware: 華為 → 华为,
   乾淨 → 干净, 頭髮 → 头发), so simplified and traditional text match each other — only the
   indexed tokens are converted, a mention keeps and shows its original text;
2. cut into words by jieba's dictionary (``rjieba``, the Rust port; the dictionary is inside the
   wheel, nothing is downloaded), without the HMM guesser: a word the dictionary does not know is
   cut into single characters the same way in a query as in a text, so a new brand name still
   matches as its characters side by side;
3. rid of stop words (:data:`STOP_WORDS`: particles, pronouns, conjunctions — never negations).

A word of three characters or more also answers for the dictionary words inside it
(:func:`subwords`: 智能手机 → 智能, 手机), so ``手机`` finds 智能手机 as a search engine's
"search mode" does.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from opencc import OpenCC

HAN_RANGES: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
KANA_RANGES: Final = "\u3040-\u30ff"
_HAN = re.compile(f"[{HAN_RANGES}]")
_KANA = re.compile(f"[{KANA_RANGES}]")
_HAN_OR_NOT = re.compile(f"[{HAN_RANGES}]+|[^{HAN_RANGES}]+")

# Words too common to search for, in simplified form (traditional text is converted first).
# Negations (不, 没, 没有, 别, 无) and degree words (很, 非常) are kept: they change the meaning.
STOP_WORDS: Final = frozenset(
    {
        *"的地得了着过之乎也矣焉哉呢吗吧啊呀哦哈嘛么嗯哇啦咯喔呐嘿",
        *"和与及而且或并则即就都又还再把被将让给对于以为向从在是这那此其该个些",
        *"我你您他她它咱",
        *("我们", "你们", "您们", "他们", "她们", "它们", "咱们", "自己", "大家"),
        *("这个", "那个", "这些", "那些", "这样", "那样", "这里", "那里", "这儿", "那儿"),
        *("一个", "一些", "什么", "怎么", "怎样", "如何", "为什么", "哪个", "哪些"),
        *("因为", "所以", "但是", "但", "如果", "虽然", "然后", "而且", "或者", "以及"),
        *("还是", "就是", "只是", "已经", "并且", "而是", "于是", "以便", "以后", "之后", "之前"),
        *("关于", "对于", "由于", "根据", "按照", "通过", "为了", "以及", "及其", "等等", "等"),
    }
)
# Between a mention's words and the words inside its long words in ``search_text``: a stop word,
# so no query can hold it and no phrase can run from one part into the other.
SUBWORD_SEPARATOR: Final = "的"
MINIMUM_SUBWORD_PARENT: Final = 3


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def has_kana(text: str) -> bool:
    return _KANA.search(text) is not None


def is_han_word(token: str) -> bool:
    """A token that :func:`words` made (its first character is Han)."""
    return token[0] >= "\u3400" and _HAN.match(token) is not None


@functools.cache
def _converter() -> OpenCC:
    from opencc import OpenCC

    return OpenCC("t2s.json")


def to_simplified(text: str) -> str:
    """Traditional characters and phrases as simplified ones; other text unchanged."""
    converted: str = _converter().convert(text)
    return converted


def _cut(run: str) -> list[str]:
    import rjieba

    cut: list[str] = rjieba.cut(run, False)
    return cut


def words(text: str) -> list[str]:
    """The words of a folded, simplified letters-and-digits run (``_WORD`` of query.py): its Han
    parts cut by the dictionary, stop words left out, other parts (Latin, digits) kept whole."""
    if not has_han(text):
        return [text]
    out: list[str] = []
    for part in _HAN_OR_NOT.findall(text):
        if _HAN.match(part) is None:
            out.append(part)
            continue
        out.extend(word for word in _cut(part) if word not in STOP_WORDS)
    return out


@functools.lru_cache(maxsize=65536)
def subwords(word: str) -> tuple[str, ...]:
    """The dictionary words of two or three characters inside a longer Han word
    (``中华人民共和国`` → 中华, 华人, 人民, 共和, 共和国), without stop words; () for shorter words."""
    if len(word) < MINIMUM_SUBWORD_PARENT:
        return ()
    import rjieba

    found = dict.fromkeys(
        part
        for part in rjieba.cut_for_search(word, False)
        if 2 <= len(part) < len(word) and part not in STOP_WORDS and _HAN.match(part)
    )
    return tuple(found)
