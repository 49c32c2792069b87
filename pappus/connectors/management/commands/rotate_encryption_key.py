"""`pappus manage rotate_encryption_key`: re-encrypt every stored credential under the newest key.

With PAPPUS_ENCRYPTION_KEY: put the new key first and keep the old ones after it
(``NEW,OLD``), restart, run this command, then remove the old keys and restart again.
In the embedded shape (key file under var/), ``--new-key`` adds a generated key to the file first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pappus.connectors import crypto, services
from pappus.core.audit import Actor


class Command(BaseCommand):
    help = "Re-encrypt every connected account's credentials under the first configured encryption key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--new-key",
            action="store_true",
            help="Embedded shape only: generate a key, put it first in the key file, then re-encrypt.",
        )
        parser.add_argument(
            "--retire-old-keys",
            action="store_true",
            help="Embedded shape only: after re-encrypting, keep only the newest key in the key file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        key_file = Path(settings.ENCRYPTION_KEY_FILE) if settings.ENCRYPTION_KEY_FILE else None
        if (options["new_key"] or options["retire_old_keys"]) and key_file is None:
            raise CommandError(
                "the keys come from PAPPUS_ENCRYPTION_KEY: put a new key first (NEW,OLD), restart, and run this "
                "command without --new-key; then remove the old key from the variable"
            )
        if options["new_key"] and key_file is not None:
            settings.ENCRYPTION_KEYS = [crypto.generate_key(), *settings.ENCRYPTION_KEYS]
            self._write_keys(key_file, settings.ENCRYPTION_KEYS)
            self.stdout.write(f"A new key is first in {key_file}; restart running Pappus processes to use it.")
        try:
            rotated = services.credentials_rotate(actor=Actor.system("cli"))
        except crypto.CredentialsUnreadableError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Re-encrypted the credentials of {rotated} accounts under the first key.")
        if options["retire_old_keys"] and key_file is not None and len(settings.ENCRYPTION_KEYS) > 1:
            settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS[:1]
            self._write_keys(key_file, settings.ENCRYPTION_KEYS)
            self.stdout.write(f"Old keys removed from {key_file}.")

    def _write_keys(self, key_file: Path, keys: list[str]) -> None:
        staging = key_file.with_suffix(".new")
        staging.write_text("".join(f"{key}\n" for key in keys))
        staging.chmod(0o600)
        staging.replace(key_file)
