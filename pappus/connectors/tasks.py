"""Background jobs of connectors: thin, ids in, services do the work.

``connectors.check_all_accounts`` runs on the schedule in ``config/schedule.py``.
"""

from __future__ import annotations

from pappus.connectors import selectors, services
from pappus.core.jobs import enqueue_on_commit, job


@job(name="connectors.check_account", queue="default", retries=2, retry_delay=60, time_limit=60)
def check_account(account_id: int) -> None:
    """Check one account's token with its network; network failures are recorded on the account."""
    services.account_check_health(account_id)


@job(name="connectors.check_all_accounts", queue="maintenance", time_limit=60)
def check_all_accounts() -> None:
    """Enqueue one token check per connected account, so a slow network delays only its own."""
    for account_id in selectors.account_ids_to_check():
        enqueue_on_commit(check_account, account_id)
