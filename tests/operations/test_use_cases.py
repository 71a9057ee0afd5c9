"""Operators' use cases on real cases: suspend/resume with timers, cancel, move, retry with data,
batch retry, resolve with a reason; each writes exactly one audit row of its kind."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from workflows.errors import Conflict, ValidationFailed
from workflows.models import TimerRow, utcnow

from .support import audit_rows, fix_divisor, instance, open_incident, open_task, principal, start_sharing


def _make_due(svc, instance_id):
    with svc.db.transaction() as session:
        timer = session.scalars(select(TimerRow).where(TimerRow.instance_id == instance_id,
                                                       TimerRow.state == "waiting")).one()
        timer.due_at = utcnow() - timedelta(seconds=5)
        return timer.id


def test_a_suspended_case_cannot_be_worked_its_timer_waits_and_fires_once_on_resume(svc, ops):
    case = start_sharing(svc, "Robin Example")
    assert instance(svc, case.id).status == "running"
    ops.suspend(case.id, "ada.admin", "Family asked us to pause while they decide")
    assert instance(svc, case.id).status == "suspended"
    timer_id = _make_due(svc, case.id)
    assert svc.runtime.fire_due_timers() == 0  # due, but the case is held
    with svc.db.reading() as session:
        assert session.get(TimerRow, timer_id).state == "waiting"
    resumed = ops.resume(case.id, "ada.admin", "Family decided to go ahead")
    assert resumed.status == "running"
    with svc.db.reading() as session:
        assert session.get(TimerRow, timer_id).state == "fired"
    assert svc.runtime.fire_due_timers() == 0
    assert len(audit_rows(svc, case.id, "timer_fired")) == 1
    assert open_task(svc, case.id).name == "review_share"


def test_a_suspended_case_refuses_completion_with_a_conflict(svc, ops):
    row = svc.runtime.start("ops_sharing", {"personName": "Kit Example", "coolingOff": "PT1H"}, actor="casey.worker")
    task = open_task(svc, row.id)
    ops.suspend(row.id, "ada.admin", "Checking the referral")
    with pytest.raises(Conflict, match="suspended"):
        svc.runtime.complete_task(task.id, {"amount": 10, "divisor": 1}, principal(svc, "casey.worker"))
    with pytest.raises(Conflict):
        ops.suspend(row.id, "ada.admin", "again")
    with pytest.raises(Conflict, match="Resume it first"):
        ops.move(row.id, "review_share", {}, "ada.admin", "skip")


def test_every_operator_action_needs_a_reason(svc, ops):
    case = start_sharing(svc, "Ash Example")
    for action in (ops.suspend, ops.cancel):
        with pytest.raises(ValidationFailed) as failed:
            action(case.id, "ada.admin", "   ")
        assert failed.value.errors[0]["field"] == "reason"


def test_cancel_withdraws_tasks_timers_and_incidents(svc, ops):
    case = start_sharing(svc, "Lee Example", divisor=0)
    assert instance(svc, case.id).status == "incident"
    ops.cancel(case.id, "ada.admin", "Duplicate referral")
    row = instance(svc, case.id)
    assert row.status == "terminated" and row.completed_at is not None
    assert open_task(svc, case.id) is None
    with pytest.raises(Conflict, match="cancelled"):
        ops.move(case.id, "review_share", {}, "ada.admin", "no")


def test_move_to_a_step_carries_data_and_withdraws_the_old_position(svc, ops):
    case = start_sharing(svc, "Sky Example")  # waiting for the cooling-off timer
    ops.move(case.id, "record_amount", {"note": "recheck"}, "ada.admin", "Amount was wrong")
    task = open_task(svc, case.id)
    assert task.name == "record_amount"
    data = svc.runtime.task_data(task.id)
    assert data["note"] == "recheck" and data["personName"] == "Sky Example" and data["amount"] == 300
    with svc.db.reading() as session:
        assert {t.state for t in session.scalars(select(TimerRow).where(TimerRow.instance_id == case.id))} \
            == {"cancelled"}
    moved = audit_rows(svc, case.id, "instance_moved")
    assert len(moved) == 1 and moved[0].actor == "ada.admin"
    assert moved[0].data["reason"] == "Amount was wrong" and moved[0].data["fromSteps"] == ["cooling_off"]
    # The case goes on from there as normal, to its end.
    svc.runtime.complete_task(task.id, {"amount": 90, "divisor": 3}, principal(svc, "casey.worker"))
    _make_due(svc, case.id)
    assert svc.runtime.fire_due_timers() == 1
    review = open_task(svc, case.id)
    svc.runtime.complete_task(review.id, {"agreed": True}, principal(svc, "casey.worker"))
    assert instance(svc, case.id).status == "completed"
    assert svc.runtime.instance_data(case.id)["share"] == 30


def test_move_to_an_unknown_step_is_a_422(svc, ops):
    case = start_sharing(svc, "Ray Example")
    for target in ("nowhere", "referral_received", "referral_closed"):
        with pytest.raises(ValidationFailed):
            ops.move(case.id, target, {}, "ada.admin", "try")


def test_move_resolves_an_incident_and_the_case_runs_again(svc, ops):
    case = start_sharing(svc, "Jo Example", divisor=0)
    ops.move(case.id, "review_share", {"share": 0}, "ada.admin", "Nothing to share")
    assert instance(svc, case.id).status == "running"
    assert svc.runtime.stalled_cases() == []


def test_retry_with_edited_data_is_checked_against_the_steps_form(svc, ops):
    case = start_sharing(svc, "Max Example", divisor=0)
    incident = open_incident(svc, case.id)
    form = ops.incident_form(incident.id)
    assert form["formKey"] == "ops_share" and form["data"] == {"amount": 300, "divisor": 0}
    with pytest.raises(ValidationFailed) as failed:
        ops.retry(incident.id, "ada.admin", {"amount": 300, "divisor": 0})
    assert failed.value.errors[0]["field"] == "divisor"
    row = ops.retry(incident.id, "ada.admin", {"amount": 300, "divisor": 4})
    assert row.status == "running"
    assert svc.runtime.instance_data(case.id)["share"] == 75
    assert len(audit_rows(svc, case.id, "incident_retried")) == 1


def test_batch_retry_gives_a_result_per_case(svc, ops):
    cases = [start_sharing(svc, f"Person {i}", divisor=0) for i in range(3)]
    incidents = [open_incident(svc, c.id).id for c in cases]
    for case in cases[:2]:  # two are fixed meanwhile; the third fails again
        fix_divisor(svc, case.id, 2)
    outcomes = ops.retry_many(incidents + [999999], "ada.admin")
    by_id = {o.incident_id: o for o in outcomes}
    assert [by_id[i].ok for i in incidents] == [True, True, False]
    assert by_id[999999].ok is False and "No incident" in by_id[999999].message
    assert instance(svc, cases[2].id).status == "incident"


def test_resolve_with_a_reason(svc, ops):
    case = start_sharing(svc, "Dee Example", divisor=0)
    incident = open_incident(svc, case.id)
    ops.resolve(incident.id, "ada.admin", "Fixed outside careflow")
    rows = audit_rows(svc, case.id, "incident_resolved")
    assert len(rows) == 1 and rows[0].data["reason"] == "Fixed outside careflow"
    with pytest.raises(Conflict):
        ops.resolve(incident.id, "ada.admin", "again")


def test_moving_back_to_an_activity_arms_its_boundary_timer_again(svc, ops):
    from tests.conftest import FIXTURES

    with svc.db.transaction() as session:
        svc.library.store(session, {"timer_wait.bpmn": (FIXTURES / "timer_wait.bpmn").read_text()}, {})
    row = svc.runtime.start("timer_wait", {}, actor="casey.worker")

    def waiting():
        with svc.db.reading() as session:
            return [t.element_id for t in session.scalars(select(TimerRow).where(
                TimerRow.instance_id == row.id, TimerRow.state == "waiting"))]

    assert waiting() == ["notice_expired"]
    ops.move(row.id, "escalate", {}, "ada.admin", "The notice period is already over")
    assert open_task(svc, row.id).name == "escalate" and waiting() == []
    ops.move(row.id, "record_notice", {}, "ada.admin", "Moved too early")
    assert open_task(svc, row.id).name == "record_notice" and waiting() == ["notice_expired"]
    assert [t["elementId"] for t in ops.targets(row.id)] == ["escalate", "record_notice"]


def test_a_batch_retry_that_leaves_nothing_open_says_so(svc, ops):
    from SpiffWorkflow.util.task import TaskState

    from workflows import StepContext

    row = svc.runtime.start("ops_sharing", {"personName": "Stuck Example", "coolingOff": "PT1H"}, actor="x")
    with svc.runtime.transaction() as session:  # its one open task withdrawn, as a deadlocked diagram leaves it
        instance_row, wf = svc.runtime.load(session, row.id, lock=True)
        for task in wf.get_tasks(state=TaskState.READY):
            task._set_state(TaskState.CANCELLED)
        svc.runtime._save(session, instance_row, wf, StepContext(row.id, row.case_reference, "test"))
    assert svc.runtime.flag_stalled_cases() == [row.id]
    [outcome] = ops.retry_many([open_incident(svc, row.id).id], "ada.admin")
    assert outcome.ok is False and "nothing is open or waiting now" in outcome.message
    assert [c["id"] for c in svc.runtime.stalled_cases()] == [row.id]


def test_an_unexpected_failure_of_one_case_keeps_the_batchs_other_results(svc, ops):
    from workflows.models import TaskRow

    broken = svc.runtime.start("ops_sharing", {"personName": "Tampered", "coolingOff": "PT1H"}, actor="x")
    with svc.db.transaction() as session:  # rows changed by hand behind the workflow's back
        session.get(TaskRow, open_task(svc, broken.id).id).state = "cancelled"
    svc.runtime.flag_stalled_cases()
    fine = start_sharing(svc, "Fine Example", divisor=0)
    fix_divisor(svc, fine.id, 3)
    outcomes = ops.retry_many([open_incident(svc, broken.id).id, open_incident(svc, fine.id).id], "ada.admin")
    assert [o.ok for o in outcomes] == [False, True]
    assert "unexpected error was logged" in outcomes[0].message
    assert instance(svc, fine.id).status == "running"
