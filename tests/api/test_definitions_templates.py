"""A diagram naming a message template that does not exist is refused when it is validated or deployed,
naming the task and the template; a name built when the task runs is left to delivery."""
from __future__ import annotations

from tests.conftest import ROOT

INCIDENT = (ROOT / "bpmn" / "provider_failure.bpmn").read_text()
DEMO = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()
MISSPELT = INCIDENT.replace("value=\"'M1_ProviderFailureAlert'\"", "value=\"'M1_ProviderFailureAlrt'\"")


def test_validate_refuses_an_unknown_template_naming_the_task_and_the_template(users):
    owner = users.make("pat.owner", "process_owner", ("process_owners",))
    assert MISSPELT != INCIDENT
    r = owner.post("/definitions/validate", json={"bpmn": {"provider_failure.bpmn": MISSPELT}})
    assert r.status_code == 422, r.json
    assert (r.json["file"], r.json["element"]) == ("provider_failure.bpmn", "pf_alert_icb") and r.json["line"]
    assert "Service task 'pf_alert_icb'" in r.json["message"]
    assert "the message template 'M1_ProviderFailureAlrt' does not exist" in r.json["message"]
    assert "did you mean 'M1_ProviderFailureAlert'?" in r.json["message"]
    # The diagram as it is, with names built at run time (contractAction['template']), validates.
    assert owner.post("/definitions/validate", json={"bpmn": {"provider_failure.bpmn": INCIDENT}}).status_code == 200


def test_deploy_refuses_it_too_and_the_current_version_stays(users):
    owner = users.make("pat.owner", "process_owner", ("process_owners",))
    before = owner.get("/processes/demo_referral").json["version"]
    unknown = DEMO.replace("value=\"'urgent_referral'\"", "value=\"'urgent_referal_v2'\"")
    r = owner.post("/definitions/deploy", json={"bpmn": {"demo_referral.bpmn": unknown}})
    assert r.status_code == 422 and r.json["element"] == "alert_duty_team"
    assert "the message template 'urgent_referal_v2' does not exist" in r.json["message"]
    assert owner.get("/processes/demo_referral").json["version"] == before
    duty_team = "<spiffworkflow:parameter id=\"recipient\" type=\"str\" value=\"'duty.team@example.org'\"/>"
    bad_channel = DEMO.replace(duty_team, duty_team + "<spiffworkflow:parameter id=\"channel\" type=\"str\" "
                                                      "value=\"'fax'\"/>")
    assert bad_channel != DEMO
    r = owner.post("/definitions/validate", json={"bpmn": {"demo_referral.bpmn": bad_channel}})
    assert r.status_code == 422 and "notify channel must be one of" in r.json["message"]
