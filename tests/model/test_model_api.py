"""Process owners list, read, check, save, deploy and compare versions through the modeller API."""
from __future__ import annotations

from typing import Any

from tests.conftest import ROOT

DEMO = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()


def _save(owner: Any, xml: str, comment: str = "Clearer task name") -> Any:
    return owner.post("/model/processes/demo_referral/versions", json={"xml": xml, "comment": comment})


def test_only_process_owners_and_admins_may_model(model_app, owner, casey, model_users):
    assert model_app.test_client().get("/api/v1/model").status_code == 401
    assert casey.get("/model").status_code == 403
    assert casey.post("/model/processes/demo_referral/versions", json={"xml": DEMO, "comment": "x"}).status_code == 403
    assert owner.get("/model").status_code == 200
    admin = model_users.make("ada.admin", "admin", ("admins",))
    assert admin.get("/model").status_code == 200


def test_the_overview_lists_processes_decisions_and_forms_with_versions(owner, casey):
    casey.post("/processes/demo_referral/instances", json={"data": {}})
    found = owner.get("/model").json
    demo = next(p for p in found["processes"] if p["id"] == "demo_referral")
    assert demo["current"] == 1 and demo["versions"][0]["runningCases"] == 1
    assert demo["versions"][0]["savedBy"] == "system"
    assert any(d["id"] == "demo_referral_priority.dmn" and d["current"] == 1 for d in found["decisions"])
    assert any(f["id"] == "referral_details" for f in found["forms"])
    assert "notify" in found["handlers"]


def test_save_makes_an_undeployed_version_and_deploy_makes_it_current(owner, casey):
    running = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    changed = DEMO.replace('name="Record the referral"', 'name="Record the referral in full"')
    saved = _save(owner, changed)
    assert saved.status_code == 201 and saved.json["version"] == 2
    assert _save(owner, changed).json == {"processId": "demo_referral", "version": 2, "unchanged": True}
    # Saved is not deployed: new cases still start on version 1.
    assert casey.post("/processes/demo_referral/instances", json={"data": {}}).json["processVersion"] == 1
    assert owner.post("/model/processes/demo_referral/versions/2/deploy", json={}).status_code == 422
    deployed = owner.post("/model/processes/demo_referral/versions/2/deploy", json={"reason": "Agreed at board"})
    assert deployed.status_code == 200, deployed.json
    fresh = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    assert fresh["processVersion"] == 2 and fresh["openTasks"][0]["title"] == "Record the referral in full"
    assert casey.get(f"/instances/{running['id']}").json["processVersion"] == 1
    versions = next(p for p in owner.get("/model").json["processes"] if p["id"] == "demo_referral")["versions"]
    assert [(v["version"], v["current"], v["comment"], v["savedBy"]) for v in versions] == [
        (2, True, "Clearer task name", "pat.owner"), (1, False, None, "system")]
    got = owner.get("/model/processes/demo_referral/file?version=2").json
    assert "Record the referral in full" in got["content"] and got["filename"] == "demo_referral.bpmn"
    download = owner.get("/model/processes/demo_referral/file?version=1&download=1")
    assert download.headers["Content-Disposition"].endswith("demo_referral-v1.bpmn")
    events = owner.get("/model/audit").json["events"]
    assert [(e["action"], e["actor"], e["reason"]) for e in events] == [
        ("deployed", "pat.owner", "Agreed at board"), ("saved", "pat.owner", "Clearer task name")]


def test_a_save_is_refused_whole_with_every_problem_named_by_element(owner):
    broken = (DEMO.replace('<spiffworkflow:serviceTaskOperator id="notify"',
                           '<spiffworkflow:serviceTaskOperator id="fax_machine"')
              .replace("<spiffworkflow:calledDecisionId>DemoReferralPriority<",
                       "<spiffworkflow:calledDecisionId>NoSuchDecision<")
              .replace('value="referral_details"', 'value="no_such_form"'))
    refused = _save(owner, broken)
    assert refused.status_code == 422, refused.json
    found = {(e["element"], e["rule"]) for e in refused.json["errors"]}
    assert ("alert_duty_team", "service-task-handler") in found
    assert ("decide_priority", "business-rule-decision") in found
    assert ("record_referral", "user-task-form") in found
    assert "nothing was saved" in refused.json["message"]
    assert len(next(p for p in owner.get("/model").json["processes"] if p["id"] == "demo_referral")["versions"]) == 1
    assert _save(owner, "<not xml").json["errors"][0]["rule"] == "well-formed-xml"
    assert _save(owner, DEMO, comment=" ").status_code == 422
    assert owner.post("/model/processes/demo_referral/versions", json={"comment": "x"}).status_code == 422


def test_a_condition_that_imports_is_refused_at_its_flow(owner):
    xml = DEMO.replace("<bpmn:conditionExpression>priority == \"URGENT\"</bpmn:conditionExpression>",
                       "<bpmn:conditionExpression>__import__('os').system('id')</bpmn:conditionExpression>")
    assert xml != DEMO
    refused = _save(owner, xml)
    assert refused.status_code == 422
    assert {(e["element"], e["rule"]) for e in refused.json["errors"]} == {("flow_urgent", "expression-syntax")}


def test_check_reports_without_storing(owner):
    result = owner.post("/model/processes/demo_referral/check", json={"xml": DEMO}).json
    assert result == {"problems": []}
    bad = DEMO.replace('default="flow_routine"', "")
    problems = owner.post("/model/processes/demo_referral/check", json={"xml": bad}).json["problems"]
    assert [(p["element"], p["rule"]) for p in problems] == [("is_urgent", "gateway-conditions")]


def test_compare_lists_added_removed_and_changed_elements(owner):
    changed = DEMO.replace('name="Record the referral"', 'name="Record it"').replace(
        '<spiffworkflow:property name="dueIn" value="P2D"/>', '<spiffworkflow:property name="dueIn" value="P3D"/>')
    _save(owner, changed)
    diff = owner.get("/model/processes/demo_referral/compare?from=1&to=2").json
    assert diff["added"] == [] and diff["removed"] == []
    record = next(c for c in diff["changed"] if c["id"] == "record_referral")
    assert {"name": "name", "from": "Record the referral", "to": "Record it"} in record["changes"]
    assert {"name": "property dueIn", "from": "P2D", "to": "P3D"} in record["changes"]
    assert owner.get("/model/processes/demo_referral/compare?from=1&to=7").status_code == 404
    assert owner.get("/model/processes/nope/file").status_code == 404


def test_a_diagram_from_spiff_arena_keeps_its_form_names_and_runs_with_them(owner, casey):
    arena = DEMO.replace('name="formKey" value="referral_details"',
                         'name="formJsonSchemaFilename" value="referral_details-schema.json"')
    saved = _save(owner, arena, "Drawn in spiff-arena")
    assert saved.status_code == 201, saved.json
    owner.post("/model/processes/demo_referral/versions/2/deploy", json={"reason": "r"})
    case = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    assert case["openTasks"][0]["formKey"] == "referral_details"
    stored = owner.get("/model/processes/demo_referral/file?version=2").json["content"]
    assert 'formJsonSchemaFilename' in stored
    missing = DEMO.replace('name="formKey" value="referral_details"',
                           'name="formJsonSchemaFilename" value="gone-schema.json"')
    refused = _save(owner, missing, "x")
    assert [(e["element"], e["rule"]) for e in refused.json["errors"]] == [("record_referral", "user-task-form")]
