"""Is this deployment able to do its work? The checks behind ``/readyz`` and the figures behind
``/metrics``, read from the database so every web process and worker answers the same.

* A scheduler (``careflow worker``, or ``careflow serve`` with its scheduler) writes a heartbeat row
  on every poll; readiness wants one seen within ``max_age`` seconds.
* Migrations are current when the database's Alembic revision is the scripts' head.
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, func, select, text
from sqlalchemy.orm import Session

from .db import MIGRATIONS_DIR, Database
from .models import DecisionLog, Incident, Instance, OutboxMessage, TaskRow, TimerRow, utcnow
from .ops_models import SchedulerHeartbeat

HEARTBEAT_KEEP = timedelta(days=1)  # rows of schedulers gone this long are removed


def worker_id() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def beat(db: Database, worker: str, now: datetime | None = None) -> None:
    """Record that the scheduler ``worker`` is polling (one small transaction)."""
    clock = now or utcnow()
    with db.transaction() as session:
        row = session.get(SchedulerHeartbeat, worker)
        if row is None:
            host, _, rest = worker.partition(":")
            pid = rest.partition(":")[0]
            session.add(SchedulerHeartbeat(worker_id=worker, host=host, pid=int(pid) if pid.isdigit() else 0,
                                           started_at=clock, seen_at=clock))
        else:
            row.seen_at = clock
        session.query(SchedulerHeartbeat).filter(SchedulerHeartbeat.seen_at < clock - HEARTBEAT_KEEP).delete(
            synchronize_session=False)


@lru_cache(maxsize=1)
def _scripts() -> tuple[frozenset[str], frozenset[str]]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(cfg)
    return frozenset(script.get_heads()), frozenset(r.revision for r in script.walk_revisions())


def migration_heads() -> frozenset[str]:
    return _scripts()[0]


def migrations_current(current: set[str]) -> bool:
    """The database has this release's migrations: it is at the head, or at a revision this release does
    not know (a newer release migrated it during a rolling upgrade; this one keeps serving)."""
    heads, known = _scripts()
    if not current:
        return False
    return current == set(heads) or not (current & set(known))


def readiness(db: Database, *, heartbeat_max_age: float = 60.0) -> dict[str, dict[str, Any]]:
    """Each check with ``ok`` and what it found; nothing raises (a failing check says why)."""
    checks: dict[str, dict[str, Any]] = {}
    try:
        with db.reading() as session:
            session.execute(text("SELECT 1"))
            checks["database"] = {"ok": True}
            try:
                current = set(session.scalars(text("SELECT version_num FROM alembic_version")))
            except Exception:  # noqa: BLE001  no table: never migrated
                current = set()
            heads = set(migration_heads())
            checks["migrations"] = {"ok": migrations_current(current), "current": sorted(current),
                                    "expected": sorted(heads)}
            seen = session.scalar(select(func.max(SchedulerHeartbeat.seen_at)))
    except Exception as exc:  # noqa: BLE001  the database is down or refusing
        checks["database"] = {"ok": False, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"}
        checks["migrations"] = {"ok": False, "error": "the database cannot be read"}
        checks["scheduler"] = {"ok": False, "error": "the database cannot be read"}
        return checks
    age = (utcnow() - seen).total_seconds() if seen is not None else None
    checks["scheduler"] = {"ok": age is not None and age <= heartbeat_max_age,
                           "lastHeartbeatSecondsAgo": round(age, 1) if age is not None else None,
                           "maxAgeSeconds": heartbeat_max_age}
    return checks


def figures(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """What ``/metrics`` reports from the database (counts and gauges shared by every process)."""
    clock = now or utcnow()
    from .stalled import stalled_query

    def grouped(query: Any) -> dict[str, int]:
        return {str(key or ""): int(count) for key, count in session.execute(query)}

    open_tasks = grouped(select(TaskRow.process_id, func.count()).where(TaskRow.state == "open")
                         .group_by(TaskRow.process_id))
    overdue = grouped(select(TaskRow.process_id, func.count()).where(TaskRow.state == "open", TaskRow.due_at < clock)
                      .group_by(TaskRow.process_id))
    completed = grouped(select(TaskRow.process_id, func.count()).where(TaskRow.state == "completed")
                        .group_by(TaskRow.process_id))
    backlog = grouped(select(OutboxMessage.channel, func.count()).where(OutboxMessage.state.in_(("pending",
                                                                                                "sending")))
                      .group_by(OutboxMessage.channel))
    failed = grouped(select(OutboxMessage.channel, func.count()).where(OutboxMessage.state == "incident")
                     .group_by(OutboxMessage.channel))
    decisions = grouped(select(DecisionLog.decision_id, func.count()).group_by(DecisionLog.decision_id))
    fired = session.scalar(select(func.count()).select_from(TimerRow).where(TimerRow.state == "fired")) or 0
    held = select(Instance.id).where(Instance.status.in_(("suspended", "terminated")))
    late = select(func.min(TimerRow.due_at)).where(and_(TimerRow.state == "waiting", TimerRow.due_at <= clock,
                                                        TimerRow.instance_id.not_in(held)))
    oldest_due = session.scalar(late)
    recent_lag = session.scalar(select(func.max(TimerRow.lag_seconds)).where(
        TimerRow.state == "fired", TimerRow.fired_at >= clock - timedelta(minutes=15)))
    incidents = session.scalar(select(func.count()).select_from(Incident).where(Incident.state == "open")) or 0
    stalled = len(session.scalars(stalled_query(10_000).with_only_columns(Instance.id)).all())
    return {"open_tasks": open_tasks, "overdue_tasks": overdue, "completed_tasks": completed,
            "outbox_backlog": backlog, "outbox_failed": failed, "decisions": decisions, "timers_fired": int(fired),
            "timer_due_lag": max(0.0, (clock - oldest_due).total_seconds()) if oldest_due else 0.0,
            "timer_fired_lag_max": float(recent_lag or 0.0), "open_incidents": int(incidents),
            "stalled_cases": stalled}
