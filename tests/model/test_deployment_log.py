"""Every way a version becomes current goes through the library's one path: the modeller's deploys of a
process, a decision table and a form are in the process's deployment log beside the API's, only the
current version is marked deployed, its timer start events are scheduled, and the files on disk never
silently replace what a process owner deployed in the modeller."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.conftest import ROOT
from workflows.models import StartTimer

DEMO = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()
TIMED = DEMO.replace(
    '<bpmn:outgoing>flow_to_record</bpmn:outgoing>\n    </bpmn:startEvent>',
    '<bpmn:outgoing>flow_to_record</bpmn:outgoing>\n      <bpmn:timerEventDefinition id="every_week">'
    '<bpmn:timeCycle>"R4/P7D"</bpmn:timeCycle></bpmn:timerEventDefinition>\n    </bpmn:startEvent>')


def log(owner: Any, process_id: str = "demo_referral") -> list[tuple[Any, ...]]:
    r = owner.get(f"/processes/{process_id}/deployments")
    assert r.status_code == 200, r.json
    return [(e["action"], e["version"], e["actor"], e["source"]) for e in r.json["deployments"]]


def deployed_flags(owner: Any) -> list[tuple[int, bool]]:
    demo = next(p for p in owner.get("/model").json["processes"] if p["id"] == "demo_referral")
    return [(v["version"], v["deployed"]) for v in demo["versions"]]


def save_and_deploy(owner: Any, xml: str, version: int) -> None:
    saved = owner.post("/model/processes/demo_referral/versions", json={"xml": xml, "comment": "Weekly start"})
    assert saved.status_code == 201 and saved.json["version"] == version, saved.json
    done = owner.post(f"/model/processes/demo_referral/versions/{version}/deploy", json={"reason": "Agreed"})
    assert done.status_code == 200, done.json


def test_a_modeller_deploy_and_roll_back_are_logged_and_leave_one_version_deployed(owner, casey):
    save_and_deploy(owner, DEMO.replace('name="Record the referral"', 'name="Record the referral in full"'), 2)
    assert log(owner)[0] == ("deployed", 2, "pat.owner", "modeller")
    assert owner.get("/processes/demo_referral/deployments").json["deployments"][0]["previousVersion"] == 1
    assert deployed_flags(owner) == [(2, True), (1, False)]
    back = owner.post("/model/processes/demo_referral/versions/1/deploy", json={"reason": "Back to the old name"})
    assert back.status_code == 200, back.json
    assert log(owner)[:2] == [("rolled_back", 1, "pat.owner", "modeller"), ("deployed", 2, "pat.owner", "modeller")]
    assert deployed_flags(owner) == [(2, False), (1, True)]
    assert casey.post("/processes/demo_referral/instances", json={"data": {}}).json["processVersion"] == 1
    # Deploying the current version again is no deployment: nothing more is logged.
    assert owner.post("/model/processes/demo_referral/versions/1/deploy", json={"reason": "Again"}).status_code == 200
    assert len(log(owner)) == 3


def test_a_modeller_deploy_schedules_the_version_s_timer_start_events(owner, model_app):
    assert TIMED != DEMO
    save_and_deploy(owner, TIMED, 2)
    db = model_app.extensions["careflow"].db

    def timers() -> list[tuple[str, str, int]]:
        with db.reading() as session:
            return [(t.element_id, t.state, t.remaining) for t in session.scalars(
                select(StartTimer).where(StartTimer.process_id == "demo_referral").order_by(StartTimer.id))]

    assert timers() == [("referral_received", "waiting", 4)]
    owner.post("/model/processes/demo_referral/versions/1/deploy", json={"reason": "No weekly start after all"})
    assert timers() == [("referral_received", "cancelled", 4)]


def test_modeller_decision_and_form_deploys_are_in_the_deployment_log(owner):
    table = owner.get("/model/decisions/demo_referral_priority.dmn/file").json["content"]
    # Every referral is a priority: the demo's scenario tests still pass with it.
    stricter = table.replace('<outputEntry><text>"ROUTINE"</text></outputEntry>',
                             '<outputEntry><text>"PRIORITY"</text></outputEntry>')
    assert stricter != table
    saved = owner.post("/model/decisions/demo_referral_priority.dmn/versions",
                       json={"xml": stricter, "comment": "Winter pressures"})
    assert saved.status_code == 201, saved.json
    done = owner.post(f"/model/decisions/demo_referral_priority.dmn/versions/{saved.json['version']}/deploy",
                      json={"reason": "Winter pressures plan"})
    assert done.status_code == 200, done.json
    assert log(owner)[0] == ("deployed", 2, "pat.owner", "modeller")
    form = owner.get("/model/forms/referral_details/file").json
    form["schema"]["properties"]["personName"]["title"] = "Full name of the person"
    saved = owner.post("/model/forms/referral_details/versions",
                       json={"schema": form["schema"], "ui": form["ui"], "comment": "Plainer label"})
    assert saved.status_code == 201, saved.json
    assert owner.post("/model/forms/referral_details/versions/2/deploy", json={"reason": "Agreed"}).status_code == 200
    assert log(owner)[0] == ("deployed", 3, "pat.owner", "modeller")
    assert deployed_flags(owner)[0] == (3, True) and not any(d for _, d in deployed_flags(owner)[1:])


def test_the_files_on_disk_never_silently_replace_a_version_deployed_in_the_modeller(owner, model_app):
    save_and_deploy(owner, DEMO.replace('name="Record the referral"', 'name="Record the referral in full"'), 2)
    library = model_app.extensions["careflow"].library
    library.sync_from_disk()  # a restart with the repository still at version 1
    assert [e["file"] for e in library.load_errors] == ["demo_referral.bpmn"]
    assert owner.get("/processes/demo_referral").json["version"] == 2
    assert log(owner)[0] == ("deployed", 2, "pat.owner", "modeller")
