"""Reliability with real processes and real servers: `careflow worker` subprocesses killed with
SIGKILL, a real SMTP server (aiosmtpd) whose received messages are the proof, PostgreSQL shared by
two workers."""
from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import select

from handlers.delivery.email import message_id
from tests.reliability.workers import Worker, fire_counts, fired, sent, wait_for
from tests.timers.helpers import at, fixture_app
from tests.timers.servers import SmtpSink, free_port
from workflows.models import OutboxMessage, TimerRow


def make_timers(tmp_path, database_url, n, due_in=-1.0, channel="email"):
    """``n`` instances each waiting on a reminder due ``due_in`` seconds from now; returns services."""
    app = fixture_app(tmp_path, "timers_notify.bpmn", database_url=database_url)
    svc = app.extensions["careflow"]
    for i in range(n):
        svc.runtime.start("timers_notify", {"dueAt": at(3600).isoformat(), "personName": f"Person {i}",
                                            "recipient": f"person{i}@example.org", "channel": channel})
    with svc.db.transaction() as s:  # due now: as if they fell due together
        for timer in s.scalars(select(TimerRow)):
            timer.due_at = at(due_in)
    return svc


def keys(svc):
    with svc.db.reading() as s:
        return list(s.scalars(select(OutboxMessage.idempotency_key)))


@pytest.mark.slow
def test_kill_9_mid_work_then_restart_fires_each_timer_once_and_mails_each_message(tmp_path, database_url):
    n = 300
    svc = make_timers(tmp_path, database_url, n)
    smtp = SmtpSink().start()
    log = tmp_path / "worker.log"
    kills = 0
    try:
        for share in (n // 4, n // 2):  # kill twice, each time with work half done
            worker = Worker(database_url, log, smtp_port=smtp.port).start()
            wait_for(lambda share=share: fired(svc.db) >= share, 60, f"{share} timers fired")
            worker.kill9()
            kills += 1
            assert fired(svc.db) < n or sent(svc.db) < n, "the kill came too late to prove anything"
        worker = Worker(database_url, log, smtp_port=smtp.port).start()
        wait_for(lambda: fired(svc.db) == n and sent(svc.db) == n, 120, "every timer fired and message sent")
        worker.stop()
    finally:
        smtp.stop()
    counts = fire_counts(svc.db)
    assert len(counts) == n and set(counts.values()) == {1}, "a timer fired twice or not at all"
    expected = {message_id(k) for k in keys(svc)}
    received = Counter(smtp.message_ids())
    assert set(received) == expected  # every message arrived, under its one Message-ID
    # No SMTP server offers a two-phase commit: a message the server accepted in the instant before a
    # SIGKILL (before the worker could record it) is sent again after the restart. It carries the same
    # Message-ID, so the log read by Message-ID holds each message once; raw repeats are at most one per
    # kill (the message in flight), never more.
    repeats = sum(c - 1 for c in received.values())
    assert repeats <= kills, f"{repeats} repeats after {kills} kills"


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_on_postgresql_fire_2000_due_timers_once_each(tmp_path, pg_url):
    n = 2000
    svc = make_timers(tmp_path, pg_url, n, channel="record")
    workers = [Worker(pg_url, tmp_path / f"w{i}.log").start() for i in range(2)]
    try:
        wait_for(lambda: fired(svc.db) == n, 240, f"{n} timers fired")
        wait_for(lambda: sent(svc.db) == n, 60, "every record message")
    finally:
        for w in workers:
            w.stop()
    counts = fire_counts(svc.db)
    assert len(counts) == n and set(counts.values()) == {1}
    with svc.db.reading() as s:
        assert {t.state for t in s.scalars(select(TimerRow))} == {"fired"}


def test_a_timer_due_while_the_service_was_stopped_fires_on_start(tmp_path, database_url):
    svc = make_timers(tmp_path, database_url, 3, due_in=0.5, channel="record")
    time.sleep(2.0)  # nothing runs while the timers fall due
    assert fired(svc.db) == 0
    started = time.time()
    worker = Worker(database_url, tmp_path / "w.log", poll=1.0).start()
    try:
        wait_for(lambda: fired(svc.db) == 3, 30, "the overdue timers")
    finally:
        worker.stop()
    assert time.time() - started < 15
    with svc.db.reading() as s:
        lags = [t.lag_seconds for t in s.scalars(select(TimerRow))]
    assert all(lag >= 1.5 for lag in lags)  # fired late, because nothing ran - and recorded as such
    assert set(fire_counts(svc.db).values()) == {1}


def test_smtp_down_for_a_while_messages_wait_retry_and_go_when_it_returns(tmp_path, database_url):
    n = 20
    port = free_port()
    svc = make_timers(tmp_path, database_url, n)
    worker = Worker(database_url, tmp_path / "w.log", smtp_port=port).start()
    try:
        wait_for(lambda: fired(svc.db) == n, 60, "the timers")
        time.sleep(1.5)  # the server is down: every message is tried and waits
        with svc.db.reading() as s:
            rows = s.scalars(select(OutboxMessage)).all()
        assert len(rows) == n and sent(svc.db) == 0
        assert all(r.state in ("pending", "sending") and r.attempts >= 1 for r in rows)
        assert any(r.attempts >= 2 for r in rows)  # retried with back-off
        smtp = SmtpSink(port).start()
        try:
            wait_for(lambda: sent(svc.db) == n, 60, "delivery after the server came back")
        finally:
            smtp.stop()
    finally:
        worker.stop()
    received = Counter(smtp.message_ids())
    assert set(received) == {message_id(k) for k in keys(svc)} and set(received.values()) == {1}
