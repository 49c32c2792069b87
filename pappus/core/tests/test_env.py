"""Configuration from the environment: wrong or missing values name the variable."""

from pathlib import Path

import pytest

from config.env import ConfigurationError, Environment, parse_database_url


def test_every_problem_is_reported_with_its_variable_name():
    env = Environment({"PAPPUS_DEBUG": "maybe", "PAPPUS_PAGE_SIZE": "ten", "PAPPUS_TIME_ZONE": "Mars/Base"})
    env.boolean("PAPPUS_DEBUG", default=False)
    env.integer("PAPPUS_PAGE_SIZE", 50)
    env.time_zone("PAPPUS_TIME_ZONE", "UTC")
    with pytest.raises(ConfigurationError) as raised:
        env.check()
    message = str(raised.value)
    assert "PAPPUS_DEBUG='maybe' is not a boolean" in message
    assert "PAPPUS_PAGE_SIZE='ten' is not an integer" in message
    assert "PAPPUS_TIME_ZONE='Mars/Base' is not a time zone" in message


def test_integer_range_is_checked():
    env = Environment({"PAPPUS_PAGE_SIZE": "0"})
    assert env.integer("PAPPUS_PAGE_SIZE", 50, minimum=1, maximum=500) == 50
    assert env.problems == ["PAPPUS_PAGE_SIZE=0 is out of range: expected between 1 and 500"]


def test_sqlite_urls_relative_and_absolute():
    base = Path("/srv/pappus")
    assert parse_database_url("sqlite:///var/db.sqlite3", base_directory=base)["NAME"] == "/srv/pappus/var/db.sqlite3"
    assert parse_database_url("sqlite:////data/db.sqlite3", base_directory=base)["NAME"] == "/data/db.sqlite3"


def test_postgres_url():
    settings = parse_database_url("postgres://app:s%40cret@db.internal:6543/pappus", base_directory=Path("/"))
    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert (settings["USER"], settings["PASSWORD"], settings["HOST"], settings["PORT"], settings["NAME"]) == (
        "app",
        "s@cret",
        "db.internal",
        "6543",
        "pappus",
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mysql://x/y", "unknown scheme 'mysql'"),
        ("postgres://host:5432/", "no database name"),
        ("sqlite:///", "no file path"),
    ],
)
def test_bad_database_urls(url, reason):
    with pytest.raises(ValueError, match=reason):
        parse_database_url(url, base_directory=Path("/"))
