"""Running for real: /healthz, /readyz (database, migrations, scheduler heartbeat; on PostgreSQL
stopped and started again), /metrics behind its setting, request ids in headers, logs and error pages."""
from __future__ import annotations

import io
import json
import logging
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.pg import PgServer, postgres_bin_dir
from tests.web.support import sign_in
from workflows.db import Database
from workflows.models import TimerRow, utcnow

from .support import make_ops_app, open_task, principal, start_sharing


def migrated_app(tmp_path, url=None, **config):
    url = url or f"sqlite:///{tmp_path / 'careflow.db'}"
    db = Database(url)
    db.upgrade()
    db.dispose()
    return make_ops_app(tmp_path, DATABASE_URL=url, CREATE_SCHEMA=False, **config)


def scheduler_of(app):
    from app.wiring import build_scheduler

    return build_scheduler(app.extensions["careflow"], app.config)


def test_healthz_answers_with_a_request_id(ops_app):
    client = ops_app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    assert client.get("/healthz", headers={"X-Request-ID": "proxy-123"}).headers["X-Request-ID"] == "proxy-123"
    assert client.get("/healthz", headers={"X-Request-ID": "bad id<script>"}).headers["X-Request-ID"] != \
        "bad id<script>"


def test_readyz_wants_migrations_and_a_recent_scheduler_heartbeat(tmp_path):
    app = migrated_app(tmp_path, READY_HEARTBEAT_SECONDS=30)
    try:
        client = app.test_client()
        waiting = client.get("/readyz")
        assert waiting.status_code == 503
        checks = waiting.json["checks"]
        assert checks["database"]["ok"] and checks["migrations"]["ok"] and not checks["scheduler"]["ok"]
        scheduler_of(app).run_once()  # one poll writes the heartbeat
        assert client.get("/readyz").status_code == 200
    finally:
        app.extensions["careflow"].db.dispose()


def test_readyz_refuses_a_database_that_was_never_migrated(ops_app):
    scheduler_of(ops_app).run_once()
    response = ops_app.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["migrations"]["ok"] is False


@pytest.mark.postgres
def test_readyz_fails_while_postgresql_is_down_and_recovers_after(tmp_path):
    if postgres_bin_dir() is None:
        pytest.skip("PostgreSQL is not installed")
    server = PgServer().start()
    options = (f"-p {server.port} -k {server.root} -c listen_addresses=127.0.0.1 -c fsync=off "
               f"-c synchronous_commit=off -c full_page_writes=off")
    try:
        app = migrated_app(tmp_path, server.new_database())
        client = app.test_client()
        scheduler_of(app).run_once()
        assert client.get("/readyz").status_code == 200
        server._run(server.bin / "pg_ctl", "-D", server.data, "-m", "fast", "-w", "stop")
        down = client.get("/readyz")
        assert down.status_code == 503
        assert down.json["checks"]["database"]["ok"] is False and "error" in down.json["checks"]["database"]
        started = server._run(server.bin / "pg_ctl", "-D", server.data, "-o", options, "-l",
                              server.root / "server.log", "-w", "-t", "60", "start")
        assert started.returncode == 0, started.stderr
        deadline = time.time() + 30
        while client.get("/readyz").status_code != 200:
            assert time.time() < deadline, "not ready again after PostgreSQL came back"
            time.sleep(0.5)
        app.extensions["careflow"].db.dispose()
    finally:
        server.stop()


def test_metrics_are_off_unless_set_and_need_the_token(ops_app):
    client = ops_app.test_client()
    assert client.get("/metrics").status_code == 404
    ops_app.config["METRICS_TOKEN"] = "s3cret-metrics"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"}).status_code == 200


def _metric(text, name, **labels):
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" ([0-9.e+-]+)"
    found = re.search(r"^" + pattern + r"$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_metrics_count_a_completed_task_a_fired_timer_requests_and_decisions(ops_app):
    svc = ops_app.extensions["careflow"]
    ops_app.config["METRICS_TOKEN"] = "t"
    client = ops_app.test_client()

    def scrape():
        response = client.get("/metrics", headers={"Authorization": "Bearer t"})
        assert response.status_code == 200 and response.mimetype == "text/plain"
        return response.text

    before = scrape()
    assert _metric(before, "careflow_tasks_completed_total", process="ops_sharing") == 0
    assert _metric(before, "careflow_timers_fired_total") == 0
    case = start_sharing(svc, "Metric Example")  # completes "Record the weekly amount"; the timer waits
    middle = scrape()
    assert _metric(middle, "careflow_tasks_completed_total", process="ops_sharing") == 1
    with svc.db.transaction() as session:
        session.scalars(select(TimerRow).where(TimerRow.instance_id == case.id)).one().due_at = \
            utcnow() - timedelta(seconds=90)
    assert _metric(scrape(), "careflow_timer_due_lag_seconds") >= 89
    assert svc.runtime.fire_due_timers() == 1
    after = scrape()
    assert _metric(after, "careflow_timers_fired_total") == 1
    assert _metric(after, "careflow_open_tasks", process="ops_sharing") == 1
    assert _metric(after, "careflow_timer_due_lag_seconds") == 0
    svc.runtime.complete_task(open_task(svc, case.id).id, {"agreed": True}, principal(svc, "casey.worker"))
    assert _metric(scrape(), "careflow_tasks_completed_total", process="ops_sharing") == 2
    start_sharing(svc, "Broken Example", divisor=0)
    final = scrape()
    assert _metric(final, "careflow_open_incidents") == 1 and _metric(final, "careflow_stalled_cases") == 0
    assert _metric(final, "careflow_http_requests_total", route="/healthz", method="GET", status="200") == 0
    client.get("/healthz")
    last = scrape()
    assert _metric(last, "careflow_http_requests_total", route="/healthz", method="GET", status="200") == 1
    assert _metric(last, "careflow_http_request_duration_seconds_count", route="/healthz", method="GET") == 1
    assert "careflow_outbox_backlog" in final and "careflow_overdue_tasks" in final


def test_json_log_lines_carry_the_request_id_of_the_response(ops_app):
    from app.observability import JsonFormatter, RequestIdFilter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("careflow.http")
    logger.addHandler(handler)
    try:
        response = ops_app.test_client().get("/healthz")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines and lines[-1]["request_id"] == response.headers["X-Request-ID"]
    assert lines[-1]["path"] == "/healthz" and lines[-1]["status"] == 200 and lines[-1]["level"] == "INFO"


@pytest.mark.parametrize("setting, engine_lines_expected", [(None, False), ("info", True), ("loud", False)])
def test_the_engine_traces_task_states_only_when_asked(ops_app, capsys, monkeypatch, setting,
                                                       engine_lines_expected):
    """SpiffWorkflow logs each task's state change at INFO; served, that is 190,000 lines for one upload."""
    from app.observability import configure_logging

    if setting is not None:
        monkeypatch.setenv("CAREFLOW_ENGINE_LOG_LEVEL", setting)
    root, spiff = logging.getLogger(), logging.getLogger("spiff")
    before = (list(root.handlers), root.level, spiff.level)
    configure_logging("json")
    try:
        start_sharing(ops_app.extensions["careflow"], "Engine log case")
        ops_app.test_client().get("/healthz")
    finally:
        for handler in root.handlers[:]:
            if handler not in before[0]:
                root.removeHandler(handler)
        root.setLevel(before[1])
        spiff.setLevel(before[2])
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    assert any(line["logger"] == "careflow.http" for line in lines)  # the request itself is still logged
    assert any(line["logger"].startswith("spiff") for line in lines) is engine_lines_expected
    if setting == "loud":
        assert any("CAREFLOW_ENGINE_LOG_LEVEL=LOUD is not a log level" in line["message"] for line in lines)


def test_error_pages_show_the_request_id(ops_app):
    client = ops_app.test_client()
    sign_in(client, "casey.worker")
    response = client.get("/operations/incidents")
    assert response.status_code == 403
    assert response.headers["X-Request-ID"] in response.text


def test_behind_a_trusted_proxy_the_forwarded_scheme_and_client_are_used(tmp_path):
    from flask import request

    app = make_ops_app(tmp_path, TRUSTED_PROXIES=1)
    try:
        app.add_url_rule("/_seen", "seen", lambda: f"{request.scheme} {request.remote_addr}")
        seen = app.test_client().get("/_seen", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.1.2.3"})
        assert seen.text == "https 10.1.2.3"
    finally:
        app.extensions["careflow"].db.dispose()


def test_migrations_count_as_current_at_the_head_or_ahead_of_this_release_never_behind():
    from workflows.health import migration_heads, migrations_current

    assert migrations_current(set(migration_heads()))
    assert migrations_current({"9999_a_newer_release"})  # a rolling upgrade: the old release stays ready
    assert not migrations_current({"0001"})
    assert not migrations_current(set())
