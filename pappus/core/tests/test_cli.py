"""The `pappus` command as a user runs it: real subprocesses, wrong settings, unreachable services."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pappus import cli
from pappus.core.models import AuditEvent, Membership, User
from pappus.core.tests.factories import make_workspace

BIN = Path(sys.executable).parent
SECRET = "cli-test-secret-key-0123456789-0123456789"
# A valid Fernet key: with PostgreSQL the credentials key is required too.
ENCRYPTION_KEY = "Y2xpLXRlc3QtZW5jcnlwdGlvbi1rZXktMDEyMzQ1Njc="


def _free_port() -> int:
    """A loopback port nothing listens on (bound, then released): connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Creating every table from scratch takes ~20 s of CPU on SQLite; beside the suite's other workers
# on a shared machine it has taken over 60 s.
MIGRATE_TIMEOUT = 300


def pappus(*arguments: str, data_dir: Path, timeout: float = 60, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PAPPUS_DATA_DIR": str(data_dir),
        **variables,
    }
    return subprocess.run(
        [str(BIN / "pappus"), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_wrong_environment_values_stop_every_command_with_their_names(tmp_path):
    result = pappus(
        "check",
        data_dir=tmp_path,
        PAPPUS_DEBUG="maybe",
        PAPPUS_PORT="99999",
        PAPPUS_DATABASE_URL="mysql://db/pappus",
        PAPPUS_REDIS_URL="http://127.0.0.1:6379",
        PAPPUS_TIME_ZONE="Mars/Olympus",
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "Pappus configuration is invalid:",
        "  - PAPPUS_DEBUG='maybe' is not a boolean: expected one of 1/0, true/false, yes/no, on/off",
        "  - PAPPUS_DATABASE_URL is invalid (unknown scheme 'mysql'): expected sqlite:///path/to/file.sqlite3 "
        "or postgres://user:password@host:5432/name",
        "  - PAPPUS_TIME_ZONE='Mars/Olympus' is not a time zone: expected an IANA name such as Europe/Oslo",
        "  - PAPPUS_PORT=99999 is out of range: expected between 1 and 65535",
        "  - PAPPUS_REDIS_URL is invalid (unknown scheme 'http'): expected redis://host:6379/0",
    ]


def test_postgresql_without_a_secret_key_is_refused(tmp_path):
    result = pappus("migrate", data_dir=tmp_path, PAPPUS_DATABASE_URL="postgres://postgres@127.0.0.1:5432/x")
    assert result.returncode == 2
    assert "PAPPUS_SECRET_KEY is missing: expected a random string of at least 32 characters" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_needs_no_configuration(tmp_path):
    result = pappus("--help", data_dir=tmp_path, PAPPUS_DEBUG="maybe")
    assert result.returncode == 0
    for command in ("serve", "web", "worker", "scheduler", "migrate", "createuser", "demo", "check", "manage"):
        assert command in result.stdout
    assert pappus(data_dir=tmp_path).returncode == 2


@pytest.mark.parametrize("command", ["migrate", "check", "worker", "scheduler", "serve", "web", "demo", "createuser"])
def test_an_unreachable_postgresql_is_one_line(tmp_path, command):
    port = _free_port()
    arguments = [command, "someone@example.com", "--password", "x"] if command == "createuser" else [command]
    result = pappus(
        *arguments,
        data_dir=tmp_path,
        PAPPUS_DATABASE_URL=f"postgres://pappus:s3cret@127.0.0.1:{port}/pappus",
        PAPPUS_SECRET_KEY=SECRET,
        PAPPUS_ENCRYPTION_KEY=ENCRYPTION_KEY,
    )
    assert result.returncode == 1
    expected = f"cannot reach the database at postgres://pappus:***@127.0.0.1:{port}/pappus: connection refused"
    if command == "check":
        assert result.stdout.splitlines()[0] == f"FAIL database: {expected}"
        assert "s3cret" not in result.stdout + result.stderr
    else:
        assert _one_line(result) == f"pappus: {expected}"


@pytest.mark.parametrize("command", ["worker", "scheduler", "serve"])
def test_an_unreachable_redis_is_one_line(tmp_path, command):
    port = _free_port()
    result = pappus(command, data_dir=tmp_path, PAPPUS_REDIS_URL=f"redis://127.0.0.1:{port}/0")
    assert result.returncode == 1
    assert (
        _one_line(result)
        == f"pappus: cannot reach the broker (Redis at redis://127.0.0.1:{port}/0): connection refused"
    )


def test_check_reports_each_part_on_one_line(tmp_path):
    port = _free_port()
    assert pappus("migrate", data_dir=tmp_path, timeout=MIGRATE_TIMEOUT).returncode == 0
    result = pappus("check", data_dir=tmp_path, PAPPUS_REDIS_URL=f"redis://127.0.0.1:{port}/0")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["OK   database", "FAIL broker", "FAIL worker", "FAIL scheduler"]
    assert lines[1] == f"FAIL broker: cannot reach the broker (Redis at redis://127.0.0.1:{port}/0): connection refused"


def test_commands_refuse_an_unmigrated_database(tmp_path):
    result = pappus("demo", data_dir=tmp_path)
    assert result.returncode == 1
    assert _one_line(result).endswith("migrations to apply, first contenttypes.0001_initial): run `pappus migrate`")


def test_manage_passes_through_to_django(tmp_path):
    result = pappus("manage", "check", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


# -- createuser, in this process (the CLI's handler on the test database) ---------------------


@pytest.mark.django_db
def test_createuser_creates_a_user_with_a_role_in_a_workspace(capsys):
    workspace = make_workspace(name="Acme")
    arguments = ["Ana@Example.com", "--password", "a-long-enough-password", "--full-name", "Ana Lima"]
    status = cli.run(["createuser", *arguments, "--workspace", workspace.slug, "--role", "analyst"])
    assert status == 0
    user = User.objects.get(email="ana@example.com")
    assert user.full_name == "Ana Lima"
    assert user.check_password("a-long-enough-password")
    assert Membership.objects.for_workspace(workspace).get(user=user).role == "analyst"
    assert set(AuditEvent.objects.filter(via="cli").values_list("action", "object_type", "actor_label")) == {
        ("user.create", "core.user", "system (cli)"),
        ("membership.create", "core.membership", "system (cli)"),
    }
    assert capsys.readouterr().out.splitlines() == [
        "created user ana@example.com",
        "ana@example.com is analyst in Acme",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--password", "short"], "pappus: the password is too weak: This password is too short."),
        (["--password", "a-long-enough-password", "--workspace", "nope", "--role", "admin"], "no workspace"),
        (["--password", "a-long-enough-password", "--role", "admin"], "pappus: --role needs --workspace"),
    ],
)
def test_createuser_explains_what_is_wrong(capsys, arguments, message):
    assert cli.run(["createuser", "bob@example.com", *arguments]) == 1
    assert message in capsys.readouterr().err
    assert not User.objects.filter(email="bob@example.com").exists()


@pytest.mark.slow
def test_serve_runs_web_jobs_and_scheduler_in_one_process(tmp_path):
    """The embedded shape: `pappus serve` answers /healthz, runs a job, and stops cleanly on SIGTERM."""
    import time
    import urllib.request

    port = _free_port()
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PAPPUS_DATA_DIR": str(tmp_path),
        "PAPPUS_PORT": str(port),
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen([str(BIN / "pappus"), "serve"], env=environment, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + MIGRATE_TIMEOUT  # a first start migrates every table
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        check = pappus("check", "--job", data_dir=tmp_path, PAPPUS_PORT=str(port))
        assert check.returncode == 0, check.stdout + check.stderr
        assert check.stdout.splitlines()[-1].startswith("OK   job: core.selftest.ping ran in")
        assert f"Pappus is running at http://127.0.0.1:{port}/" in log.read_text()
        server.terminate()
        assert server.wait(timeout=40) == 0, log.read_text()
        after = pappus("check", data_dir=tmp_path)
        assert "FAIL worker: none running" in after.stdout
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_one_scheduler_only(tmp_path):
    """`pappus scheduler` is seen by `pappus check`, a second one is refused, SIGTERM stops it cleanly."""
    import time

    assert pappus("migrate", data_dir=tmp_path, timeout=MIGRATE_TIMEOUT).returncode == 0
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PAPPUS_DATA_DIR": str(tmp_path),
    }
    log = tmp_path / "scheduler.log"
    with log.open("wb") as output:
        scheduler = subprocess.Popen([str(BIN / "pappus"), "scheduler"], env=environment, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 60
        while "OK   scheduler: 1 alive" not in (check := pappus("check", data_dir=tmp_path)).stdout:
            assert scheduler.poll() is None, log.read_text()
            assert time.monotonic() < deadline, check.stdout + log.read_text()
            time.sleep(0.5)
        assert f":{scheduler.pid} (seen" in check.stdout
        assert "FAIL worker: none running" in check.stdout  # a scheduler runs no jobs
        second = pappus("scheduler", data_dir=tmp_path)
        assert second.returncode == 1
        assert _one_line(second).startswith(
            f"pappus: another scheduler is alive ({socket.gethostname()}:{scheduler.pid})"
        )
        scheduler.terminate()
        assert scheduler.wait(timeout=40) == 0, log.read_text()
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
            scheduler.wait()
