"""Reading daily results from a network's ads API.

Meta Marketing API (Graph API ``/act_{account}/insights``): one row per ad and day
(``level=ad``, ``time_increment=1``), followed through ``paging.next``. Spend is in the ad account's
currency; conversions and revenue are the first of :data:`META_CONVERSION_ACTIONS` that the row
reports in ``actions`` / ``action_values`` (Meta's own attribution setting of the account).

VK Ads (``ads.vk.com`` API v2): ``statistics/ad_plans/day.json`` per campaign and day (at most 92 days
and 50 campaigns a request), names from ``ad_plans.json``; VK reports goals but no revenue.

The token is used for this read only and not stored.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from django.utils.translation import gettext as _

from pappus.ads.imports import ObjectKey

META_BASE_URL = "https://graph.facebook.com/v21.0"
META_FIELDS = (
    "campaign_id,campaign_name,adset_id,adset_name,ad_id,ad_name,"
    "spend,impressions,reach,clicks,actions,action_values,account_currency"
)
# omni_purchase already counts the pixel's and the app's purchases: the first one found is used.
META_CONVERSION_ACTIONS = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase", "lead")
MAX_PAGES = 1000
TIMEOUT = 30.0


class ReaderError(Exception):
    """The network refused or could not answer; the message says why, for a person to read."""


@dataclass(frozen=True)
class ReadRow:
    key: ObjectKey
    day: datetime.date
    currency: str
    spend: Decimal
    impressions: int
    reach: int
    clicks: int
    conversions: int
    revenue: Decimal


def _action(values: Any) -> Decimal:
    found = {item.get("action_type"): item.get("value") for item in values or [] if isinstance(item, dict)}
    for action in META_CONVERSION_ACTIONS:
        if action in found:
            return Decimal(str(found[action]))
    return Decimal(0)


def _meta_row(item: dict[str, Any], currency: str) -> ReadRow:
    try:
        day = datetime.date.fromisoformat(item["date_start"])
        return ReadRow(
            key=ObjectKey(
                campaign=str(item.get("campaign_name") or item["campaign_id"])[:300],
                campaign_id=str(item.get("campaign_id", ""))[:100],
                ad_set=str(item.get("adset_name") or item.get("adset_id") or "")[:300],
                ad_set_id=str(item.get("adset_id", ""))[:100],
                ad=str(item.get("ad_name") or item.get("ad_id") or "")[:300],
                ad_id=str(item.get("ad_id", ""))[:100],
            ),
            day=day,
            currency=str(item.get("account_currency") or currency),
            spend=Decimal(str(item.get("spend", "0"))).quantize(Decimal("0.01")),
            impressions=int(item.get("impressions", 0)),
            reach=int(item.get("reach", 0)),
            clicks=int(item.get("clicks", 0)),
            conversions=int(_action(item.get("actions"))),
            revenue=_action(item.get("action_values")).quantize(Decimal("0.01")),
        )
    except (KeyError, ValueError, TypeError, InvalidOperation) as error:
        raise ReaderError(_("Meta answered a row that cannot be read (%(error)s).") % {"error": error}) from None


def _get(client: httpx.Client, url: str, params: dict[str, str] | None) -> dict[str, Any]:
    try:
        response = client.get(url, params=params)
    except httpx.HTTPError as error:
        raise ReaderError(_("Meta could not be reached: %(error)s") % {"error": error}) from None
    try:
        body = response.json()
    except ValueError:
        raise ReaderError(_("Meta answered %(status)s without JSON.") % {"status": response.status_code}) from None
    if response.status_code != 200 or "error" in body:
        problem = body.get("error") if isinstance(body, dict) else None
        message = problem.get("message") if isinstance(problem, dict) else ""
        raise ReaderError(
            _("Meta refused the request (%(status)s): %(message)s")
            % {"status": response.status_code, "message": str(message)[:300]}
        )
    if not isinstance(body, dict):
        raise ReaderError(_("Meta answered %(status)s without JSON.") % {"status": response.status_code})
    return body


def read_meta(
    *,
    account_id: str,
    token: str,
    since: datetime.date,
    until: datetime.date,
    currency: str,
    base_url: str = META_BASE_URL,
) -> Iterator[ReadRow]:
    """Every ad's day from ``since`` to ``until`` in the ad account ``account_id`` (with or without ``act_``)."""
    account = account_id.strip().removeprefix("act_")
    if not account.isdigit():
        raise ReaderError(_("A Meta ad account id is a number such as act_1234567890."))
    params: dict[str, str] | None = {
        "level": "ad",
        "time_increment": "1",
        "fields": META_FIELDS,
        "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
        "limit": "500",
    }
    url = f"{base_url.rstrip('/')}/act_{account}/insights"
    with httpx.Client(timeout=TIMEOUT, headers={"Authorization": f"Bearer {token}"}) as client:
        for _page in range(MAX_PAGES):
            body = _get(client, url, params)
            for item in body.get("data") or []:
                yield _meta_row(item, currency)
            following = (body.get("paging") or {}).get("next")
            if not following:
                return
            url, params = str(following), None
    raise ReaderError(_("Meta answered more than %(pages)s pages.") % {"pages": MAX_PAGES})


# --- VK Ads (ads.vk.com, API v2) --------------------------------------------------------------------

VK_BASE_URL = "https://ads.vk.com/api/v2"
VK_MAX_DAYS = 92  # the statistics endpoint answers at most 92 days at a time
VK_MAX_IDS = 50  # and at most 50 objects


def _vk_get(client: httpx.Client, url: str, params: dict[str, str]) -> dict[str, Any]:
    try:
        response = client.get(url, params=params)
    except httpx.HTTPError as error:
        raise ReaderError(_("VK Ads could not be reached: %(error)s") % {"error": error}) from None
    try:
        body = response.json()
    except ValueError:
        raise ReaderError(_("VK Ads answered %(status)s without JSON.") % {"status": response.status_code}) from None
    if response.status_code != 200 or not isinstance(body, dict) or "error" in body:
        problem = body.get("error") if isinstance(body, dict) else None
        message = problem.get("message", "") if isinstance(problem, dict) else str(problem or "")
        raise ReaderError(
            _("VK Ads refused the request (%(status)s): %(message)s")
            % {"status": response.status_code, "message": str(message)[:300]}
        )
    return body


VK_LEVELS = ("campaign", "adset", "ad")  # ad_plans, ad_groups, banners


def _vk_list(client: httpx.Client, url: str, fields: str) -> dict[int, dict[str, Any]]:
    """Every object of a VK Ads list endpoint (paged by offset), by id."""
    found: dict[int, dict[str, Any]] = {}
    offset = 0
    for _page in range(MAX_PAGES):
        body = _vk_get(client, url, {"fields": fields, "limit": "250", "offset": str(offset)})
        items = body.get("items") or []
        for item in items:
            found[int(item["id"])] = item
        offset += len(items)
        if not items or offset >= int(body.get("count", 0)):
            break
    return found


def _vk_name(item: dict[str, Any] | None, pk: object) -> str:
    return str((item or {}).get("name") or pk)[:300]


def read_vk(
    *,
    token: str,
    since: datetime.date,
    until: datetime.date,
    currency: str,
    base_url: str = VK_BASE_URL,
    level: str = "campaign",
) -> Iterator[ReadRow]:
    """Every campaign's (``ad_plan``), ad group's (``level="adset"``) or banner's (``level="ad"``) day from
    ``since`` to ``until``: shows, clicks, spend, goals and reach (VK reports no revenue). Names come
    from ``ad_plans.json``, ``ad_groups.json`` and ``banners.json`` (paged by offset); an ad group
    names its campaign (``ad_plan_id``), a banner its ad group (``ad_group_id``)."""
    if level not in VK_LEVELS:
        raise ValueError(f"unknown VK level {level!r}")
    root = base_url.rstrip("/")
    with httpx.Client(timeout=TIMEOUT, headers={"Authorization": f"Bearer {token}"}) as client:
        plans = _vk_list(client, f"{root}/ad_plans.json", "id,name")
        groups = _vk_list(client, f"{root}/ad_groups.json", "id,name,ad_plan_id") if level != "campaign" else {}
        banners = _vk_list(client, f"{root}/banners.json", "id,name,ad_group_id") if level == "ad" else {}

        def key_of(pk: int) -> ObjectKey:
            if level == "campaign":
                return ObjectKey(_vk_name(plans.get(pk), pk), str(pk), "", "", "", "")
            banner = banners.get(pk) if level == "ad" else None
            group_id = int(banner["ad_group_id"]) if banner is not None else pk
            group = groups.get(group_id) or {}
            plan_id = int(group.get("ad_plan_id") or 0)
            key = ObjectKey(
                _vk_name(plans.get(plan_id), plan_id), str(plan_id), _vk_name(group, group_id), str(group_id), "", ""
            )
            if level == "ad":
                return dataclasses.replace(key, ad=_vk_name(banner, pk), ad_id=str(pk))
            return key

        objects = {"campaign": plans, "adset": groups, "ad": banners}[level]
        path = {"campaign": "ad_plans", "adset": "ad_groups", "ad": "banners"}[level]
        ids = sorted(objects)
        start = since
        while start <= until and ids:
            end = min(until, start + datetime.timedelta(days=VK_MAX_DAYS - 1))
            for chunk in range(0, len(ids), VK_MAX_IDS):
                body = _vk_get(
                    client,
                    f"{root}/statistics/{path}/day.json",
                    {
                        "id": ",".join(str(pk) for pk in ids[chunk : chunk + VK_MAX_IDS]),
                        "date_from": start.isoformat(),
                        "date_to": end.isoformat(),
                        "metrics": "base,uniques",
                    },
                )
                for item in body.get("items") or []:
                    yield from _vk_rows(item, key_of, currency)
            start = end + datetime.timedelta(days=1)


def _vk_rows(item: dict[str, Any], key_of: Callable[[int], ObjectKey], currency: str) -> Iterator[ReadRow]:
    try:
        key = key_of(int(item["id"]))
        for row in item.get("rows") or []:
            base = row.get("base") or {}
            uniques = row.get("uniques") or {}
            yield ReadRow(
                key=key,
                day=datetime.date.fromisoformat(row["date"]),
                currency=currency,
                spend=Decimal(str(base.get("spent", "0"))).quantize(Decimal("0.01")),
                impressions=int(base.get("shows", 0)),
                reach=int(uniques.get("reach", 0)),
                clicks=int(base.get("clicks", 0)),
                conversions=int(Decimal(str(base.get("goals", 0)))),
                revenue=Decimal("0.00"),
            )
    except (KeyError, ValueError, TypeError, InvalidOperation) as error:
        raise ReaderError(_("VK Ads answered a row that cannot be read (%(error)s).") % {"error": error}) from None
