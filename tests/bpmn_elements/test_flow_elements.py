"""Flow elements SpiffWorkflow does not run as drawn, run as drawn: links, implicit splits, manual tasks,
timers written without quotes."""
from __future__ import annotations


def test_link_events_continue_at_the_catch_of_the_same_name(drive):
    drive.deploy("link_events.bpmn")
    case = drive.start("link_events")
    assert case["status"] == "running"
    assert [t["name"] for t in case["openTasks"]] == ["look"]
    assert case["data"]["path"] == ["before", "after"]
    assert drive.complete(case)["status"] == "completed"


def test_a_link_throw_without_its_catch_is_refused_at_validate(drive):
    text = drive.files("link_events.bpmn")["link_events.bpmn"]
    broken = text.replace('id="l2" name="page_b"', 'id="l2" name="page_c"')
    answer = drive.validate(**{"link_events.bpmn": broken})
    assert answer.status_code == 422
    assert answer.json["element"] == "go_to_b" and answer.json["line"] and "page_b" in answer.json["message"]


def test_conditional_flows_straight_out_of_a_task_split_as_drawn(drive):
    drive.deploy("implicit_split.bpmn")
    big = drive.start("implicit_split", amount=500)
    assert big["status"] == "running" and [t["name"] for t in big["openTasks"]] == ["look"]
    assert {k: big["data"].get(k) for k in ("big", "small", "always")} == {"big": True, "small": None, "always": True}
    small = drive.start("implicit_split", amount=5)
    assert {k: small["data"].get(k) for k in ("big", "small", "always")} == {"big": None, "small": True,
                                                                           "always": True}
    assert drive.complete(small)["status"] == "completed"


def test_two_unconditional_flows_out_of_a_task_run_in_parallel(drive):
    drive.deploy("implicit_parallel.bpmn")
    case = drive.start("implicit_parallel")
    assert sorted(t["name"] for t in case["openTasks"]) == ["left", "right"]
    case = drive.complete(case)
    assert case["status"] == "running"
    assert drive.complete(case)["status"] == "completed"


def test_a_timer_written_without_quotes_runs(drive):
    drive.deploy("unquoted_timer.bpmn")
    case = drive.start("unquoted_timer")
    assert case["status"] == "running" and [t["elementId"] for t in case["waitingTimers"]] == ["wait"]
    assert drive.fire_timers() == 1
    after = drive.instance(case["id"])
    assert after["data"]["waited"] is True and [t["name"] for t in after["openTasks"]] == ["look"]


def test_a_timer_text_that_is_no_iso_value_is_refused_at_validate(drive):
    broken = drive.files("unquoted_timer.bpmn")["unquoted_timer.bpmn"].replace(">PT1S<", ">PT1X<")
    answer = drive.validate(**{"unquoted_timer.bpmn": broken})
    assert answer.status_code == 422 and answer.json["element"] == "wait" and "PT1X" in answer.json["message"]


def test_a_manual_task_passes_through_unless_it_has_a_form(drive):
    drive.deploy("manual_task.bpmn")
    case = drive.start("manual_task")
    assert [t["name"] for t in case["openTasks"]] == ["record_visit"]
    done = drive.complete(case, {"amount": 3, "divisor": 1})
    assert done["status"] == "completed" and done["data"]["amount"] == 3


def test_unquoted_timer_texts_are_read_as_iso_or_refused_naming_the_text(drive):
    text = drive.files("unquoted_timer.bpmn")["unquoted_timer.bpmn"]
    for good in ("P1M", "P1DT2H", "2027-01-05T09:00:00Z", "2027-01-05"):
        kind = "timeDate" if good[0].isdigit() else "timeDuration"
        diagram = text.replace("<bpmn:timeDuration>PT1S</bpmn:timeDuration>", f"<bpmn:{kind}>{good}</bpmn:{kind}>")
        assert drive.validate(**{"unquoted_timer.bpmn": diagram}).status_code == 200, good
    for bad in ("P5WD", "PT1", "P1H"):
        answer = drive.validate(**{"unquoted_timer.bpmn": text.replace(">PT1S<", f">{bad}<")})
        assert answer.status_code == 422 and bad in answer.json["message"], bad
