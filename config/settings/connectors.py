"""Connected network accounts: the key that encrypts their credentials, and outbound timeouts."""

import os

from cryptography.fernet import Fernet

from config.settings.database import EMBEDDED
from config.settings.environment import DATA_DIR, TEST_SETTINGS_MODULE, env

# A fixed key for the test suite only, so that its PostgreSQL pass needs no configuration.
_TEST_ENCRYPTION_KEY = "dGVzdC1vbmx5LWVuY3J5cHRpb24ta2V5LTAxMjM0NTY="


def _valid(key: str) -> bool:
    try:
        Fernet(key)
    except ValueError:
        return False
    return True


def _encryption_keys() -> tuple[list[str], str]:
    """The Fernet keys (the first encrypts, all decrypt) and the key file they came from ("" = environment).

    ``PAPPUS_ENCRYPTION_KEY`` holds one key, or several separated by commas while rotating; the
    embedded shape keeps a generated key under var/ when the variable is not set.
    """
    value = env.raw("PAPPUS_ENCRYPTION_KEY")
    if value:
        keys = [key.strip() for key in value.split(",") if key.strip()]
        invalid = [str(position) for position, key in enumerate(keys, start=1) if not _valid(key)]
        if invalid:
            env.problems.append(
                f"PAPPUS_ENCRYPTION_KEY is invalid (key {', '.join(invalid)}): expected Fernet keys, 32 url-safe "
                "base64-encoded bytes each, separated by commas (generate one with `python -c 'from "
                "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
            )
            return [_TEST_ENCRYPTION_KEY], ""
        return keys, ""
    if os.environ.get("DJANGO_SETTINGS_MODULE") == TEST_SETTINGS_MODULE:
        return [_TEST_ENCRYPTION_KEY], ""
    if not EMBEDDED:
        env.problems.append(
            "PAPPUS_ENCRYPTION_KEY is missing: expected a Fernet key (required with PostgreSQL; the same on "
            "every machine; generate one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`)"
        )
        return [_TEST_ENCRYPTION_KEY], ""
    key_file = DATA_DIR / "encryption-key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(Fernet.generate_key().decode() + "\n")
        key_file.chmod(0o600)
    keys = [line.strip() for line in key_file.read_text().splitlines() if line.strip()]
    if not keys or not all(_valid(key) for key in keys):
        env.problems.append(f"the encryption key file {key_file} is damaged: expected one Fernet key per line")
        return [_TEST_ENCRYPTION_KEY], str(key_file)
    return keys, str(key_file)


ENCRYPTION_KEYS, ENCRYPTION_KEY_FILE = _encryption_keys()

# Seconds each outbound call to a network may take (connect: at most 5).
CONNECTOR_TIMEOUT_SECONDS = env.integer("PAPPUS_CONNECTOR_TIMEOUT", 20, minimum=1, maximum=300)
# Warn on the health page when a token expires within this many days.
CONNECTOR_EXPIRY_WARNING_DAYS = 7
