"""Secrets, hosts, cookies and headers."""

import secrets

from config.settings.database import EMBEDDED
from config.settings.environment import DATA_DIR, env

ALLOWED_HOSTS = env.string_list("PAPPUS_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.string_list("PAPPUS_CSRF_TRUSTED_ORIGINS", [])


def _secret_key() -> str:
    """The key from the environment; the embedded shape keeps a generated one under var/."""
    value = env.raw("PAPPUS_SECRET_KEY")
    if value:
        if len(value) < 32:
            env.problems.append("PAPPUS_SECRET_KEY is too short: expected at least 32 characters")
        return value
    if not EMBEDDED:
        env.problems.append(
            "PAPPUS_SECRET_KEY is missing: expected a random string of at least 32 characters "
            "(required with PostgreSQL; generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)"
        )
        return "missing"
    key_file = DATA_DIR / "secret-key"
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.boolean("PAPPUS_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = env.integer("PAPPUS_MAX_REQUEST_BYTES", 10 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
