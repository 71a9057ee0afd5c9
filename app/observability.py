"""Running careflow for real: request ids, JSON logs, ``/healthz``, ``/readyz`` and ``/metrics``.

* Every response carries ``X-Request-ID`` (the proxy's, when it sends a sane one; else a new one);
  log lines written while answering carry it, and the error pages show it.
* ``CAREFLOW_LOG_FORMAT=json`` writes one JSON object per log line (to stderr).
* ``/healthz``: the process answers. ``/readyz``: the database answers, its migrations are current
  and a scheduler was seen recently (503 with the failing checks otherwise). Both unauthenticated.
* ``TRUSTED_PROXIES=n``: the n proxies in front are trusted for ``X-Forwarded-For/-Proto/-Host``.
* ``/metrics`` (Prometheus text): off unless ``METRICS_TOKEN`` is set (then a bearer token is
  needed) or ``METRICS_PUBLIC`` is true (for a scrape inside a private network).
"""
from __future__ import annotations

import hmac
import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, has_request_context, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from workflows import health

bp = Blueprint("observability", __name__)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


# ---- logs ----------------------------------------------------------------------------------------
class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-")}
        for key in ("method", "path", "status", "duration_ms", "route"):
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(log_format: str | None = None) -> None:
    """Log to stderr at INFO, as JSON lines when ``CAREFLOW_LOG_FORMAT=json`` (or ``log_format``)."""
    chosen = (log_format or os.environ.get("CAREFLOW_LOG_FORMAT") or "text").lower()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "careflow", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.careflow = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if chosen == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # SpiffWorkflow logs every task state change at INFO: tens of lines per step, 190,000 lines for one
    # 10,000-person upload. careflow's audit trail records what happened, so the engine speaks at WARNING.
    engine_level = os.environ.get("CAREFLOW_ENGINE_LOG_LEVEL", "WARNING").upper()
    if engine_level not in logging.getLevelNamesMapping():
        logging.getLogger("careflow").warning("CAREFLOW_ENGINE_LOG_LEVEL=%s is not a log level; using WARNING",
                                              engine_level)
        engine_level = "WARNING"
    logging.getLogger("spiff").setLevel(engine_level)


# ---- requests --------------------------------------------------------------------------------------
class _DatabaseFigures:
    """A Prometheus collector that reads the shared figures from the database at each scrape."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Any:
        services = self.app.extensions["careflow"]
        with services.db.reading() as session:
            f = health.figures(session)

        def by(name: str, doc: str, label: str, values: dict[str, int], kind: Any = GaugeMetricFamily) -> Any:
            family = kind(name, doc, labels=[label])
            for key, value in sorted(values.items()):
                family.add_metric([key], value)
            return family

        yield by("careflow_open_tasks", "Open user tasks by process", "process", f["open_tasks"])
        yield by("careflow_overdue_tasks", "Open user tasks past their due date by process", "process",
                 f["overdue_tasks"])
        yield by("careflow_tasks_completed", "User tasks completed, by process", "process", f["completed_tasks"],
                 CounterMetricFamily)
        yield by("careflow_outbox_backlog", "Messages waiting to be delivered, by channel", "channel",
                 f["outbox_backlog"])
        yield by("careflow_outbox_failed", "Messages that became incidents, by channel", "channel",
                 f["outbox_failed"])
        yield by("careflow_decision_evaluations", "Decision table evaluations logged, by table", "decision",
                 f["decisions"], CounterMetricFamily)
        fired = CounterMetricFamily("careflow_timers_fired", "Timers fired")
        fired.add_metric([], f["timers_fired"])
        yield fired
        for name, doc, key in (
                ("careflow_timer_due_lag_seconds", "How long the most overdue waiting timer has been due",
                 "timer_due_lag"),
                ("careflow_timer_fired_lag_max_seconds", "Largest lag of timers fired in the last 15 minutes",
                 "timer_fired_lag_max"),
                ("careflow_open_incidents", "Open incidents", "open_incidents"),
                ("careflow_stalled_cases", "Cases running with nothing open, waiting or due", "stalled_cases")):
            gauge = GaugeMetricFamily(name, doc)
            gauge.add_metric([], f[key])
            yield gauge


def init_app(app: Flask) -> None:
    disable_created_metrics()  # no *_created series: they double the output and nobody alerts on them
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:  # behind the council's proxy: trust its X-Forwarded-For/-Proto/-Host, that many hops
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    registry = CollectorRegistry()
    requests = Counter("careflow_http_requests", "HTTP requests by route, method and status",
                       ["route", "method", "status"], registry=registry)
    latency = Histogram("careflow_http_request_duration_seconds", "HTTP request latency by route and method",
                        ["route", "method"], buckets=LATENCY_BUCKETS, registry=registry)
    registry.register(_DatabaseFigures(app))
    app.extensions["careflow_metrics"] = registry
    access_log = logging.getLogger("careflow.http")

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "-")
        started = g.get("request_started")
        if started is not None and request.endpoint not in ("observability.metrics", "static"):
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            elapsed = time.perf_counter() - started
            requests.labels(route, request.method, str(response.status_code)).inc()
            latency.labels(route, request.method).observe(elapsed)
            access_log.info("%s %s %s", request.method, request.path, response.status_code, extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1), "route": route})
        return response

    @app.context_processor
    def _request_id() -> dict[str, Any]:
        return {"request_id": g.get("request_id")}

    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    max_age = float(current_app.config.get("READY_HEARTBEAT_SECONDS", 60))
    checks = health.readiness(current_app.extensions["careflow"].db, heartbeat_max_age=max_age)
    ready = all(c["ok"] for c in checks.values())
    response = jsonify({"status": "ready" if ready else "not ready", "checks": checks})
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if ready else 503


@bp.get("/metrics")
def metrics():  # type: ignore[no-untyped-def]
    token = current_app.config.get("METRICS_TOKEN") or ""
    public = str(current_app.config.get("METRICS_PUBLIC", "")).lower() in ("1", "true", "yes")
    if not token and not public:
        return jsonify({"error": "not_found", "message": "Metrics are off: set CAREFLOW_METRICS_TOKEN"}), 404
    if token and not public:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), str(token).encode()):
            return jsonify({"error": "unauthorised", "message": "Send the metrics bearer token"}), 401
    registry = current_app.extensions["careflow_metrics"]
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
