"""Shared test helpers of the ads app."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.test import Client

from pappus.ads import services
from pappus.ads.models import AdAccount, AdCampaign
from pappus.core.audit import Actor
from pappus.core.models import Membership

DAY = datetime.date(2026, 3, 10)


def actor(membership: Membership) -> Actor:
    return Actor(user=membership.user, via="web")


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def account(membership: Membership, name: str = "Meta Ads", currency: str = "EUR", network: str = "meta") -> AdAccount:
    return services.account_create(
        actor=actor(membership), membership=membership, network=network, name=name, currency=currency
    )


def campaign(membership: Membership, ad_account: AdAccount, name: str = "Spring", **values: Any) -> AdCampaign:
    return services.campaign_create(
        actor=actor(membership), membership=membership, account_id=ad_account.pk, name=name, **values
    )


def day(membership: Membership, ad_campaign: AdCampaign, on: datetime.date = DAY, **values: Any) -> None:
    values.setdefault("spend", Decimal("100.00"))
    services.daily_enter(actor=actor(membership), membership=membership, campaign_id=ad_campaign.pk, day=on, **values)
