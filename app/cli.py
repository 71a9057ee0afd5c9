"""The ``careflow`` console command."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

DEMO_USERS = [
    # (username, display name, role, groups) - invented people
    ("casey.worker", "Casey Worker", "caseworker", ["adult_social_care", "allocated_worker"]),
    ("sam.support", "Sam Support", "caseworker", ["adult_social_care", "care_navigation", "finance", "review_team"]),
    ("quinn.lead", "Quinn Lead", "quality_lead", ["qiss", "sqip"]),
    # One demo manager covers every approval route of DMN-07 (team manager, senior manager, panel).
    ("morgan.manager", "Morgan Manager", "manager",
     ["adult_social_care", "team_managers", "senior_manager", "governance_panel"]),
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
    from workflows.recipients import seed

    from .api_recipients import demo_entries

    with svc.db.transaction() as session:
        added = seed(session, demo_entries(), actor="demo")
    print(f"recipient directory: {added} invented demo addresses added")
    _demo_register(svc.db)
    print(f"demo users ready ({', '.join(u[0] for u in DEMO_USERS)}); password: {DEMO_PASSWORD}")
    return 0


def _demo_register(db: Any) -> None:
    """An invented provider register for the demo (quality leads start incidents from it), when empty."""
    from pathlib import Path

    from sqlalchemy import func, select

    from handlers.commissioning_tables import Provider
    from handlers.providers import ProviderRegister

    with db.reading() as session:
        if session.scalar(select(func.count()).select_from(Provider)):
            return
    result = ProviderRegister(db).import_cqc((Path(__file__).parent / "demo" / "provider_register.csv").read_text())
    print(f"demo provider register: {result.added} invented providers")


def cmd_serve(args: argparse.Namespace) -> int:
    from waitress import serve

    from . import create_app

    catcher = None
    if args.mail_catcher:
        import os
        from pathlib import Path

        from .mailcatcher import start as start_catcher

        # Mail goes to the catcher unless the deployment named its own SMTP server.
        if not (os.environ.get("SMTP_HOST") or os.environ.get("CAREFLOW_SMTP_HOST")):
            os.environ["SMTP_HOST"], os.environ["SMTP_PORT"] = "127.0.0.1", str(args.mail_catcher)
            folder = Path(__file__).resolve().parent.parent / "instance" / "mail"
            catcher, _ = start_catcher(args.mail_catcher, folder)
            print(f"mail catcher on smtp://127.0.0.1:{args.mail_catcher}, messages kept in {folder}", flush=True)
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
        # Browsers and proxies keep idle connections open. Waitress's defaults (100 connections, idle ones closed
        # after 120 s) let them fill the server, which then accepts nobody for up to half a minute; poll() lifts
        # select()'s limit of 1,024 descriptors.
        serve(app, host=args.host, port=args.port, threads=args.threads, ident="careflow",
              connection_limit=args.connection_limit, channel_timeout=args.idle_timeout,
              cleanup_interval=max(1, min(30, args.idle_timeout // 2)), asyncore_use_poll=True)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if catcher is not None:
            catcher.stop()
    return 0


def cmd_mailcatcher(args: argparse.Namespace) -> int:
    """A local SMTP server keeping each message in instance/mail/ (point SMTP_HOST/SMTP_PORT at it)."""
    import threading
    from pathlib import Path

    from .mailcatcher import start as start_catcher

    folder = Path(args.folder) if args.folder else Path(__file__).resolve().parent.parent / "instance" / "mail"
    controller, _ = start_catcher(args.port, folder, host=args.host)
    print(f"mail catcher on smtp://{args.host}:{args.port}, messages kept in {folder} (Ctrl-C stops it)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
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


def cmd_definitions_export(args: argparse.Namespace) -> int:
    """Write the current versions back to bpmn/, dmn/ and bpmn/forms/ so browser changes can be committed."""
    from pathlib import Path

    from handlers.registry import handler_names
    from workflows.modelling import Modeller

    svc = _services()
    config = _config()
    modeller = Modeller(svc.db, svc.library, svc.forms, handler_names)
    written = modeller.export(Path(args.bpmn or config["BPMN_DIR"]), Path(args.dmn or config["DMN_DIR"]),
                              Path(args.forms or config["FORMS_DIR"]))
    for path in written:
        print(f"wrote {path}")
    print(f"{len(written)} file{'s' if len(written) != 1 else ''} changed")
    return 0


def cmd_test_process(args: argparse.Namespace) -> int:
    """Run a process's scenario tests (bpmn/<process>.tests.json) against the files in bpmn/ and dmn/,
    loaded into a scratch database (the service's own database is not touched)."""
    import tempfile

    from workflows.scenarios import ScenarioRunner, load_tests

    from . import build_services

    scratch = tempfile.TemporaryDirectory(prefix="careflow-test-process-")
    config = _config()
    config.update({"DATABASE_URL": f"sqlite:///{scratch.name}/scenarios.db", "CREATE_SCHEMA": True,
                   "SYNC_ON_START": True})
    svc = build_services(config)
    suite = load_tests(svc.library.bpmn_dir, args.process_id)
    with svc.db.reading() as session:
        version = svc.library.latest(session, args.process_id)
        results = ScenarioRunner(svc.runtime).run_all(session, version, suite)
    for result in results:
        print(f"{'PASS' if result['passed'] else 'FAIL'}  {result['name']}")
        for failure in result["failures"]:
            print(f"      {failure}")
    failed = sum(1 for r in results if not r["passed"])
    print(f"{len(results) - failed} passed, {failed} failed ({args.process_id})")
    svc.db.dispose()
    scratch.cleanup()
    return 1 if failed else 0


def at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number of at least 1")
    return value


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
    serve.add_argument("--connection-limit", type=at_least_one, default=1000,
                       help="open connections accepted at once (default 1000)")
    serve.add_argument("--idle-timeout", type=at_least_one, default=30,
                       help="seconds before an idle kept-alive connection is closed (default 30)")
    serve.add_argument("--no-scheduler", action="store_true", help="leave timers and messages to workers")
    serve.add_argument("--poll", type=float, help="seconds between polls (default 1, or POLL_SECONDS)")
    serve.add_argument("--mail-catcher", type=int, metavar="PORT",
                       help="also run a local SMTP mail catcher on PORT and send e-mail to it "
                            "(unless SMTP_HOST is set)")
    serve.set_defaults(func=cmd_serve)

    catcher = sub.add_parser("mailcatcher", help="run a local SMTP server that keeps every message")
    catcher.add_argument("--host", default="127.0.0.1")
    catcher.add_argument("--port", type=int, default=1025)
    catcher.add_argument("--folder", help="where to keep the messages (default instance/mail/)")
    catcher.set_defaults(func=cmd_mailcatcher)

    worker = sub.add_parser("worker", help="run only the scheduler (timers, escalations, outbox)")
    worker.add_argument("--poll", type=float, help="seconds between polls (default 1, or POLL_SECONDS)")
    worker.set_defaults(func=cmd_worker)

    definitions = sub.add_parser("definitions", help="process definitions").add_subparsers(
        dest="definitions_command", required=True)
    export = definitions.add_parser("export", help="write the current versions to bpmn/, dmn/ and bpmn/forms/")
    export.add_argument("--bpmn", help="folder for diagrams (default: the app's bpmn/)")
    export.add_argument("--dmn", help="folder for decision tables (default: the app's dmn/)")
    export.add_argument("--forms", help="folder for forms (default: bpmn/forms/)")
    export.set_defaults(func=cmd_definitions_export)

    test_process = sub.add_parser("test-process", help="run a process's scenario tests")
    test_process.add_argument("process_id")
    test_process.set_defaults(func=cmd_test_process)

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
