"""The one parsed environment every settings module reads from."""

import os
from pathlib import Path

from config.env import Environment

BASE_DIR = Path(__file__).resolve().parent.parent.parent

TEST_SETTINGS_MODULE = "config.settings.test"
if os.environ.get("DJANGO_SETTINGS_MODULE") == TEST_SETTINGS_MODULE:
    # The suite may run on PostgreSQL, where a secret key is required; tests use a fixed one. This
    # must happen here: importing config.settings.test runs this package's checks first.
    os.environ.setdefault("PAPPUS_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

env = Environment()

DATA_DIR = Path(env.string("PAPPUS_DATA_DIR", str(BASE_DIR / "var")))
if not DATA_DIR.is_absolute():
    DATA_DIR = BASE_DIR / DATA_DIR
