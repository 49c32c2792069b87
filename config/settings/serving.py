"""How the `pappus` command serves: address of the embedded and gunicorn servers, the demo login."""

from config.settings.environment import env

# `pappus serve` (waitress, embedded) and `pappus web` (gunicorn) listen here.
SERVER_HOST = env.string("PAPPUS_HOST", "127.0.0.1")
SERVER_PORT = env.integer("PAPPUS_PORT", 8000, minimum=1, maximum=65535)
# gunicorn processes and threads per process for `pappus web`.
WEB_WORKERS = env.integer("PAPPUS_WEB_WORKERS", 2, minimum=1, maximum=64)
WEB_THREADS = env.integer("PAPPUS_WEB_THREADS", 4, minimum=1, maximum=64)
# The password of every demo user that `pappus demo` creates (a demo, never production data).
DEMO_PASSWORD = env.string("PAPPUS_DEMO_PASSWORD", "pappus-demo")
