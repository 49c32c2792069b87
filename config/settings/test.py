"""Settings for the test suite: the same as production but for speed-ups and plain static files.

The fixed test secret key is set in ``config/settings/environment.py``, which runs first.
"""

from config.settings import *
from config.settings import HUEY, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Static files come from the finders (no collectstatic before tests), as with the live server.
STATIC_ROOT = None  # type: ignore[assignment]
WHITENOISE_USE_FINDERS = True
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

# Jobs run inline, in memory, unless a test starts real workers itself.
HUEY = {**HUEY, "immediate": True}
