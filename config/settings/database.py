"""The database: embedded SQLite by default, PostgreSQL in production."""

from config.env import parse_database_url
from config.settings.environment import BASE_DIR, DATA_DIR, env

DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'pappus.sqlite3'}"
DATABASE_URL = env.string("PAPPUS_DATABASE_URL", DEFAULT_DATABASE_URL)


def _database_settings() -> dict[str, object]:
    try:
        return parse_database_url(DATABASE_URL, base_directory=BASE_DIR)
    except ValueError as problem:
        env.problems.append(
            f"PAPPUS_DATABASE_URL is invalid ({problem}): expected sqlite:///path/to/file.sqlite3 "
            "or postgres://user:password@host:5432/name"
        )
        return parse_database_url(DEFAULT_DATABASE_URL, base_directory=BASE_DIR)


_database = _database_settings()

DATABASES = {"default": _database}
EMBEDDED = _database["ENGINE"] == "django.db.backends.sqlite3"
