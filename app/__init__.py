"""careflow's web layer: the REST API now, the inbox and the modeller later."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app

import handlers.commissioning_tables  # noqa: F401  (its tables share the runtime's metadata)
import workflows.casework  # notes, documents, allocation: same metadata; continuity for the app's database
import workflows.modeller_tables  # noqa: F401  (the modeller's tables, likewise)
from handlers.registry import get_handler, handler
from workflows.db import Database
from workflows.decisions import set_time_budget
from workflows.forms import FormLibrary
from workflows.library import ProcessLibrary
from workflows.procedures import care_planning, provider_failure
from workflows.runtime import Runtime

from .wiring import service_task_checks, setting

ROOT = Path(__file__).resolve().parent.parent
# The statutory procedures this deployment runs; each registers its hooks with the runtime.
PROCEDURES = (provider_failure.procedure, care_planning.procedure)
# Service-task handlers a procedure brings, registered by name like every other handler.
handler(care_planning.review_dates.HANDLER_NAME)(care_planning.review_dates.review_dates)


@dataclass
class Services:
    db: Database
    library: ProcessLibrary
    forms: FormLibrary
    runtime: Runtime


PLACEHOLDER_SECRET = "dev-only-change-me"


def _instance_secret(folder: Path) -> str:
    """A random session key kept in instance/, so sessions survive restarts without a known default."""
    import secrets

    path = folder / "secret_key"
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def default_config() -> dict[str, Any]:
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'instance' / 'careflow.db'}",
        "BPMN_DIR": str(ROOT / "bpmn"),
        "DMN_DIR": str(ROOT / "dmn"),
        "FORMS_DIR": str(ROOT / "bpmn" / "forms"),
        "COUNCIL_CONFIG": str(ROOT / "dmn" / "council_config.json"),
        "CREATE_SCHEMA": False,   # tests: create tables directly instead of migrating
        "SYNC_ON_START": True,    # load bpmn/ and dmn/ into the library at start-up
        "SECRET_KEY": os.environ.get("CAREFLOW_SECRET_KEY", PLACEHOLDER_SECRET),
        "JSON_SORT_KEYS": False,
    }


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"))
    app.config.from_mapping(default_config())
    if test_config is None:
        app.config.from_prefixed_env("CAREFLOW")
    else:
        app.config.update(test_config)
    if app.config["SECRET_KEY"] == PLACEHOLDER_SECRET and not app.config.get("TESTING"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["DATABASE_URL"][len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)

    services = build_services(app.config)
    app.extensions["careflow"] = services

    from . import (
        api,
        api_care_planning,
        api_definitions,
        api_model,
        api_operations,
        api_provider_failure,
        api_providers,
        api_recipients,
        errors,
        hardening,
        observability,
        pages,
        web,
    )

    if app.config.get("LOG_FORMAT") or not app.testing:
        observability.configure_logging(app.config.get("LOG_FORMAT"))
    observability.init_app(app)
    hardening.init_app(app)
    errors.init_app(app)
    apis = (api, api_definitions, api_model, api_provider_failure, api_providers, api_recipients, api_care_planning,
            api_operations)
    for module in apis:
        app.register_blueprint(module.bp)
    app.register_blueprint(pages.bp)
    web.init_app(app)
    for module in apis:  # bearer tokens, not session cookies, so no CSRF token
        web.exempt_from_csrf(module.bp)
    logging.getLogger("careflow").setLevel(logging.INFO)
    return app


def build_services(config: dict[str, Any]) -> Services:
    db = Database(config["DATABASE_URL"], busy_timeout_ms=int(config.get("SQLITE_BUSY_TIMEOUT_MS", 30_000)))
    workflows.casework.keep_continuity(db)  # a person's later steps go to the worker who holds the case
    if config.get("CREATE_SCHEMA"):
        db.create_schema()
    forms = FormLibrary(Path(config["FORMS_DIR"]))
    council = Path(config["COUNCIL_CONFIG"]) if config.get("COUNCIL_CONFIG") else None
    library = ProcessLibrary(db, Path(config["BPMN_DIR"]), Path(config["DMN_DIR"]), forms, council,
                             parameter_check=service_task_checks())
    # One whole decision evaluation's time budget (workflows/decisions/errors.py); past it, an incident.
    set_time_budget(_number(setting(config, "DECISION_TIME_BUDGET_SECONDS", None)))
    if config.get("SYNC_ON_START"):
        library.sync_from_disk(actor="system")
    runtime = Runtime(db, library, forms, handlers=get_handler,
                      cache_size=int(config.get("WORKFLOW_CACHE_SIZE", 256)),
                      max_instances=int(config.get("MAX_MULTI_INSTANCES", 5_000)))
    if config.get("FOLLOW_UP_BATCH"):  # items per transaction of long work (default 200)
        runtime.follow_up_batch = max(1, int(config["FOLLOW_UP_BATCH"]))
    for procedure in PROCEDURES:
        runtime.register(procedure)
    return Services(db, library, forms, runtime)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def services() -> Services:
    return current_app.extensions["careflow"]
