"""The elements SpiffWorkflow runs as drawn, each in a small diagram driven through the API."""
from __future__ import annotations

from datetime import timedelta


def names(case):
    return sorted(t["name"] for t in case["openTasks"])


def test_start_script_intermediate_none_event_lane_user_task_and_end(drive):
    drive.deploy("basic_flow.bpmn")
    case = drive.start("basic_flow")
    assert names(case) == ["look"] and case["openTasks"][0]["candidateGroup"] == "care_navigation"
    assert case["data"]["path"] == ["prepare"]
    assert drive.complete(case)["status"] == "completed"


def test_exclusive_parallel_and_inclusive_gateways(drive):
    drive.deploy("gateways.bpmn")
    case = drive.start("gateways", amount=500, wanted=["y"])
    data = case["data"]
    assert (data["level"], data["a"], data["b"], data.get("x"), data["y"], data.get("nothing")) == \
        ("high", True, True, None, True, None)
    other = drive.start("gateways", amount=5, wanted=[])
    assert (other["data"]["level"], other["data"]["nothing"]) == ("low", True)
    assert drive.complete(other)["status"] == "completed"


def test_an_event_based_gateway_takes_whichever_comes_first(drive):
    drive.deploy("event_gateway.bpmn")
    by_message = drive.start("event_gateway", providerRef="PR-1")
    by_timer = drive.start("event_gateway", providerRef="PR-2")
    assert drive.message("provider_reply", {"providerRef": "PR-1"}, {"answer": "yes"}).status_code == 200
    replied = drive.instance(by_message["id"])
    assert names(replied) == ["read_reply"] and replied["data"]["answer"] == "yes" and replied["waitingTimers"] == []
    assert drive.fire_timers(timedelta(days=2)) == 1
    assert names(drive.instance(by_timer["id"])) == ["chase"]


def test_a_receive_task_waits_for_its_message(drive):
    drive.deploy("receive_task.bpmn")
    case = drive.start("receive_task", providerRef="PR-7")
    assert case["openTasks"] == [] and case["status"] == "running"
    assert drive.message("provider_reply", {"providerRef": "PR-7"}).status_code == 200
    assert names(drive.instance(case["id"])) == ["look"]


def test_boundary_events_message_non_interrupting_and_interrupting_timer_and_signal(drive):
    drive.deploy("boundary_events.bpmn")
    noted = drive.start("boundary_events", personRef="P-1")
    assert drive.message("case_note", {"personRef": "P-1"}).status_code == 200
    assert names(drive.instance(noted["id"])) == ["assess", "read_note"]  # the task goes on
    assert drive.message("case_withdrawn", {"personRef": "P-1"}, {"reason": "moved away"}).status_code == 200
    assert names(drive.instance(noted["id"])) == ["read_note"]  # assess interrupted, the note's branch goes on
    withdrawn = drive.start("boundary_events", personRef="P-5")
    assert drive.message("case_withdrawn", {"personRef": "P-5"}, {"reason": "moved away"}).status_code == 200
    withdrawn = drive.instance(withdrawn["id"])
    assert withdrawn["status"] == "completed" and withdrawn["data"]["closedBecause"] == "moved away"
    overdue = drive.start("boundary_events", personRef="P-2")
    drive.fire_timers(timedelta(days=6))
    overdue = drive.instance(overdue["id"])
    assert overdue["status"] == "completed" and overdue["data"]["closedBecause"] == "overdue"
    closing = drive.start("boundary_events", personRef="P-3")
    assert drive.message("signal:service_closing").status_code == 200
    closing = drive.instance(closing["id"])
    assert closing["status"] == "completed" and closing["data"]["closedBecause"] == "closing"


def test_an_escalation_is_caught_and_a_terminate_end_stops_every_branch(drive):
    drive.deploy("escalation_terminate.bpmn")
    case = drive.start("escalation_terminate")
    assert names(case) == ["look", "safeguard"]  # the escalation did not interrupt the review
    safeguard = next(t for t in case["openTasks"] if t["name"] == "safeguard")
    assert drive.worker.post(f"/tasks/{safeguard['id']}/complete", json={"data": {}}).status_code == 200
    ended = drive.instance(case["id"])
    assert ended["status"] == "completed" and ended["openTasks"] == []


def test_a_transaction_cancelled_takes_its_cancel_boundary(drive):
    drive.deploy("transaction_cancel.bpmn")
    case = drive.start("transaction_cancel")
    assert names(case) == ["rebook"]


def test_multi_instance_and_standard_loops(drive):
    drive.deploy("loops.bpmn")
    case = drive.start("loops", people=["Ann", "Bo"], count=0)
    assert case["data"]["notes"] == ["seen Ann", "seen Bo"] and case["data"]["count"] == 3
    assert names(case) == ["visit", "visit"]
    case = drive.complete(case)
    assert drive.complete(case)["status"] == "completed"


def test_two_pools_in_one_file_talk_by_message(drive):
    drive.deploy("collaboration.bpmn")
    council = drive.start("collab_council", personRef="P-4")
    assert council["status"] == "completed", council["incidents"]
    (provider,) = drive.instances("collab_provider")
    assert names(provider) == ["answer"] and provider["data"]["personRef"] == "P-4"


def test_a_business_rule_task_and_a_service_task(drive):
    drive.deploy("service_and_rule.bpmn", "band.dmn")
    case = drive.start("service_and_rule", hours=12)
    assert case["data"]["band"] == "high" and names(case) == ["look"]
    assert [m["template"] for m in case["messages"]] == ["urgent_referral"]


def test_an_embedded_sub_process_runs(drive):
    drive.deploy("dup_sub_a.bpmn")
    case = drive.start("dup_sub_a")
    assert case["status"] == "completed" and case["data"]["a"] == 1


def test_a_complex_gateway_is_refused_at_validate(drive):
    answer = drive.validate("complex_gateway.bpmn")
    assert answer.status_code == 422 and answer.json["element"] == "two_of_three" and answer.json["line"]
