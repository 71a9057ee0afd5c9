"""Every cell of the role x operation table (app/permissions.py), tried through the API, and need to
know: a caseworker of an unrelated team sees and moves nothing of another team's cases."""
from __future__ import annotations

import pytest

from app.permissions import MATRIX, ROLES
from tests.conftest import REFERRAL

MISSING = "00000000-0000-0000-0000-000000000000"
# One request per operation; ids that name nothing are fine: the role is checked first.
CALLS = {
    "me.read": ("get", "/me", None),
    "processes.read": ("get", "/processes", None),
    "process.start": ("post", "/processes/no_such_process/instances", {}),
    "instances.list": ("get", "/instances", None),
    "instance.read": ("get", f"/instances/{MISSING}", None),
    "tasks.list": ("get", "/tasks", None),
    "task.read": ("get", f"/tasks/{MISSING}", None),
    "task.claim": ("post", f"/tasks/{MISSING}/claim", {}),
    "task.release": ("post", f"/tasks/{MISSING}/unclaim", {}),
    "task.reassign": ("post", f"/tasks/{MISSING}/reassign", {"username": "nobody"}),
    "task.draft": ("put", f"/tasks/{MISSING}/draft", {"data": {}}),
    "task.complete": ("post", f"/tasks/{MISSING}/complete", {"data": {}}),
    "message.send": ("post", "/messages", {"name": "nothing_waits_for_this", "correlationKeys": {"x": 1}}),
    "decision.evaluate": ("post", "/decisions/no_such_decision/evaluate", {"inputs": {}}),
    "incidents.list": ("get", "/incidents", None),
    "stalled.list": ("get", "/stalled", None),
    "incident.repair": ("post", "/incidents/999999/retry", {}),
    "outbox.list": ("get", "/outbox", None),
    "outbox.retry": ("post", "/outbox/999999/retry", {}),
    "recipients.read": ("get", "/recipients", None),
    "recipients.write": ("put", "/recipients/GP", {"address": "gp@surgery.example.org"}),
    "definitions.validate": ("post", "/definitions/validate", {}),
    "definitions.deploy": ("post", "/definitions/deploy", {}),
    "diagram.read": ("get", "/processes/demo_referral/versions/1/diagram", None),
    "model.read": ("get", "/model", None),
    "model.write": ("post", "/model/decisions/try", {}),
    "affected_people.add": ("post", f"/instances/{MISSING}/affected-people", {"people": []}),
    "person_cases.read": ("get", f"/instances/{MISSING}/person-cases", None),
    "providers.read": ("get", "/providers", None),
    "providers.write": ("put", "/providers/NO-SUCH/vacancies", {"residential": 1}),
    "commissioning.read": ("get", "/commissioning", None),
    "commissioning.advance": ("post", "/commissioning/999999/state", {"state": "placed"}),
    "care_plan.start": ("post", "/care-plans", {"data": {"personName": "Mx P (invented)"}}),
    "care_plan.read": ("get", "/care-plans/999999", None),
    "care_plan.edit": ("put", "/care-plans/999999", {}),
    "care_plan.validate": ("post", "/care-plans/999999/validate", {}),
    "care_plan.copy": ("post", "/care-plans/999999/plan-copy", {}),
    "line_item.activate": ("post", "/care-plans/999999/line-items/1/activate", {}),
    "delegation.read": ("get", "/delegations/nobody", None),
    "delegation.write": ("put", "/delegations/nobody", {}),
    "operations.read": ("get", "/operations/incidents", None),
    "operations.repair": ("post", f"/instances/{MISSING}/suspend", {"reason": "checking"}),
}


def test_every_operation_has_a_call_in_this_test():
    assert set(CALLS) == set(MATRIX)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_operations_of_its_row(users, role):
    api = users.make(f"someone.{role}", role, ("adult_social_care",))
    wrong = []
    for operation, (method, path, payload) in CALLS.items():
        response = getattr(api, method)(path, **({"json": payload} if payload is not None else {}))
        allowed = role in MATRIX[operation].roles
        assert response.status_code < 500, (operation, response.status_code, response.json)
        if allowed == (response.status_code == 403):
            wrong.append((operation, response.status_code, (response.json or {}).get("message")))
    assert wrong == []


def test_without_a_token_every_operation_answers_401(app):
    client = app.test_client()
    for operation, (method, path, payload) in CALLS.items():
        response = getattr(client, method)(f"/api/v1{path}", json=payload)
        assert response.status_code == 401, operation


def test_a_caseworker_of_another_team_sees_and_moves_nothing_of_a_case(users):
    ours = users.make("casey.worker", "caseworker", ("adult_social_care",))
    theirs = users.make("robin.other", "caseworker", ("hospital_discharge",))
    started = ours.post("/processes/demo_referral/instances", json={"data": {}})
    assert started.status_code == 201
    instance = started.json["id"]
    [task] = ours.get(f"/tasks?instanceId={instance}").json["tasks"]

    assert theirs.get(f"/instances/{instance}").status_code == 403
    assert theirs.get(f"/tasks?instanceId={instance}").json["tasks"] == []
    assert all(t["instanceId"] != instance for t in theirs.get("/tasks?limit=500").json["tasks"])
    assert theirs.get(f"/tasks/{task['id']}").status_code == 403
    assert theirs.post(f"/tasks/{task['id']}/complete", json={"data": REFERRAL}).status_code == 403
    assert theirs.get(f"/instances/{instance}/person-cases").status_code in (403, 404)
    assert instance not in [i["id"] for i in theirs.get("/instances").json["instances"]]
    # The team's own worker sees it all.
    assert ours.get(f"/instances/{instance}").status_code == 200
    assert [t["id"] for t in ours.get("/tasks").json["tasks"]] == [task["id"]]


def test_a_case_reference_already_taken_is_refused(users):
    api = users.make("casey.worker", "caseworker", ("adult_social_care",))
    first = api.post("/processes/demo_referral/instances", json={"data": {}, "caseReference": "CASE-1"})
    assert first.status_code == 201
    again = api.post("/processes/demo_referral/instances", json={"data": {}, "caseReference": "CASE-1"})
    assert again.status_code == 409 and "already taken" in again.json["message"]


def test_readme_prints_the_table_as_the_code_has_it():
    from app.permissions import matrix_markdown
    from tests.conftest import ROOT

    assert matrix_markdown() in (ROOT / "README.md").read_text()
