"""The traffic REST API under /api/v1/traffic: the sites whose pages embed the pixel (list, read, add,
change, replace the key). Thin handlers over the pages' services; everything needs
``reports.manage``, as the pages do, and every lookup is the token's workspace's."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from pappus.core.api import ObjectId, Pagination, Text, actor_of, error_responses, member_of
from pappus.traffic import services
from pappus.traffic.models import Site

router = Router(tags=["traffic"])


class SiteOut(Schema):
    id: int
    name: str
    key: str = Field(description="The public site key (`ps_…`) the snippet sends.")
    hosts: list[str] = Field(description="Hosts whose pages may send page views (subdomains included); empty: any.")
    snippet: str = Field("", description="The HTML to paste before `</body>` of each landing page.")
    created_at: datetime.datetime

    @staticmethod
    def resolve_snippet(site: Site, context: dict[str, Any]) -> str:
        base = context["request"].build_absolute_uri("/").rstrip("/")
        return (
            f'<script src="{base}/t/p.js" data-site="{site.key}" async></script>\n'
            f'<noscript><img src="{base}/t/hit.gif?k={site.key}" alt="" width="1" height="1"></noscript>'
        )


class SiteIn(Schema):
    """The whole site (a PUT replaces both fields; the key stays)."""

    name: Text = Field(min_length=1, max_length=200)
    hosts: list[Text] = Field(
        default_factory=list, max_length=100, description="Host names, at most 100; empty: any host."
    )


@router.get(
    "/traffic/sites",
    response={200: list[SiteOut], **error_responses()},
    summary="Sites that embed the pixel",
    description="Needs reports.manage (owner, administrator, strategist, analyst).",
)
@paginate(Pagination)
def site_list(request: HttpRequest) -> QuerySet[Site]:
    membership = member_of(request, services.MANAGE)
    return Site.objects.for_workspace(membership.workspace_id).order_by("name", "id")


@router.get("/traffic/sites/{site_id}", response={200: SiteOut, **error_responses(404)}, summary="One site")
def site_get(request: HttpRequest, site_id: ObjectId) -> Site:
    membership = member_of(request, services.MANAGE)
    return Site.objects.for_workspace(membership.workspace_id).get(pk=site_id)


@router.post(
    "/traffic/sites",
    response={201: SiteOut, **error_responses()},
    summary="Add a site",
    description="Gives it a new public key; the answer holds the snippet to paste.",
)
def site_create(request: HttpRequest, payload: SiteIn) -> Status[Site]:
    membership = member_of(request, services.MANAGE)
    site = services.site_create(
        actor=actor_of(request, membership), membership=membership, name=payload.name, hosts=" ".join(payload.hosts)
    )
    return Status(201, site)


@router.put(
    "/traffic/sites/{site_id}",
    response={200: SiteOut, **error_responses(404)},
    summary="Change a site's name and allowed hosts",
)
def site_update(request: HttpRequest, site_id: ObjectId, payload: SiteIn) -> Site:
    membership = member_of(request, services.MANAGE)
    site = services.site_update(
        actor=actor_of(request, membership),
        membership=membership,
        site_id=site_id,
        name=payload.name,
        hosts=" ".join(payload.hosts),
    )
    return site


@router.post(
    "/traffic/sites/{site_id}/key",
    response={200: SiteOut, **error_responses(404)},
    summary="Replace a site's key",
    description="Pages with the old snippet are not counted any more.",
)
def site_rotate_key(request: HttpRequest, site_id: ObjectId) -> Site:
    membership = member_of(request, services.MANAGE)
    site = services.site_rotate_key(actor=actor_of(request, membership), membership=membership, site_id=site_id)
    return site
