# ruff: noqa: RUF001, E501 - real Norwegian, Russian and Chinese punctuation and sentences in the demo texts
"""The demo listening data: topics, a news feed and a file import of social mentions in English,
Norwegian, Russian and Chinese over the last fourteen days, with a daily rhythm and one clear
negative spike two days ago (a late delivery of a burnt-tasting Autumn blend batch).

Everything goes through listening's services and the real pipeline: the feed is polled (its
document is served in memory, no network), the export is uploaded, mapped and imported, so
language analysis, deduplication, topic matching, hourly rollups and the run accounting are
what real ingestion gives, including a few duplicates and two rejected rows. Idempotent:
topics and sources are found by name, and a source that has already run is not fed again.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import random
import zoneinfo
from typing import Any, Final
from xml.sax.saxutils import escape

import httpx
from django.core.files.base import ContentFile
from django.utils import timezone

from pappus.core.audit import Actor
from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Role
from pappus.listening import feeds, services
from pappus.listening.models import FileImport, IngestRun, Source, SourceKind, Topic, TopicKind

WORKSPACE: Final = "nordlys-coffee"
BRAND_TOPIC: Final = "Nordlys"
FEED_SOURCE: Final = "Nordic coffee news (feed)"
FEED_URL: Final = "https://news.example/nordic-coffee/feed.xml"
FILE_SOURCE: Final = "Social listening export"
FILE_NAME: Final = "nordlys-social-export.ndjson"
DAYS: Final = 14

TOPICS: Final = (
    (BRAND_TOPIC, TopicKind.BRAND, 'Nordlys OR "Nordlys Coffee" OR 北极光咖啡 OR Нордлис'),
    (
        "Polar Roast (competitor)",
        TopicKind.COMPETITOR,
        '"Polar Roast" OR Polarbrenneriet OR 极地烘焙 OR "Полярная обжарка"',
    ),
    ("Autumn blend", TopicKind.PRODUCT, '"Autumn blend" OR høstblanding* OR "осенний купаж" OR 秋季拼配'),
    (
        "Delivery and taste complaints",
        TopicKind.BRAND,
        "(Nordlys OR 北极光咖啡 OR Нордлис) AND (late OR delayed OR burnt OR forsinket OR brent OR задержка OR горчит OR 延误 OR 焦味) -giveaway",
    ),
)

# Per language: share of mentions, countries, networks, authors (handle, name).
LANGUAGES: Final[dict[str, dict[str, Any]]] = {
    "en": {
        "weight": 40,
        "countries": ("GB", "GB", "GB", "US", "IE", "DE"),
        "networks": ("mastodon", "bluesky", "reddit", "review"),
        "authors": (
            ("coffeegeek_tom", "Tom Baker"),
            ("sarahbrews", "Sarah Jones"),
            ("flatwhite_fred", "Fred Miller"),
            ("emma.w", "Emma Wilson"),
            ("londonlatte", "Priya Shah"),
            ("beanhunter", "Mark Evans"),
            ("cupofjoe", "Joe Turner"),
            ("morningroast", "Lucy Green"),
        ),
    },
    "nb": {
        "weight": 25,
        "countries": ("NO",),
        "networks": ("mastodon", "bluesky", "forum"),
        "authors": (
            ("linnea_b", "Linnea Berg"),
            ("olahansen", "Ola Hansen"),
            ("mia.strand", "Mia Strand"),
            ("kaffekari", "Kari Lunde"),
            ("tromsokaffe", "Per Nilsen"),
            ("bergensbaristaen", "Sofie Vik"),
        ),
    },
    "ru": {
        "weight": 20,
        "countries": ("RU", "RU", "RU", "KZ"),
        "networks": ("mastodon", "bluesky", "forum"),
        "authors": (
            ("ivan_petrov", "Иван Петров"),
            ("marina_k", "Марина Козлова"),
            ("kofeman", "Алексей Орлов"),
            ("anna_spb", "Анна Белова"),
            ("baristamsk", "Ольга Новикова"),
        ),
    },
    "zh": {
        "weight": 15,
        "countries": ("CN", "CN", "CN", "SG", "TW"),
        "networks": ("mastodon", "forum", "review"),
        "authors": (
            ("xiaoming", "小明"),
            ("lihua_coffee", "李华"),
            ("wangfang88", "王芳"),
            ("shanghai_beans", "陈静"),
            ("kafei_zhou", "周婷"),
        ),
    },
}

# Sentences per language and sentiment: {brand}, {product}, {city} are filled in.
TEXTS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "en": {
        "positive": (
            "{brand} {product} is lovely this week, best cup I have had in {city}!",
            "Honestly the {product} from {brand} makes my mornings. Great roast, smooth and sweet.",
            "Loved the latte art workshop at {brand} in {city}, thank you so much!",
            "Fast delivery and excellent coffee from {brand}. The {product} is a keeper.",
            "{brand} nailed it again: the {product} has beautiful notes of baked apple.",
        ),
        "neutral": (
            "Anyone tried the {product} from {brand}? Thinking of ordering for the office in {city}.",
            "{brand} opens a new shop in {city} next month according to their newsletter.",
            "Comparing {brand} and Polar Roast for a subscription, which one ships to {city}?",
            "Does {brand} sell the {product} in 1 kg bags?",
            "Polar Roast announced a new espresso blend for cafés in {city}.",
        ),
        "negative": (
            "My {brand} order is a week late and nobody answers the chat. Not great.",
            "The {product} from {brand} was a bit too bitter for me, disappointed.",
            "Long queue and a cold flat white at {brand} in {city} today. Bad service.",
        ),
        "spike": (
            "Still waiting for my {brand} order, delivery delayed again, and the {product} that finally arrived tastes burnt. Terrible.",
            "Opened the new {product} bag from {brand} and it tastes burnt and bitter. Awful batch, really disappointed.",
            "{brand} delivery delayed for the third time and the coffee tastes like burnt rubber. Worst service, never again.",
            "Is anyone else getting a burnt taste from the latest {brand} {product}? Mine is undrinkable and arrived late.",
            "Terrible experience with {brand}: late delivery, burnt beans, no refund answer. Angry customer in {city}.",
        ),
    },
    "nb": {
        "positive": (
            "Beste kaffen i {city}! {brand} {product} er nydelig ☕",
            "Takk til {brand} for rask levering og fantastisk kaffe.",
            "{product} fra {brand} smaker bakt eple og kardemomme. Elsker den!",
            "Hyggelig barista og god stemning hos {brand} i {city} i dag.",
        ),
        "neutral": (
            "Selger {brand} {product} i 1 kg poser? Vil kjøpe til kontoret.",
            "{brand} åpner ny butikk i {city} neste måned, står det i nyhetsbrevet.",
            "Noen som har prøvd Polarbrenneriet sin nye espresso?",
            "Hvor kjøper man {product} fra {brand} i {city}?",
        ),
        "negative": (
            "Bestillingen min fra {brand} har ikke kommet etter to uker. Dårlig service.",
            "Litt skuffet over {product} fra {brand}, for bitter for meg.",
        ),
        "spike": (
            "{brand} {product} smaker brent, og leveransen var forsinket i en uke. Skikkelig skuffet.",
            "Forsinket levering fra {brand} igjen, og kaffen smaker brent. Elendig service.",
            "Har andre også fått en brent {product} fra {brand}? Min er udrikkelig og kom for sent.",
        ),
    },
    "ru": {
        "positive": (
            "Спасибо {brand} за вкусный кофе и быстрые ответы! {product} просто отличный.",
            "Лучший кофе в {city} у {brand}, очень рекомендую.",
            "{product} от {brand} — нежный, сладкий, с нотами печёного яблока. Отлично!",
        ),
        "neutral": (
            "Здравствуйте! Есть ли у {brand} оптовые цены на {product} для кофейни в {city}?",
            "{brand} открывает новую кофейню в {city}, судя по новостям.",
            "Кто-нибудь сравнивал {brand} и Полярная обжарка?",
        ),
        "negative": (
            "Заказ {brand} опоздал на неделю, поддержка молчит. Плохо.",
            "{product} от {brand} показался слишком горьким, разочарован.",
        ),
        "spike": (
            "Задержка доставки {brand} уже неделю, а {product} горчит и пахнет горелым. Ужасно.",
            "Кофе {brand} горький и пережаренный, заказ пришёл с опозданием. Очень плохо, разочарована.",
            "У {brand} задержка заказа снова, кофе горчит. Ужасный сервис.",
        ),
    },
    "zh": {
        "positive": (
            "{brand}的{product}很好喝！{city}最好的咖啡。",
            "感谢{brand}快速发货，咖啡非常棒。",
            "{brand}的拿铁拉花课程太棒了，谢谢！",
        ),
        "neutral": (
            "请问{brand}的{product}在{city}哪里可以买到？",
            "{brand}下个月在{city}开新店。",
            "有人比较过{brand}和极地烘焙吗？",
        ),
        "negative": (
            "{brand}的订单晚了一周，客服不回复，很失望。",
            "{brand}的{product}有点太苦了，不喜欢。",
        ),
        "spike": (
            "{brand}的订单已经延误十天，{product}还有焦味，太失望了。",
            "{brand}配送延误，咖啡有焦味，非常糟糕的体验。",
            "又是{brand}延误！咖啡焦味很重，太差了，不会再买。",
        ),
    },
}

BRANDS: Final = {
    "en": ("Nordlys", "Nordlys Coffee", "@nordlys"),
    "nb": ("Nordlys", "Nordlys Kaffe"),
    "ru": ("Нордлис", "Nordlys"),
    "zh": ("北极光咖啡", "Nordlys"),
}
PRODUCTS: Final = {
    "en": ("Autumn blend", "espresso", "filter roast", "Autumn blend"),
    "nb": ("høstblandingen", "espressoen", "filterkaffen"),
    "ru": ("осенний купаж", "эспрессо", "фильтр-кофе"),
    "zh": ("秋季拼配", "浓缩咖啡", "手冲咖啡"),
}
CITIES: Final = {
    "en": ("London", "Manchester", "Edinburgh", "Dublin", "Bristol"),
    "nb": ("Tromsø", "Oslo", "Bergen", "Trondheim"),
    "ru": ("Москве", "Петербурге", "Казани"),
    "zh": ("上海", "北京", "深圳"),
}

# Openings and endings around each sentence, so that few mentions share a content hash by chance.
OPENINGS: Final = {
    "en": ("", "", "Okay,", "Quick note:", "Honest review:", "PSA:", "Morning thought:", "Update:"),
    "nb": ("", "", "Altså,", "Kort fortalt:", "Ærlig talt:", "Oppdatering:", "Morgentanke:"),
    "ru": ("", "", "Итак,", "Коротко:", "Честно говоря,", "Обновление:", "Утренняя мысль:"),
    "zh": ("", "", "说实话，", "更新：", "今天", "顺便说一下，", "分享一下："),
}
ENDINGS: Final = {
    "en": ("", "", "#coffee", "#specialtycoffee", "Anyone else?", "What do you think?", "Cheers.", "#fika"),
    "nb": ("", "", "#kaffe", "Hva synes dere?", "Noen andre?", "#fika", "Skål."),
    "ru": ("", "", "#кофе", "Что скажете?", "Кто ещё?", "#кофейня"),
    "zh": ("", "", "#咖啡", "大家觉得呢？", "还有谁？", "#精品咖啡"),
}

# A share of mentions per local hour of the day: quiet nights, a morning and an evening peak.
HOURLY_RHYTHM: Final = (1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 10, 9, 10, 9, 8, 8, 9, 11, 12, 11, 9, 6, 4, 2)
SPIKE_HOURS: Final = (13, 14, 15, 16, 17)  # local time, two days ago
SPIKE_PER_HOUR: Final = (8, 16, 14, 10, 6)

FEED_ARTICLES: Final = (
    (
        "en",
        "Nordlys Coffee opens roastery tours in Tromsø",
        "Nordlys Coffee now welcomes visitors to its Tromsø roastery every Saturday.",
    ),
    (
        "en",
        "Polar Roast raises prices for cafés",
        "Polar Roast will raise wholesale prices by eight percent from January.",
    ),
    (
        "en",
        "Review: the Nordlys Autumn blend",
        "A sweet, balanced Autumn blend with notes of baked apple and cardamom. Recommended.",
    ),
    (
        "en",
        "Nordic coffee exports grow",
        "Small roasters such as Nordlys and Polar Roast ship more coffee abroad than ever.",
    ),
    (
        "nb",
        "Nordlys åpner brenneri for besøkende",
        "Kaffebrenneriet Nordlys i Tromsø åpner dørene for omvisning hver lørdag.",
    ),
    (
        "nb",
        "Test: høstblandinger fra norske brennerier",
        "Nordlys sin høstblanding vinner testen med god balanse og søt smak.",
    ),
    ("nb", "Leveringsproblemer hos flere nettbutikker", "Kunder av Nordlys melder om forsinket levering denne uken."),
    ("ru", "Нордлис выходит на российский рынок", "Норвежская обжарочная Нордлис открывает кофейню в Москве."),
    ("ru", "Обзор: осенний купаж Нордлис", "Мягкий и сладкий осенний купаж с нотами печёного яблока."),
    ("zh", "北极光咖啡进入上海市场", "挪威烘焙品牌北极光咖啡在上海开设第一家门店。"),
    ("zh", "秋季拼配咖啡评测", "北极光咖啡的秋季拼配口感平衡，带有烤苹果的香气。"),
    ("en", "Coffee prices in 2026", "Green coffee prices stay high; roasters expect a calmer market next year."),
)


def _owner(workspace: Workspace) -> Membership | None:
    return (
        Membership.objects.for_workspace(workspace)
        .filter(role=Role.OWNER, is_active=True)
        .select_related("user", "workspace")
        .order_by("pk")
        .first()
    )


def contribute(workspace: Workspace, rng: random.Random) -> None:
    """Topics, a feed and a file import for the Nordlys workspace (the bakery listens to nothing yet)."""
    if workspace.slug != WORKSPACE:
        return
    owner = _owner(workspace)
    if owner is None:
        return
    actor = Actor(owner.user, via="demo")
    now = timezone.now()
    existing_topics = set(Topic.objects.for_workspace(workspace).values_list("name", flat=True))
    for name, kind, query in TOPICS:
        if name not in existing_topics:
            services.topic_create(actor=actor, membership=owner, name=name, kind=kind, query=query)
    sources = {source.name: source for source in Source.objects.for_workspace(workspace)}
    feed = sources.get(FEED_SOURCE) or services.source_create(
        actor=actor,
        membership=owner,
        name=FEED_SOURCE,
        kind=SourceKind.RSS,
        url=FEED_URL,
        poll_interval_seconds=24 * 3600,
    )
    if not IngestRun.objects.for_workspace(workspace).filter(source=feed).exists():
        _poll_feed(feed, rng, now)
    if feed.is_active:
        # Its address is fictional: paused, so the scheduler never tries to reach it.
        services.source_update(actor=actor, membership=owner, source=feed, is_active=False)
    export = sources.get(FILE_SOURCE) or services.source_create(
        actor=actor, membership=owner, name=FILE_SOURCE, kind=SourceKind.FILE
    )
    if not FileImport.objects.for_workspace(workspace).filter(source=export).exists():
        rows = social_rows(rng, now, zoneinfo.ZoneInfo(workspace.time_zone))
        _import(actor, owner, export, rows)


def _poll_feed(source: Source, rng: random.Random, now: datetime.datetime) -> None:
    """Poll the feed source through the real fetch, parse and pipeline, its document served in memory."""
    items = []
    for number, (language, title, text) in enumerate(FEED_ARTICLES):
        published = now - datetime.timedelta(days=rng.uniform(0.2, DAYS - 0.5))
        items.append(
            f'<item xml:lang="{language}"><guid>https://news.example/nordic-coffee/{number + 1}</guid>'
            f"<link>https://news.example/nordic-coffee/{number + 1}</link>"
            f"<title>{escape(title)}</title><description>{escape(text)}</description>"
            f"<author>redaksjon@news.example (Nordic Coffee News)</author>"
            f"<pubDate>{email.utils.format_datetime(published)}</pubDate></item>"
        )
    document = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Nordic coffee news</title>'
        f"<language>en</language>{''.join(items)}</channel></rss>"
    ).encode()

    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=document, headers={"Content-Type": "application/rss+xml"})

    with httpx.Client(transport=httpx.MockTransport(serve)) as client:
        feeds.poll_source(source, client=client)


def _pick_time(rng: random.Random, day: datetime.date, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    hour = rng.choices(range(24), weights=HOURLY_RHYTHM)[0]
    local = datetime.datetime.combine(day, datetime.time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=zone)
    return local.astimezone(datetime.UTC)


def _row(rng: random.Random, language: str, sentiment: str, moment: datetime.datetime, number: int) -> dict[str, Any]:
    profile = LANGUAGES[language]
    handle, name = rng.choice(profile["authors"])
    network = rng.choice(profile["networks"])
    template = rng.choice(TEXTS[language][sentiment])
    sentence = template.format(
        brand=rng.choice(BRANDS[language]), product=rng.choice(PRODUCTS[language]), city=rng.choice(CITIES[language])
    )
    separator = "" if language == "zh" else " "
    parts = (rng.choice(OPENINGS[language]), sentence, rng.choice(ENDINGS[language]))
    text = separator.join(part for part in parts if part)
    followers = int(rng.lognormvariate(6, 1.4))
    likes = int(rng.expovariate(1 / (3 + followers / 200)))
    return {
        "external_id": f"{network}:{number:05d}",
        "network": network,
        "url": f"https://{network}.example/@{handle}/{number:05d}",
        "text": text,
        "language": language,
        "published_at": moment.isoformat(),
        "author_handle": f"@{handle}",
        "author_name": name,
        "author_followers": followers,
        "country": rng.choice(profile["countries"]),
        "like_count": likes,
        "share_count": int(likes * rng.uniform(0, 0.3)),
        "comment_count": int(likes * rng.uniform(0, 0.2)),
        "view_count": followers * rng.randint(1, 4),
    }


def social_rows(rng: random.Random, now: datetime.datetime, zone: zoneinfo.ZoneInfo) -> list[dict[str, Any]]:
    """The export's rows: fourteen days of mentions with a daily rhythm, the spike, a few
    duplicates and reposts, and two rows the pipeline rejects (no text; an unreadable date)."""
    languages = list(LANGUAGES)
    weights = [LANGUAGES[language]["weight"] for language in languages]
    today = now.astimezone(zone).date()
    rows: list[dict[str, Any]] = []
    for days_ago in range(DAYS, -1, -1):
        day = today - datetime.timedelta(days=days_ago)
        count = rng.randint(20, 30) if day.weekday() < 5 else rng.randint(14, 22)
        for _ in range(count):
            moment = _pick_time(rng, day, zone)
            if moment >= now:
                continue
            sentiment = rng.choices(("positive", "neutral", "negative"), weights=(45, 38, 17))[0]
            language = rng.choices(languages, weights=weights)[0]
            rows.append(_row(rng, language, sentiment, moment, len(rows) + 1))
    spike_day = today - datetime.timedelta(days=2)
    for hour, count in zip(SPIKE_HOURS, SPIKE_PER_HOUR, strict=True):
        for _ in range(count):
            local = datetime.datetime.combine(spike_day, datetime.time(hour, rng.randrange(60)), tzinfo=zone)
            language = rng.choices(languages, weights=weights)[0]
            rows.append(_row(rng, language, "spike", local.astimezone(datetime.UTC), len(rows) + 1))
    rows.sort(key=lambda row: row["published_at"])
    # Reposts (near-duplicates, clustered) and the same items exported twice (exact duplicates).
    for original in rng.sample(rows, k=6):
        repost = dict(
            original,
            external_id=f"{original['external_id']}-rt",
            text=f"RT {original['author_handle']}: {original['text']}",
        )
        repost["author_handle"], repost["author_name"] = "@coffee_news_bot", "Coffee news bot"
        rows.append(repost)
    rows.extend(dict(row) for row in rng.sample(rows[:-6], k=4))
    rows.append({**rows[0], "external_id": "mastodon:broken-1", "text": "", "title": ""})
    rows.append({**rows[1], "external_id": "mastodon:broken-2", "published_at": "yesterday evening"})
    return rows


def _import(actor: Actor, owner: Membership, source: Source, rows: list[dict[str, Any]]) -> None:
    """Upload the export, map its columns and run the import, as a person and the job would."""
    body = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows).encode()
    upload = ContentFile(body, name=FILE_NAME)
    file_import = services.file_import_create(actor=actor, membership=owner, source=source, upload=upload)
    columns = sorted({key for row in rows for key in row})
    mapping = {column: column for column in columns}
    file_import = services.file_import_start(actor=actor, membership=owner, file_import=file_import, mapping=mapping)
    services.file_import_process(file_import.pk)
