"""Settings for the test suite: the same as production but for speed-ups and plain static files."""

import os

# The suite may run against PostgreSQL, where a secret key is required; tests use a fixed one.
os.environ.setdefault("PAPPUS_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from config.settings import *
from config.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
from config.settings import HUEY

# Jobs run inline, in memory, unless a test starts real workers itself.
HUEY = {**HUEY, "immediate": True}
