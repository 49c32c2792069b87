"""Background work through huey: SQLite storage embedded, Redis in production."""

from config.env import parse_redis_url
from config.settings.environment import DATA_DIR, env


def _redis_url() -> str:
    value = env.string("PAPPUS_REDIS_URL", "")
    if not value:
        return ""
    try:
        return parse_redis_url(value)
    except ValueError as problem:
        env.problems.append(f"PAPPUS_REDIS_URL is invalid ({problem}): expected redis://host:6379/0")
        return ""


REDIS_URL = _redis_url()

# Tasks run inside the calling process only when asked for (tests); never tied to DEBUG.
TASKS_IMMEDIATE = env.boolean("PAPPUS_TASKS_IMMEDIATE", default=False)

if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": env.string("PAPPUS_QUEUE_NAME", "pappus"),
        "immediate": TASKS_IMMEDIATE,
        "url": REDIS_URL,
        "connection": {"socket_connect_timeout": 5, "health_check_interval": 30},
        "consumer": {
            "workers": env.integer("PAPPUS_WORKER_THREADS", 4, minimum=1, maximum=64),
            "worker_type": "thread",
        },
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": env.string("PAPPUS_QUEUE_NAME", "pappus"),
        "immediate": TASKS_IMMEDIATE,
        "filename": str(DATA_DIR / "queue.sqlite3"),
        "consumer": {
            "workers": env.integer("PAPPUS_WORKER_THREADS", 2, minimum=1, maximum=64),
            "worker_type": "thread",
        },
    }
