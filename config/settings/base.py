"""Applications, middleware, templates and static files."""

from urllib.parse import urlsplit

from config.settings.environment import BASE_DIR, DATA_DIR, env

DEBUG = env.boolean("PAPPUS_DEBUG", default=False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "huey.contrib.djhuey",
    "pappus.core",
    "pappus.listening",
    "pappus.strategy",
    "pappus.connectors",
    "pappus.publishing",
    "pappus.nlp",
    "pappus.inbox",
    "pappus.crisis",
    "pappus.analytics",
    "pappus.traffic",
    "pappus.community",
    "pappus.ads",
    "pappus.adoption",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pappus.core.middleware.UserPreferencesMiddleware",
    "pappus.core.middleware.CurrentWorkspaceMiddleware",
    "pappus.adoption.middleware.UsageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "pappus" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pappus.core.context_processors.shell",
                "pappus.publishing.context_processors.failed_posts",
            ],
        },
    },
]

AUTH_USER_MODEL = "core.User"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "pappus" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": DATA_DIR / "media"}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The public address of this installation, used in e-mails (password reset, reports).
BASE_URL = env.string("PAPPUS_BASE_URL", "http://127.0.0.1:8000").rstrip("/")


def _public_url(value: str) -> str:
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if value and (parts.scheme not in {"http", "https"} or not parts.netloc):
        raise ValueError("not an http(s) address")
    return value


# The address at which networks that fetch files themselves (Instagram) reach this installation's
# signed, expiring file links (/f/...). Empty: such networks get no files, and posts with files to
# them are refused before sending.
PUBLIC_URL = str(env.parsed("PAPPUS_PUBLIC_URL", "", _public_url, "an address such as https://pappus.example.org"))

# Pagination of API lists and web tables.
PAGE_SIZE = env.integer("PAPPUS_PAGE_SIZE", 50, minimum=1, maximum=500)
