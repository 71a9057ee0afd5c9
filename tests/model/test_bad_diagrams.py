"""Diagrams an adversarial process owner sends: each refusal names the element and line at fault."""
from __future__ import annotations

from tests.conftest import ROOT

DEMO = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()
FLOW = '<bpmn:sequenceFlow id="flow_to_record" sourceRef="referral_received" targetRef="record_referral"'


def _save(owner, xml):
    return owner.post("/model/processes/demo_referral/versions", json={"xml": xml, "comment": "Try it"})


def test_a_flow_to_or_from_nowhere_is_named(owner):
    assert FLOW in DEMO
    for broken, words in ((FLOW.replace('targetRef="record_referral"', 'targetRef="ghost"'), "ends at 'ghost'"),
                          (FLOW.replace('sourceRef="referral_received"', 'sourceRef="ghost"'), "starts at 'ghost'")):
        answer = _save(owner, DEMO.replace(FLOW, broken))
        assert answer.status_code == 422
        flows = [e for e in answer.json["errors"] if e["rule"] == "flow-ends"]
        assert [(e["element"], words in e["message"]) for e in flows] == [("flow_to_record", True)], answer.json
        assert flows[0]["line"] == DEMO[:DEMO.index(FLOW)].count("\n") + 1
        checked = owner.post("/model/processes/demo_referral/check", json={"xml": DEMO.replace(FLOW, broken)})
        assert any(p["rule"] == "flow-ends" for p in checked.json["problems"])
    versions = next(p for p in owner.get("/model").json["processes"] if p["id"] == "demo_referral")["versions"]
    assert len(versions) == 1
