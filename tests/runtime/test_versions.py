"""A version is everything a case depends on (DESIGN.md decision 6): its diagram, the decisions it calls,
its forms and its configuration, under one content hash. A running case keeps all of them."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import ROOT, Users, lab_app
from workflows.library import ProcessLibrary
from workflows.models import DecisionLog, ProcessVersion

REVIEW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="review_defs" targetNamespace="https://careflow.example.org/test">
  <bpmn:process id="review_lab" name="Review a care package" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="configData" value="review_lab.config.json"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="record_review" name="Record the review">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="review_record"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:businessRuleTask id="decide_route" name="Decide the approval route">
      <bpmn:extensionElements><spiffworkflow:calledDecisionId>ReviewRoute</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:userTask id="approve" name="Approve"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="record_review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="record_review" targetRef="decide_route"/>
    <bpmn:sequenceFlow id="f3" sourceRef="decide_route" targetRef="approve"/>
    <bpmn:sequenceFlow id="f4" sourceRef="approve" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""

ROUTE = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="review_route_defs" name="Review route"
             namespace="https://careflow.example.org/dmn">
  <decision id="ReviewRoute" name="Review approval route">
    <decisionTable id="ReviewRoute_table" hitPolicy="FIRST">
      <input id="in_tolerance" label="budgetTolerancePct">
        <inputExpression id="in_tolerance_expr" typeRef="number"><text>budgetTolerancePct</text></inputExpression>
      </input>
      <output id="out_route" name="route" typeRef="string"/>
      <rule id="rule_wide_tolerance">
        <inputEntry><text>&gt;= 5</text></inputEntry>
        <outputEntry><text>"TEAM_MANAGER"</text></outputEntry>
      </rule>
      <rule id="rule_narrow_tolerance">
        <inputEntry><text>-</text></inputEntry>
        <outputEntry><text>"PANEL"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""

FORM_V1 = {"type": "object", "properties": {"note": {"type": "string", "title": "Note"}}}
FORM_V2 = {**FORM_V1, "required": ["note"]}


def files(form=FORM_V1, window="P3M", tolerance=10):
    return {"bpmn": {"review_lab.bpmn": REVIEW}, "dmn": {"review_route.dmn": ROUTE},
            "forms": {"review_record.schema.json": json.dumps(form)},
            "config": {"review_lab.config.json": json.dumps({"review_lab": {"reviewWindow": window}}),
                       "council_config.json": json.dumps({"budgetTolerancePct": tolerance})}}


@pytest.fixture
def lab(tmp_path):
    app = lab_app(tmp_path)
    yield app
    app.extensions["careflow"].db.dispose()


@pytest.fixture
def owner(lab):
    return Users(lab).make("pat.owner", "process_owner", ("process_owners",))


@pytest.fixture
def admin(lab):
    return Users(lab).make("ada.admin", "admin", ("admins",))


def deploy(owner, body):
    r = owner.post("/definitions/deploy", json=body)
    assert r.status_code == 201, r.json
    return {d["processId"]: d for d in r.json["deployed"]}


def start(api, process_id="review_lab"):
    r = api.post(f"/processes/{process_id}/instances", json={"data": {}})
    assert r.status_code == 201, r.json
    return r.json


def first_task(api, case):
    return api.get(f"/instances/{case['id']}").json["openTasks"][0]


def test_a_form_change_makes_a_new_version_and_a_running_case_keeps_its_form(owner, admin):
    assert deploy(owner, files())["review_lab"]["version"] == 1
    running = start(admin)
    changed = deploy(owner, {"forms": {"review_record.schema.json": json.dumps(FORM_V2)}})
    assert (changed["review_lab"]["version"], changed["review_lab"]["action"]) == (2, "deployed")
    assert changed["demo_referral"]["action"] == "unchanged"  # it does not use that form
    fresh = start(admin)
    old_task, new_task = first_task(admin, running), first_task(admin, fresh)
    seen = admin.get(f"/tasks/{old_task['id']}")
    assert "form" in seen.json, (seen.status_code, seen.json)
    assert "required" not in seen.json["form"]["schema"]
    assert admin.get(f"/tasks/{new_task['id']}").json["form"]["schema"]["required"] == ["note"]
    assert admin.post(f"/tasks/{new_task['id']}/complete", json={"data": {}}).status_code == 422
    assert admin.post(f"/tasks/{old_task['id']}/complete", json={"data": {}}).status_code == 200


def test_a_task_s_form_starts_from_the_fields_of_the_form_its_case_s_version_pinned(owner, admin):
    # The form is deployed through the API only (never on disk): each case's task reads its own version's.
    deploy(owner, files())
    given = {"note": "Seen at home", "carerName": "Sam Example"}
    running = admin.post("/processes/review_lab/instances", json={"data": given}).json
    wider = {**FORM_V1, "properties": {**FORM_V1["properties"], "carerName": {"type": "string"}}}
    deploy(owner, {"forms": {"review_record.schema.json": json.dumps(wider)}})
    fresh = admin.post("/processes/review_lab/instances", json={"data": given}).json
    old = admin.get(f"/tasks/{first_task(admin, running)['id']}")
    new = admin.get(f"/tasks/{first_task(admin, fresh)['id']}")
    assert (old.status_code, new.status_code) == (200, 200), (old.json, new.json)
    assert old.json["formValues"] == {"note": "Seen at home"}
    assert new.json["formValues"] == given


def test_a_configuration_change_makes_a_new_version_and_running_cases_keep_theirs(lab, owner, admin, tmp_path):
    deploy(owner, files())
    running = start(admin)
    assert running["data"]["reviewWindow"] == "P3M"
    changed = deploy(owner, {"config": files(window="P6M", tolerance=2)["config"]})
    assert changed["review_lab"]["version"] == 2
    fresh = start(admin)
    assert fresh["data"]["reviewWindow"] == "P6M"
    for case in (running, fresh):
        task = first_task(admin, case)
        assert admin.post(f"/tasks/{task['id']}/complete", json={"data": {"note": "seen"}}).status_code == 200
    # The council configuration offered to the decision is the one each case's version pinned.
    assert admin.get(f"/instances/{running['id']}").json["data"]["route"] == "TEAM_MANAGER"
    assert admin.get(f"/instances/{fresh['id']}").json["data"]["route"] == "PANEL"
    # After a restart (a library with empty caches, no files) version 1 still reads its own values.
    svc = lab.extensions["careflow"]
    fresh = ProcessLibrary(svc.db, tmp_path / "nothing", tmp_path / "nothing")
    with svc.db.reading() as s:
        v1 = s.scalars(select(ProcessVersion).where(ProcessVersion.process_id == "review_lab",
                                                    ProcessVersion.version == 1)).one()
        assert fresh.config_data(s, v1) == {"reviewWindow": "P3M"}
        assert fresh.council_config(s, v1) == {"budgetTolerancePct": 10}
        assert "required" not in fresh.form_for(s, v1.id, "review_record").schema


def test_a_diagram_change_keeps_the_forms_and_configuration_the_current_version_pinned(owner, admin):
    deploy(owner, files())
    deploy(owner, {"config": files(window="P6M")["config"],
                   "forms": {"review_record.schema.json": json.dumps(FORM_V2)}})
    renamed = REVIEW.replace('name="Approve"', 'name="Approve the package"')
    assert deploy(owner, {"bpmn": {"review_lab.bpmn": renamed}})["review_lab"]["version"] == 3
    case = start(admin)
    assert case["data"]["reviewWindow"] == "P6M"
    assert admin.get(f"/tasks/{first_task(admin, case)['id']}").json["form"]["schema"]["required"] == ["note"]


def test_every_decision_log_row_names_the_table_version_and_the_rule_that_decided(lab, owner, admin):
    deploy(owner, files())
    case = start(admin)
    admin.post(f"/tasks/{first_task(admin, case)['id']}/complete", json={"data": {}})
    [logged] = admin.get(f"/instances/{case['id']}").json["decisions"]
    table = logged["table"]
    with lab.extensions["careflow"].db.reading() as s:
        row = s.scalars(select(DecisionLog).where(DecisionLog.instance_id == case["id"])).one()
        version = s.get(ProcessVersion, row.process_version_id)
    assert table["hash"] == version.dmn_hashes["ReviewRoute"] and table["file"] == "review_route.dmn"
    assert table["rules"] == ["rule_wide_tolerance"] and version.process_id == "review_lab"
    stricter = ROUTE.replace("&gt;= 5", "&gt;= 50")
    deploy(owner, {"dmn": {"review_route.dmn": stricter}})
    later = start(admin)
    admin.post(f"/tasks/{first_task(admin, later)['id']}/complete", json={"data": {}})
    [again] = admin.get(f"/instances/{later['id']}").json["decisions"]
    assert again["table"]["hash"] != table["hash"] and again["table"]["rules"] == ["rule_narrow_tolerance"]


def test_a_form_that_is_not_valid_json_schema_is_refused_naming_the_file(owner):
    bad = files(form={"type": "object", "properties": {"note": {"type": "text"}}})
    r = owner.post("/definitions/validate", json=bad)
    assert r.status_code == 422 and r.json["file"] == "review_record.schema.json"
    broken = {**files(), "forms": {"review_record.schema.json": '{"type": "object",\n "properties": '}}
    r = owner.post("/definitions/deploy", json=broken)
    assert r.status_code == 422 and r.json["file"] == "review_record.schema.json" and r.json["line"] == 2


def test_a_configuration_file_a_process_names_must_exist(owner):
    body = files()
    body["config"] = {"council_config.json": body["config"]["council_config.json"]}
    r = owner.post("/definitions/validate", json=body)
    assert r.status_code == 422
    assert (r.json["file"], r.json["element"]) == ("review_lab.bpmn", "review_lab")
    assert "review_lab.config.json" in r.json["message"]


# ---- loading from disk never silently replaces a version deployed through the API ---------------------
DEMO = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()


def current(svc, process_id="demo_referral"):
    with svc.db.reading() as s:
        return svc.library.latest(s, process_id).version


def test_disk_content_not_descending_from_an_api_deployment_is_reported_not_loaded(lab, owner, tmp_path):
    svc = lab.extensions["careflow"]
    on_disk = tmp_path / "bpmn" / "demo_referral.bpmn"
    api_text = DEMO.replace('name="Record the referral"', 'name="Record the referral (API)"')
    assert deploy(owner, {"bpmn": {"demo_referral.bpmn": api_text}})["demo_referral"]["version"] == 2
    svc.library.sync_from_disk()  # a restart with the repository still at version 1
    [error] = svc.library.load_errors
    assert error["file"] == "demo_referral.bpmn" and "version 2" in error["message"]
    assert current(svc) == 2
    on_disk.write_text(DEMO.replace('name="Record the referral"', 'name="Record the referral (git)"'))
    svc.library.sync_from_disk()  # edited in git from version 1: still not loaded
    assert len(svc.library.load_errors) == 1 and current(svc) == 2
    on_disk.write_text(api_text)  # the deployed version taken into the repository
    svc.library.sync_from_disk()
    assert svc.library.load_errors == [] and current(svc) == 2
    on_disk.write_text(api_text.replace("(API)", "(API, then git)"))  # and edited from there
    versions = {v.process_id: v.version for v in svc.library.sync_from_disk()}
    assert svc.library.load_errors == [] and versions["demo_referral"] == current(svc) == 3


def test_a_file_that_names_the_deployed_version_it_was_edited_from_descends_from_it(lab, owner, tmp_path):
    svc = lab.extensions["careflow"]
    api_text = DEMO.replace('name="Record the referral"', 'name="Record the referral (API)"')
    deploy(owner, {"bpmn": {"demo_referral.bpmn": api_text}})
    marked = api_text.replace('<spiffworkflow:property name="caseTitle"',
                              '<spiffworkflow:property name="basedOnVersion" value="2"/>'
                              '<spiffworkflow:property name="caseTitle"', 1)
    assert marked != api_text
    (tmp_path / "bpmn" / "demo_referral.bpmn").write_text(marked)
    svc.library.sync_from_disk()
    assert svc.library.load_errors == [] and current(svc) == 3


def test_without_api_deployments_the_files_on_disk_are_the_source(lab, tmp_path):
    svc = lab.extensions["careflow"]
    on_disk = tmp_path / "bpmn" / "demo_referral.bpmn"
    on_disk.write_text(DEMO.replace("Alert the duty team", "Alert the duty team now"))
    svc.library.sync_from_disk()
    assert current(svc) == 2
    on_disk.write_text(DEMO)  # reverted in git: version 1 is current again, as a roll-back
    svc.library.sync_from_disk()
    assert current(svc) == 1 and svc.library.load_errors == []
    with svc.db.reading() as s:
        log = svc.library.deployment_log(s, "demo_referral")
    assert [(e["action"], e["version"], e["source"]) for e in log] == [
        ("rolled_back", 1, "disk"), ("deployed", 2, "disk"), ("deployed", 1, "disk")]


# ---- two apps in one process ------------------------------------------------------------------------
def test_two_apps_in_one_process_keep_their_own_tables_and_configuration(tmp_path):
    other_dmn = tmp_path / "other_dmn"
    other_dmn.mkdir()
    table = (ROOT / "dmn" / "demo_referral_priority.dmn").read_text()
    (other_dmn / "demo_referral_priority.dmn").write_text(
        table.replace('<outputEntry><text>"PRIORITY"</text></outputEntry>',
                      '<outputEntry><text>"URGENT"</text></outputEntry>'))
    council = tmp_path / "council.json"
    council.write_text(json.dumps({"budgetTolerancePct": 1}))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = lab_app(tmp_path / "a")
    second = lab_app(tmp_path / "b", DMN_DIR=str(other_dmn), COUNCIL_CONFIG=str(council))
    try:
        referral = {"personName": "Alex Example", "referralSource": "GP", "riskToLife": False, "livesAlone": True}
        results = []
        for app in (first, second, first):
            api = Users(app).make("casey.worker")
            case = start(api, "demo_referral")
            assert api.post(f"/tasks/{first_task(api, case)['id']}/complete",
                            json={"data": referral}).status_code == 200
            results.append(api.get(f"/instances/{case['id']}").json["data"]["priority"])
        assert results == ["PRIORITY", "URGENT", "PRIORITY"]
        assert first.extensions["careflow"].library.current_council_config()["budgetTolerancePct"] == 10
        assert second.extensions["careflow"].library.current_council_config() == {"budgetTolerancePct": 1}
    finally:
        first.extensions["careflow"].db.dispose()
        second.extensions["careflow"].db.dispose()


def test_a_version_s_files_come_back_in_the_shape_the_deploy_request_takes(owner, admin):
    deploy(owner, files())
    deploy(owner, {"config": {"review_lab.config.json": json.dumps({"review_lab": {"reviewWindow": "P6M"}})}})
    got = owner.get("/processes/review_lab/versions/1/files").json
    assert (got["version"], sorted(got["bpmn"]), sorted(got["dmn"])) == (1, ["review_lab.bpmn"], ["review_route.dmn"])
    assert json.loads(got["forms"]["review_record.schema.json"]) == FORM_V1
    assert json.loads(got["config"]["review_lab.config.json"]) == {"review_lab": {"reviewWindow": "P3M"}}
    assert json.loads(got["config"]["council_config.json"]) == {"budgetTolerancePct": 10}
    # Deploying them again is a roll-back to version 1.
    body = {k: got[k] for k in ("bpmn", "dmn", "forms", "config")}
    again = deploy(owner, body)["review_lab"]
    assert (again["version"], again["action"]) == (1, "rolled_back")
    assert start(admin)["data"]["reviewWindow"] == "P3M"
    assert owner.get("/processes/review_lab/versions/9/files").status_code == 404


def test_sending_one_process_s_configuration_keeps_the_other_sections_of_the_file(owner, admin):
    body = files()
    body["bpmn"]["review_lab_two.bpmn"] = REVIEW.replace('id="review_lab"', 'id="review_lab_two"').replace(
        'id="review_defs"', 'id="review_two_defs"')
    body["config"]["review_lab.config.json"] = json.dumps({"review_lab": {"reviewWindow": "P2M"},
                                                           "review_lab_two": {"reviewWindow": "P2M"}})
    deploy(owner, body)  # equal sections: one stored content, pinned by both processes
    changed = deploy(owner, {"config": {"review_lab.config.json": json.dumps(
        {"review_lab": {"reviewWindow": "P1Y"}})}})
    assert changed["review_lab"]["action"] == "deployed" and changed["review_lab_two"]["action"] == "unchanged"
    assert start(admin)["data"]["reviewWindow"] == "P1Y"
    assert start(admin, "review_lab_two")["data"]["reviewWindow"] == "P2M"

