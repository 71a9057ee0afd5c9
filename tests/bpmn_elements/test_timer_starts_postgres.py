"""On PostgreSQL, two workers polling the same due timer start events start one instance per firing."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.bpmn_elements.conftest import Drive
from tests.conftest import make_app
from tests.pg import pg_url  # noqa: F401
from workflows.models import Instance, StartTimer
from workflows.start_timers import fire_due

pytestmark = pytest.mark.postgres


def test_two_workers_start_one_instance_per_firing(tmp_path, pg_url):  # noqa: F811
    from app import build_services

    empty = tmp_path / "bpmn"
    empty.mkdir()
    app = make_app(tmp_path, DATABASE_URL=pg_url, BPMN_DIR=str(empty), DMN_DIR=str(empty))
    drive = Drive(app)
    text = drive.files("timer_start_cycle.bpmn")["timer_start_cycle.bpmn"]
    for n in range(30):  # thirty processes, each with a due firing
        drive.deploy(**{f"cycle_{n}.bpmn": text.replace("timer_start_cycle", f"cycle_{n}")})
    workers = [build_services({**app.config, "SYNC_ON_START": False, "CREATE_SCHEMA": False}) for _ in range(2)]
    later = datetime.now(timezone.utc) + timedelta(hours=1, minutes=1)
    started: list[list[str]] = [[], []]

    def work(n: int) -> None:
        while True:
            ids = fire_due(workers[n].runtime, later, limit=3)
            if not ids:
                return
            started[n].extend(ids)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(started[0]) + len(started[1]) == 30 and not set(started[0]) & set(started[1])
    with app.extensions["careflow"].db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Instance)) == 30
        assert {(t.fired_count, t.remaining) for t in session.scalars(select(StartTimer))} == {(1, 1)}
    for worker in workers:
        worker.db.dispose()
    app.extensions["careflow"].db.dispose()
