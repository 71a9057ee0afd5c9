"""Business rule tasks evaluate the council's tables with careflow's evaluator, logged and explained."""
from __future__ import annotations

from sqlalchemy import select

from tests.conftest import ROOT
from workflows.models import DecisionLog, Incident

URGENCY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d"
  targetNamespace="https://careflow.example.org/t">
  <bpmn:process id="urgency_check" name="Urgency check" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="decide_urgency" name="Decide urgency">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>UrgencyOfNeeds</spiffworkflow:calledDecisionId>
        <spiffworkflow:properties>
          <spiffworkflow:property name="resultVariable" value="urgencyDecision"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:userTask id="act" name="Act on the urgency">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide_urgency"/>
    <bpmn:sequenceFlow id="f2" sourceRef="decide_urgency" targetRef="act"/>
    <bpmn:sequenceFlow id="f3" sourceRef="act" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""

PERSON = {"riskToLife": False, "immediateSignificantHealthRisk": False, "safeguardingRisk": False,
          "providerArrangementSatisfactory": False, "terminallyIll": False, "significantWellbeingImpact": False}


def deploy(services):
    dmn = {"urgency_of_needs.dmn": (ROOT / "dmn" / "urgency_of_needs.dmn").read_text()}
    with services.db.transaction() as session:
        services.library.store(session, {"urgency_check.bpmn": URGENCY}, dmn)


def test_a_business_rule_task_uses_the_council_table_and_its_configuration(services):
    deploy(services)
    row = services.runtime.start("urgency_check", {**PERSON, "daysUntilCareStops": 1})
    data = services.runtime.instance_data(row.id)
    assert data["urgencyDecision"]["urgency"] == "CRITICAL"
    assert data["urgencyDecision"]["isUrgent"] is True
    with services.db.reading() as s:
        [log] = s.scalars(select(DecisionLog).where(DecisionLog.instance_id == row.id)).all()
    assert log.decision_id == "UrgencyOfNeeds" and log.hit_policy == "FIRST"
    assert log.matched_rules[0]["index"] == 5 and log.inputs["Days until care stops (0 = stopped)"] == 1


def test_a_decision_error_becomes_an_incident_naming_the_decision_rule_and_column(services):
    deploy(services)
    row = services.runtime.start("urgency_check", {**PERSON, "daysUntilCareStops": "soon"})
    assert row.status == "incident"
    with services.db.reading() as s:
        [incident] = s.scalars(select(Incident).where(Incident.instance_id == row.id)).all()
    assert incident.element_id == "decide_urgency"
    assert "UrgencyOfNeeds" in incident.message and "daysUntilCareStops" in incident.message


ENDLESS = """<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="endless" name="Endless"
  namespace="https://careflow.example.org/t">
  <decision id="UrgencyOfNeeds" name="Urgency of needs">
    <literalExpression><text>{f: function(n) if n = 0 then 0 else f(n - 1) + f(n - 1), r: f(40)}.r</text>
    </literalExpression>
  </decision>
</definitions>"""


def test_a_decision_past_its_time_budget_becomes_an_incident_and_the_case_waits(tmp_path):
    from tests.conftest import make_app
    from workflows.decisions import set_time_budget

    app = make_app(tmp_path, DECISION_TIME_BUDGET_SECONDS=0.2)
    services = app.extensions["careflow"]
    try:
        with services.db.transaction() as session:
            services.library.store(session, {"urgency_check.bpmn": URGENCY}, {"endless.dmn": ENDLESS})
        row = services.runtime.start("urgency_check", PERSON)
        assert row.status == "incident"
        with services.db.reading() as s:
            [incident] = s.scalars(select(Incident).where(Incident.instance_id == row.id)).all()
        assert incident.element_id == "decide_urgency"
        assert "Urgency of needs" in incident.message and "time budget of 0.2 s" in incident.message
    finally:
        set_time_budget(None)
        services.db.dispose()
