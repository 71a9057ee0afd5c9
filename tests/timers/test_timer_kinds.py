"""Timer kinds through the runtime: durations, dates from case data, working days, boundary timers
(interrupting and non-interrupting cycles) and task due dates."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.timers.helpers import fixture_app
from workflows.models import AuditEvent, Instance, TaskRow, TimerRow, utcnow
from workflows.timeutil import add_working_days, due_after, is_working_day, timer_at, working_days_between

UTC = timezone.utc


@pytest.fixture
def svc(tmp_path, database_url):
    app = fixture_app(tmp_path, "timers_duration.bpmn", "timers_closure.bpmn", "timers_boundaries.bpmn",
                      database_url=database_url)
    services = app.extensions["careflow"]
    yield services
    services.db.dispose()


def waiting(svc, instance_id):
    with svc.db.reading() as s:
        return {t.element_id: t for t in s.scalars(select(TimerRow).where(
            TimerRow.instance_id == instance_id, TimerRow.state == "waiting"))}


def tasks(svc, instance_id, state="open"):
    with svc.db.reading() as s:
        return {t.name: t for t in s.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id,
                                                                    TaskRow.state == state))}


def status(svc, instance_id):
    with svc.db.reading() as s:
        return s.get(Instance, instance_id).status


def test_intermediate_duration_timer(svc):
    row = svc.runtime.start("timer_duration", {})
    timer = waiting(svc, row.id)["d_wait"]
    assert timer.kind == "duration" and timedelta(minutes=59) < timer.due_at - utcnow() <= timedelta(hours=1)
    assert svc.runtime.fire_next_due_timer(now=utcnow() + timedelta(minutes=30)) is None
    assert svc.runtime.fire_next_due_timer(now=utcnow() + timedelta(minutes=61)) == timer.id
    assert status(svc, row.id) == "completed"


def test_dates_computed_from_case_data_and_working_days(svc):
    row = svc.runtime.start("timer_before_closure", {"closure_date": "2027-01-15"})
    first = waiting(svc, row.id)["c_wait"]
    # 14 days before closure, 09:00 in London (GMT in winter).
    assert first.kind == "date" and first.due_at == datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
    assert svc.runtime.fire_next_due_timer(now=first.due_at) == first.id
    second = waiting(svc, row.id)["c_wait_wd"]
    # Ten working days before Friday 15 January 2027 skips New Year's Day (a bank holiday) and weekends.
    assert second.due_at == datetime(2026, 12, 31, 10, 30, tzinfo=UTC)
    svc.runtime.fire_next_due_timer(now=second.due_at + timedelta(seconds=1))
    assert status(svc, row.id) == "completed"


def test_summer_time_timer_dates_are_london_wall_clock():
    assert timer_at("2027-07-01") == "2027-07-01T08:00:00+00:00"  # 09:00 BST


def test_non_interrupting_cycle_then_interrupting_boundary(svc):
    row = svc.runtime.start("timer_boundaries", {"received_date": "2026-12-23", "chased": 0})
    record = tasks(svc, row.id)["record_notice"]
    assert record.due_at.date() == add_working_days(utcnow(), 5).date()  # dueIn P5WD
    timers = waiting(svc, row.id)
    assert timers["chase"].kind == "cycle" and timers["notice_over"].kind == "duration"
    chase_due = timers["chase"].due_at
    for n in range(3):  # R3/P1D: three chases, one day apart, the task staying open
        assert svc.runtime.fire_next_due_timer(now=chase_due + timedelta(seconds=1)) == timers["chase"].id
        assert "record_notice" in tasks(svc, row.id)
        after = waiting(svc, row.id)
        if n < 2:
            assert after["chase"].due_at == chase_due + timedelta(days=1)
            chase_due = after["chase"].due_at
        else:
            assert "chase" not in after  # the cycle is over
    notice = waiting(svc, row.id)["notice_over"]
    assert svc.runtime.fire_next_due_timer(now=notice.due_at) == notice.id
    assert "record_notice" in tasks(svc, row.id, "cancelled")
    late = tasks(svc, row.id)["late_notice"]
    # Two working days after 23 December 2026: 24th, then (25th Christmas, 26-27 weekend, 28th Boxing Day
    # substitute) the 29th; a date means the end of that day.
    assert late.due_at == datetime(2026, 12, 29, 23, 59, 59, tzinfo=UTC)
    with svc.db.reading() as s:
        fired = s.scalars(select(AuditEvent).where(AuditEvent.instance_id == row.id,
                                                   AuditEvent.action == "timer_fired")).all()
        assert len(fired) == 4


def test_completing_the_task_cancels_its_boundary_timers(svc):
    from workflows.identity import Principal

    row = svc.runtime.start("timer_boundaries", {"received_date": "2026-12-23", "chased": 0})
    record = tasks(svc, row.id)["record_notice"]
    svc.runtime.complete_task(record.id, {}, Principal("casey", "Casey", "caseworker", ("adult_social_care",)))
    assert waiting(svc, row.id) == {} and status(svc, row.id) == "completed"
    with svc.db.reading() as s:
        assert {t.state for t in s.scalars(select(TimerRow).where(TimerRow.instance_id == row.id))} == {"cancelled"}


def test_working_day_arithmetic():
    # Easter 2027: Good Friday 26 March, Easter Monday 29 March.
    assert add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)
    assert add_working_days(date(2027, 3, 30), -1) == date(2027, 3, 25)
    assert add_working_days("2027-03-25", 1) == "2027-03-30"
    assert add_working_days(date(2026, 12, 23), 0) == date(2026, 12, 23)
    start = datetime(2027, 3, 25, 14, 0, tzinfo=UTC)
    assert add_working_days(start, 1) == datetime(2027, 3, 30, 13, 0, tzinfo=UTC)  # 15:00 BST -> 14:00 GMT kept
    assert not is_working_day("2026-12-25") and not is_working_day(date(2026, 11, 28)) and is_working_day("2026-11-27")
    assert working_days_between("2026-12-23", "2026-12-29") == 2
    assert working_days_between("2026-12-29", "2026-12-23") == -2
    with pytest.raises(ValueError):
        add_working_days("2026-12-23", 1.5)


def test_due_in_values():
    now = datetime(2026, 12, 23, 10, 0, tzinfo=UTC)
    assert due_after(now, "P2WD") == datetime(2026, 12, 29, 10, 0, tzinfo=UTC)
    assert due_after(now, "P2D") == now + timedelta(days=2)
    assert due_after(now, timedelta(hours=4)) == now + timedelta(hours=4)
    assert due_after(now, date(2027, 1, 4)) == datetime(2027, 1, 4, 23, 59, 59, tzinfo=UTC)


def test_sandbox_offers_working_days_to_diagram_expressions(svc):
    from workflows.expressions import evaluate_expression
    from workflows.timeutil import TIME_FUNCTIONS

    assert evaluate_expression("add_working_days(received, 2)", {"received": "2026-12-23"},
                               functions=TIME_FUNCTIONS) == "2026-12-29"
    engine = svc.runtime.script_engine
    assert "add_working_days" in engine.environment.globals
