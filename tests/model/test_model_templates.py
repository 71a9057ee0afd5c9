"""The modeller refuses a save naming a message template that does not exist, at the service task."""
from __future__ import annotations

from tests.conftest import ROOT

DEMO = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()


def test_a_save_naming_an_unknown_template_is_refused_at_its_task(owner):
    unknown = DEMO.replace("value=\"'referral_acknowledged'\"", "value=\"'referral_acknowledgd'\"")
    assert unknown != DEMO
    refused = owner.post("/model/processes/demo_referral/versions", json={"xml": unknown, "comment": "Typo"})
    assert refused.status_code == 422, refused.json
    [problem] = [e for e in refused.json["errors"] if e["element"] == "acknowledge_referral"]
    assert "the message template 'referral_acknowledgd' does not exist" in problem["message"]
    assert "did you mean 'referral_acknowledged'?" in problem["message"]
