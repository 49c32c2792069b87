"""Outgoing e-mail: SMTP when configured, else files under var/mail for the embedded shape."""

from config.settings.environment import DATA_DIR, env

DEFAULT_FROM_EMAIL = env.string("PAPPUS_EMAIL_FROM", "Pappus <pappus@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMTP_HOST = env.string("PAPPUS_SMTP_HOST", "")

if SMTP_HOST:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": SMTP_HOST,
                "port": env.integer("PAPPUS_SMTP_PORT", 587, minimum=1, maximum=65535),
                "username": env.string("PAPPUS_SMTP_USER", ""),
                "password": env.string("PAPPUS_SMTP_PASSWORD", ""),
                "use_tls": env.boolean("PAPPUS_SMTP_STARTTLS", default=False),
                "use_ssl": env.boolean("PAPPUS_SMTP_SSL", default=False),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(DATA_DIR / "mail")},
        }
    }
