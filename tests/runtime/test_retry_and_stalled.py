"""An operator's retry runs the failed step again and either moves the case on or raises a new incident;
no case is left "running" with nothing open, waiting or due, and operators can list any that are."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import lab_app
from workflows.models import Incident, TaskRow
from workflows.stalled import stalled_cases


@pytest.fixture(params=["cached", "uncached"])
def lab(tmp_path, request):
    app = lab_app(tmp_path, "notes_loop.bpmn", WORKFLOW_CACHE_SIZE=256 if request.param == "cached" else 0)
    yield app
    app.extensions["careflow"].db.dispose()


def open_tasks(svc, instance_id):
    with svc.db.reading() as s:
        return [t.name for t in s.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id,
                                                                 TaskRow.state == "open"))]


def incidents(svc, instance_id):
    with svc.db.reading() as s:
        return [(i.element_id, i.state) for i in s.scalars(select(Incident).where(Incident.instance_id == instance_id)
                                                           .order_by(Incident.id))]


def test_a_step_that_fails_before_it_runs_is_retried_with_corrected_data(lab, users):
    svc = lab.extensions["careflow"]
    admin = users.make("ada.admin", "admin", ("admins",))
    # A results list left over from an earlier pass: the multi-instance step refuses to start.
    row = svc.runtime.start("notes_loop", {"copies": ["OLD"]})
    assert row.status == "incident" and incidents(svc, row.id) == [("copy_notes", "open")]
    with svc.db.reading() as s:
        [first] = s.scalars(select(Incident)).all()
    # A retry without a correction fails the same way: a new incident, never a silent stall.
    r = admin.post(f"/incidents/{first.id}/retry", json={})
    assert r.status_code == 200 and r.json["status"] == "incident"
    assert incidents(svc, row.id) == [("copy_notes", "resolved"), ("copy_notes", "open")]
    with svc.db.reading() as s:
        second = s.scalars(select(Incident).where(Incident.state == "open")).one()
    # With the corrected data, the step runs and the case moves on.
    r = admin.post(f"/incidents/{second.id}/retry", json={"data": {"copies": []}})
    assert r.status_code == 200 and r.json["status"] == "running", r.json
    assert open_tasks(svc, row.id) == ["check_copies"]
    assert svc.runtime.instance_data(row.id)["copies"] == ["FIRST", "SECOND"]
    with svc.db.reading() as s:
        assert stalled_cases(s) == []


def test_operators_list_stalled_cases(lab, users):
    svc = lab.extensions["careflow"]
    admin = users.make("ada.admin", "admin", ("admins",))
    worker = users.make("casey.worker", "caseworker")
    row = svc.runtime.start("notes_loop", {})
    assert admin.get("/stalled").json == {"cases": []}
    # A case whose projections show nothing open, waiting or due while it is running is stalled.
    with svc.db.transaction() as s:
        task = s.scalars(select(TaskRow).where(TaskRow.instance_id == row.id)).one()
        task.state = "cancelled"
    r = admin.get("/stalled")
    assert r.status_code == 200
    assert [(c["id"], c["processId"], c["status"]) for c in r.json["cases"]] == [(row.id, "notes_loop", "running")]
    assert worker.get("/stalled").status_code == 403
