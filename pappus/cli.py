"""The `pappus` command line: serve, web, worker, scheduler, migrate, createuser, demo, check, manage.

Exit codes: 0 success; 1 a service is unreachable, a check failed or the command failed;
2 the configuration (environment) or the command line is wrong. Errors are one line on
standard error, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, cast

Handler = Callable[[argparse.Namespace], int]


class CommandFailedError(Exception):
    """The command cannot do what was asked; the message is shown as one line."""


def _fail(message: str) -> CommandFailedError:
    return CommandFailedError(message)


# -- commands --------------------------------------------------------------------------------


def _start_consumer(*, workers: int, periodic: bool, force: bool = False) -> Any:
    from pappus.core import health, jobs

    if jobs.immediate_mode():
        raise _fail("PAPPUS_TASKS_IMMEDIATE=1 runs jobs inside the caller; unset it to run a worker or scheduler")
    if periodic and not force:
        other = health.other_live_scheduler()
        if other is not None:
            raise _fail(
                f"another scheduler is alive ({other.host}:{other.pid}); run only one, or pass --force "
                "if it is gone (its heartbeat expires after "
                f"{_settings().HEARTBEAT_STALE_SECONDS} s)"
            )
    jobs.load_job_modules()
    return jobs.build_consumer(workers=workers, periodic=periodic)


def _default_threads() -> int:
    consumer = cast(dict[str, Any], _settings().HUEY)["consumer"]
    return int(consumer["workers"])


def _settings() -> Any:
    from django.conf import settings

    return settings


def command_worker(args: argparse.Namespace) -> int:
    from pappus.core import health

    health.require_database()
    health.require_broker()
    health.require_migrated()
    threads = args.threads or _default_threads()
    consumer = _start_consumer(workers=threads, periodic=args.periodic, force=args.force)
    print(
        f"pappus worker: {threads} threads on {health.broker_label()}, periodic jobs "
        f"{'on' if args.periodic else 'off'} (pid {os.getpid()})",
        flush=True,
    )
    consumer.run()
    return 0


def command_scheduler(args: argparse.Namespace) -> int:
    from pappus.core import health

    health.require_database()
    health.require_broker()
    health.require_migrated()
    # A consumer with no worker threads: its scheduler thread enqueues due periodic jobs and moves
    # delayed jobs (retries, `delay=`) into the queue; workers run them (docs/operations.md).
    consumer = _start_consumer(workers=0, periodic=True, force=args.force)
    print(f"pappus scheduler: periodic jobs to {health.broker_label()} (pid {os.getpid()})", flush=True)
    consumer.run()
    return 0


def _ensure_static_files() -> None:
    """Build the static files when the manifest is missing (a first `pappus serve` without make)."""
    from django.conf import settings
    from django.core.management import call_command

    backend = str(cast(dict[str, dict[str, Any]], settings.STORAGES)["staticfiles"]["BACKEND"])
    if "Manifest" in backend and not (settings.STATIC_ROOT / "staticfiles.json").exists():
        print("pappus serve: collecting static files (first start)…", flush=True)
        call_command("collectstatic", interactive=False, verbosity=0)


def command_serve(args: argparse.Namespace) -> int:
    import waitress
    from django.conf import settings
    from django.core.management import call_command

    from pappus.core import health

    health.require_database()
    health.require_broker()
    pending = health.unapplied_migrations()
    if pending and settings.EMBEDDED:
        # The embedded shape has one process and one SQLite file: migrating here is safe.
        print(f"pappus serve: applying {len(pending)} migrations…", flush=True)
        call_command("migrate", interactive=False, verbosity=0)
    health.require_migrated()
    _ensure_static_files()
    host = args.host or settings.SERVER_HOST
    port = args.port or settings.SERVER_PORT
    threads = args.threads or _default_threads()
    consumer = _start_consumer(workers=threads, periodic=True, force=args.force)

    from config.wsgi import application

    try:
        server = waitress.create_server(application, host=host, port=port, threads=8)
    except OSError as error:
        raise _fail(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    web = threading.Thread(target=server.run, name="waitress", daemon=True)
    web.start()
    url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
    print(
        f"Pappus is running at {url} (web, {threads} job threads and the scheduler in one process; Ctrl+C stops)",
        flush=True,
    )
    try:
        consumer.run()  # owns SIGTERM/SIGINT in the main thread
    finally:
        server.close()
    return 0


def command_web(args: argparse.Namespace) -> int:
    from django.conf import settings

    from pappus.core import health

    health.require_migrated()
    host = args.host or settings.SERVER_HOST
    port = args.port or settings.SERVER_PORT
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--workers",
        str(args.workers or settings.WEB_WORKERS),
        "--threads",
        str(args.threads or settings.WEB_THREADS),
        "--bind",
        bind,
        "--access-logfile",
        "-",
    ]
    sys.stdout.flush()
    os.execv(sys.executable, argv)  # noqa: S606 (a fixed argv, no shell): replaces this process: gunicorn owns the signals from here
    return 0  # pragma: no cover


def command_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from pappus.core import health

    health.require_database()
    call_command("migrate", *args.arguments, interactive=False)
    return 0


def _read_password(email: str) -> str:
    if not sys.stdin.isatty():
        raise _fail("no password: pass --password, or run in a terminal to be asked")
    first = getpass.getpass(f"Password for {email}: ")
    second = getpass.getpass("Password (again): ")
    if first != second:
        raise _fail("the passwords differ")
    return first


def command_createuser(args: argparse.Namespace) -> int:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from pappus.core import health, operators
    from pappus.core.audit import Actor
    from pappus.core.models import User, Workspace

    health.require_migrated()
    if args.role and not args.workspace:
        raise _fail("--role needs --workspace")
    workspace = None
    if args.workspace:
        if not args.role:
            raise _fail("--workspace needs --role (one of: " + ", ".join(_roles()) + ")")
        workspace = Workspace.objects.filter(slug=args.workspace).first()
        if workspace is None:
            known = ", ".join(Workspace.objects.values_list("slug", flat=True)[:20]) or "none yet"
            raise _fail(f"no workspace with the short name {args.workspace!r} (known: {known})")
    actor = Actor.system("cli")
    email = args.email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None or args.password is not None:
        password = args.password if args.password is not None else _read_password(email)
        try:
            validate_password(password, user=user or User(email=email, full_name=args.full_name))
        except ValidationError as error:
            raise _fail("the password is too weak: " + " ".join(error.messages)) from error
    try:
        if user is None:
            user = operators.user_create(
                actor=actor, email=email, password=password, full_name=args.full_name, is_staff=args.staff
            )
            print(f"created user {user.email}")
        elif args.password is not None:
            operators.user_set_password(actor=actor, user=user, password=password)
            print(f"changed the password of {user.email}")
        else:
            print(f"user {user.email} exists")
    except ValidationError as error:
        raise _fail("invalid user: " + " ".join(error.messages)) from error
    if workspace is not None:
        operators.membership_grant(actor=actor, workspace=workspace, user=user, role=args.role)
        print(f"{user.email} is {args.role} in {workspace.name}")
    return 0


def _roles() -> list[str]:
    from pappus.core.permissions import Role

    return [role.value for role in Role]


def command_demo(args: argparse.Namespace) -> int:
    from django.conf import settings
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from pappus.core import demo, health

    health.require_migrated()
    password = args.password or settings.DEMO_PASSWORD
    plan = demo.demo_plan(args.seed)
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        transient=not sys.stdout.isatty(),
    ) as progress:
        task = progress.add_task("Loading the demo", total=demo.step_count(plan))

        def step(description: str) -> None:
            progress.update(task, advance=1, description=description)

        result = demo.load_demo(plan, password=password, on_step=step)
    host, port = settings.SERVER_HOST, settings.SERVER_PORT
    print(
        f"Demo {'loaded' if result.created else 'already loaded, checked'} (seed {plan.seed}): "
        f"{result.workspaces} workspaces, {result.users} users, {result.created} rows created."
    )
    print(f"  URL:      http://{host}:{port}/")
    print(f"  E-mail:   {plan.owner_email}")
    print(f"  Password: {password}")
    print("  Every demo user (one per role, e.g. ingrid.solberg@nordlys.example) has the same password.")
    return 0


def command_check(args: argparse.Namespace) -> int:
    from pappus.core import health
    from pappus.core.models import ProcessKind

    results = [health.check_database(), health.check_broker()]
    if results[0].ok:
        results += [health.check_process(ProcessKind.WORKER), health.check_process(ProcessKind.SCHEDULER)]
    else:
        results += [
            health.CheckResult(kind, ok=False, message="unknown: the database is unreachable")
            for kind in ("worker", "scheduler")
        ]
    if args.job:
        results.append(health.check_job_roundtrip(timeout=args.timeout))
    for result in results:
        print(result.line())
    return 0 if all(result.ok for result in results) else 1


def command_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pappus manage", *args.arguments])
    return 0


def command_nlp(args: argparse.Namespace) -> int:
    from pappus.nlp import commands

    handlers = {"train": commands.train_main, "eval": commands.eval_main}
    return handlers[args.action](args.arguments)


def command_crisis(args: argparse.Namespace) -> int:
    from pappus.crisis import commands

    return commands.main(args.action, args.arguments)


def command_reprocess(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pappus", "reprocess", *args.arguments])
    return 0


# -- the parser and the error boundary -------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pappus",
        description="Pappus, a self-hosted social media operations platform.",
        epilog="Configuration comes from PAPPUS_* environment variables: see docs/configuration.md.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        return command

    serve = add("serve", command_serve, "everything in one process: web server, job workers and scheduler")
    serve.add_argument("--host", help="address to listen on (default PAPPUS_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default PAPPUS_PORT or 8000)")
    serve.add_argument("--threads", type=int, help="job worker threads (default PAPPUS_WORKER_THREADS)")
    serve.add_argument("--force", action="store_true", help="start even if another scheduler seems alive")

    web = add("web", command_web, "the web server for production (gunicorn)")
    web.add_argument("--host", help="address to listen on (default PAPPUS_HOST)")
    web.add_argument("--port", type=int, help="port to listen on (default PAPPUS_PORT)")
    web.add_argument("--workers", type=int, help="processes (default PAPPUS_WEB_WORKERS or 2)")
    web.add_argument("--threads", type=int, help="threads per process (default PAPPUS_WEB_THREADS or 4)")

    worker = add("worker", command_worker, "run background jobs (run one or more)")
    worker.add_argument("--threads", type=int, help="worker threads (default PAPPUS_WORKER_THREADS)")
    worker.add_argument(
        "--periodic", action="store_true", help="also enqueue periodic jobs (instead of a separate scheduler)"
    )
    worker.add_argument("--force", action="store_true", help="with --periodic: start even if a scheduler is alive")

    scheduler = add("scheduler", command_scheduler, "enqueue periodic jobs (run exactly one)")
    scheduler.add_argument("--force", action="store_true", help="start even if another scheduler seems alive")

    migrate = add("migrate", command_migrate, "create or update the database tables")
    migrate.add_argument("arguments", nargs=argparse.REMAINDER, help="passed to Django's migrate")

    createuser = add("createuser", command_createuser, "create a user, optionally with a role in a workspace")
    createuser.add_argument("email")
    createuser.add_argument("--password", help="the password (asked for when omitted, in a terminal)")
    createuser.add_argument("--full-name", default="", help="the name shown to others")
    createuser.add_argument("--workspace", help="short name (slug) of a workspace to add the user to")
    createuser.add_argument("--role", help="role in that workspace: owner, admin, strategist, …")
    createuser.add_argument("--staff", action="store_true", help="may use Django's admin site")

    demo = add("demo", command_demo, "load the demo workspaces (idempotent) and print the demo login")
    demo.add_argument("--seed", type=int, default=2026, help="random seed of the generated data (default 2026)")
    demo.add_argument("--password", help="password of the demo users (default PAPPUS_DEMO_PASSWORD or pappus-demo)")

    check = add("check", command_check, "check the database, broker, workers and scheduler")
    check.add_argument("--job", action="store_true", help="also run a test job through a worker and wait for it")
    check.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for the test job (default 15)")

    nlp = add("nlp", command_nlp, "train or evaluate the language models (pappus nlp train|eval --help)")
    nlp.add_argument("action", choices=("train", "eval"), help="train: from ../shared/data, seeded; eval: F1 and speed")
    nlp.add_argument("arguments", nargs=argparse.REMAINDER, help="passed to the action")

    crisis = add("crisis", command_crisis, "score a time series CSV for anomalies (pappus crisis score --help)")
    crisis.add_argument("action", choices=("score",), help="score INPUT.csv OUTPUT.csv: timestamp,anomaly_score,alert")
    crisis.add_argument("arguments", nargs=argparse.REMAINDER, help="passed to the action")

    reprocess = commands.add_parser(
        "reprocess", add_help=False, help="re-run enrichment and topic matching over stored mentions (resumable)"
    )
    reprocess.set_defaults(handler=command_reprocess, pass_through=True)
    reprocess.add_argument("arguments", nargs=argparse.REMAINDER)

    manage = add("manage", command_manage, "run a Django management command (pappus manage help)")
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    return parser


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _error(message: str) -> None:
    print(f"pappus: {message}", file=sys.stderr, flush=True)


def run(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status. Known failures become one line on standard error."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args, unknown = parser.parse_known_args(argv)
    if getattr(args, "pass_through", False):
        # Everything after the command's name belongs to the command, options included.
        args.arguments = argv[argv.index(args.command) + 1 :]
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return 2

    from config.env import ConfigurationError

    try:
        _setup_django()
    except ConfigurationError as error:
        print(error, file=sys.stderr, flush=True)
        return 2

    import redis
    from django.db import DatabaseError

    from pappus.core.health import ServiceUnavailableError, broker_failure, database_failure

    handler: Handler = args.handler
    try:
        return handler(args)
    except (ServiceUnavailableError, CommandFailedError) as error:
        _error(str(error))
    except DatabaseError as error:
        _error(database_failure(error))
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
        _error(broker_failure(error))
    except KeyboardInterrupt:
        return 130
    return 1


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
