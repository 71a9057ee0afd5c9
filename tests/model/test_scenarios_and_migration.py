"""Scenario tests beside a process (and deploy refused while one fails); moving running cases to a
new version with a dry run first, recorded in the case's history and revertible."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.conftest import ROOT
from workflows.models import AuditEvent

DEMO = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()
REFERRAL = {"personName": "Alex Example", "referralSource": "GP", "riskToLife": False, "livesAlone": True}


def _deploy(owner: Any, xml: str, comment: str = "change") -> int:
    saved = owner.post("/model/processes/demo_referral/versions", json={"xml": xml, "comment": comment})
    assert saved.status_code == 201, saved.json
    version = saved.json["version"]
    deployed = owner.post(f"/model/processes/demo_referral/versions/{version}/deploy", json={"reason": comment})
    assert deployed.status_code == 200, deployed.json
    return version


def test_the_shipped_scenarios_pass_for_demo_referral_and_provider_failure(owner):
    for process_id, count in (("demo_referral", 2), ("provider_failure", 4), ("provider_failure_person", 2)):
        result = owner.post(f"/model/processes/{process_id}/tests/run", json={}).json
        assert result["failed"] == 0 and result["passed"] == count, result


def test_a_wrong_expectation_fails_and_blocks_deploy(owner, model_app):
    suite = json.loads((ROOT / "bpmn" / "demo_referral.tests.json").read_text())
    suite["tests"][0]["expect"]["data"]["priority"] = "ROUTINE"
    assert owner.put("/model/processes/demo_referral/tests", json=suite).status_code == 200
    stored = Path(model_app.config["BPMN_DIR"]) / "demo_referral.tests.json"
    assert "ROUTINE" in stored.read_text()
    result = owner.post("/model/processes/demo_referral/tests/run", json={}).json
    assert result["failed"] == 1
    assert 'Expected priority = "ROUTINE"; it is "URGENT"' in result["results"][0]["failures"]
    changed = DEMO.replace('name="Record the referral"', 'name="Record it"')
    owner.post("/model/processes/demo_referral/versions", json={"xml": changed, "comment": "rename"})
    refused = owner.post("/model/processes/demo_referral/versions/2/deploy", json={"reason": "go"})
    assert refused.status_code == 422 and "Scenario" in refused.json["errors"][0]["message"]
    assert owner.put("/model/processes/demo_referral/tests", json={"tests": [{"steps": []}]}).status_code == 422


def test_a_form_the_scenario_fills_wrongly_fails_the_scenario(owner):
    suite = json.loads((ROOT / "bpmn" / "demo_referral.tests.json").read_text())
    suite["tests"][0]["steps"][0]["data"].pop("personName")
    owner.put("/model/processes/demo_referral/tests", json=suite)
    result = owner.post("/model/processes/demo_referral/tests/run", json={}).json
    assert "Enter the person's full name" in result["results"][0]["failures"][0]


def test_dry_run_then_migrate_two_cases_and_revert_one(owner, casey, model_app):
    a = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    b = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    version = _deploy(owner, DEMO.replace('name="Record the referral"', 'name="Record the referral in full"'))
    plan = owner.post("/model/processes/demo_referral/migrations/dry-run", json={"toVersion": version}).json
    assert [(c["instanceId"], c["canMove"], c["moves"]) for c in plan["cases"]] == [
        (a["id"], True, ["record_referral"]), (b["id"], True, ["record_referral"])]
    assert plan["movable"] == 2
    moved = owner.post("/model/processes/demo_referral/migrations",
                       json={"toVersion": version, "instanceIds": [a["id"], b["id"]], "reason": "New wording"})
    assert moved.status_code == 200 and moved.json["migrated"] == 2, moved.json
    case = casey.get(f"/instances/{a['id']}").json
    assert case["processVersion"] == 2 and case["openTasks"][0]["title"] == "Record the referral in full"
    with model_app.extensions["careflow"].db.reading() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.instance_id == a["id"],
                                                    AuditEvent.action == "case_migrated")).all()
        assert events and events[0].actor == "pat.owner" and events[0].data["reason"] == "New wording"
    # The migrated case carries on to the end on its new version.
    task = case["openTasks"][0]["id"]
    done = casey.post(f"/tasks/{task}/complete", json={"data": REFERRAL})
    assert done.status_code == 200, done.json
    history = owner.get("/model/processes/demo_referral/migrations").json["migrations"]
    assert len(history) == 2
    by_case = {m["instanceId"]: m for m in history}
    # a moved on since: it cannot go back; b can.
    assert owner.post(f"/model/migrations/{by_case[a['id']]['id']}/revert", json={"reason": "oops"}).status_code == 409
    back = owner.post(f"/model/migrations/{by_case[b['id']]['id']}/revert", json={"reason": "Wait for training"})
    assert back.status_code == 200, back.json
    assert casey.get(f"/instances/{b['id']}").json["processVersion"] == 1
    assert casey.get(f"/instances/{b['id']}").json["openTasks"][0]["title"] == "Record the referral"
    actions = [e["action"] for e in owner.get("/model/audit").json["events"]]
    assert actions[:3] == ["migration_reverted", "migrated", "migrated"]


def test_a_case_at_a_removed_task_is_blocked_and_left_alone(owner, casey):
    a = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    renamed = DEMO.replace("record_referral", "record_the_referral")
    # The scenarios name the task too: deploying is refused until they follow the new id.
    suite = (ROOT / "bpmn" / "demo_referral.tests.json").read_text().replace("record_referral", "record_the_referral")
    owner.put("/model/processes/demo_referral/tests", json=json.loads(suite))
    version = _deploy(owner, renamed, "new task id")
    plan = owner.post("/model/processes/demo_referral/migrations/dry-run", json={"toVersion": version}).json
    case = plan["cases"][0]
    assert not case["canMove"] and case["blockers"][0]["element"] == "record_referral"
    moved = owner.post("/model/processes/demo_referral/migrations",
                       json={"toVersion": version, "instanceIds": [a["id"]], "reason": "try"}).json
    assert moved["migrated"] == 0 and moved["cases"][0]["blockers"]
    assert casey.get(f"/instances/{a['id']}").json["processVersion"] == 1
    assert owner.post("/model/processes/demo_referral/migrations",
                      json={"toVersion": version, "instanceIds": [], "reason": "x"}).status_code == 422


def test_a_draft_that_does_not_fit_the_new_form_blocks_the_move(owner, casey):
    a = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    task = a["openTasks"][0]["id"]
    assert casey.put(f"/tasks/{task}/draft", json={"data": {"personName": "Alex", "riskToLife": True}}
                     ).status_code == 200
    other_form = DEMO.replace('name="formKey" value="referral_details"', 'name="formKey" value="pf_verify_facts"')
    suite = json.loads((ROOT / "bpmn" / "demo_referral.tests.json").read_text())
    owner.put("/model/processes/demo_referral/tests", json={**suite, "tests": []})
    version = _deploy(owner, other_form, "A different form")
    plan = owner.post("/model/processes/demo_referral/migrations/dry-run", json={"toVersion": version}).json
    [case] = plan["cases"]
    assert not case["canMove"]
    assert case["blockers"][0]["element"] == "record_referral"
    assert "What was typed so far does not fit the new form" in case["blockers"][0]["message"]


def test_a_draft_is_checked_against_the_form_the_new_version_pinned_not_the_form_folder(owner, casey, model_app):
    a = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    task = a["openTasks"][0]["id"]
    assert casey.put(f"/tasks/{task}/draft", json={"data": REFERRAL}).status_code == 200  # fits the folder's form
    # A shorter name limit deployed through the API: version 2 pins it; the forms folder keeps the old one.
    folder = Path(model_app.config["FORMS_DIR"]) / "referral_details.schema.json"
    schema = json.loads(folder.read_text())
    schema["properties"]["personName"]["maxLength"] = 4
    deployed = owner.post("/definitions/deploy", json={"forms": {"referral_details.schema.json": json.dumps(schema)}})
    assert deployed.status_code == 201, deployed.json
    version = next(d["version"] for d in deployed.json["deployed"] if d["processId"] == "demo_referral")
    assert version == 2 and json.loads(folder.read_text())["properties"]["personName"]["maxLength"] == 200
    [case] = owner.post("/model/processes/demo_referral/migrations/dry-run", json={"toVersion": version}).json["cases"]
    assert not case["canMove"]
    assert case["blockers"][0]["message"].startswith("What was typed so far does not fit the new form (personName")
