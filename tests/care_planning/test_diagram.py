"""The care-planning diagram as a process owner reads it: every step CSP-01 to CSP-25 named, every
user task with a form that exists, every flow node in a lane and drawn, no shapes or labels on top
of each other, and every decision it calls is one of the council's tables."""
from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
BPMN = ROOT / "bpmn" / "care_support_planning.bpmn"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
FLOW_NODES = ("startEvent", "endEvent", "userTask", "scriptTask", "serviceTask", "sendTask", "businessRuleTask",
              "exclusiveGateway", "parallelGateway", "intermediateCatchEvent", "boundaryEvent", "subProcess")
TREE = etree.parse(str(BPMN))


def _process() -> etree._Element:
    return TREE.find("bpmn:process", NS)


def test_every_step_of_c4_is_named() -> None:
    names = " ".join(el.get("name") or "" for el in _process().iter())
    steps = [f"CSP-{n:02d}" for n in range(1, 26)] + ["CSP-16a", "CSP-16b"]
    assert [s for s in steps if s not in names] == []
    for end in ("CSP_End_NotEligible", "CSP_End_ORTransferred", "CSP_End_Withdrawn"):
        assert end in names


def test_every_user_task_has_a_form_that_exists() -> None:
    for task in _process().iter(f"{{{NS['bpmn']}}}userTask"):
        props = {p.get("name"): p.get("value") for p in task.iter(f"{{{NS['spiffworkflow']}}}property")}
        assert props.get("formKey"), task.get("id")
        schema = json.loads((ROOT / "bpmn" / "forms" / f"{props['formKey']}.schema.json").read_text())
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        for field in schema["properties"].values():
            assert "default" not in field  # nothing is answered for the worker


def test_lanes_hold_every_top_level_node() -> None:
    process = _process()
    nodes = {el.get("id") for kind in FLOW_NODES for el in process.findall(f"bpmn:{kind}", NS)}
    in_lanes = [ref.text for ref in process.iter(f"{{{NS['bpmn']}}}flowNodeRef")]
    assert sorted(in_lanes) == sorted(nodes) and len(in_lanes) == len(set(in_lanes))
    lanes = [lane.get("name") for lane in process.iter(f"{{{NS['bpmn']}}}lane")]
    assert lanes == ["Allocated worker", "Team manager / delegated authoriser", "Senior manager", "Governance panel",
                     "Care Navigation", "Finance", "Complaints"]


def _boxes(plane: etree._Element) -> tuple[dict[str, tuple[float, ...]], list[tuple[str, tuple[float, ...]]]]:
    shapes, labels = {}, []
    for shape in plane.findall("bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        shapes[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
        label = shape.find("bpmndi:BPMNLabel/dc:Bounds", NS)
        if label is not None:
            labels.append((shape.get("bpmnElement"), tuple(float(label.get(k)) for k in ("x", "y", "width", "height"))))
    for edge in plane.findall("bpmndi:BPMNEdge", NS):  # the names of flows, too
        label = edge.find("bpmndi:BPMNLabel/dc:Bounds", NS)
        if label is not None:
            labels.append((edge.get("bpmnElement"), tuple(float(label.get(k)) for k in ("x", "y", "width", "height"))))
    return shapes, labels


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_every_node_is_drawn_without_overlaps() -> None:
    planes = TREE.findall(".//bpmndi:BPMNPlane", NS)
    drawn: set[str] = set()
    for plane in planes:
        shapes, labels = _boxes(plane)
        drawn |= set(shapes)
        containers = {k for k in shapes if k.startswith(("csp_pool", "lane_"))}
        nodes = {k: v for k, v in shapes.items() if k not in containers}
        boundary = {k for k in nodes if k.endswith("_boundary")}
        items = sorted(nodes.items())
        for i, (a, box_a) in enumerate(items):
            for b, box_b in items[i + 1:]:
                if {a, b} & boundary:
                    continue  # a boundary event sits on its activity's edge
                assert not _overlap(box_a, box_b), (a, b)
        for i, (owner, label) in enumerate(labels):
            for other, box in nodes.items():
                assert other == owner or not _overlap(label, box), (owner, "label over", other)
            for owner_b, label_b in labels[i + 1:]:
                assert not _overlap(label, label_b), (owner, owner_b)
    every = {el.get("id") for el in _process().iter() if isinstance(el.tag, str)
             and etree.QName(el).localname in FLOW_NODES}
    assert every - drawn == set()


def test_decisions_called_are_council_tables() -> None:
    called = {el.text for el in _process().iter(f"{{{NS['spiffworkflow']}}}calledDecisionId")}
    tables = {re.search(r'<decision id="([^"]+)"', p.read_text()).group(1)  # type: ignore[union-attr]
              for p in (ROOT / "dmn").glob("*.dmn")}
    assert called <= tables
    assert called >= {"AdultEligibility", "OrdinaryResidenceRouting", "AppropriateIndividualTest",
                      "IndependentAdvocateRequired", "CarerEligibility", "PlanValidationRules",
                      "PlanBudgetApprovalRoute", "ReviewScheduling"}


def test_every_message_the_diagram_sends_has_a_template_its_data_fills() -> None:
    from handlers.templates import TemplateRegistry

    registry = TemplateRegistry()
    sent = {}
    for param in _process().iter(f"{{{NS['spiffworkflow']}}}parameter"):
        if param.get("id") == "template":
            operator = param.getparent().getparent()
            data = next(p.get("value") for p in operator.iter(f"{{{NS['spiffworkflow']}}}parameter")
                        if p.get("id") == "data")
            sent[param.get("value").strip("'")] = set(re.findall(r"'(\w+)':", data))
    assert set(sent) == {f"mc{n}_{name}" for n, name in ((1, "advocacy_referral"), (2, "dp_advice_referral"),
                                                          (3, "health_liaison_request"), (4, "or_notification"),
                                                          (5, "complaints_information"), (6, "brokerage_request"),
                                                          (8, "plan_copy"))}
    for name, keys in [*sent.items(), ("mc7_controcc_notified", {"caseReference", "cpliId", "personName",
                                                                 "description", "weeklyCost", "budgetOption",
                                                                 "clientContribution"})]:
        subject, body = registry.get(name).render({k: "x" for k in keys})
        assert subject and body
