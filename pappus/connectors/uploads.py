"""Resumable upload sessions kept between sending attempts (``models.UploadSession``).

A connector built for an account (``services.connector_for``) gets an :class:`AccountUploadSessions`
as its ``upload_sessions``: a network with resumable uploads (YouTube) keeps the session's address
there as soon as the network gives it, and a later attempt for the same post and file asks that
session how far it got instead of sending the whole file again.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from pappus.connectors import crypto
from pappus.connectors.models import ConnectedAccount, UploadSession

# YouTube keeps an upload session for a week; a day less leaves room for the upload itself.
SESSION_LIFETIME = datetime.timedelta(days=6)


class AccountUploadSessions:
    """One account's kept upload sessions (the connector's ``upload_sessions``)."""

    def __init__(self, account: ConnectedAccount) -> None:
        self.account = account

    def find(self, key: str) -> str | None:
        """The address of a session kept under ``key``, unless it is too old or no key opens it."""
        rows = UploadSession.objects.for_workspace(self.account.workspace_id).filter(account=self.account)
        rows.filter(created_at__lt=timezone.now() - SESSION_LIFETIME).delete()
        found = rows.filter(key=key).first()
        if found is None:
            return None
        try:
            return crypto.decrypt(found.address)["address"]
        except (crypto.CredentialsUnreadableError, KeyError):
            found.delete()  # sealed with a key since removed: start a new session
            return None

    def keep(self, key: str, address: str) -> None:
        UploadSession.objects.update_or_create(
            account=self.account,
            key=key,
            defaults={
                "workspace_id": self.account.workspace_id,
                "address": crypto.encrypt({"address": address}),
                "created_at": timezone.now(),
            },
        )

    def forget(self, key: str) -> None:
        UploadSession.objects.for_workspace(self.account.workspace_id).filter(account=self.account, key=key).delete()
