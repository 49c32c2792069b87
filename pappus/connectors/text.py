"""Small helpers the network packages share: HTML to plain text, timestamps."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser
from typing import Any

_BREAKS = {"br", "p", "div", "li"}


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKS - {"br"}:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of a post's HTML (Mastodon's ``content``), paragraphs kept as blank lines."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    lines = "".join(collector.parts).splitlines()
    text = "\n".join(line.rstrip() for line in lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def parse_time(value: Any) -> datetime.datetime | None:
    """An ISO 8601 time as an aware datetime (UTC when no offset), None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def from_milliseconds(value: Any) -> datetime.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)
