"""Decision tables and forms in the modeller: checks, try it, versions, deploy; and exporting the
current versions back to the source folders."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

TABLE = (ROOT / "dmn" / "demo_referral_priority.dmn").read_text()
DEMO = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()


def test_try_it_says_which_rule_matched_and_why(owner):
    result = owner.post("/model/decisions/try", json={"xml": TABLE, "decisionId": "DemoReferralPriority",
                                                      "inputs": {"riskToLife": False, "livesAlone": True}})
    assert result.status_code == 200, result.json
    assert result.json["value"] == {"priority": "PRIORITY"} or result.json["value"] == "PRIORITY"
    assert [m["index"] for m in result.json["matchedRules"]] == [2]
    why = result.json["why"][0]
    assert why["rule"] == 2 and {"input": "livesAlone", "value": True, "test": "true",
                                 "because": "True matches true"} in why["cells"]
    bad = owner.post("/model/decisions/try", json={"xml": TABLE, "decisionId": "Nope", "inputs": {}})
    assert bad.status_code == 422
    assert owner.post("/model/decisions/try", json={"xml": "<x", "decisionId": "a"}).status_code == 422


def test_a_decision_edit_is_checked_saved_and_deployed_to_the_processes_that_call_it(owner, casey):
    bad_output = TABLE.replace('<outputEntry><text>"PRIORITY"</text>', '<outputEntry><text>"SOON"</text>')
    refused = owner.post("/model/decisions/demo_referral_priority.dmn/versions",
                         json={"xml": bad_output, "comment": "typo"})
    assert refused.status_code == 422
    assert refused.json["errors"][0]["rule"] == "dmn-output-values"
    assert refused.json["errors"][0]["element"] == "rule_lives_alone"
    bad_cell = TABLE.replace("<inputEntry><text>true</text></inputEntry>",
                             "<inputEntry><text>&gt;&gt;</text></inputEntry>", 1)
    refused = owner.post("/model/decisions/demo_referral_priority.dmn/versions",
                         json={"xml": bad_cell, "comment": "x"})
    assert refused.status_code == 422 and refused.json["errors"][0]["rule"] == "dmn-cell-syntax"
    assert refused.json["errors"][0]["element"] == "rule_risk_to_life"

    # Living alone becomes urgent: rule 2's output changes.
    changed = TABLE.replace('<outputEntry><text>"PRIORITY"</text>', '<outputEntry><text>"URGENT"</text>', 1)
    saved = owner.post("/model/decisions/demo_referral_priority.dmn/versions",
                       json={"xml": changed, "comment": "Living alone is urgent this winter"})
    assert saved.status_code == 201 and saved.json["version"] == 2, saved.json
    listed = next(d for d in owner.get("/model").json["decisions"] if d["id"] == "demo_referral_priority.dmn")
    assert [(v["version"], v["current"]) for v in listed["versions"]] == [(2, False), (1, True)]
    # The demo's scenario expects PRIORITY for someone living alone: deploying is refused until it follows.
    refused = owner.post("/model/decisions/demo_referral_priority.dmn/versions/2/deploy",
                         json={"reason": "Winter plan"})
    assert refused.status_code == 422 and "Someone living alone" in refused.json["errors"][0]["message"]
    suite = json.loads((ROOT / "bpmn" / "demo_referral.tests.json").read_text())
    suite["tests"][1]["expect"] = {"data": {"priority": "URGENT"}, "path": ["alert_duty_team"]}
    assert owner.put("/model/processes/demo_referral/tests", json=suite).status_code == 200
    deployed = owner.post("/model/decisions/demo_referral_priority.dmn/versions/2/deploy",
                          json={"reason": "Winter plan"})
    assert deployed.status_code == 200, deployed.json
    assert deployed.json["processes"] == [{"processId": "demo_referral", "version": 2}]
    demo = next(p for p in owner.get("/model").json["processes"] if p["id"] == "demo_referral")
    assert demo["versions"][0]["comment"] == "Decision table demo_referral_priority.dmn version 2: Winter plan"
    assert demo["versions"][0]["current"] and demo["versions"][0]["savedBy"] == "pat.owner"
    assert {"processId": "demo_referral", "version": 2} in deployed.json["processes"]
    case = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    task = case["openTasks"][0]["id"]
    casey.post(f"/tasks/{task}/complete", json={"data": {"personName": "A", "referralSource": "GP",
                                                         "riskToLife": False, "livesAlone": True}})
    assert casey.get(f"/instances/{case['id']}").json["data"]["priority"] == "URGENT"
    assert owner.get("/model/decisions/demo_referral_priority.dmn/file?version=1").json["version"] == 1
    assert owner.get("/model/decisions/nope.dmn/file").status_code == 404


def test_a_form_version_is_checked_saved_and_deployed(owner, model_app):
    current = owner.get("/model/forms/referral_details/file").json
    schema = current["schema"]
    schema["properties"]["personName"]["title"] = "Full name of the person"
    assert owner.post("/model/forms/referral_details/versions",
                      json={"schema": {"type": "object", "properties": {"a": {"type": "nope"}}}, "ui": {},
                            "comment": "x"}).status_code == 422
    saved = owner.post("/model/forms/referral_details/versions",
                       json={"schema": schema, "ui": current["ui"], "comment": "Plainer label"})
    assert saved.status_code == 201 and saved.json["version"] == 2
    path = Path(model_app.config["FORMS_DIR"]) / "referral_details.schema.json"
    assert "Full name of the person" not in path.read_text()
    assert owner.post("/model/forms/referral_details/versions/2/deploy", json={"reason": "Agreed"}).status_code == 200
    assert "Full name of the person" in path.read_text()
    forms = {f["id"]: f for f in owner.get("/model").json["forms"]}
    assert forms["referral_details"]["current"] == 2


def test_export_writes_the_current_versions_back(owner, model_app, tmp_path):
    changed = DEMO.replace('name="Record the referral"', 'name="Record it"')
    owner.post("/model/processes/demo_referral/versions", json={"xml": changed, "comment": "c"})
    owner.post("/model/processes/demo_referral/versions/2/deploy", json={"reason": "r"})
    from app.api_model import Modeller
    from handlers.registry import handler_names

    svc = model_app.extensions["careflow"]
    out = tmp_path / "out"
    written = Modeller(svc.db, svc.library, svc.forms, handler_names).export(out / "bpmn", out / "dmn",
                                                                             out / "bpmn" / "forms")
    assert str(out / "bpmn" / "demo_referral.bpmn") in written
    assert 'name="Record it"' in (out / "bpmn" / "demo_referral.bpmn").read_text()
    table = ROOT / "dmn" / "demo_referral_priority.dmn"
    assert (out / "dmn" / "demo_referral_priority.dmn").read_text() == table.read_text()


def test_the_cli_runs_scenarios_and_exports(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-m", "app.cli", "test-process", "demo_referral"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "2 passed, 0 failed" in run.stdout
    subprocess.run([sys.executable, "-m", "app.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    subprocess.run([sys.executable, "-m", "app.cli", "sync"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=120)
    out = tmp_path / "export"
    exported = subprocess.run([sys.executable, "-m", "app.cli", "definitions", "export", "--bpmn", str(out / "b"),
                               "--dmn", str(out / "d"), "--forms", str(out / "f")], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr
    assert (out / "b" / "provider_failure.bpmn").is_file() and (out / "d" / "urgency_of_needs.dmn").is_file()
    assert json.loads((ROOT / "bpmn" / "demo_referral.tests.json").read_text())["tests"]


def test_a_deployed_form_is_what_new_tasks_show(owner, casey):
    current = owner.get("/model/forms/referral_details/file").json
    current["schema"]["properties"]["personName"]["title"] = "Full name of the person referred"
    owner.post("/model/forms/referral_details/versions", json={**current, "comment": "Plainer label"})
    assert owner.post("/model/forms/referral_details/versions/2/deploy", json={"reason": "r"}).status_code == 200
    case = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    task = casey.get(f"/tasks/{case['openTasks'][0]['id']}").json
    assert "Full name of the person referred" in str(task)
