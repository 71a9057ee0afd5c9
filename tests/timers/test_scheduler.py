"""The scheduler: due timer rows fire once, on time, with their lag; failures become incidents."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.wiring import build_scheduler
from tests.timers.helpers import at, fixture_app
from workflows.models import AuditEvent, Incident, Instance, OutboxMessage, TaskEscalation, TaskRow, TimerRow, utcnow
from workflows.scheduler import CareflowScheduler


@pytest.fixture
def svc(tmp_path, database_url):
    app = fixture_app(tmp_path, "timers_notify.bpmn", database_url=database_url)
    services = app.extensions["careflow"]
    yield services
    services.db.dispose()


def start_reminder(svc, due, channel="record", recipient="duty.team@example.org"):
    """An instance waiting on a reminder timer due at ``due`` (a past time: it fell due while no worker ran)."""
    row = svc.runtime.start("timers_notify", {"dueAt": at(3600).isoformat(), "personName": "Alex Example",
                                              "recipient": recipient, "channel": channel})
    with svc.db.transaction() as s:
        s.scalars(select(TimerRow).where(TimerRow.instance_id == row.id)).one().due_at = due
    return row


def timers(svc):
    with svc.db.reading() as s:
        return s.scalars(select(TimerRow).order_by(TimerRow.due_at)).all()


def pending(svc):
    with svc.db.reading() as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != "sent"))


def fired_events(svc):
    with svc.db.reading() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "timer_fired"))


def test_run_timers_fires_only_due_rows_once_and_records_lag(svc):
    due = start_reminder(svc, at(-5))
    later = start_reminder(svc, at(3600))
    scheduler = CareflowScheduler(svc.runtime, None)
    assert scheduler.run_timers() == 1
    assert scheduler.run_timers() == 0
    rows = {t.instance_id: t for t in timers(svc)}
    assert rows[due.id].state == "fired" and 4.5 < rows[due.id].lag_seconds < 30
    assert rows[later.id].state == "waiting" and rows[later.id].fired_at is None
    assert fired_events(svc) == 1
    with svc.db.reading() as s:
        assert s.get(Instance, due.id).status == "completed"
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_started_scheduler_catches_up_overdue_timers_and_fires_new_ones_on_time(svc):
    overdue = [start_reminder(svc, at(-60 * i)) for i in range(1, 4)]
    scheduler = build_scheduler(svc, {}, poll_seconds=0.2, escalations=False)
    soon = start_reminder(svc, at(1.0))
    scheduler.start()
    try:
        deadline = time.time() + 10
        while time.time() < deadline and (any(t.state == "waiting" for t in timers(svc)) or pending(svc)):
            time.sleep(0.1)
    finally:
        scheduler.shutdown()
    rows = {t.instance_id: t for t in timers(svc)}
    assert all(rows[i.id].state == "fired" for i in overdue + [soon])
    assert rows[soon.id].lag_seconds < 0.2 + 1.0
    assert fired_events(svc) == 4
    with svc.db.reading() as s:  # the record channel delivered every reminder
        assert {m.state for m in s.scalars(select(OutboxMessage))} == {"sent"}


def test_a_timer_that_cannot_fire_becomes_an_incident_and_does_not_block_the_others(svc, monkeypatch):
    broken = start_reminder(svc, at(-10))
    fine = start_reminder(svc, at(-5))
    original = svc.runtime.load

    def load(session, instance_id, **kw):
        if instance_id == broken.id:
            raise RuntimeError("state unreadable")
        return original(session, instance_id, **kw)

    monkeypatch.setattr(svc.runtime, "load", load)
    scheduler = CareflowScheduler(svc.runtime, None)
    assert scheduler.run_timers() == 1
    rows = {t.instance_id: t for t in timers(svc)}
    assert rows[broken.id].state == "failed" and rows[fine.id].state == "fired"
    with svc.db.reading() as s:
        [incident] = s.scalars(select(Incident)).all()
        assert incident.instance_id == broken.id and "state unreadable" in incident.message
        assert s.get(Instance, broken.id).status == "incident"
    # Retrying the incident puts the timer back to waiting; it then fires normally.
    monkeypatch.setattr(svc.runtime, "load", original)
    svc.runtime.retry_incident(incident.id, "ada.admin")
    assert {t.instance_id: t.state for t in timers(svc)}[broken.id] == "waiting"
    assert svc.runtime.fire_next_due_timer(now=utcnow() + timedelta(hours=2)) is not None
    assert fired_events(svc) == 2


def test_a_failing_timer_mid_batch_leaves_the_others_fired_once_each(svc, monkeypatch):
    """A batch is fired without savepoints; when one timer raises, the batch rolls back and is fired
    again one savepoint each: the timers before it fire once (one audit event, one message), not twice."""
    before = start_reminder(svc, at(-10))
    broken = start_reminder(svc, at(-5))
    after = start_reminder(svc, at(-1))
    original = svc.runtime.load

    def load(session, instance_id, **kw):
        if instance_id == broken.id:
            raise RuntimeError("state unreadable")
        return original(session, instance_id, **kw)

    monkeypatch.setattr(svc.runtime, "load", load)
    assert CareflowScheduler(svc.runtime, None).run_timers() == 2
    rows = {t.instance_id: t.state for t in timers(svc)}
    assert rows == {before.id: "fired", broken.id: "failed", after.id: "fired"}
    assert fired_events(svc) == 2
    with svc.db.reading() as s:
        assert sorted(m.instance_id for m in s.scalars(select(OutboxMessage))) == sorted([before.id, after.id])
        assert s.get(Instance, before.id).status == "completed" and s.get(Instance, broken.id).status == "incident"


def test_fire_timer_by_id_with_a_moved_clock(svc):
    row = start_reminder(svc, at(7200))
    [timer] = timers(svc)
    assert svc.runtime.fire_timer(timer.id) is False  # not due yet
    assert svc.runtime.fire_timer(timer.id, now=utcnow() + timedelta(hours=3)) is True
    assert svc.runtime.fire_timer(timer.id, now=utcnow() + timedelta(hours=3)) is False  # fired once only
    with svc.db.reading() as s:
        assert s.get(Instance, row.id).status == "completed"


def test_overdue_task_is_escalated_once_to_the_lane_manager_group(svc):
    from workflows.identity import add_user
    from workflows.models import Group

    add_user(svc.db, "morgan.manager", "manager", ["team_managers"], email="morgan@example.org")
    with svc.db.transaction() as s:
        s.scalars(select(Group).where(Group.name == "adult_social_care")).first() or s.add(
            Group(name="adult_social_care", manager_group="team_managers"))
    row = svc.runtime.start("demo_referral", {})
    with svc.db.transaction() as s:  # the task fell due an hour ago
        task = s.scalars(select(TaskRow).where(TaskRow.instance_id == row.id)).one()
        task.due_at = utcnow() - timedelta(hours=1)
    scheduler = CareflowScheduler(svc.runtime, None)
    assert scheduler.run_escalations() == 1
    assert scheduler.run_escalations() == 0
    with svc.db.reading() as s:
        [esc] = s.scalars(select(TaskEscalation)).all()
        assert esc.manager_group == "team_managers"
        [message] = s.scalars(select(OutboxMessage).where(OutboxMessage.template == "task_overdue")).all()
        assert message.recipient == "group:team_managers" and message.payload["caseReference"] == row.case_reference
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "task_escalated")) == 1
