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


def _chain(steps: int) -> str:
    """demo_referral as one start, ``steps`` plain tasks in a row, one end."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
             'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x">'
             '<bpmn:process id="demo_referral" isExecutable="true"><bpmn:startEvent id="s"/>']
    previous = "s"
    for i in range(steps):
        parts.append(f'<bpmn:task id="t{i}"/><bpmn:sequenceFlow id="f{i}" sourceRef="{previous}" targetRef="t{i}"/>')
        previous = f"t{i}"
    parts.append(f'<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="fe" sourceRef="{previous}" targetRef="e"/>'
                 '</bpmn:process></bpmn:definitions>')
    return "".join(parts)


def test_a_path_too_long_for_the_engine_is_refused_in_words_not_a_recursion_error(owner):
    answer = _save(owner, _chain(2500))  # 5,000 elements in a row
    assert answer.status_code == 422
    [problem] = answer.json["errors"]
    assert problem["rule"] == "spiff-parses" and problem["element"] == "t399", problem
    assert "More than 400 steps follow one another" in problem["message"]
    assert "Recursion" not in problem["message"]
    assert _save(owner, _chain(350)).status_code == 201  # long, but the engine loads it


def test_validate_and_deploy_through_the_api_refuse_a_too_long_path_in_the_same_words(owner):
    for path in ("/definitions/validate", "/definitions/deploy"):
        answer = owner.post(path, json={"bpmn": {"chain.bpmn": _chain(700)}, "dmn": {}})
        assert answer.status_code == 422, answer.json
        assert answer.json["element"] == "t399" and "More than 400 steps follow one another" in answer.json["message"]
        assert "Recursion" not in answer.json["message"]


def test_a_decision_table_with_two_rules_of_one_id_is_refused(owner):
    table = (ROOT / "dmn" / "demo_referral_priority.dmn").read_text()
    twice = table.replace('<rule id="rule_lives_alone">', '<rule id="rule_risk_to_life">')
    answer = owner.post("/model/decisions/demo_referral_priority.dmn/versions", json={"xml": twice, "comment": "x"})
    assert answer.status_code == 422, answer.json
    [problem] = answer.json["errors"]
    assert problem["element"] == "rule_risk_to_life" and problem["rule"] == "unique-ids"
    assert problem["line"] == table[:table.index('<rule id="rule_lives_alone">')].count("\n") + 1
    assert "first on line" in problem["message"]
    decisions = owner.get("/model").json["decisions"]
    assert [len(d["versions"]) for d in decisions if d["id"] == "demo_referral_priority.dmn"] == [1]


def test_a_20_mb_diagram_is_a_413_in_words(owner):
    answer = _save(owner, "<x>" + "a" * (20 * 1024 * 1024) + "</x>")
    assert answer.status_code == 413
    assert "larger than 16 MB" in answer.json["message"] and "nothing was saved" in answer.json["message"]
    six_mb = _save(owner, DEMO.replace("</bpmn:definitions>", "<!--" + "a" * 6_000_000 + "--></bpmn:definitions>"))
    assert six_mb.status_code == 422 and "larger than 5 MB" in six_mb.json["errors"][0]["message"]
