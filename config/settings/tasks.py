"""Background work through huey: SQLite storage embedded, Redis in production."""

from typing import Any

import redis

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

HUEY: dict[str, Any]
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": env.string("PAPPUS_QUEUE_NAME", "pappus"),
        "immediate": TASKS_IMMEDIATE,
        # huey takes one of url/connection/pool; a pool from the URL keeps the timeouts: an
        # unreachable Redis fails in seconds instead of hanging a command.
        "connection_pool": redis.ConnectionPool.from_url(
            REDIS_URL, socket_connect_timeout=5, socket_timeout=15, health_check_interval=30
        ),
        "consumer": {
            "workers": env.integer("PAPPUS_WORKER_THREADS", 4, minimum=1, maximum=64),
            "worker_type": "thread",
        },
    }
else:
    # huey opens its SQLite file when djhuey is imported (at django.setup()), so the folder must exist.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
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

# A worker or scheduler writes a heartbeat this often; `pappus check` calls it dead after HEARTBEAT_STALE_SECONDS.
HEARTBEAT_SECONDS = 10
HEARTBEAT_STALE_SECONDS = 60
