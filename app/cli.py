"""The ``careflow`` console command."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

DEMO_USERS = [
    # (username, display name, role, groups) - invented people
    ("casey.worker", "Casey Worker", "caseworker", ["adult_social_care", "allocated_worker"]),
    ("sam.support", "Sam Support", "caseworker", ["adult_social_care", "care_navigation"]),
    ("quinn.lead", "Quinn Lead", "quality_lead", ["qiss", "sqip"]),
    ("morgan.manager", "Morgan Manager", "manager", ["adult_social_care", "team_managers"]),
    ("pat.owner", "Pat Owner", "process_owner", ["process_owners"]),
    ("ada.admin", "Ada Admin", "admin", ["admins"]),
]
DEMO_PASSWORD = "careflow-demo"


def _config() -> dict[str, Any]:
    """The same settings the web app reads: defaults, then ``CAREFLOW_*`` variables (as Flask's
    ``from_prefixed_env``: ``CAREFLOW_FORMS_DIR`` sets ``FORMS_DIR``; JSON values are decoded), so a
    worker and a web process started with one environment agree."""
    import os

    from . import default_config

    config = default_config()
    for key, raw in os.environ.items():
        if not key.startswith("CAREFLOW_") or key == "CAREFLOW_SECRET_KEY":
            continue
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        config[key[len("CAREFLOW_"):]] = value
    return config


def _services(sync: bool = False) -> Any:
    from . import build_services

    config = _config()
    config["SYNC_ON_START"] = sync
    return build_services(config)


def cmd_users_add(args: argparse.Namespace) -> int:
    from workflows.identity import add_user, issue_token

    svc = _services()
    add_user(svc.db, args.name, args.role, args.group or [], display_name=args.display_name, email=args.email,
             password=args.password, exist_ok=True)
    print(issue_token(svc.db, args.name, label="careflow users add"))
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from workflows.db import Database

    config = _config()
    if config["DATABASE_URL"].startswith("sqlite:///"):
        from pathlib import Path

        Path(config["DATABASE_URL"][len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    Database(config["DATABASE_URL"]).upgrade()
    print("database is up to date")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    svc = _services()
    for version in svc.library.sync_from_disk(actor="cli"):
        print(f"{version.process_id} v{version.version} ({version.content_hash[:12]})")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Demo users (invented people) with the shared demo password, and the processes loaded."""
    from workflows.identity import add_user

    svc = _services()
    for username, name, role, groups in DEMO_USERS:
        add_user(svc.db, username, role, groups, display_name=name, email=f"{username}@example.org",
                 password=DEMO_PASSWORD, exist_ok=True)
    svc.library.sync_from_disk(actor="demo")
    print(f"demo users ready ({', '.join(u[0] for u in DEMO_USERS)}); password: {DEMO_PASSWORD}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from waitress import serve

    from . import create_app

    app = create_app()
    scheduler = None
    if not args.no_scheduler:
        from app.wiring import build_scheduler

        overrides = {"poll_seconds": args.poll} if args.poll else {}
        scheduler = build_scheduler(app.extensions["careflow"], app.config, **overrides)
        scheduler.start()
    print(f"careflow is serving on http://{args.host}:{args.port}/"
          f"{'' if scheduler else ' (no scheduler: timers and messages wait for a worker)'}", flush=True)
    try:
        serve(app, host=args.host, port=args.port, threads=args.threads, ident="careflow")
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Only the scheduler: fires timers and delivers messages; run several against one database."""
    import signal
    import threading

    from app.wiring import build_scheduler

    from .observability import configure_logging

    configure_logging()
    config = _config()
    config["SYNC_ON_START"] = False
    from . import build_services

    overrides = {"poll_seconds": args.poll} if args.poll else {}
    scheduler = build_scheduler(build_services(config), config, **overrides)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    scheduler.start()
    print(f"careflow worker running (poll every {scheduler.poll_seconds:g}s)", flush=True)
    stop.wait()
    scheduler.shutdown(wait=True)
    print("careflow worker stopped", flush=True)
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    from workflows.decisions.command import decide_command

    return decide_command(args.file, args.decision_id, args.inputs)


def cmd_timers(args: argparse.Namespace) -> int:
    from app.wiring import build_scheduler

    config = _config()
    config["SYNC_ON_START"] = False
    from . import build_services

    print(json.dumps(build_scheduler(build_services(config), config).run_once()))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="careflow", description="careflow: adult social care workflows")
    sub = p.add_subparsers(dest="command", required=True)

    users = sub.add_parser("users", help="manage users").add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add", help="add (or update) a user and print a new API token")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["caseworker", "quality_lead", "manager",
                                                       "process_owner", "admin"])
    add.add_argument("--group", action="append", help="a group the user works for (repeatable)")
    add.add_argument("--display-name")
    add.add_argument("--email")
    add.add_argument("--password", help="for signing in to the web pages")
    add.set_defaults(func=cmd_users_add)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="run the migrations").set_defaults(func=cmd_db_upgrade)

    sub.add_parser("sync", help="load bpmn/ and dmn/ into the process library").set_defaults(func=cmd_sync)
    sub.add_parser("demo", help="create the demo users and load the processes").set_defaults(func=cmd_demo)
    sub.add_parser("fire-timers", help="fire every due timer and deliver due messages once, then stop"
                   ).set_defaults(func=cmd_timers)

    serve = sub.add_parser("serve", help="serve the web app and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--threads", type=int, default=8)
    serve.add_argument("--no-scheduler", action="store_true", help="leave timers and messages to workers")
    serve.add_argument("--poll", type=float, help="seconds between polls (default 1, or POLL_SECONDS)")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run only the scheduler (timers, escalations, outbox)")
    worker.add_argument("--poll", type=float, help="seconds between polls (default 1, or POLL_SECONDS)")
    worker.set_defaults(func=cmd_worker)

    decide = sub.add_parser("decide", help="evaluate a DMN decision and print the result as JSON")
    decide.add_argument("file")
    decide.add_argument("decision_id")
    decide.add_argument("--inputs", default="{}", help="input values as a JSON object")
    decide.set_defaults(func=cmd_decide)
    return p


def main(argv: list[str] | None = None) -> int:
    from workflows.errors import CareflowError

    args = parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CareflowError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
