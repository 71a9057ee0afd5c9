"""The diagrams in bpmn/ are the files process owners open in a modeller: every element is drawn, named and
readable, with no shape or label on top of another and every flow drawn as right-angled lines between borders."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import FIXTURES, ROOT

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI"}
TASKS = {"task", "userTask", "scriptTask", "serviceTask", "businessRuleTask", "receiveTask", "sendTask",
         "manualTask", "callActivity"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
FLOW_NODES = TASKS | EVENTS | GATEWAYS | {"subProcess"}
DIAGRAMS = sorted((ROOT / "bpmn").glob("*.bpmn"))


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box) -> bool:
        return (self.x < other.x + other.w and other.x < self.x + self.w
                and self.y < other.y + other.h and other.y < self.y + self.h)

    def contains(self, other: Box) -> bool:
        return (self.x <= other.x and self.y <= other.y and other.x + other.w <= self.x + self.w
                and other.y + other.h <= self.y + self.h)


def _box(bounds: etree._Element) -> Box:
    return Box(*(float(bounds.get(k)) for k in ("x", "y", "width", "height")))


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _on_outline(kind: str, box: Box, x: float, y: float) -> bool:
    """Whether (x, y) lies on the drawn outline of a shape: a rectangle, a circle or a diamond."""
    cx, cy, rx, ry = box.x + box.w / 2, box.y + box.h / 2, box.w / 2, box.h / 2
    if kind in EVENTS:
        return abs(((x - cx) ** 2 + (y - cy) ** 2) ** 0.5 - rx) <= 2
    if kind in GATEWAYS:
        return abs(abs(x - cx) / rx + abs(y - cy) / ry - 1) <= 0.05
    on_x = abs(x - box.x) <= 1 or abs(x - box.x - box.w) <= 1
    on_y = abs(y - box.y) <= 1 or abs(y - box.y - box.h) <= 1
    return (on_x and box.y - 1 <= y <= box.y + box.h + 1) or (on_y and box.x - 1 <= x <= box.x + box.w + 1)


def layout_problems(path: Path) -> list[str]:
    """Everything in ``path`` a person opening it in a modeller would find hard to read."""
    root = etree.parse(str(path)).getroot()
    problems: list[str] = []
    kinds: dict[str, str] = {}
    elements: dict[str, etree._Element] = {}
    for process in root.findall("bpmn:process", NS):
        for el in process.iter():
            if isinstance(el.tag, str) and el.get("id"):
                kinds[el.get("id")] = _local(el)
                elements[el.get("id")] = el
    nodes = [i for i, k in kinds.items() if k in FLOW_NODES]
    flows = [i for i, k in kinds.items() if k == "sequenceFlow"]
    shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    boxes = {i: _box(s.find("dc:Bounds", NS)) for i, s in shapes.items()}

    # every element drawn, and named where a reader needs a name
    problems += [f"{i}: no shape in the diagram" for i in nodes if i not in shapes]
    problems += [f"{i}: no edge in the diagram" for i in flows if i not in edges]
    outgoing: dict[str, list[str]] = {}
    for f in flows:
        outgoing.setdefault(elements[f].get("sourceRef"), []).append(f)
    for i in nodes:
        named = bool((elements[i].get("name") or "").strip())
        if not named and (kinds[i] in TASKS | EVENTS or len(outgoing.get(i, [])) > 1):
            problems.append(f"{i}: a {kinds[i]} without a name")
        if kinds[i] in {"exclusiveGateway", "inclusiveGateway"} and len(outgoing.get(i, [])) > 1:
            problems += [f"{f}: a branch of {i} without a name" for f in outgoing[i]
                         if not (elements[f].get("name") or "").strip()]

    # shapes: none on top of another, each inside its lane and the pool
    drawn = [i for i in nodes if i in boxes]
    for n, a in enumerate(drawn):
        for b in drawn[n + 1:]:
            attached = {elements[a].get("attachedToRef"), elements[b].get("attachedToRef")}
            if a in attached or b in attached or not boxes[a].overlaps(boxes[b]):
                continue
            if kinds[a] == "subProcess" and boxes[a].contains(boxes[b]) or \
                    kinds[b] == "subProcess" and boxes[b].contains(boxes[a]):
                continue
            problems.append(f"shapes overlap: {a} and {b}")
    for lane in root.iterfind(".//bpmn:lane", NS):
        for ref in lane.findall("bpmn:flowNodeRef", NS):
            if lane.get("id") in boxes and ref.text in boxes and not boxes[lane.get("id")].contains(boxes[ref.text]):
                problems.append(f"{ref.text}: outside its lane {lane.get('id')}")
    for participant in root.iterfind(".//bpmn:participant", NS):
        pool = boxes.get(participant.get("id"))
        for i in drawn:
            if pool is not None and not pool.contains(boxes[i]):
                problems.append(f"{i}: outside the pool {participant.get('id')}")

    # flows: right angles, from the source's outline to the target's, through no other shape
    for f in flows:
        if f not in edges:
            continue
        points = [(float(p.get("x")), float(p.get("y"))) for p in edges[f].findall("di:waypoint", NS)]
        source, target = elements[f].get("sourceRef"), elements[f].get("targetRef")
        if len(points) < 2:
            problems.append(f"{f}: fewer than two waypoints")
            continue
        if any(a[0] != b[0] and a[1] != b[1] for a, b in zip(points, points[1:])):
            problems.append(f"{f}: not drawn with right angles")
        for end, node in ((points[0], source), (points[-1], target)):
            if node in boxes and not _on_outline(kinds[node], boxes[node], *end):
                problems.append(f"{f}: does not start or end on the outline of {node}")
        for i in drawn:
            if i in (source, target) or kinds[i] == "subProcess":
                continue
            if any(_crosses(a, b, boxes[i]) for a, b in zip(points, points[1:])):
                problems.append(f"{f}: drawn through {i}")

    # labels: present for named events, gateways and flows, and clear of each other and of other shapes
    labels: dict[str, Box] = {}
    for i, di in list(shapes.items()) + list(edges.items()):
        bounds = di.find("bpmndi:BPMNLabel/dc:Bounds", NS)
        if bounds is not None:
            labels[i] = _box(bounds)
        elif (elements[i].get("name") if i in elements else None) and kinds.get(i) in EVENTS | GATEWAYS | {
                "sequenceFlow"}:
            problems.append(f"{i}: a name without label bounds")
    named = sorted(labels)
    for n, a in enumerate(named):
        for b in named[n + 1:]:
            if labels[a].overlaps(labels[b]):
                problems.append(f"labels overlap: {a} and {b}")
        for i in boxes:
            if i != a and kinds.get(i) not in {"lane", "participant", "subProcess", None} and \
                    labels[a].overlaps(boxes[i]):
                problems.append(f"label of {a} overlaps {i}")
    return problems


def _crosses(a: tuple[float, float], b: tuple[float, float], box: Box) -> bool:
    """Whether the segment a-b passes through the inside of ``box`` (touching its outline is fine)."""
    if a[0] == b[0]:
        low, high = sorted((a[1], b[1]))
        return box.x < a[0] < box.x + box.w and low < box.y + box.h and high > box.y
    low, high = sorted((a[0], b[0]))
    return box.y < a[1] < box.y + box.h and low < box.x + box.w and high > box.x


@pytest.mark.parametrize("path", DIAGRAMS, ids=[p.name for p in DIAGRAMS])
def test_every_diagram_reads_well_in_a_modeller(path: Path) -> None:
    assert layout_problems(path) == []


def test_the_check_finds_overlapping_shapes_and_labels_and_unnamed_branches() -> None:
    problems = layout_problems(FIXTURES / "layout_overlap.bpmn")
    assert "shapes overlap: first and second" in problems
    assert "labels overlap: decide and start" in problems
    assert "label of done overlaps second" in problems
    assert "flow_other: a branch of decide without a name" in problems
    assert "unnamed: a scriptTask without a name" in problems
    assert "flow_slanted: not drawn with right angles" in problems
    assert "flow_slanted: drawn through second" in problems
