"""What the data measures beside what the strategy plans: share of voice per competitor and the
measured audience profile. Read through the listening and analytics facades only (listening's
hourly rollups, analytics' account snapshots); nothing here writes.

Days are UTC days, as in listening's rollups and the analytics dashboard.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from pappus.analytics import facade as analytics_facade
from pappus.core.models import Workspace
from pappus.listening import facade as listening_facade
from pappus.strategy.models import Competitor


def _utc_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)


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
            since=_utc_start(first_day),
            until=_utc_start(last_day + datetime.timedelta(days=1)),
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
        workspace.pk, since=_utc_start(first_day), until=_utc_start(last_day + datetime.timedelta(days=1))
    )
    detected = [row for row in counts if row.language]
    with_language = sum(row.count for row in detected)
    languages = tuple((row.language, row.count, row.count / with_language * 100) for row in detected if with_language)
    not_detected = sum(row.count for row in counts if not row.language)
    followers = tuple(analytics_facade.followers_by_network(workspace.pk, day=last_day).items())
    by_country = listening_facade.mention_counts_by_country(
        workspace.pk, since=_utc_start(first_day), until=_utc_start(last_day + datetime.timedelta(days=1))
    )
    with_country = sum(count for _country, count in by_country.counts)
    countries = tuple((country, count, count / with_country * 100) for country, count in by_country.counts)
    return MeasuredProfile(first_day, last_day, languages, not_detected, followers, countries, by_country.sampled)
