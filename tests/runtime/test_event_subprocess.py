"""Event sub-processes through the API: care planning's unplanned reviews (started by a message, beside
the plan), its interim review (a timer three months on), a withdrawn case and an expired plan (both
interrupting). Every step saves and restores the state: the in-process workflow cache is off."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from tests.conftest import make_app
from workflows.models import MessageSubscription, TimerRow, utcnow

DIAGRAM = Path(__file__).resolve().parent / "diagrams" / "unplanned_review_lab.bpmn"


@pytest.fixture
def lab(tmp_path):
    bpmn = tmp_path / "bpmn"
    bpmn.mkdir()
    (bpmn / DIAGRAM.name).write_text(DIAGRAM.read_text())
    app = make_app(tmp_path, BPMN_DIR=str(bpmn))
    app.extensions["careflow"].runtime.cache.size = 0  # every step restores the state from the database
    yield app
    app.extensions["careflow"].db.dispose()


@pytest.fixture
def api(lab):
    from tests.conftest import Users

    return Users(lab).make("olive.lead", "admin", ("admins",))


def start(api):
    made = api.post("/processes/unplanned_review_lab/instances", json={"data": {"personName": "Sam Example"}})
    assert made.status_code == 201, made.json
    return made.json


def open_tasks(api, instance_id):
    return sorted(t["name"] for t in api.get(f"/instances/{instance_id}").json["openTasks"])


def send(api, name, case, payload=None):
    r = api.post("/messages", json={"name": name, "correlationKeys": {"caseReference": case["caseReference"]},
                                    "payload": payload or {}})
    assert r.status_code == 200, r.json
    assert r.json["correlated"] == [case["id"]]


def subscriptions(lab, instance_id):
    with lab.extensions["careflow"].db.reading() as s:
        return sorted(m.message_name for m in s.scalars(select(MessageSubscription).where(
            MessageSubscription.instance_id == instance_id)))


def test_a_running_case_waits_for_the_messages_its_event_subprocesses_start_with(lab, api):
    case = start(api)
    assert subscriptions(lab, case["id"]) == ["case_withdrawn", "unplanned_review_requested"]


def test_each_review_request_opens_an_unplanned_review_beside_the_plan_with_the_messages_data(lab, api):
    case = start(api)
    send(api, "unplanned_review_requested", case, {"reviewReason": "a fall at home"})
    send(api, "unplanned_review_requested", case, {"reviewReason": "discharged from hospital"})
    assert open_tasks(api, case["id"]) == ["agree_plan", "unplanned_review", "unplanned_review"]
    reviews = [t for t in api.get(f"/instances/{case['id']}").json["openTasks"] if t["name"] == "unplanned_review"]
    reasons = {api.get(f"/tasks/{t['id']}").json["data"]["reviewReason"] for t in reviews}
    assert reasons == {"a fall at home", "discharged from hospital"}
    for task in reviews:
        assert api.post(f"/tasks/{task['id']}/complete", json={"data": {}}).status_code == 200
    assert open_tasks(api, case["id"]) == ["agree_plan"]  # the plan went on meanwhile
    assert "unplanned_review_requested" in subscriptions(lab, case["id"])  # and can be reviewed again


def test_a_withdrawal_interrupts_the_case_cancelling_its_tasks_timers_and_reviews(lab, api):
    case = start(api)
    send(api, "unplanned_review_requested", case)
    send(api, "case_withdrawn", case)
    after = api.get(f"/instances/{case['id']}").json
    assert after["status"] == "completed" and after["openTasks"] == [] and after["data"]["outcome"] == "withdrawn"
    with lab.extensions["careflow"].db.reading() as s:
        assert {t.state for t in s.scalars(select(TimerRow).where(TimerRow.instance_id == case["id"]))} == {
            "cancelled"}
    assert subscriptions(lab, case["id"]) == []


def test_the_interim_review_timer_falls_three_calendar_months_on_and_does_not_interrupt(lab, api):
    before = utcnow()
    case = start(api)
    with lab.extensions["careflow"].db.reading() as s:
        timers = {t.element_id: t for t in s.scalars(select(TimerRow).where(TimerRow.instance_id == case["id"]))}
    expected = before + relativedelta(months=3)
    assert abs(timers["interim_due"].due_at - expected) < timedelta(minutes=1)
    assert abs(timers["year_passed"].due_at - (before + relativedelta(years=1))) < timedelta(minutes=1)
    runtime = lab.extensions["careflow"].runtime
    assert runtime.fire_due_timers(now=expected + timedelta(minutes=1)) == 1
    assert open_tasks(api, case["id"]) == ["agree_plan", "interim_review"]


def test_a_plan_not_agreed_in_a_year_is_closed_by_the_interrupting_timer(lab, api):
    case = start(api)
    runtime = lab.extensions["careflow"].runtime
    runtime.fire_due_timers(now=utcnow() + relativedelta(years=1, days=1))
    after = api.get(f"/instances/{case['id']}").json
    assert after["status"] == "completed" and after["data"]["outcome"] == "expired"
    assert after["openTasks"] == []


def test_an_event_subprocess_is_no_longer_waited_for_once_the_case_has_ended(lab, api):
    case = start(api)
    [plan] = api.get(f"/instances/{case['id']}").json["openTasks"]
    assert api.post(f"/tasks/{plan['id']}/complete", json={"data": {}}).status_code == 200
    assert subscriptions(lab, case["id"]) == []
    r = api.post("/messages", json={"name": "unplanned_review_requested",
                                    "correlationKeys": {"caseReference": case["caseReference"]}, "payload": {}})
    assert r.status_code == 404


def test_a_review_under_way_keeps_the_case_open_after_the_plan_ends_until_it_is_done(lab, api):
    case = start(api)
    send(api, "unplanned_review_requested", case)
    tasks = {t["name"]: t for t in api.get(f"/instances/{case['id']}").json["openTasks"]}
    assert api.post(f"/tasks/{tasks['agree_plan']['id']}/complete", json={"data": {}}).status_code == 200
    assert api.get(f"/instances/{case['id']}").json["status"] == "running"
    assert api.post(f"/tasks/{tasks['unplanned_review']['id']}/complete", json={"data": {}}).status_code == 200
    after = api.get(f"/instances/{case['id']}").json
    assert after["status"] == "completed" and after["openTasks"] == []
    with lab.extensions["careflow"].db.reading() as s:
        assert {t.state for t in s.scalars(select(TimerRow).where(TimerRow.instance_id == case["id"]))} == {
            "cancelled"}
