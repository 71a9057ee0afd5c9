"""Timer start events: each firing starts one new instance, from a durable schedule row."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from workflows.models import StartTimer
from workflows.start_timers import fire_due


def rows(drive):
    with drive.runtime.db.reading() as session:
        return [(r.element_id, r.state, r.remaining, r.fired_count) for r in session.scalars(select(StartTimer))]


def test_a_cycle_starts_one_instance_per_firing_and_stops_after_its_repetitions(drive):
    drive.deploy("timer_start_cycle.bpmn")
    assert drive.instances("timer_start_cycle") == []
    assert rows(drive) == [("every_hour", "waiting", 2, 0)]
    (shown,) = drive.owner.get("/processes/timer_start_cycle").json["startTimers"]
    assert (shown["elementId"], shown["kind"], shown["remaining"]) == ("every_hour", "cycle", 2)
    now = datetime.now(timezone.utc)
    assert fire_due(drive.runtime, now) == []  # not due yet
    (first,) = fire_due(drive.runtime, now + timedelta(hours=1, minutes=1))
    assert fire_due(drive.runtime, now + timedelta(hours=1, minutes=2)) == []  # once per firing
    (second,) = fire_due(drive.runtime, now + timedelta(hours=2, minutes=1))
    assert fire_due(drive.runtime, now + timedelta(hours=9)) == []
    assert rows(drive) == [("every_hour", "done", 0, 2)]
    cases = drive.instances("timer_start_cycle")
    assert [c["id"] for c in cases] == [first, second]
    for case in cases:
        assert case["status"] == "running" and [t["name"] for t in case["openTasks"]] == ["review"]
        assert case["data"]["startedByTimer"] == "every_hour"


def test_a_date_in_the_past_fires_once_at_the_next_poll_through_the_scheduler(drive):
    from workflows.scheduler import CareflowScheduler

    drive.deploy("timer_start_date.bpmn")
    scheduler = CareflowScheduler(drive.runtime, None, escalations=False)
    assert scheduler.run_once()["fired"] == 1
    assert scheduler.run_once()["fired"] == 0
    (case,) = drive.instances("timer_start_date")
    assert case["data"]["noted"] is True and [t["name"] for t in case["openTasks"]] == ["review"]


def test_a_process_with_a_timer_start_started_by_hand_runs_at_once_and_never_piles_up(drive):
    drive.deploy("timer_start_cycle.bpmn")
    case = drive.start("timer_start_cycle")
    assert [t["name"] for t in case["openTasks"]] == ["review"] and case["waitingTimers"] == []
    assert drive.complete(case)["status"] == "completed"


def test_a_new_version_keeps_an_unchanged_schedule_and_replaces_a_changed_one(drive):
    drive.deploy("timer_start_cycle.bpmn")
    text = drive.files("timer_start_cycle.bpmn")["timer_start_cycle.bpmn"]
    drive.deploy(**{"timer_start_cycle.bpmn": text.replace('name="Review"', 'name="Review it"')})
    assert rows(drive) == [("every_hour", "waiting", 2, 0)]
    drive.deploy(**{"timer_start_cycle.bpmn": text.replace("R2/PT1H", "R/P12M")})
    assert sorted(rows(drive)) == [("every_hour", "cancelled", 2, 0), ("every_hour", "waiting", -1, 0)]


def test_a_timer_start_that_gives_no_schedule_is_refused_at_validate(drive):
    text = drive.files("timer_start_cycle.bpmn")["timer_start_cycle.bpmn"].replace("R2/PT1H", "'every hour'")
    answer = drive.validate(**{"timer_start_cycle.bpmn": text})
    assert answer.status_code == 422 and answer.json["element"] == "every_hour" and answer.json["line"]


def test_a_firing_that_cannot_start_a_case_fails_visibly_and_holds_back_nothing(drive):
    drive.deploy("timer_start_cycle.bpmn", "timer_start_date.bpmn")
    with drive.runtime.db.transaction() as session:
        broken = session.scalars(select(StartTimer).where(StartTimer.element_id == "every_hour")).one()
        broken.process_id = "no_such_process"  # as if the process had gone
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    (started,) = fire_due(drive.runtime, later)
    assert drive.instances("timer_start_date")[0]["id"] == started
    with drive.runtime.db.reading() as session:
        row = session.scalars(select(StartTimer).where(StartTimer.element_id == "every_hour")).one()
        assert row.state == "failed" and "no_such_process" in (row.last_error or "")
    assert fire_due(drive.runtime, later) == []
