"""Long-lived cases stay bounded and correct (DESIGN.md decision 8): loops of thousands of rounds,
through scripts, timers, receive tasks, user tasks and boundary events, beside a parallel branch.

SpiffWorkflow's task iterator stops at tree depth 1000, so before the runtime pruned finished
history a loop of ~300 rounds ended "completed" with the wrong data. Each test checks the data at
the end, the status, and that the stored state stays small however many rounds ran.
"""
from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import make_app
from workflows.identity import Principal
from workflows.models import AuditEvent, Instance, TaskRow, TimerRow, utcnow

HERE = Path(__file__).resolve().parent / "fixtures"
WORKER = Principal(1, "casey.worker", "caseworker", ())


@pytest.fixture(params=["cached", "uncached"])
def services(request: Any, tmp_path: Path) -> Any:
    bpmn = tmp_path / "bpmn"
    (bpmn / "forms").mkdir(parents=True)
    for name in ("loop_script.bpmn", "loop_waits.bpmn"):
        shutil.copy(HERE / name, bpmn / name)
    app = make_app(tmp_path, BPMN_DIR=str(bpmn), FORMS_DIR=str(bpmn / "forms"),
                   WORKFLOW_CACHE_SIZE=256 if request.param == "cached" else 0)
    yield app.extensions["careflow"]
    app.extensions["careflow"].db.dispose()


def state_size(services: Any, instance_id: str) -> int:
    with services.db.reading() as s:
        return len(s.get(Instance, instance_id).state)


@pytest.mark.parametrize("wanted", [2, 1000, 10_000])
def test_a_script_loop_runs_every_round_and_ends_at_its_end_event(services, wanted):
    row = services.runtime.start("loop_script", {"rounds": 0, "total": 0, "wanted": wanted}, actor="test")
    data = services.runtime.instance_data(row.id)
    assert row.status == "completed"
    assert data["rounds"] == wanted
    assert data["total"] == wanted * (wanted + 1) // 2
    assert data["finished"] is True
    assert state_size(services, row.id) < 60_000


def test_an_endless_loop_becomes_an_incident_not_a_hung_worker(services):
    services.runtime.max_tasks_per_step = 3000  # the default (50,000) takes longer; the mechanism is the same
    row = services.runtime.start("loop_script", {"rounds": 0, "total": 0, "wanted": 10**9}, actor="test")
    assert row.status == "incident"
    with services.db.reading() as s:
        from workflows.models import Incident

        incident = s.scalars(select(Incident).where(Incident.instance_id == row.id)).one()
    assert "loop forever" in incident.message


def drive_rounds(services: Any, instance_id: str, rounds: int) -> None:
    """Each round: a day passes (timer), a visit is recorded (message), a worker checks in (task)."""
    runtime = services.runtime
    case = runtime.instance_data(instance_id)["caseReference"]
    clock = utcnow()
    for n in range(rounds):
        clock += timedelta(days=1, seconds=1)
        assert runtime.fire_due_timers(now=clock) == 1, f"round {n}: no timer was due"
        runtime.correlate_message("visit_recorded", {"caseReference": case}, {"visitNote": f"visit {n}"})
        with services.db.reading() as s:
            task = s.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id, TaskRow.state == "open",
                                                   TaskRow.name == "check_in")).one()
        if n == 0:  # once, let the non-interrupting boundary timer fire beside the open task
            clock += timedelta(days=2, seconds=1)
            assert runtime.fire_due_timers(now=clock) == 1
        runtime.complete_task(task.id, {}, WORKER)


@pytest.mark.parametrize("rounds", [2, 400])
def test_a_loop_of_timers_messages_and_tasks_beside_open_work_ends_with_every_round_counted(services, rounds):
    runtime = services.runtime
    row = runtime.start("loop_waits", {"wanted": rounds}, actor="test")
    drive_rounds(services, row.id, rounds)
    with services.db.reading() as s:
        assert s.get(Instance, row.id).status == "running"  # the main work is still open
        main = s.scalars(select(TaskRow).where(TaskRow.instance_id == row.id, TaskRow.state == "open")).one()
        assert main.name == "main_work"
        assert s.scalar(select(func.count()).select_from(TimerRow).where(
            TimerRow.instance_id == row.id, TimerRow.state == "waiting")) == 0
    runtime.complete_task(main.id, {"closingNote": "all done"}, WORKER)
    data = runtime.instance_data(row.id)
    with services.db.reading() as s:
        final = s.get(Instance, row.id)
        assert final.status == "completed"
        fired = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == row.id, AuditEvent.action == "timer_fired"))
    assert fired == rounds + 1  # every day, and the one late check-in
    assert data["rounds"] == rounds
    assert data["closingNote"] == "all done"
    assert data["late"] is True
    assert data["visitNote"] == f"visit {rounds - 1}"
    assert state_size(services, row.id) < 80_000
