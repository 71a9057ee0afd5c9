"""Call activities to a process deployed on its own, with the binding the process owner chose.

``latest`` (the default, as in Camunda): a new callee gives its callers a new version, so cases started
afterwards call it; ``deployment``: the callee current when the caller was deployed; ``version``: that one.
"""
from __future__ import annotations


def _run(drive, process_id):
    case = drive.start(process_id)
    assert [t["name"] for t in case["openTasks"]] == ["look"], case
    return case["data"]["assessedBy"]


def test_a_caller_validates_and_deploys_alone_against_the_deployed_callee(drive):
    assert drive.validate("call_latest.bpmn").status_code == 422  # no callee anywhere yet
    drive.deploy("call_callee.bpmn")
    assert drive.validate("call_latest.bpmn").status_code == 200
    drive.deploy("call_latest.bpmn")
    assert _run(drive, "call_latest") == "callee v1"


def test_a_fixed_callee_reaches_latest_bound_callers_and_not_pinned_ones(drive):
    drive.deploy("call_callee.bpmn")
    drive.deploy("call_latest.bpmn", "call_pinned.bpmn", "call_version.bpmn")
    running = drive.start("call_latest")
    fixed = drive.files("call_callee.bpmn")["call_callee.bpmn"].replace("callee v1", "callee v2")
    deployed = drive.deploy(**{"call_callee.bpmn": fixed})
    assert {(d["processId"], d["version"]) for d in deployed} == {("call_callee", 2), ("call_latest", 2)}
    assert _run(drive, "call_latest") == "callee v2"
    assert _run(drive, "call_pinned") == "callee v1"
    assert _run(drive, "call_version") == "callee v1"
    assert drive.instance(running["id"])["data"]["assessedBy"] == "callee v1"  # running cases keep theirs
    drive.deploy(**{"call_pinned.bpmn": drive.files("call_pinned.bpmn")["call_pinned.bpmn"].replace(
        'name="Look at the assessment"', 'name="Look at it"')})
    assert _run(drive, "call_pinned") == "callee v2"  # deployed again: takes the callee current then


def test_an_unknown_binding_is_refused_with_the_element_and_line(drive):
    drive.deploy("call_callee.bpmn")
    text = drive.files("call_pinned.bpmn")["call_pinned.bpmn"].replace('"deployment"', '"newest"')
    answer = drive.validate(**{"call_pinned.bpmn": text})
    assert answer.status_code == 422 and answer.json["element"] == "call_assess" and answer.json["line"]


def test_a_sub_process_id_used_in_two_diagrams_is_refused_at_validate(drive):
    together = drive.validate("dup_sub_a.bpmn", "dup_sub_b.bpmn")
    assert together.status_code == 422 and "Activity_checks" in together.json["message"]
    assert together.json["line"] and "dup_sub_a.bpmn" in together.json["message"]
    drive.deploy("dup_sub_a.bpmn")
    alone = drive.validate("dup_sub_b.bpmn")
    assert alone.status_code == 422 and alone.json["file"] == "dup_sub_b.bpmn"
    assert drive.owner.post("/definitions/deploy", json={"bpmn": drive.files("dup_sub_b.bpmn")}).status_code == 422
    assert drive.validate("dup_sub_a.bpmn").status_code == 200  # a new version of the same diagram is fine
    decisions = drive.owner.post("/definitions/deploy", json={"dmn": drive.files("band.dmn")})
    assert decisions.status_code == 201, decisions.json  # later decision deploys are not blocked


def test_a_decision_deploy_keeps_each_callee_at_its_newest_version(drive):
    drive.deploy("call_callee.bpmn")
    drive.deploy("call_pinned.bpmn")
    fixed = drive.files("call_callee.bpmn")["call_callee.bpmn"].replace("callee v1", "callee v2")
    drive.deploy(**{"call_callee.bpmn": fixed})
    assert _run(drive, "call_pinned") == "callee v1"
    answer = drive.owner.post("/definitions/deploy", json={"dmn": drive.files("band.dmn")})
    assert answer.status_code == 201, answer.json
    case = drive.start("call_callee")
    assert case["data"]["assessedBy"] == "callee v2"  # not rolled back to the copy the pinned caller held
