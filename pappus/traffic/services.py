"""Every write of the traffic app: sites and their keys, web-analytics imports. (Pixel hits are
written by ``pixel.record_hit``, which has no member behind it.)"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership
from pappus.core.permissions import Action, require
from pappus.traffic import imports
from pappus.traffic.models import ImportedTraffic, ImportStatus, Site, TrafficImport

MANAGE = Action.REPORTS_MANAGE  # analysts and strategists set up what analytics reads


def _new_key() -> str:
    return f"ps_{secrets.token_urlsafe(18)}"


def _hosts(text: str) -> list[str]:
    hosts = []
    for part in text.replace(",", " ").split():
        host = part.strip().lower().removeprefix("https://").removeprefix("http://").split("/", 1)[0]
        if not host or len(host) > 253 or " " in host or ("." not in host and host != "localhost"):
            raise ValidationError({"hosts": _("“%(host)s” is not a host name.") % {"host": part[:100]}})
        hosts.append(host)
    return hosts


@transaction.atomic
def site_create(*, actor: Actor, membership: Membership, name: str, hosts: str = "") -> Site:
    require(membership, MANAGE)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the site a name.")})
    site = Site.objects.create(
        workspace_id=membership.workspace_id, name=name[:200], key=_new_key(), hosts=_hosts(hosts)
    )
    audit.record(
        actor,
        "traffic.site.create",
        workspace=membership.workspace,
        target=site,
        after={"name": site.name, "hosts": site.hosts},
    )
    return site


@transaction.atomic
def site_update(*, actor: Actor, membership: Membership, site_id: int, name: str, hosts: str = "") -> Site:
    """Rename a site or change its allowed hosts (its key stays)."""
    require(membership, MANAGE)
    site = Site.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=site_id)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the site a name.")})
    before = {"name": site.name, "hosts": site.hosts}
    site.name, site.hosts = name[:200], _hosts(hosts)
    site.save(update_fields=["name", "hosts"])
    audit.record(
        actor,
        "traffic.site.update",
        workspace=membership.workspace,
        target=site,
        before=before,
        after={"name": site.name, "hosts": site.hosts},
    )
    return site


@transaction.atomic
def site_rotate_key(*, actor: Actor, membership: Membership, site_id: int) -> Site:
    """A new key for the site: pages with the old snippet stop being counted."""
    require(membership, MANAGE)
    site = Site.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=site_id)
    site.key = _new_key()
    site.save(update_fields=["key"])
    audit.record(actor, "traffic.site.rotate_key", workspace=membership.workspace, target=site)
    return site


@transaction.atomic
def import_upload(*, actor: Actor, membership: Membership, name: str, data: bytes) -> TrafficImport:
    """Keep an uploaded CSV until its columns are chosen; ValidationError on ``file`` when it cannot be read."""
    require(membership, MANAGE)
    name = name.rsplit("/", 1)[-1][:200] or "upload.csv"
    try:
        text = imports.decode(name, data)
        imports.columns(text)
    except imports.ImportFileError as error:
        raise ValidationError({"file": str(error)}) from error
    return TrafficImport.objects.create(
        workspace_id=membership.workspace_id, file_name=name, content=text, created_by=actor.user
    )


@transaction.atomic
def import_commit(*, actor: Actor, membership: Membership, import_id: int, mapping: Mapping[str, Any]) -> TrafficImport:
    """Import the rows with the chosen columns: each (day, landing page) stored once, replacing an
    earlier import's figures; rows that cannot be read are listed with their number."""
    require(membership, MANAGE)
    upload = TrafficImport.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=import_id)
    if upload.status != ImportStatus.PREVIEW:
        raise ValidationError({"status": _("This file has been imported already.")})
    try:
        cleaned = imports.check_mapping(
            {key: str(value) for key, value in mapping.items()}, imports.columns(upload.content)
        )
    except ValueError as error:
        raise ValidationError({"mapping": list(error.args[0])}) from error
    parsed = imports.parse(upload.content, cleaned)
    existing = {
        (row.day, row.landing_url): row
        for row in ImportedTraffic.objects.for_workspace(membership.workspace_id).filter(
            day__in={day for day, _page in parsed.totals}
        )
    }
    new_rows, changed = [], []
    for (day, page), (sessions, bounces, conversions) in parsed.totals.items():
        row = existing.get((day, page))
        if row is None:
            new_rows.append(
                ImportedTraffic(
                    workspace_id=membership.workspace_id,
                    day=day,
                    landing_url=page,
                    sessions=sessions,
                    bounces=bounces,
                    conversions=conversions,
                    source_import=upload,
                )
            )
        else:
            row.sessions, row.bounces, row.conversions, row.source_import = sessions, bounces, conversions, upload
            changed.append(row)
    ImportedTraffic.objects.bulk_create(new_rows, batch_size=1000)
    ImportedTraffic.objects.bulk_update(
        changed, ["sessions", "bounces", "conversions", "source_import"], batch_size=1000
    )
    upload.mapping = cleaned
    upload.status = ImportStatus.IMPORTED
    upload.rows_read = parsed.read
    upload.rows_stored = len(parsed.totals)
    upload.errors = parsed.errors[:1000]
    upload.imported_at = timezone.now()
    upload.content = ""  # the figures are stored; the file is not needed any more
    upload.save()
    audit.record(
        actor,
        "traffic.import",
        workspace=membership.workspace,
        target=upload,
        after={
            "file": upload.file_name,
            "rows_read": parsed.read,
            "new": len(new_rows),
            "replaced": len(changed),
            "rejected": len(parsed.errors),
        },
    )
    return upload
