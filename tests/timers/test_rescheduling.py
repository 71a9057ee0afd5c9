"""Moving a waiting timer to a new due time (workflows/rescheduling.py): the same durable row moves, the
old time no longer fires, the new one does, and each move is recorded; nothing that differs, nothing done."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.timers.helpers import fixture_app
from workflows.errors import Conflict
from workflows.models import AuditEvent, Instance, TimerRow, utcnow


@pytest.fixture
def svc(tmp_path, database_url):
    app = fixture_app(tmp_path, "timers_closure.bpmn", "timers_boundaries.bpmn", database_url=database_url)
    services = app.extensions["careflow"]
    yield services
    services.db.dispose()


def in_days(n):
    return (utcnow() + timedelta(days=n)).date().isoformat()


def rows(svc, instance_id):
    with svc.db.reading() as s:
        found = s.scalars(select(TimerRow).where(TimerRow.instance_id == instance_id)).all()
        return [(t.id, t.element_id, t.due_at, t.state) for t in found]


def moved_rows(svc, instance_id):
    with svc.db.reading() as s:
        return [e.data for e in s.scalars(select(AuditEvent).where(
            AuditEvent.instance_id == instance_id, AuditEvent.action == "timer_rescheduled"))]


def reschedule(svc, instance_id, due, **kw):
    with svc.runtime.transaction() as session:
        done = svc.runtime.reschedule_timers(session, instance_id, due, actor="quinn.lead",
                                             cause=kw.pop("cause", "Provider agreed a new date"), **kw)
        return None if done is None else done.timers


@pytest.mark.parametrize("days", [-30, 30], ids=["brought_forward", "pushed_back"])
def test_a_date_timer_moves_and_fires_at_its_new_time_only(svc, days):
    row = svc.runtime.start("timer_before_closure", {"closure_date": in_days(90)})
    [(timer_id, element, old_due, state)] = rows(svc, row.id)
    assert (element, state) == ("c_wait", "waiting")
    new_due = old_due + timedelta(days=days)
    [moved] = reschedule(svc, row.id, {"c_wait": new_due}, data={"closure_date": "moved"})
    assert (moved.timer_id, moved.was, moved.due) == (timer_id, old_due, new_due)
    assert rows(svc, row.id) == [(timer_id, "c_wait", new_due, "waiting")]  # the same row, not a second one
    [record] = moved_rows(svc, row.id)
    assert (record["from"], record["to"], record["cause"]) == (old_due.isoformat(), new_due.isoformat(),
                                                               "Provider agreed a new date")
    assert svc.runtime.instance_data(row.id)["closure_date"] == "moved"
    earlier, later = sorted([old_due, new_due])
    if days > 0:  # pushed back: the old time passes and nothing fires
        assert svc.runtime.fire_next_due_timer(now=earlier + timedelta(minutes=1)) is None
    assert svc.runtime.fire_next_due_timer(now=new_due - timedelta(minutes=1)) is None
    assert svc.runtime.fire_next_due_timer(now=new_due + timedelta(minutes=1)) == timer_id
    after = {t[0]: t[3] for t in rows(svc, row.id)}
    assert after[timer_id] == "fired"


def test_nothing_that_differs_means_no_step_and_no_record(svc):
    row = svc.runtime.start("timer_before_closure", {"closure_date": in_days(90)})
    [(timer_id, _, due, _)] = rows(svc, row.id)
    with svc.db.reading() as s:
        version = s.get(Instance, row.id).version
    assert reschedule(svc, row.id, {"c_wait": due}) is None
    assert reschedule(svc, row.id, {"not_waiting": due + timedelta(days=1)}) is None
    with svc.db.reading() as s:
        assert s.get(Instance, row.id).version == version
    assert moved_rows(svc, row.id) == []


def test_a_cycle_goes_on_from_its_new_occurrence(svc):
    row = svc.runtime.start("timer_boundaries", {})
    chase = {t[1]: t for t in rows(svc, row.id) if t[3] == "waiting"}["chase"]
    new_next = chase[2] + timedelta(hours=5)
    [moved] = reschedule(svc, row.id, {"chase": new_next})
    assert moved.element_id == "chase"
    now_waiting = {t[1]: t for t in rows(svc, row.id) if t[3] == "waiting"}
    assert now_waiting["chase"][0] == chase[0] and now_waiting["chase"][2] == new_next
    assert svc.runtime.fire_next_due_timer(now=chase[2] + timedelta(minutes=1)) is None  # the old occurrence
    assert svc.runtime.fire_next_due_timer(now=new_next + timedelta(minutes=1)) == chase[0]
    again = {t[1]: t for t in rows(svc, row.id) if t[3] == "waiting"}["chase"]
    assert again[2] == new_next + timedelta(days=1)  # the next one a day after the moved one


def test_a_suspended_case_keeps_its_dates(svc):
    row = svc.runtime.start("timer_before_closure", {"closure_date": in_days(90)})
    [(_, _, due, _)] = rows(svc, row.id)
    with svc.db.transaction() as s:
        s.get(Instance, row.id).status = "suspended"
    with pytest.raises(Conflict):
        reschedule(svc, row.id, {"c_wait": due + timedelta(days=3)})
    assert rows(svc, row.id)[0][2] == due
