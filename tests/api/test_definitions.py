"""Process owners validate and deploy diagrams and tables through the API."""
from __future__ import annotations

from tests.conftest import ROOT

DEMO = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()
TABLE = (ROOT / "dmn" / "demo_referral_priority.dmn").read_text()


def test_validate_reports_the_file_element_and_line_and_stores_nothing(users):
    owner = users.make("pat.owner", "process_owner", ("process_owners",))
    ok = owner.post("/definitions/validate", json={"bpmn": {"demo_referral.bpmn": DEMO}})
    assert ok.status_code == 200 and ok.json["processes"][0]["decisions"] == ["DemoReferralPriority"]
    broken = DEMO.replace('targetRef="alert_duty_team"', 'targetRef="alert_duty"')
    bad = owner.post("/definitions/validate", json={"bpmn": {"demo_referral.bpmn": broken}})
    assert bad.status_code == 422
    assert (bad.json["file"], bad.json["element"]) == ("demo_referral.bpmn", "flow_urgent") and bad.json["line"]
    assert owner.post("/definitions/validate", json={}).status_code == 422
    assert owner.post("/definitions/validate", json={"bpmn": {"../x.bpmn": DEMO}}).status_code == 422
    assert owner.get("/processes/demo_referral").json["version"] == 1


def test_deploying_versions_a_process_and_running_cases_keep_theirs(users):
    owner = users.make("pat.owner", "process_owner", ("process_owners",))
    casey = users.make("casey.worker")
    running = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    assert casey.post("/definitions/deploy", json={"bpmn": {"demo_referral.bpmn": DEMO}}).status_code == 403
    changed = DEMO.replace('name="Record the referral"', 'name="Record the referral in full"')
    deployed = owner.post("/definitions/deploy", json={"bpmn": {"demo_referral.bpmn": changed}})
    assert deployed.status_code == 201 and deployed.json["deployed"][0]["version"] == 2
    fresh = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    assert fresh["openTasks"][0]["title"] == "Record the referral in full"
    assert casey.get(f"/instances/{running['id']}").json["openTasks"][0]["title"] == "Record the referral"
    xml = owner.get("/processes/demo_referral/versions/2/diagram")
    assert xml.status_code == 200 and b"Record the referral in full" in xml.data
    assert owner.get("/processes/demo_referral/versions/9/diagram").status_code == 404


def test_a_new_decision_table_gives_the_processes_that_call_it_a_new_version(users):
    owner = users.make("pat.owner", "process_owner", ("process_owners",))
    casey = users.make("casey.worker")
    stricter = TABLE.replace('<outputEntry><text>"PRIORITY"</text></outputEntry>',
                             '<outputEntry><text>"URGENT"</text></outputEntry>')
    deployed = owner.post("/definitions/deploy", json={"dmn": {"demo_referral_priority.dmn": stricter}})
    assert deployed.status_code == 201
    assert {"processId": "demo_referral", "version": 2} in [
        {k: d[k] for k in ("processId", "version")} for d in deployed.json["deployed"]]
    started = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    done = casey.post(f"/tasks/{started['openTasks'][0]['id']}/complete", json={"data": {
        "personName": "Alex Example", "referralSource": "GP", "riskToLife": False, "livesAlone": True}})
    assert done.status_code == 200
    assert casey.get(f"/instances/{started['id']}").json["data"]["priority"] == "URGENT"
    broken = owner.post("/definitions/deploy", json={"dmn": {"demo_referral_priority.dmn": "<definitions"}})
    assert broken.status_code == 422 and broken.json["file"] == "demo_referral_priority.dmn"


def test_deploying_an_earlier_content_again_rolls_back_to_that_version_and_is_logged(users):
    owner = users.make("pat.owner", "process_owner", ("process_owners",))
    casey = users.make("casey.worker")
    changed = DEMO.replace('name="Record the referral"', 'name="Record the referral in full"')
    assert owner.post("/definitions/deploy", json={"bpmn": {"demo_referral.bpmn": changed}}).json[
        "deployed"][0]["version"] == 2
    back = owner.post("/definitions/deploy", json={"bpmn": {"demo_referral.bpmn": DEMO}})
    assert back.status_code == 201
    assert {k: back.json["deployed"][0][k] for k in ("version", "action")} == {"version": 1, "action": "rolled_back"}
    assert owner.get("/processes/demo_referral").json["version"] == 1
    fresh = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    assert fresh["openTasks"][0]["title"] == "Record the referral"
    log = owner.get("/processes/demo_referral/deployments").json["deployments"]
    assert [(e["action"], e["version"], e["actor"], e["source"]) for e in log] == [
        ("rolled_back", 1, "pat.owner", "api"), ("deployed", 2, "pat.owner", "api"), ("deployed", 1, "system", "disk")]
    assert log[0]["previousVersion"] == 2
    again = owner.post("/definitions/deploy", json={"bpmn": {"demo_referral.bpmn": DEMO}})
    assert again.json["deployed"][0]["action"] == "unchanged"
    assert len(owner.get("/processes/demo_referral/deployments").json["deployments"]) == 3
    # Rolling forward is the same move: version 2 is current again, still version 2.
    forward = owner.post("/definitions/deploy", json={"bpmn": {"demo_referral.bpmn": changed}})
    assert {k: forward.json["deployed"][0][k] for k in ("version", "action")} == {"version": 2,
                                                                                  "action": "rolled_back"}


def test_a_timer_or_due_date_that_cannot_be_read_is_refused_naming_the_element_and_line(users):
    owner = users.make("pat.owner", "process_owner", ("process_owners",))
    bad_due = DEMO.replace('<spiffworkflow:property name="dueIn" value="P2D"/>',
                           '<spiffworkflow:property name="dueIn" value="P2Q"/>')
    r = owner.post("/definitions/validate", json={"bpmn": {"demo_referral.bpmn": bad_due}})
    assert r.status_code == 422 and r.json["element"] == "record_referral" and "P2Q" in r.json["message"]
    assert 'value="P2Q"' in bad_due.splitlines()[r.json["line"] - 1]
    months = DEMO.replace('<spiffworkflow:property name="dueIn" value="P2D"/>',
                          '<spiffworkflow:property name="dueIn" value="P3M"/>')
    assert owner.post("/definitions/validate", json={"bpmn": {"demo_referral.bpmn": months}}).status_code == 200
