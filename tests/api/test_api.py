"""Every API endpoint and the errors a user can cause: 400, 401, 403, 404, 409, 422, never 500."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import REFERRAL, Users, lab_app


@pytest.fixture
def lab(tmp_path):
    app = lab_app(tmp_path, "script_error.bpmn", "message_wait.bpmn")
    yield app
    app.extensions["careflow"].db.dispose()


@pytest.fixture
def people(lab):
    users = Users(lab)
    return {
        "casey": users.make("casey.worker", "caseworker", ("adult_social_care",)),
        "sam": users.make("sam.support", "caseworker", ("adult_social_care",)),
        "quinn": users.make("quinn.lead", "quality_lead", ("qiss",)),
        "morgan": users.make("morgan.manager", "manager", ("adult_social_care",)),
        "ada": users.make("ada.admin", "admin", ("admins",)),
    }


def start(api, process="demo_referral", **body):
    response = api.post(f"/processes/{process}/instances", json={"data": {}, **body})
    assert response.status_code == 201, response.json
    return response.json


def test_without_a_valid_token_every_endpoint_answers_401(lab):
    client = lab.test_client()
    for path in ("/api/v1/processes", "/api/v1/tasks", "/api/v1/me"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.get(path, headers={"Authorization": "Basic abc"}).status_code == 401
    response = client.post("/api/v1/processes/demo_referral/instances", json={})
    assert response.status_code == 401 and response.json["error"] == "unauthorised"


def test_openapi_is_public_and_names_exactly_the_routes_that_exist(lab):
    doc = lab.test_client().get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    routes = set()
    for rule in lab.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule[len("/api/v1"):].replace("<int:", "{").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((path, method.lower()))
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == routes


def test_landing_page_links_the_openapi_document(lab):
    page = lab.test_client().get("/")
    assert page.status_code in (200, 302)
    if page.status_code == 200:
        assert b"/api/v1/openapi.json" in page.data


def test_me_and_processes(people):
    me = people["casey"].get("/me").json
    assert me == {"username": "casey.worker", "displayName": "casey.worker", "role": "caseworker",
                  "groups": ["adult_social_care"]}
    processes = {p["processId"]: p for p in people["casey"].get("/processes").json["processes"]}
    assert {"demo_referral", "script_error", "message_wait"} <= set(processes)
    assert processes["demo_referral"]["decisions"] == ["DemoReferralPriority"]
    assert processes["message_wait"]["messageStarts"] == ["open_provider_case"]
    one = people["casey"].get("/processes/demo_referral")
    assert one.status_code == 200 and one.json["version"] == 1
    assert people["casey"].get("/processes/nope").status_code == 404


def test_start_get_and_list_instances(people):
    casey = people["casey"]
    started = start(casey, caseReference="ASC-TEST-1", title="Referral for a test")
    assert started["caseReference"] == "ASC-TEST-1" and started["status"] == "running"
    assert started["data"]["caseReference"] == "ASC-TEST-1"
    assert [t["name"] for t in started["openTasks"]] == ["record_referral"]
    assert started["history"][0]["action"] == "instance_started"
    got = casey.get(f"/instances/{started['id']}").json
    assert got["id"] == started["id"] and got["processVersion"] == 1
    listed = casey.get("/instances?caseReference=ASC-TEST-1").json["instances"]
    assert [i["id"] for i in listed] == [started["id"]]
    assert casey.get("/instances?status=completed").json["instances"] == []
    assert casey.get("/instances/00000000-0000-0000-0000-000000000000").status_code == 404
    assert casey.post("/processes/nope/instances", json={}).status_code == 404


def test_bad_request_bodies_are_400_or_422(people, lab):
    casey = people["casey"]
    raw = lab.test_client().post("/api/v1/processes/demo_referral/instances", data="{not json",
                                 headers={"Authorization": f"Bearer {casey.token}",
                                          "Content-Type": "application/json"})
    assert raw.status_code == 400 and raw.json["error"] == "bad_request"
    listy = casey.post("/processes/demo_referral/instances", json=[1, 2])
    assert listy.status_code == 400
    assert casey.post("/processes/demo_referral/instances", json={"data": "x"}).status_code == 422
    typename = casey.post("/processes/demo_referral/instances", json={"data": {"a": {"typename": "x"}}})
    assert typename.status_code == 422 and typename.json["errors"][0]["field"] == "a.typename"
    assert casey.get("/tasks?state=weird").status_code == 422
    assert casey.get("/tasks?dueBefore=tomorrow").status_code == 422
    assert casey.get("/tasks?limit=abc").status_code == 422


def test_task_list_filters(people):
    casey, quinn = people["casey"], people["quinn"]
    one = start(casey, caseReference="ASC-A")
    two = start(casey, caseReference="ASC-B")
    mine = casey.get("/tasks?mine=true").json
    assert mine["total"] == 0
    groups = casey.get("/tasks?myGroups=true").json
    assert groups["total"] == 2 and {t["caseReference"] for t in groups["tasks"]} == {"ASC-A", "ASC-B"}
    assert quinn.get("/tasks?myGroups=true").json["total"] == 0
    task_b = [t for t in groups["tasks"] if t["caseReference"] == "ASC-B"][0]
    assert casey.post(f"/tasks/{task_b['id']}/claim").status_code == 200
    assert [t["id"] for t in casey.get("/tasks?mine=true").json["tasks"]] == [task_b["id"]]
    both = casey.get("/tasks?mine=true&myGroups=true").json
    assert both["total"] == 2
    assert casey.get("/tasks?caseReference=ASC-A").json["tasks"][0]["instanceId"] == one["id"]
    assert casey.get("/tasks?processId=script_error").json["total"] == 0
    soon = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()
    assert casey.get("/tasks", query_string={"dueBefore": soon}).json["total"] == 2
    assert casey.get("/tasks?dueBefore=2020-01-01").json["total"] == 0
    assert casey.get(f"/tasks?instanceId={two['id']}&limit=1").json["tasks"][0]["id"] == task_b["id"]
    paged = casey.get("/tasks?limit=1&offset=1").json
    assert paged["total"] == 2 and len(paged["tasks"]) == 1
    assert casey.get("/tasks?state=completed").json["total"] == 0


def test_get_a_task_with_its_form_schema_and_data(people):
    casey = people["casey"]
    started = start(casey)
    task = casey.get(f"/tasks/{started['openTasks'][0]['id']}").json
    assert task["form"]["key"] == "referral_details"
    assert task["form"]["schema"]["properties"]["personName"]["title"] == "Person's full name"
    assert task["form"]["ui"]["order"][0] == "personName"
    assert task["data"]["caseReference"] == started["caseReference"]
    assert task["instanceVersion"] == started["version"]
    assert casey.get("/tasks/not-a-task").status_code == 404


def test_claim_unclaim_reassign_and_their_errors(people):
    casey, sam, quinn, morgan = people["casey"], people["sam"], people["quinn"], people["morgan"]
    task_id = start(casey)["openTasks"][0]["id"]
    assert quinn.post(f"/tasks/{task_id}/claim").status_code == 403
    assert casey.post(f"/tasks/{task_id}/claim").json["assignee"] == "casey.worker"
    assert casey.post(f"/tasks/{task_id}/claim").status_code == 200  # claiming again is harmless
    taken = sam.post(f"/tasks/{task_id}/claim")
    assert taken.status_code == 409 and "casey.worker" in taken.json["message"]
    assert sam.post(f"/tasks/{task_id}/unclaim").status_code == 403
    assert sam.post(f"/tasks/{task_id}/reassign", json={"username": "sam.support"}).status_code == 403
    assert morgan.post(f"/tasks/{task_id}/reassign", json={"username": "nobody"}).status_code == 404
    assert morgan.post(f"/tasks/{task_id}/reassign", json={"username": "quinn.lead"}).status_code == 409
    assert morgan.post(f"/tasks/{task_id}/reassign", json={}).status_code == 422
    moved = morgan.post(f"/tasks/{task_id}/reassign", json={"username": "sam.support"})
    assert moved.status_code == 200 and moved.json["assignee"] == "sam.support"
    # A teammate holds it now: a 409 naming them (a race for the same work), not a 403.
    taken_by_sam = casey.post(f"/tasks/{task_id}/complete", json={"data": REFERRAL})
    assert taken_by_sam.status_code == 409 and "sam.support" in taken_by_sam.json["message"]
    assert sam.post(f"/tasks/{task_id}/unclaim").json["assignee"] is None
    assert casey.post("/tasks/nope/claim").status_code == 404


def test_complete_validates_then_completes_once(people):
    casey = people["casey"]
    started = start(casey)
    task_id = started["openTasks"][0]["id"]
    bad = casey.post(f"/tasks/{task_id}/complete", json={"data": {"personName": "", "dateOfBirth": "31/02/1950",
                                                                  "referralSource": "GP", "riskToLife": "yes",
                                                                  "livesAlone": True, "surprise": 1}})
    assert bad.status_code == 422
    fields = {e["field"]: e["message"] for e in bad.json["errors"]}
    assert fields["personName"] == "Enter the person's full name"
    assert fields["dateOfBirth"] == "Date of birth must be a real date"
    assert fields["riskToLife"] == "Select yes if there is a risk to the person's life"
    assert "not on the form: 'surprise'" in fields["surprise"]  # the 422 names the stray field
    assert casey.get(f"/instances/{started['id']}").json["version"] == started["version"]
    done = casey.post(f"/tasks/{task_id}/complete", json={"data": REFERRAL})
    assert done.status_code == 200 and done.json["status"] == "completed" and done.json["openTasks"] == []
    case = casey.get(f"/instances/{started['id']}").json
    assert case["decisions"][0]["matchedRules"][0]["ruleId"] == "rule_lives_alone"
    assert [m["template"] for m in case["messages"]] == ["referral_acknowledged"]
    assert case["data"]["priority"] == "PRIORITY" and case["title"] == "Alex Example"
    again = casey.post(f"/tasks/{task_id}/complete", json={"data": REFERRAL})
    assert again.status_code == 409
    assert casey.get(f"/instances/{started['id']}").json["version"] == done.json["version"]
    assert casey.get("/tasks?state=completed").json["tasks"][0]["completedBy"] == "casey.worker"


def test_drafts_are_kept_on_the_task(people):
    casey = people["casey"]
    task_id = start(casey)["openTasks"][0]["id"]
    saved = casey.put(f"/tasks/{task_id}/draft", json={"data": {"personName": "Half typed"}})
    assert saved.status_code == 200 and saved.json["draft"] == {"personName": "Half typed"}
    assert casey.get(f"/tasks/{task_id}").json["draft"] == {"personName": "Half typed"}
    assert people["quinn"].put(f"/tasks/{task_id}/draft", json={"data": {}}).status_code == 403


def test_messages_start_processes_and_correlate_by_keys(people):
    casey = people["casey"]
    started = casey.post("/messages", json={"name": "open_provider_case", "payload": {"providerRef": "PRV-9"}})
    assert started.status_code == 200 and len(started.json["started"]) == 1
    wrong = casey.post("/messages", json={"name": "provider_notice", "correlationKeys": {"providerRef": "PRV-0"}})
    assert wrong.status_code == 404
    right = casey.post("/messages", json={"name": "provider_notice", "correlationKeys": {"providerRef": "PRV-9"},
                                          "payload": {"noticeDays": 14}})
    assert right.status_code == 200 and right.json["correlated"] == started.json["started"]
    assert casey.post("/messages", json={"payload": {}}).status_code == 422
    assert casey.post("/messages", json={"name": "x", "payload": []}).status_code == 422


def test_evaluate_a_decision_table(people):
    casey = people["casey"]
    result = casey.post("/decisions/DemoReferralPriority/evaluate", json={"inputs": {"riskToLife": False,
                                                                                     "livesAlone": True}})
    assert result.status_code == 200
    assert result.json["value"] == "PRIORITY" and result.json["matchedRules"][0]["index"] == 2
    assert casey.post("/decisions/NoSuchDecision/evaluate", json={"inputs": {}}).status_code == 404
    assert casey.post("/decisions/DemoReferralPriority/evaluate", json={"inputs": 3}).status_code == 422


def test_incidents_list_retry_and_resolve_are_for_admins(people):
    casey, ada = people["casey"], people["ada"]
    started = start(casey, process="script_error")
    task_id = started["openTasks"][0]["id"]
    failed = casey.post(f"/tasks/{task_id}/complete", json={"data": {"amount": 10, "divisor": 0}})
    assert failed.status_code == 200 and failed.json["status"] == "incident"
    [incident] = failed.json["incidents"]
    assert incident["elementId"] == "divide" and incident["lineNumber"] == 3
    assert casey.get("/incidents").status_code == 403
    assert [i["id"] for i in ada.get("/incidents").json["incidents"]] == [incident["id"]]
    assert casey.post(f"/incidents/{incident['id']}/retry", json={}).status_code == 403
    retried = ada.post(f"/incidents/{incident['id']}/retry", json={"data": {"divisor": 0}})
    assert retried.status_code == 200 and retried.json["status"] == "incident"
    newest = [i for i in retried.json["incidents"] if i["state"] == "open"][0]
    assert ada.post(f"/incidents/{incident['id']}/retry", json={}).status_code == 409
    resolved = ada.post(f"/incidents/{newest['id']}/resolve")
    assert resolved.status_code == 200 and resolved.json["state"] == "resolved"
    assert ada.post(f"/incidents/{newest['id']}/resolve").status_code == 409
    assert ada.post("/incidents/999999/resolve").status_code == 404
    assert ada.get("/incidents?state=all").json["incidents"][0]["state"] == "resolved"


def test_unknown_api_paths_answer_json_404(people):
    response = people["casey"].get("/nothing-here")
    assert response.status_code == 404 and response.json["error"] == "not_found"


def test_people_see_the_cases_and_tasks_their_teams_work_on_only(people):
    casey, quinn, morgan = people["casey"], people["quinn"], people["morgan"]
    started = start(casey)
    task_id = started["openTasks"][0]["id"]
    # A quality lead oversees every case; a caseworker of another team sees nothing of it.
    assert quinn.get(f"/instances/{started['id']}").status_code == 200
    outsider = Users(quinn.client.application).make("otto.other", "caseworker", ("care_navigation",))
    assert outsider.get(f"/instances/{started['id']}").status_code == 403
    assert outsider.get(f"/tasks/{task_id}").status_code == 403
    assert outsider.get("/instances").json["instances"] == []
    assert [i["id"] for i in casey.get("/instances").json["instances"]] == [started["id"]]
    assert morgan.get(f"/tasks/{task_id}").status_code == 200
