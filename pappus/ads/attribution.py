# ruff: noqa: RUF002 - the multiplication and division signs are meant.
"""Attributing conversions and revenue to paid campaigns from their paths of tracked touches.

A **path** is what led to one or more conversions: its touches in time order (first touch first),
each a click through a tracked link (a pixel visit's link or UTM values, or one step of an imported
conversion path), and the conversions and revenue it ended in. A touch belongs to a paid campaign
when its ``utm_campaign`` is the campaign's, or its link's post is one the campaign's ads boost;
otherwise it is an *unpaid* touch (organic, direct, e-mail, …) and keeps its credit: paid campaigns
get none of it.

The rules (the workspace chooses one; **last click** is the default):

- **last click**: the last touch gets all the credit;
- **first click**: the first touch gets all the credit;
- **linear**: each touch gets an equal share (1 ÷ the number of touches).

A campaign's attributed conversions and revenue are the sums of its credit × the path's conversions
and revenue. The credit goes to the day of the conversion. These are pure functions over plain values.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

RULES = ("last_click", "first_click", "linear")


@dataclass(frozen=True, slots=True)
class Path:
    """Touches in time order (a campaign id, or None for an unpaid touch) ending in conversions."""

    day: datetime.date
    touches: tuple[int | None, ...]
    conversions: float
    revenue: Decimal = Decimal(0)


def credit(touches: Sequence[Hashable | None], rule: str) -> dict[Hashable | None, float]:
    """Each touch's share of one path's conversions under ``rule`` (shares add up to 1; none without touches)."""
    if rule not in RULES:
        raise ValueError(f"unknown attribution rule {rule!r}")
    if not touches:
        return {}
    if rule == "last_click":
        return {touches[-1]: 1.0}
    if rule == "first_click":
        return {touches[0]: 1.0}
    shares: dict[Hashable | None, float] = defaultdict(float)
    for touch in touches:
        shares[touch] += 1.0 / len(touches)
    return dict(shares)


@dataclass
class Attributed:
    """A campaign's attributed conversions and revenue (revenue in the workspace's currency)."""

    conversions: float = 0.0
    revenue: Decimal = Decimal("0.00")

    def add(self, other: Attributed) -> None:
        self.conversions += other.conversions
        self.revenue += other.revenue


def attribute(paths: Iterable[Path], rule: str) -> dict[tuple[int, datetime.date], Attributed]:
    """Per (paid campaign, day of conversion): the credit of ``paths`` under ``rule``. Unpaid touches'
    credit is left out. Revenue is rounded to cents per campaign and day."""
    found: dict[tuple[int, datetime.date], Attributed] = defaultdict(Attributed)
    exact: dict[tuple[int, datetime.date], Decimal] = defaultdict(Decimal)
    for path in paths:
        for touch, share in credit(path.touches, rule).items():
            if touch is None:
                continue
            key = (int(touch), path.day)  # type: ignore[call-overload]
            found[key].conversions += share * path.conversions
            exact[key] += path.revenue * Decimal(share)
    for key, amount in exact.items():
        found[key].revenue = amount.quantize(Decimal("0.01"))
    return dict(found)


def campaign_of_touch(
    utm_campaign: str,
    post_id: int | None,
    by_utm: Mapping[str, int],
    by_post: Mapping[int, int],
) -> int | None:
    """The paid campaign a touch belongs to: by its utm_campaign (case and spaces ignored), else by the
    boosted post of its link; None for an unpaid touch."""
    key = utm_campaign.strip().casefold()
    if key and key in by_utm:
        return by_utm[key]
    if post_id is not None and post_id in by_post:
        return by_post[post_id]
    return None
