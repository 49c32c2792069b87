"""What other apps may ask of strategy (publishing, ads and listening link posts, ads and topics
to campaigns by id). Plain frozen dataclasses; no model instances leave the app."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from pappus.strategy.models import Campaign, CampaignStatus, Competitor, RaciAssignment


@dataclass(frozen=True)
class CampaignInfo:
    """A campaign as other apps see it; amounts are in the workspace's currency."""

    id: int
    name: str
    program_id: int
    program_name: str
    starts_on: datetime.date
    ends_on: datetime.date
    status: str
    networks: tuple[str, ...]
    budget_planned: Decimal
    budget_committed: Decimal
    budget_spent: Decimal
    listening_topic_ids: tuple[int, ...] = ()  # listening topics that follow the campaign

    @property
    def is_open(self) -> bool:
        """Whether posts and ads may still be attached (planned or running)."""
        return self.status in {CampaignStatus.PLANNED, CampaignStatus.RUNNING}


def _info(campaign: Campaign) -> CampaignInfo:
    return CampaignInfo(
        id=campaign.pk,
        name=campaign.name,
        program_id=campaign.program_id,
        program_name=campaign.program.name,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        status=campaign.status,
        networks=tuple(str(network) for network in campaign.networks),
        budget_planned=campaign.budget_planned,
        budget_committed=campaign.budget_committed,
        budget_spent=campaign.budget_spent,
        listening_topic_ids=tuple(int(topic_id) for topic_id in campaign.listening_topic_ids),
    )


def list_campaigns(
    workspace_id: int, *, open_only: bool = False, active_on: datetime.date | None = None
) -> list[CampaignInfo]:
    """The workspace's campaigns by start date; ``open_only`` keeps planned and running ones,
    ``active_on`` those whose dates include that day."""
    rows = Campaign.objects.for_workspace(workspace_id).select_related("program").order_by("starts_on", "name")
    if open_only:
        rows = rows.filter(status__in=[CampaignStatus.PLANNED, CampaignStatus.RUNNING])
    if active_on is not None:
        rows = rows.filter(starts_on__lte=active_on, ends_on__gte=active_on)
    return [_info(campaign) for campaign in rows]


def get_campaign(workspace_id: int, campaign_id: int) -> CampaignInfo | None:
    """One campaign of the workspace, or None (also for another workspace's id)."""
    campaign = Campaign.objects.for_workspace(workspace_id).select_related("program").filter(pk=campaign_id).first()
    return _info(campaign) if campaign is not None else None


# --- for adoption: competitors named in outcome reasons, and the RACI behind the playbooks ---------


@dataclass(frozen=True)
class CompetitorName:
    id: int
    name: str


def competitor_names(workspace_id: int) -> tuple[CompetitorName, ...]:
    """The workspace's competitors by name (adoption reports outcome reasons by competitor)."""
    rows = Competitor.objects.for_workspace(workspace_id).order_by("name").values_list("pk", "name")
    return tuple(CompetitorName(id=pk, name=name) for pk, name in rows)


@dataclass(frozen=True)
class RaciTask:
    """One RACI task: who is accountable and responsible (user ids), and what it belongs to."""

    id: int
    task: str
    scope: str  # the program's or campaign's name; blank for a workspace-wide task
    accountable_id: int | None
    responsible_ids: tuple[int, ...]


def raci_tasks(workspace_id: int) -> tuple[RaciTask, ...]:
    """The workspace's RACI tasks by name (adoption seeds each workspace's playbook of duties from them)."""
    responsible: dict[int, list[int]] = {}
    for assignment_id, user_id in RaciAssignment.responsible.through.objects.filter(
        raciassignment__workspace_id=workspace_id
    ).values_list("raciassignment_id", "user_id"):
        responsible.setdefault(assignment_id, []).append(user_id)
    rows = (
        RaciAssignment.objects.for_workspace(workspace_id)
        .order_by("task", "pk")
        .values_list("pk", "task", "program__name", "campaign__name", "accountable_id")
    )
    return tuple(
        RaciTask(
            id=pk,
            task=task,
            scope=campaign_name or program_name or "",
            accountable_id=accountable_id,
            responsible_ids=tuple(sorted(responsible.get(pk, ()))),
        )
        for pk, task, program_name, campaign_name, accountable_id in rows
    )
