"""PostgreSQL specifics: the migrations build the models' schema, and concurrent workers claim rows with
SKIP LOCKED so that each timer fires once."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from tests.timers.helpers import at, fixture_app
from workflows.db import Database
from workflows.models import AuditEvent, Base, TimerRow

pytestmark = pytest.mark.postgres


def test_migrations_reach_the_models_schema_on_postgresql(pg_url):
    db = Database(pg_url)
    assert db.dialect == "postgresql"
    db.upgrade()
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    db.dispose()


def _due_timers_and_two_workers(tmp_path, pg_url, count):
    """``count`` cases whose timers are all due now, and two more workers' services on the same database."""
    from app import build_services

    app = fixture_app(tmp_path, "timers_notify.bpmn", database_url=pg_url)
    svc = app.extensions["careflow"]
    for n in range(count):
        svc.runtime.start("timers_notify", {"dueAt": at(3600).isoformat(), "personName": f"Person {n}",
                                            "recipient": "x@example.org", "channel": "record"})
    with svc.db.transaction() as s:
        for timer in s.scalars(select(TimerRow)):
            timer.due_at = at(-1)
    return svc, [build_services({**app.config, "SYNC_ON_START": False, "CREATE_SCHEMA": False}) for _ in range(2)]


def test_two_workers_fire_each_due_timer_once(tmp_path, pg_url):
    svc, workers = _due_timers_and_two_workers(tmp_path, pg_url, 120)
    fired: list[list[str]] = [[], []]

    def work(n: int) -> None:
        while True:
            timer_id = workers[n].runtime.fire_next_due_timer()
            if timer_id is None:
                return
            fired[n].append(timer_id)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(fired[0]) + len(fired[1]) == 120 and not set(fired[0]) & set(fired[1])
    assert fired[0] and fired[1]  # both took a share
    with svc.db.reading() as s:
        assert {t.state for t in s.scalars(select(TimerRow))} == {"fired"}
        counts = Counter(e.task_id for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "timer_fired")))
        assert len(counts) == 120 and set(counts.values()) == {1}
    for w in workers:
        w.db.dispose()
    svc.db.dispose()


def test_two_schedulers_with_two_timer_threads_each_fire_every_timer_once(tmp_path, pg_url):
    """Four claimers on one database (two workers, each firing on two threads, batches without
    savepoints): every timer fires once, and both workers take a share."""
    import time

    from workflows.scheduler import CareflowScheduler

    svc, workers = _due_timers_and_two_workers(tmp_path, pg_url, 150)
    schedulers = [CareflowScheduler(w.runtime, None, poll_seconds=0.2, escalations=False) for w in workers]
    assert [s.timer_threads for s in schedulers] == [2, 2]
    for scheduler in schedulers:
        scheduler.start()
    try:
        deadline = time.time() + 120
        while time.time() < deadline and sum(s.stats.timers_fired for s in schedulers) < 150:
            time.sleep(0.1)
    finally:
        for scheduler in schedulers:
            scheduler.shutdown()
    assert [s.stats.errors for s in schedulers] == [0, 0]
    assert sum(s.stats.timers_fired for s in schedulers) == 150 and all(s.stats.timers_fired for s in schedulers)
    with svc.db.reading() as s:
        assert {t.state for t in s.scalars(select(TimerRow))} == {"fired"}
        counts = Counter(e.task_id for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "timer_fired")))
        assert len(counts) == 150 and set(counts.values()) == {1}
    for w in workers:
        w.db.dispose()
    svc.db.dispose()
