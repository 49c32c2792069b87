"""Fixtures shared by every app's tests: factories of core rows and the real services."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from pappus.core.tests.factories import make_member, make_user, make_workspace

REQUIRE_SERVICES = os.environ.get("PAPPUS_REQUIRE_SERVICES") == "1"

# Property tests judge results, not speed: on a loaded 2-core machine generating examples or
# running one (with a database) can be slow without anything being wrong.
settings.register_profile("pappus", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("pappus")


def service_unavailable(reason: str) -> None:
    """Skip with the reason shown, or fail in CI where the service is required."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (PAPPUS_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


PEERS = Path(os.environ.get("PAPPUS_PEERS_DIR", Path(__file__).resolve().parent.parent / "shared" / "peers"))

# Fixtures that start or use one of ../shared/peers. The peers are single servers on fixed ports with
# state the tests read back (mailboxes, sinks, timelines), so under pytest-xdist every test that uses
# one runs on the same worker (``--dist loadgroup``); the other tests spread over all workers.
PEER_FIXTURES = frozenset(
    {"mastodon_peer", "matrix_peer", "bluesky_peer", "smtp_server", "webhook_sink", "feed_server"}
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if PEER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("peers"))


def start_peer(name: str, *, timeout: int, env: dict[str, str] | None = None, attempts: int = 3) -> dict[str, str]:
    """Start (or reuse, when already running) one of ../shared/peers and return the KEY=VALUE lines it prints.

    A start is retried: on a loaded machine the peer script can look at the new process before it has
    become the server (its command line is still the script's) and report that it exited. Starting
    again reuses a server that is in fact running.
    """
    script = PEERS / f"{name}.sh"
    if not script.exists():
        service_unavailable(f"the {name} peer is missing at {script}")
    environment = {**os.environ, **(env or {})}
    failure = ""
    for attempt in range(attempts):
        try:
            started = subprocess.run(
                ["bash", str(script), "start"],
                env=environment,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            failure = f"the {name} peer did not start within {timeout} s"
            break
        if started.returncode == 0:
            return dict(line.split("=", 1) for line in shlex.split(started.stdout) if "=" in line)
        failure = f"the {name} peer did not start: {started.stderr.strip()[-500:]}"
        time.sleep(1 + attempt)
    service_unavailable(failure)
    return {}


def stop_peer(name: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        ["bash", str(PEERS / f"{name}.sh"), "stop"],
        env={**os.environ, **(env or {})},
        capture_output=True,
        timeout=60,
        check=False,
    )


def peer_running(name: str, env: dict[str, str] | None = None) -> bool:
    script = PEERS / f"{name}.sh"
    return (
        script.exists()
        and subprocess.run(
            ["bash", str(script), "status"], env={**os.environ, **(env or {})}, capture_output=True, check=False
        ).returncode
        == 0
    )


@pytest.fixture
def redis_url() -> str:
    """A real Redis (database 15 by default, one database down per pytest-xdist worker), flushed before
    the test."""
    import redis

    url = os.environ.get("PAPPUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and worker[2:].isdigit():
        base, _, number = url.rpartition("/")
        url = f"{base}/{max(int(number or 0) - int(worker[2:]), 0)}"
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        service_unavailable(f"Redis not reachable at {url}")
    client.flushdb()
    return url


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a test that activates another one (or a view that
    does) must not decide the language of whatever runs next on the same worker."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def postgres_required(settings: Any) -> None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("runs only in the PostgreSQL pass of the suite")


@pytest.fixture
def workspace(db: None) -> Any:
    return make_workspace()


@pytest.fixture
def member_factory(db: None) -> Callable[..., Any]:
    return make_member


@pytest.fixture
def user_factory(db: None) -> Callable[..., Any]:
    return make_user


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, never a downloaded browser (STACK.md)."""
    executable = os.environ.get("PAPPUS_CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(executable):
        service_unavailable(f"Chromium not installed at {executable} (Debian: apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[dict[str, str]]:
    """The real local SMTP server (../shared/peers/smtp.sh, aiosmtpd), started once for the session
    (the tests that use it share one xdist worker) and stopped at its end when this started it: a
    server stopped after each module could still hold its port when the next module started one.
    Its ``SMTP_MAIL_DIR`` holds one ``.eml`` file per message received."""
    running = peer_running("smtp")
    values = start_peer("smtp", timeout=120)
    try:
        yield values
    finally:
        if not running:
            stop_peer("smtp")


@pytest.fixture
def mail_dir(smtp_server: dict[str, str], settings: Any) -> Path:
    """Django's mail goes to the local SMTP server for this test; returns where it keeps messages."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": smtp_server["SMTP_HOST"], "port": int(smtp_server["SMTP_PORT"]), "timeout": 10},
        }
    }
    settings.BASE_URL = "https://pappus.example"
    return Path(smtp_server["SMTP_MAIL_DIR"])
