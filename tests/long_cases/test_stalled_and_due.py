"""A case never stops silently: one with nothing open, waiting or due becomes an incident an operator
sees; a timer already due when a step ends fires in that step instead of being lost."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.wiring import build_scheduler
from tests.conftest import make_app
from workflows.models import Incident, Instance, TaskRow, TimerRow

HERE = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def app(tmp_path: Path) -> Any:
    bpmn = tmp_path / "bpmn"
    (bpmn / "forms").mkdir(parents=True)
    for name in ("deadlock.bpmn", "due_already.bpmn", "loop_script.bpmn"):
        shutil.copy(HERE / name, bpmn / name)
    application = make_app(tmp_path, BPMN_DIR=str(bpmn), FORMS_DIR=str(bpmn / "forms"))
    yield application
    application.extensions["careflow"].db.dispose()


def test_a_deadlocked_case_is_listed_as_stalled_and_the_scheduler_gives_it_an_incident(app, users):
    services = app.extensions["careflow"]
    stuck = services.runtime.start("deadlock", {"takeB": False}, actor="test")
    fine = services.runtime.start("loop_script", {"rounds": 0, "total": 0, "wanted": 3}, actor="test")
    assert stuck.status == "running"  # a join waits for a branch that was never taken
    assert fine.status == "completed"
    assert [c["id"] for c in services.runtime.stalled_cases()] == [stuck.id]

    admin = users.make("ada.admin", "admin", ("admins",))
    listed = admin.get("/stalled")
    assert listed.status_code == 200 and [c["id"] for c in listed.json["cases"]] == [stuck.id]
    assert users.make("casey.worker").get("/stalled").status_code == 403

    scheduler = build_scheduler(services, {}, escalations=False)
    assert scheduler.run_once()["stalled"] == 1
    assert scheduler.run_once()["stalled"] == 0  # once: the case now has its incident
    with services.db.reading() as s:
        assert s.get(Instance, stuck.id).status == "incident"
        incident = s.scalars(select(Incident).where(Incident.instance_id == stuck.id)).one()
    assert incident.error_type == "Stalled" and "nothing open, waiting or due" in incident.message
    assert services.runtime.stalled_cases() == []


def test_a_timer_due_before_the_step_ends_fires_in_that_step(app):
    services = app.extensions["careflow"]
    row = services.runtime.start("due_already", {"closureDate": "2020-01-31T12:00:00+00:00"}, actor="test")
    with services.db.reading() as s:
        tasks = s.scalars(select(TaskRow).where(TaskRow.instance_id == row.id, TaskRow.state == "open")).all()
        timers = s.scalars(select(TimerRow).where(TimerRow.instance_id == row.id)).all()
    assert [t.name for t in tasks] == ["after_closure"]
    assert timers == []
    assert services.runtime.stalled_cases() == []
