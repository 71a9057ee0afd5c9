"""Two process owners editing the same diagram, table or form: the second save is a 409 naming who saved
what, nothing of either is lost, and saving again on purpose keeps both versions."""
from __future__ import annotations

from typing import Any

from tests.conftest import ROOT

DEMO = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()
PRIORITY = (ROOT / "dmn" / "demo_referral_priority.dmn").read_text()


def _save(api: Any, xml: str, comment: str, seen: Any) -> Any:
    return api.post("/model/processes/demo_referral/versions",
                    json={"xml": xml, "comment": comment, "latestVersion": seen})


def test_the_second_of_two_owners_saving_the_same_diagram_gets_a_409(owner, model_users):
    admin = model_users.make("ada.admin", "admin", ("admins",))
    opened = owner.get("/model/processes/demo_referral/file").json["version"]
    first = _save(owner, DEMO.replace('name="Record the referral"', 'name="Record the referral (Pat)"'),
                  "Pat's wording", opened)
    assert first.status_code == 201 and first.json["version"] == 2
    ada_xml = DEMO.replace('name="Urgent?"', 'name="Is it urgent?"')
    second = _save(admin, ada_xml, "Ada's wording", opened)
    assert second.status_code == 409, second.json
    assert second.json["latestVersion"] == 2 and second.json["savedBy"] == "pat.owner"
    assert "pat.owner saved version 2" in second.json["message"] and "nothing was saved" in second.json["message"]
    versions = next(p for p in owner.get("/model").json["processes"] if p["id"] == "demo_referral")["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    # Saving again, having seen version 2, keeps Ada's diagram as version 3; Pat's is still version 2.
    again = _save(admin, ada_xml, "Ada's wording, after reading Pat's", second.json["latestVersion"])
    assert again.status_code == 201 and again.json["version"] == 3
    assert "Record the referral (Pat)" in owner.get("/model/processes/demo_referral/file?version=2").json["content"]
    assert "Is it urgent?" in owner.get("/model/processes/demo_referral/file?version=3").json["content"]


def test_a_decision_table_deployed_meanwhile_does_not_count_as_a_change_to_the_diagram(owner):
    changed = PRIORITY.replace("Someone living alone is seen sooner", "Living alone: seen sooner")
    assert owner.post("/model/decisions/demo_referral_priority.dmn/versions",
                      json={"xml": changed, "comment": "Plainer", "latestVersion": 1}).status_code == 201
    assert owner.post("/model/decisions/demo_referral_priority.dmn/versions/2/deploy",
                      json={"reason": "Agreed"}).status_code == 200  # the process gets version 2, same diagram
    saved = _save(owner, DEMO.replace('name="Urgent?"', 'name="Is it urgent?"'), "Wording", 1)
    assert saved.status_code == 201 and saved.json["version"] == 3


def test_decision_tables_and_forms_refuse_a_save_over_a_newer_version(owner, model_users):
    admin = model_users.make("ada.admin", "admin", ("admins",))
    url = "/model/decisions/demo_referral_priority.dmn/versions"
    pat = PRIORITY.replace("Everyone else", "Everybody else")
    assert owner.post(url, json={"xml": pat, "comment": "Pat", "latestVersion": 1}).status_code == 201
    ada = admin.post(url, json={"xml": PRIORITY.replace("Everyone else", "All others"), "comment": "Ada",
                                "latestVersion": 1})
    assert ada.status_code == 409 and ada.json["latestVersion"] == 2 and ada.json["savedBy"] == "pat.owner"
    assert "Everybody else" in owner.get("/model/decisions/demo_referral_priority.dmn/file?version=2").json["content"]

    form = owner.get("/model/forms/referral_details/file").json
    schema = dict(form["schema"], title="Referral (Pat)")
    assert owner.post("/model/forms/referral_details/versions", json={
        "schema": schema, "ui": form.get("ui"), "comment": "Pat", "latestVersion": 1}).status_code == 201
    late = admin.post("/model/forms/referral_details/versions", json={
        "schema": dict(form["schema"], title="Referral (Ada)"), "ui": form.get("ui"), "comment": "Ada",
        "latestVersion": 1})
    assert late.status_code == 409 and late.json["latestVersion"] == 2
    assert owner.get("/model/forms/referral_details/file?version=2").json["schema"]["title"] == "Referral (Pat)"


def test_a_latest_version_that_is_not_a_number_is_a_422(owner):
    for bad in ("two", -1, True, 1.5, [1]):
        answer = _save(owner, DEMO, "x", bad)
        assert answer.status_code == 422 and answer.json["errors"][0]["field"] == "latestVersion", (bad, answer.json)


def test_saving_a_version_that_already_exists_saves_nothing_and_says_so(owner):
    # The diagram and table exactly as loaded from the files are version 1 of each.
    saved = owner.post("/model/processes/demo_referral/versions", json={"xml": DEMO, "comment": "No change"})
    assert (saved.status_code, saved.json) == (200, {"processId": "demo_referral", "version": 1, "unchanged": True})
    table = owner.post("/model/decisions/demo_referral_priority.dmn/versions",
                       json={"xml": PRIORITY, "comment": "No change"})
    assert (table.status_code, table.json["version"], table.json["unchanged"]) == (200, 1, True)
    overview = owner.get("/model").json
    demo = next(p for p in overview["processes"] if p["id"] == "demo_referral")
    assert [(v["version"], v["comment"]) for v in demo["versions"]] == [(1, None)]
    priority = next(d for d in overview["decisions"] if d["id"] == "demo_referral_priority.dmn")
    assert [(v["version"], v["comment"]) for v in priority["versions"]] == [(1, None)]
    assert owner.get("/model/audit").json["events"] == []


def test_deploying_a_diagram_saved_before_a_table_change_does_not_quietly_undo_the_table(owner, casey):
    older_diagram = DEMO.replace('name="Urgent?"', 'name="Is it urgent?"')
    assert _save(owner, older_diagram, "Wording", 1).json["version"] == 2  # pins table version 1
    table = PRIORITY.replace("Everyone else", "Everybody else")
    assert owner.post("/model/decisions/demo_referral_priority.dmn/versions",
                      json={"xml": table, "comment": "Plainer"}).status_code == 201
    tabled = owner.post("/model/decisions/demo_referral_priority.dmn/versions/2/deploy", json={"reason": "Agreed"})
    assert tabled.json["processes"] == [{"processId": "demo_referral", "version": 3}]

    refused = owner.post("/model/processes/demo_referral/versions/2/deploy", json={"reason": "Wording live"})
    assert refused.status_code == 409, refused.json
    assert refused.json["files"] == ["demo_referral_priority.dmn"]
    assert "would put the older demo_referral_priority.dmn back" in refused.json["message"]
    overview = owner.get("/model").json
    assert next(p for p in overview["processes"] if p["id"] == "demo_referral")["current"] == 3
    assert next(d for d in overview["decisions"] if d["id"] == "demo_referral_priority.dmn")["current"] == 2

    # As the message says: save the diagram again (now with the current table) and deploy that.
    again = _save(owner, older_diagram, "Wording, with the current table", 3)
    assert again.status_code == 201 and again.json["version"] == 4
    assert owner.post("/model/processes/demo_referral/versions/4/deploy", json={"reason": "Wording live"}
                      ).status_code == 200
    overview = owner.get("/model").json
    assert next(d for d in overview["decisions"] if d["id"] == "demo_referral_priority.dmn")["current"] == 2
    assert casey.post("/processes/demo_referral/instances", json={"data": {}}).json["processVersion"] == 4


def test_scenario_tests_changed_meanwhile_are_not_overwritten(owner, model_users):
    admin = model_users.make("ada.admin", "admin", ("admins",))
    url = "/model/processes/demo_referral/tests"
    opened = owner.get(url).json
    pat = {"tests": [*opened["tests"], {"name": "Pat's case", "steps": []}]}
    assert owner.put(url, json={**pat, "previous": opened}).status_code == 200
    ada = {"tests": [*opened["tests"], {"name": "Ada's case", "steps": []}]}
    late = admin.put(url, json={**ada, "previous": opened})
    assert late.status_code == 409 and "nothing was saved" in late.json["message"]
    assert [t["name"] for t in late.json["currentTests"]["tests"]][-1] == "Pat's case"
    assert [t["name"] for t in owner.get(url).json["tests"]][-1] == "Pat's case"
    # Having seen Pat's, saving again replaces them, knowingly; without "previous" the API saves as before.
    assert admin.put(url, json={**ada, "previous": late.json["currentTests"]}).status_code == 200
    assert [t["name"] for t in owner.get(url).json["tests"]][-1] == "Ada's case"
    assert "previous" not in owner.get(url).json
    assert admin.put(url, json=pat).status_code == 200
