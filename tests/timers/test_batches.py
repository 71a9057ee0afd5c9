"""A batch of due timers fired in one transaction: the steps' writes go in one flush and their
projections use what the batch read once, yet each case ends exactly as if fired alone - also when
one case has two timers in the batch or open tasks. Runs on SQLite and on PostgreSQL."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import event, select

from tests.timers.helpers import at, fixture_app
from workflows.models import AuditEvent, OutboxMessage, TaskRow, TimerRow
from workflows.timers import fire_batch


def make(tmp_path, database_url, plain: int, boundaries: int):
    app = fixture_app(tmp_path, "timers_notify.bpmn", "timers_boundaries.bpmn", database_url=database_url)
    svc = app.extensions["careflow"]
    for n in range(plain):
        svc.runtime.start("timers_notify", {"dueAt": at(3600).isoformat(), "personName": f"Person {n}",
                                            "recipient": f"person{n}@example.org", "channel": "record"})
    for _ in range(boundaries):
        svc.runtime.start("timer_boundaries", {"received_date": "2026-12-23", "chased": 0})
    with svc.db.transaction() as s:
        for timer in s.scalars(select(TimerRow)):
            # The daily chase falls due first, then (same batch) the notice period ends and cancels the task.
            timer.due_at = at(-2 if timer.element_id == "chase" else -1)
    return svc


def test_a_batch_with_two_timers_of_one_case_and_open_tasks_ends_each_case_right(tmp_path, database_url):
    svc = make(tmp_path, database_url, plain=6, boundaries=3)
    fired, failed, next_due = fire_batch(svc.runtime, limit=50)
    assert len(fired) == 6 + 3 * 2 and not failed
    assert next_due is None  # nothing else waits: the chases re-armed in the batch were cancelled with the task
    with svc.db.reading() as s:
        counts = Counter(s.scalars(select(AuditEvent.task_id).where(AuditEvent.action == "timer_fired")))
        assert len(counts) == 12 and set(counts.values()) == {1}
        states = Counter((t.element_id, t.state) for t in s.scalars(select(TimerRow)))
        assert states == {("wait_until_due", "fired"): 6, ("chase", "cancelled"): 3, ("notice_over", "fired"): 3}
        tasks = Counter((t.name, t.state) for t in s.scalars(select(TaskRow)))
        assert tasks == {("record_notice", "cancelled"): 3, ("late_notice", "open"): 3}
        assert len(s.scalars(select(OutboxMessage)).all()) == 6
        completed = s.scalars(select(AuditEvent).where(AuditEvent.action == "instance_completed")).all()
        assert len(completed) == 6 and all(e.data is None for e in completed)
    # Nothing left to fire: each timer fired once.
    assert fire_batch(svc.runtime, limit=50).fired == []


def test_a_batch_of_plain_timers_costs_about_one_statement_per_timer(tmp_path, database_url):
    svc = make(tmp_path, database_url, plain=25, boundaries=0)
    statements: list[str] = []
    event.listen(svc.db.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))
    fired, failed, _ = fire_batch(svc.runtime, limit=25)
    assert len(fired) == 25 and not failed
    # Per timer only the case's version-checked update; the claim, the look at tasks and timers, the
    # audit rows, the outbox rows and the timers' updates are one statement each for the batch.
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE PROCESS_INSTANCE")]
    assert len(updates) == 25
    others = [s for s in statements if s not in updates and not s.lstrip().upper().startswith("BEGIN")]
    if svc.db.dialect == "postgresql":  # SQLite writes rows with RETURNING one at a time
        assert len(others) <= 8, others
