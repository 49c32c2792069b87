# ruff: noqa: RUF001  (multilingual text: Cyrillic and CJK letters are meant)
"""Small hand-written cue lists, written for this project (not copied from any lexicon).

Each list is a set of lower-case word *beginnings* (so "отлич" matches "отличный", "отлично");
entries in Chinese or Japanese match anywhere. A hit adds a pseudo-token such as ``cue:positive``
to the text's features, so the linear models learn one weight per cue from the languages that
have training data (English above all) and the same weight then carries to languages that have
none (Russian sentiment, non-English intent and toxicity). The lists are short on purpose: a
cue must be unambiguous in everyday posts. Add words in the language sections, keep them
lower-case, and retrain (`python -m pappus.nlp.train`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

CUES: Mapping[str, Mapping[str, str]] = {
    "positive": {
        "en": "love lovely great excellent amazing awesome fantastic wonderful perfect best thank thanks happy "
        "glad enjoy beautiful brilliant recommend superb delighted impressed nice cool",
        "ru": "отлич хорош прекрас замечат люблю нравит спасибо благодар супер класс рад счастл лучш "
        "рекоменд восторг молодц круто удобн доволен довольн великолеп",
        "uk": "чудов гарн дякую люблю подобаєт супер класн найкращ рекоменд задоволен",
        "no": "bra flott fantastisk utmerket herlig elsker takk glad beste anbefal nydelig strålende imponer "
        "fornøyd perfekt super deilig vakker morsom",
        "de": "super toll großartig wunderbar liebe danke perfekt beste empfehl schön glücklich zufrieden "
        "genial klasse",
        "fr": "bien super génial excellent parfait merci adore aime magnifique meilleur recommand heureux "
        "content bravo top",
        "es": "bueno buena genial excelente perfecto gracias encanta amo maravill mejor recomiend feliz contento bravo",
        "pt": "bom boa ótim otim excelente perfeito obrigad adoro amo maravilh melhor recomend feliz content lind",
        "it": "buono buona ottim eccellente perfetto grazie adoro amo meraviglios migliore consigli felice "
        "contento bellissim",
        "pl": "dobr świetn doskonał dziękuj kocham super polecam najlepsz zadowolon",
        "tr": "güzel harika mükemmel teşekkür seviyorum süper tavsiye memnun",
        "zh": "好评 很好 非常好 不错 喜欢 满意 推荐 感谢 谢谢 开心 棒 完美 舒适 干净 方便 值得 赞",
        "ja": "ありがとう 最高 素晴らしい 好き 満足 おすすめ 嬉しい",
        "emoji": "❤ 😍 😊 😀 😁 😃 😄 👍 🥰 😘 🙏 💕 💖 ✨ 🎉 👏 :) :-) :d <3",
    },
    "negative": {
        "en": "hate terrible awful horrible worst bad poor disappoint angry annoy sad broken useless waste "
        "disgust rude scam sucks fail problem",
        "ru": "ужас плох отврат ненавиж хуже худш разочар обман кошмар бесит злой груб проблем сломал "
        "жалоб не_работает отстой",
        "uk": "жахлив поган ненавиджу гірш розчар обман проблем зламал скарг",
        "no": "dårlig elendig forferdelig skuffe hater verst kjedelig sint trist problem ødelagt svindel "
        "irriter svak klage aldri",
        "de": "schlecht schrecklich furchtbar hasse schlimm enttäusch ärger kaputt nutzlos betrug nie "
        "traurig wütend mist",
        "fr": "mauvais nul horrible déteste pire déçu décevant colère cassé arnaque jamais triste problème",
        "es": "malo mala horrible odio peor terrible decepcion triste enfad roto estafa nunca problema",
        "pt": "ruim péssim horrível odeio pior decepcion triste raiva quebr golpe nunca problema",
        "it": "brutto pessim orribile odio peggio delus triste arrabbiat rotto truffa mai problema",
        "pl": "okropn fataln nienawidz najgorsz rozczarow problem oszust",
        "tr": "kötü berbat nefret rezalet sorun şikayet hayal_kırıklığı",
        "zh": "差 糟糕 失望 垃圾 太差 不好 退货 投诉 生气 难用 脏 骗 恶心 后悔 坑 慢",
        "ja": "最悪 ひどい 嫌い 残念 不満",
        "emoji": "😡 😠 😢 😭 👎 😞 😤 🤬 💩 :( :-(",
    },
    "complaint": {
        "en": "not_working doesn't_work broken complain refund still_waiting never_arrived worst disappointed "
        "unacceptable charged_twice terrible_service",
        "ru": "не_работает жалоб верните_деньги до_сих_пор не_пришл ужасн обман сломал списали",
        "no": "fungerer_ikke virker_ikke klage pengene_tilbake har_ikke_kommet elendig ødelagt",
        "de": "funktioniert_nicht beschwer geld_zurück immer_noch_nicht kaputt",
        "fr": "marche_pas fonctionne_pas plainte rembours toujours_pas",
        "es": "no_funciona queja reembols todavía_no",
        "zh": "投诉 退款 还没到 坏了 不能用 差评 退货 欺骗 失望 太慢",
    },
    "service_request": {
        "en": "cancel change update reset password account help_me track my_order invoice address "
        "delete unsubscribe contact support agent",
        "ru": "отмен измени сброс парол аккаунт помогите отследить заказ счёт адрес удал поддержк оператор",
        "no": "kanseller avbestill endre tilbakestill passord konto hjelp spore bestilling faktura adresse "
        "slett kundeservice",
        "de": "stornier ändern passwort konto hilfe bestellung rechnung adresse lösch kundenservice",
        "fr": "annuler modifier mot_de_passe compte aide commande facture adresse supprimer",
        "es": "cancelar cambiar contraseña cuenta ayuda pedido factura dirección eliminar",
        "zh": "取消 修改 密码 账户 账号 帮我 订单 发票 地址 删除 客服 查询",
    },
    "purchase_intent": {
        "en": "buy purchase price how_much cost where_can_i_get available in_stock want_to_get discount",
        "ru": "купить куплю заказать сколько_стоит цена где_купить в_наличии",
        "no": "kjøpe kjøpt bestille hva_koster pris hvor_kan_jeg_få på_lager",
        "de": "kaufen bestellen kostet preis wo_bekomme verfügbar lieferbar",
        "fr": "acheter commander combien coûte prix disponible",
        "es": "comprar pedir cuánto cuesta precio disponible",
        "zh": "购买 想买 多少钱 价格 哪里买 有货 下单 怎么买",
    },
    "question": {
        "en": "how what when where why which who can_you could_you is_there do_you",
        "ru": "как что когда где почему какой какая какие кто можно_ли",
        "no": "hvordan hva når hvor hvorfor hvilken hvem kan_dere går_det_an",
        "de": "wie was wann wo warum welche wer können_sie gibt_es",
        "fr": "comment quoi quand où pourquoi quel quelle est-ce",
        "es": "cómo qué cuándo dónde por_qué cuál quién",
        "zh": "怎么 什么 为什么 哪里 哪个 吗 如何 是否 能不能",
        "punctuation": "? ？",
    },
    "praise": {
        "en": "thank_you thanks love_your great_job well_done best_service amazing kudos",
        "ru": "спасибо благодар отличн молодц лучш",
        "no": "takk flott_service beste elsker_dere godt_jobbet",
        "de": "danke toller_service beste",
        "fr": "merci bravo super service",
        "es": "gracias excelente servicio",
        "zh": "谢谢 感谢 服务很好 点赞 好评 太棒",
    },
    "spam": {
        "en": "free_followers click_here giveaway win_a_free earn_money crypto bitcoin dm_me promo_code "
        "limited_offer follow_back onlyfans casino",
        "ru": "бесплатн подписчик перейди_по_ссылке розыгрыш заработ крипт казино промокод",
        "no": "gratis_følgere klikk_her vinn tjen_penger",
        "de": "kostenlos follower klick_hier gewinnspiel geld_verdienen",
        "zh": "免费 加微信 点击链接 赚钱 代购 优惠券 刷单",
    },
    "toxic": {
        "en": "idiot stupid moron dumb fuck shit bitch bastard asshole retard loser scum whore cunt dick "
        "kill_yourself shut_up pathetic disgusting",
        "ru": "идиот дурак дура тупой тупая урод мудак сука бляд хуй пизд ублюд дебил мраз заткнись",
        "uk": "ідіот дурень тупий урод сука",
        "no": "idiot dust dum jævla faen helvete drittsekk hore kuk fitte tosk",
        "de": "idiot dumm arschloch scheiße scheisse hure fotze wichser bastard halt_die_fresse",
        "fr": "idiot con connard connasse pute salope merde enculé débile ta_gueule",
        "es": "idiota estúpido imbécil puta mierda cabrón pendejo gilipollas",
        "pt": "idiota estúpido imbecil puta merda caralho porra otário",
        "it": "idiota stupido imbecille puttana merda stronzo cazzo vaffanculo",
        "pl": "idiota głupi kurwa chuj debil spierdalaj",
        "tr": "aptal salak geri_zekalı orospu siktir",
        "zh": "傻逼 傻b 白痴 滚 去死 废物 脑残 他妈的 操你",
    },
}

_CJK_PATTERN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_TOKEN_PATTERN = re.compile(r"\w+")
MAXIMUM_HITS = 3
_LONGEST_PREFIX = 16
_SHORTEST_PREFIX = 4


def _compile() -> tuple[
    dict[str, tuple[str, ...]], list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]
]:
    prefixes: dict[str, tuple[str, ...]] = {}
    phrases: list[tuple[str, str]] = []
    symbols: list[tuple[str, str]] = []
    cjk: list[tuple[str, str]] = []
    for name, languages in CUES.items():
        for text in languages.values():
            # Multi-word cues are written with "_" between their words.
            for raw in text.split():
                entry = raw.replace("_", " ")
                if _CJK_PATTERN.search(entry):
                    cjk.append((entry, name))
                elif not entry[0].isalnum():
                    symbols.append((entry, name))
                elif " " in entry:
                    phrases.append((" " + entry, name))
                elif name not in prefixes.get(entry, ()):
                    prefixes[entry] = (*prefixes.get(entry, ()), name)
    return prefixes, phrases, symbols, cjk


_PREFIXES, _PHRASES, _SYMBOLS, _CJK_ENTRIES = _compile()


def _first_token(phrase: str) -> str:
    match = _TOKEN_PATTERN.search(phrase)
    return match.group() if match else ""


# A phrase (" not working") can only be in a text that has its first word ("not") as a token, a symbol
# or a CJK entry only in a text that has its first character: these sets spare the ~200 substring
# searches per text that most texts, which hold none of them, would pay.
_PHRASES_WITH_TOKEN = [(phrase, name, _first_token(phrase)) for phrase, name in _PHRASES]
_PHRASE_FIRST_TOKENS = frozenset(first for _phrase, _name, first in _PHRASES_WITH_TOKEN)
_SYMBOL_FIRST_CHARACTERS = frozenset(symbol[0] for symbol, _name in _SYMBOLS)
_CJK_FIRST_CHARACTERS = frozenset(entry[0] for entry, _name in _CJK_ENTRIES)
# An ASCII text can only hold the symbols that start with an ASCII character (":)", "<3", "?").
_ASCII_SYMBOL_FIRST_CHARACTERS = tuple(sorted(first for first in _SYMBOL_FIRST_CHARACTERS if first.isascii()))
# The cue lists whose prefixes a word starts with, per word: words repeat, so most are looked up once.
_WORD_CUES: dict[str, tuple[str, ...]] = {}
_WORD_CUES_LIMIT = 200_000


def _word_cues(word: str) -> tuple[str, ...]:
    names: list[str] = []
    for size in range(2, min(len(word), _LONGEST_PREFIX) + 1):
        if size < _SHORTEST_PREFIX and size != len(word):
            continue  # "wo" or "hva" match only as whole words, never "working" or "hvalp"
        names.extend(_PREFIXES.get(word[:size], ()))
    return tuple(names)


def cue_counts(normalized_text: str) -> dict[str, int]:
    """How often each cue list matches in a lower-cased text."""
    counts: dict[str, int] = {}
    words = _TOKEN_PATTERN.findall(normalized_text)
    for word in words:
        names = _WORD_CUES.get(word)
        if names is None:
            names = _word_cues(word)
            if len(_WORD_CUES) >= _WORD_CUES_LIMIT:
                _WORD_CUES.clear()
            _WORD_CUES[word] = names
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    tokens = set(words)
    if not tokens.isdisjoint(_PHRASE_FIRST_TOKENS):
        padded = " " + normalized_text
        for phrase, name, first in _PHRASES_WITH_TOKEN:
            if first in tokens and phrase in padded:
                counts[name] = counts.get(name, 0) + padded.count(phrase)
    if normalized_text.isascii():  # no emoji and no CJK entry can match: only the ASCII symbols are looked for
        if any(character in normalized_text for character in _ASCII_SYMBOL_FIRST_CHARACTERS):
            for symbol, name in _SYMBOLS:
                if symbol[0] in normalized_text and symbol in normalized_text:
                    counts[name] = counts.get(name, 0) + normalized_text.count(symbol)
        return counts
    characters = set(normalized_text)
    if not characters.isdisjoint(_SYMBOL_FIRST_CHARACTERS):
        for symbol, name in _SYMBOLS:
            if symbol[0] in characters and symbol in normalized_text:
                counts[name] = counts.get(name, 0) + normalized_text.count(symbol)
    if not characters.isdisjoint(_CJK_FIRST_CHARACTERS):
        for entry, name in _CJK_ENTRIES:
            if entry[0] in characters and entry in normalized_text:
                counts[name] = counts.get(name, 0) + normalized_text.count(entry)
    return counts


def cue_tokens(normalized_text: str) -> list[str]:
    """Pseudo-tokens ``cue:<name>`` for each cue list that matches, repeated per hit up to three times."""
    tokens: list[str] = []
    for name, hits in cue_counts(normalized_text).items():
        tokens.extend([f"cue:{name}"] * min(hits, MAXIMUM_HITS))
    return tokens
