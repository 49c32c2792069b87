"""What the data measures beside what the strategy plans: share of voice per competitor and the
measured audience profile. Read through the listening and analytics facades only (listening's
hourly rollups, analytics' account snapshots); nothing here writes.

Days are the workspace's days (midnight to midnight in its time zone), as on the analytics
dashboard; listening's rollups are hourly, so a zone offset by half an hour counts each hour on the
day it starts.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pappus.analytics import facade as analytics_facade
from pappus.core.models import Workspace
from pappus.core.timezones import zone_named
from pappus.listening import facade as listening_facade
from pappus.strategy.models import Competitor


def _zone(workspace: Workspace) -> ZoneInfo:
    """The workspace's time zone (UTC when it names none this installation knows)."""
    return zone_named(workspace.time_zone)


def _start(day: datetime.date, zone: ZoneInfo) -> datetime.datetime:
    """The moment ``day`` begins in ``zone``."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=zone)


@dataclass(frozen=True)
class Voice:
    """One party of the conversation: the brand (its listening topics of kind "brand") or a
    competitor (its linked topic). ``share`` in percent of all parties' mentions; None when
    nobody was mentioned or the party has no topic to count."""

    name: str
    is_brand: bool
    topic_ids: tuple[int, ...]
    mentions: int
    share: float | None
    topic_missing: bool = False  # a linked topic that listening no longer has


@dataclass(frozen=True)
class ShareOfVoice:
    first_day: datetime.date
    last_day: datetime.date
    voices: tuple[Voice, ...]
    daily: tuple[tuple[datetime.date, str, int], ...]  # (day, party, mentions) for the chart
    total: int

    @property
    def has_brand_topic(self) -> bool:
        return any(voice.is_brand and voice.topic_ids for voice in self.voices)


def share_of_voice(
    workspace: Workspace, *, first_day: datetime.date, last_day: datetime.date, brand_name: str
) -> ShareOfVoice:
    """Mentions of the brand's topics and of each competitor's topic from ``first_day`` to
    ``last_day`` (inclusive), and each one's share of them all (one read of the rollups)."""
    topics = {topic.id: topic for topic in listening_facade.topics(workspace.pk)}
    brand_topics = tuple(topic.id for topic in topics.values() if topic.kind == "brand")
    parties: list[tuple[str, bool, tuple[int, ...], bool]] = [(brand_name, True, brand_topics, False)]
    for competitor in Competitor.objects.for_workspace(workspace).order_by("name"):
        topic_id = competitor.listening_topic_id
        known = topic_id is not None and topic_id in topics
        parties.append(
            (competitor.name, False, (topic_id,) if known and topic_id else (), topic_id is not None and not known)
        )
    wanted = sorted({topic_id for _name, _brand, ids, _missing in parties for topic_id in ids})
    by_topic: dict[int, int] = {}
    by_topic_day: dict[tuple[int, datetime.date], int] = {}
    if wanted:
        for row in listening_facade.mention_counts_by_day(
            workspace.pk,
            since=_start(first_day, _zone(workspace)),
            until=_start(last_day + datetime.timedelta(days=1), _zone(workspace)),
            time_zone=_zone(workspace),
            topic_ids=wanted,
        ):
            if row.topic_id is None:
                continue
            by_topic[row.topic_id] = by_topic.get(row.topic_id, 0) + row.count
            key = (row.topic_id, row.day)
            by_topic_day[key] = by_topic_day.get(key, 0) + row.count
    counted = [
        (name, brand, ids, missing, sum(by_topic.get(i, 0) for i in ids)) for name, brand, ids, missing in parties
    ]
    total = sum(mentions for *_rest, mentions in counted)
    voices = tuple(
        Voice(
            name=name,
            is_brand=brand,
            topic_ids=ids,
            mentions=mentions,
            share=(mentions / total * 100 if total and ids else None),
            topic_missing=missing,
        )
        for name, brand, ids, missing, mentions in counted
    )
    days = [first_day + datetime.timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
    daily = tuple(
        (day, voice.name, sum(by_topic_day.get((topic_id, day), 0) for topic_id in voice.topic_ids))
        for voice in voices
        if voice.topic_ids
        for day in days
    )
    return ShareOfVoice(first_day, last_day, voices, daily, total)


@dataclass(frozen=True)
class MeasuredProfile:
    """What the data says about the audience over the last days: the languages and countries of
    the mentions (listening) and followers per network (analytics). Countries come from the
    mentions whose source gives one, counted among the newest 10,000 when more (``countries_sampled``)."""

    first_day: datetime.date
    last_day: datetime.date
    languages: tuple[tuple[str, int, float], ...]  # language, mentions, percent of mentions with a language
    not_detected: int
    followers: tuple[tuple[str, int], ...]  # network, followers at the end of last_day
    countries: tuple[tuple[str, int, float], ...] = ()  # country, mentions, percent of mentions with a country
    countries_sampled: bool = False

    @property
    def has_data(self) -> bool:
        return bool(self.languages or self.not_detected or self.followers)

    def followers_on(self, networks: Sequence[str]) -> tuple[tuple[str, int], ...]:
        """Followers on the given networks (an audience's), or on all of them when none are given."""
        wanted = {network.lower() for network in networks}
        return tuple((network, count) for network, count in self.followers if not wanted or network in wanted)


def measured_profile(workspace: Workspace, *, last_day: datetime.date, days: int = 90) -> MeasuredProfile:
    """The measured profile over ``days`` days up to ``last_day``: languages and the ten most
    frequent countries of all mentions, and followers per network at the end of ``last_day``."""
    first_day = last_day - datetime.timedelta(days=days - 1)
    counts = listening_facade.mention_counts_by_language(
        workspace.pk,
        since=_start(first_day, _zone(workspace)),
        until=_start(last_day + datetime.timedelta(days=1), _zone(workspace)),
    )
    detected = [row for row in counts if row.language]
    with_language = sum(row.count for row in detected)
    languages = tuple((row.language, row.count, row.count / with_language * 100) for row in detected if with_language)
    not_detected = sum(row.count for row in counts if not row.language)
    followers = tuple(analytics_facade.followers_by_network(workspace.pk, day=last_day).items())
    by_country = listening_facade.mention_counts_by_country(
        workspace.pk,
        since=_start(first_day, _zone(workspace)),
        until=_start(last_day + datetime.timedelta(days=1), _zone(workspace)),
    )
    with_country = sum(count for _country, count in by_country.counts)
    countries = tuple((country, count, count / with_country * 100) for country, count in by_country.counts)
    return MeasuredProfile(first_day, last_day, languages, not_detected, followers, countries, by_country.sampled)


SENTIMENTS = ("positive", "neutral", "negative")


@dataclass(frozen=True)
class TopicVolume:
    """One of a campaign's listening topics over the days: its mentions by sentiment ("" = not
    analysed) and its net sentiment ((positive - negative) / analysed x 100; None when none was
    analysed). ``missing``: a linked topic that listening no longer has (nothing is counted)."""

    topic_id: int
    name: str
    mentions: int
    by_sentiment: tuple[tuple[str, int], ...]
    net_sentiment: float | None
    missing: bool = False


def _net(by_sentiment: dict[str, int]) -> float | None:
    analysed = sum(by_sentiment.get(sentiment, 0) for sentiment in SENTIMENTS)
    if not analysed:
        return None
    return (by_sentiment.get("positive", 0) - by_sentiment.get("negative", 0)) / analysed * 100


@dataclass(frozen=True)
class CampaignConversation:
    """What listening heard about a campaign from ``first_day`` to ``last_day`` (UTC days).

    ``mentions``: of all the campaign's topics (a mention that two of them match counts in both,
    as listening's rollups count it per topic). ``share_of_voice``: those mentions / (those + the
    mentions of every competitor's linked topic) x 100; None without competitor topics or
    mentions. ``net_sentiment`` over the campaign's topics together. ``daily``: (day, sentiment,
    mentions) for the chart, every day present."""

    first_day: datetime.date
    last_day: datetime.date
    topics: tuple[TopicVolume, ...]
    mentions: int
    competitor_mentions: int
    has_competitor_topics: bool
    share_of_voice: float | None
    net_sentiment: float | None
    daily: tuple[tuple[datetime.date, str, int], ...]


def campaign_conversation(
    workspace: Workspace, topic_ids: Sequence[int], *, first_day: datetime.date, last_day: datetime.date
) -> CampaignConversation:
    """Mentions and sentiment of a campaign's listening topics, and its share of voice against the
    competitors' topics, from listening's hourly rollups in one read."""
    known = {topic.id: topic for topic in listening_facade.topics(workspace.pk)}
    linked = list(dict.fromkeys(topic_ids))
    present = [topic_id for topic_id in linked if topic_id in known]
    competitor_ids = sorted(
        {
            topic_id
            for topic_id in Competitor.objects.for_workspace(workspace).values_list("listening_topic_id", flat=True)
            if topic_id is not None and topic_id in known and topic_id not in present
        }
    )
    by_topic: dict[int, dict[str, int]] = {}
    by_day: dict[tuple[datetime.date, str], int] = {}
    competitor_mentions = 0
    wanted = [*present, *competitor_ids]
    if wanted:
        for row in listening_facade.mention_counts_by_day(
            workspace.pk,
            since=_start(first_day, _zone(workspace)),
            until=_start(last_day + datetime.timedelta(days=1), _zone(workspace)),
            time_zone=_zone(workspace),
            topic_ids=wanted,
        ):
            if row.topic_id is None:
                continue
            if row.topic_id in competitor_ids:
                competitor_mentions += row.count
                continue
            counts = by_topic.setdefault(row.topic_id, {})
            counts[row.sentiment] = counts.get(row.sentiment, 0) + row.count
            by_day[(row.day, row.sentiment)] = by_day.get((row.day, row.sentiment), 0) + row.count
    volumes = []
    together: dict[str, int] = {}
    for topic_id in linked:
        counts = by_topic.get(topic_id, {})
        for sentiment, count in counts.items():
            together[sentiment] = together.get(sentiment, 0) + count
        volumes.append(
            TopicVolume(
                topic_id=topic_id,
                name=known[topic_id].name if topic_id in known else "",
                mentions=sum(counts.values()),
                by_sentiment=tuple((sentiment, counts.get(sentiment, 0)) for sentiment in (*SENTIMENTS, "")),
                net_sentiment=_net(counts),
                missing=topic_id not in known,
            )
        )
    mentions = sum(together.values())
    both = mentions + competitor_mentions
    days = [first_day + datetime.timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
    daily = tuple((day, sentiment, by_day.get((day, sentiment), 0)) for day in days for sentiment in (*SENTIMENTS, ""))
    return CampaignConversation(
        first_day=first_day,
        last_day=last_day,
        topics=tuple(volumes),
        mentions=mentions,
        competitor_mentions=competitor_mentions,
        has_competitor_topics=bool(competitor_ids),
        share_of_voice=mentions / both * 100 if competitor_ids and both and present else None,
        net_sentiment=_net(together),
        daily=daily,
    )
