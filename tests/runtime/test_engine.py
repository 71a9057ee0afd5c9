"""The runtime driven through its use cases, with the workflow restored from the store at every step."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.conftest import REFERRAL, lab_app
from workflows.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflows.models import AuditEvent, DecisionLog, Incident, Instance, OutboxMessage, TaskRow, TimerRow, utcnow


@pytest.fixture
def lab(tmp_path):
    app = lab_app(tmp_path, "script_error.bpmn", "message_wait.bpmn", "timer_wait.bpmn")
    svc = app.extensions["careflow"]
    svc.runtime.cache.size = 0  # every step deserializes what the store holds
    yield svc
    svc.db.dispose()


@pytest.fixture
def casey(lab):
    from workflows.identity import Principal, add_user

    add_user(lab.db, "casey.worker", "caseworker", ["adult_social_care"])
    return Principal("casey.worker", "Casey Worker", "caseworker", ("adult_social_care",))


def open_tasks(svc, instance_id):
    with svc.db.reading() as s:
        return s.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id, TaskRow.state == "open")).all()


def stored(svc, instance_id):
    with svc.db.reading() as s:
        row = s.get(Instance, instance_id)
        return row, svc.library.serializer.deserialize_json(row.state)


def test_demo_referral_urgent_path_end_to_end(lab, casey):
    row = lab.runtime.start("demo_referral", {}, actor=casey.username)
    assert row.status == "running" and row.version == 1
    [task] = open_tasks(lab, row.id)
    assert (task.name, task.candidate_group, task.form_key) == ("record_referral", "adult_social_care",
                                                                "referral_details")
    assert task.due_at is not None and timedelta(days=1) < task.due_at - utcnow() <= timedelta(days=2)
    # The stored state is a complete workflow: restoring it finds the same ready task.
    _, wf = stored(lab, row.id)
    assert [str(t.id) for t in wf.get_tasks(state=16, manual=True)] == [task.id]  # TaskState.READY

    done = lab.runtime.complete_task(task.id, {**REFERRAL, "riskToLife": True}, casey)
    assert done.status == "completed" and done.title == "Alex Example"
    with lab.db.reading() as s:
        [decision] = s.scalars(select(DecisionLog).where(DecisionLog.instance_id == row.id)).all()
        assert decision.decision_id == "DemoReferralPriority"
        assert decision.outputs == "URGENT"
        assert decision.inputs == {"riskToLife": True, "livesAlone": True}
        assert [r["ruleId"] for r in decision.matched_rules] == ["rule_risk_to_life"]
        [message] = s.scalars(select(OutboxMessage).where(OutboxMessage.instance_id == row.id)).all()
        assert (message.template, message.recipient, message.state) == ("urgent_referral", "duty.team@example.org",
                                                                        "pending")
        assert message.payload == {"personName": "Alex Example", "caseReference": row.case_reference,
                                   "priority": "URGENT"}
        actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.instance_id == row.id)
                                               .order_by(AuditEvent.id))]
    assert actions[:2] == ["instance_started", "task_opened"]
    assert {"task_completed", "decision_evaluated", "service_called"} <= set(actions)


def test_demo_referral_routine_path_acknowledges_the_referrer(lab, casey):
    row = lab.runtime.start("demo_referral", {}, actor=casey.username)
    [task] = open_tasks(lab, row.id)
    lab.runtime.complete_task(task.id, {**REFERRAL, "livesAlone": False, "referrerEmail": "gp@example.org"}, casey)
    with lab.db.reading() as s:
        [message] = s.scalars(select(OutboxMessage).where(OutboxMessage.instance_id == row.id)).all()
        [decision] = s.scalars(select(DecisionLog).where(DecisionLog.instance_id == row.id)).all()
    assert (message.template, message.recipient) == ("referral_acknowledged", "gp@example.org")
    assert decision.outputs == "ROUTINE" and decision.matched_rules[0]["index"] == 3


def test_submitted_data_is_validated_and_nothing_changes_on_error(lab, casey):
    row = lab.runtime.start("demo_referral", {}, actor=casey.username)
    [task] = open_tasks(lab, row.id)
    with pytest.raises(ValidationFailed) as failed:
        lab.runtime.complete_task(task.id, {"personName": "", "referralSource": "PIGEON"}, casey)
    fields = {e["field"]: e["message"] for e in failed.value.errors}
    assert fields["personName"] == "Enter the person's full name"
    assert fields["referralSource"] == "Select who made the referral"
    assert fields["riskToLife"] == "Select yes if there is a risk to the person's life"
    after, _ = stored(lab, row.id)
    assert after.version == row.version and len(open_tasks(lab, row.id)) == 1


def test_data_that_would_break_the_stored_workflow_is_refused_or_normalised(lab, casey):
    with pytest.raises(ValidationFailed) as failed:
        lab.runtime.start("demo_referral", {"contact": {"typename": "BpmnWorkflow"}})
    assert failed.value.errors[0]["field"] == "contact.typename"
    row = lab.runtime.start("demo_referral", {"cost": Decimal("12.50"), "tags": {"b", "a"}, "pair": (1, 2),
                                              "byId": {1: "x"}})
    data = lab.runtime.instance_data(row.id)
    assert (data["cost"], data["tags"], data["pair"], data["byId"]) == (12.5, ["a", "b"], [1, 2], {"1": "x"})


def test_a_running_instance_keeps_its_version_when_a_new_one_is_deployed(lab, casey):
    old = lab.runtime.start("demo_referral", {}, actor=casey.username)
    path = lab.library.bpmn_dir / "demo_referral.bpmn"
    path.write_text(path.read_text().replace('name="Record the referral"', 'name="Record the referral (v2)"'))
    [v2] = [v for v in lab.library.sync_from_disk() if v.process_id == "demo_referral"]
    assert v2.version == 2
    new = lab.runtime.start("demo_referral", {}, actor=casey.username)
    assert open_tasks(lab, new.id)[0].title == "Record the referral (v2)"
    [old_task] = open_tasks(lab, old.id)
    assert old_task.title == "Record the referral"
    assert lab.runtime.complete_task(old_task.id, REFERRAL, casey).status == "completed"
    assert old.process_version_id != new.process_version_id
    # Syncing unchanged files creates no version.
    assert {v.version for v in lab.library.sync_from_disk() if v.process_id == "demo_referral"} == {2}


def test_a_script_error_becomes_an_incident_with_its_line_and_can_be_retried(lab, casey):
    row = lab.runtime.start("script_error", {})
    [task] = open_tasks(lab, row.id)
    after = lab.runtime.complete_task(task.id, {"amount": 90, "divisor": 0}, casey)
    assert after.status == "incident"
    with lab.db.reading() as s:
        [incident] = s.scalars(select(Incident).where(Incident.instance_id == row.id)).all()
    assert incident.element_id == "divide" and incident.line_number == 3
    assert incident.error_line == "share = total / people"
    assert "ZeroDivisionError" in incident.message or "division by zero" in incident.message
    # The caseworker's data was kept: the completed task stays completed.
    with lab.db.reading() as s:
        assert s.get(TaskRow, task.id).state == "completed"
    # An operator corrects the data and retries: the instance moves on.
    retried = lab.runtime.retry_incident(incident.id, "ada.admin", {"divisor": 3})
    assert retried.status == "running"
    [check] = open_tasks(lab, row.id)
    assert check.name == "check_share"
    assert lab.runtime.task_data(check.id)["share"] == 30
    with pytest.raises(Conflict):
        lab.runtime.retry_incident(incident.id, "ada.admin")


def test_messages_start_and_correlate_by_key(lab, casey):
    result = lab.runtime.correlate_message("open_provider_case", None, {"providerRef": "PRV-1", "noticeDays": 7})
    [instance_id] = result["started"]
    assert open_tasks(lab, instance_id) == []
    with pytest.raises(NotFound):
        lab.runtime.correlate_message("provider_notice", {"providerRef": "PRV-2"}, {"noticeDays": 28},
                                      start=False)
    delivered = lab.runtime.correlate_message("provider_notice", {"providerRef": "PRV-1"}, {"noticeDays": 28})
    assert delivered == {"correlated": [instance_id], "started": []}
    [task] = open_tasks(lab, instance_id)
    assert task.name == "review_notice"
    assert lab.runtime.task_data(task.id)["noticeDays"] == 28  # the message's value wins over the older one


def test_timers_fire_on_the_runtime_clock_and_interrupt_the_task(lab, casey):
    row = lab.runtime.start("timer_wait", {})
    with lab.db.reading() as s:
        [timer] = s.scalars(select(TimerRow).where(TimerRow.instance_id == row.id)).all()
    assert timer.state == "waiting" and timer.kind == "duration" and timer.element_id == "notice_expired"
    assert timedelta(days=13, hours=23) < timer.due_at - utcnow() <= timedelta(days=14)
    assert lab.runtime.fire_due_timers() == 0
    assert lab.runtime.fire_due_timers(now=utcnow() + timedelta(days=15)) == 1
    [task] = open_tasks(lab, row.id)
    assert task.name == "escalate"
    with lab.db.reading() as s:
        assert s.get(TimerRow, timer.id).state == "fired"
        cancelled = s.scalars(select(TaskRow).where(TaskRow.instance_id == row.id,
                                                    TaskRow.name == "record_notice")).one()
    assert cancelled.state == "cancelled"
    assert lab.runtime.fire_due_timers(now=utcnow() + timedelta(days=30)) == 0


def test_only_the_candidate_group_or_assignee_may_work_a_task(lab, casey):
    from workflows.identity import Principal, add_user

    add_user(lab.db, "quinn.lead", "quality_lead", ["qiss"])
    quinn = Principal("quinn.lead", "Quinn Lead", "quality_lead", ("qiss",))
    row = lab.runtime.start("demo_referral", {})
    [task] = open_tasks(lab, row.id)
    with pytest.raises(Forbidden):
        lab.runtime.claim(task.id, quinn)
    with pytest.raises(Forbidden):
        lab.runtime.complete_task(task.id, REFERRAL, quinn)
    lab.runtime.claim(task.id, casey)
    sam = Principal("sam.support", "Sam", "caseworker", ("adult_social_care",))
    with pytest.raises(Conflict):
        lab.runtime.claim(task.id, sam)
    with pytest.raises(Conflict, match="already claimed by casey.worker"):  # a teammate's: a race, not a refusal
        lab.runtime.complete_task(task.id, REFERRAL, sam)
    assert lab.runtime.complete_task(task.id, REFERRAL, casey).status == "completed"


def test_starting_twice_with_the_same_business_key_starts_once(lab):
    first = lab.runtime.start("demo_referral", {}, business_key="referral-42")
    second = lab.runtime.start("demo_referral", {}, business_key="referral-42")
    assert first.id == second.id
    with lab.db.reading() as s:
        assert len(s.scalars(select(Instance)).all()) == 1


def test_state_is_plain_json_naming_its_immutable_version(lab, tmp_path):
    from workflows.library import ProcessLibrary
    from workflows.models import ProcessVersion

    row = lab.runtime.start("demo_referral", {})
    with lab.db.reading() as s:
        state = json.loads(s.get(Instance, row.id).state)
        version = s.get(ProcessVersion, row.process_version_id)
    assert state["spec_ref"] == f"demo_referral@{version.content_hash}" and "spec" not in state
    # After a restart (an empty spec cache) the state is restored from the stored version's files.
    fresh = ProcessLibrary(lab.db, tmp_path / "nothing", tmp_path / "nothing")
    spec, _ = fresh.specs_by_ref(state["spec_ref"])
    assert spec.name == "demo_referral"
    lab.runtime.cache.size = 0
    assert lab.runtime.instance_data(row.id)["caseReference"] == row.case_reference


@pytest.fixture
def race(tmp_path):
    app = lab_app(tmp_path, "event_race.bpmn")
    svc = app.extensions["careflow"]
    svc.runtime.cache.size = 0
    yield svc
    svc.db.dispose()


def test_an_event_based_gateway_waits_for_its_message_and_its_timer(race):
    first = race.runtime.start("event_race", {"providerRef": "PRV-7", "noticeDays": 1})
    second = race.runtime.start("event_race", {"providerRef": "PRV-8"})
    with race.db.reading() as s:
        timers = s.scalars(select(TimerRow).where(TimerRow.state == "waiting")).all()
    assert {t.instance_id for t in timers} == {first.id, second.id}
    assert all(t.element_id == "race" for t in timers)
    # The message wins for the first case ...
    delivered = race.runtime.correlate_message("notice_arrived", {"providerRef": "PRV-7"}, {"noticeDays": 28})
    assert delivered["correlated"] == [first.id]
    [task] = open_tasks(race, first.id)
    assert task.name == "review_notice" and race.runtime.task_data(task.id)["noticeDays"] == 28
    # ... the timer for the second, and the first's timer no longer fires.
    assert race.runtime.fire_due_timers(now=utcnow() + timedelta(days=8)) == 1
    [chase] = open_tasks(race, second.id)
    assert chase.name == "chase"
    assert [t.name for t in open_tasks(race, first.id)] == ["review_notice"]
