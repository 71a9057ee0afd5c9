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
CONTAINERS = {"lane", "subProcess"}
DIAGRAMS = sorted((ROOT / "bpmn").glob("*.bpmn"))

Point = tuple[float, float]


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


class Drawing:
    """One .bpmn file: its process elements and what its diagram (BPMN DI) draws for them."""

    def __init__(self, path: Path) -> None:
        root = etree.parse(str(path)).getroot()
        self.elements = {el.get("id"): el for process in root.findall("bpmn:process", NS)
                         for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
        self.kinds = {i: etree.QName(el).localname for i, el in self.elements.items()}
        self.nodes = [i for i, k in self.kinds.items() if k in FLOW_NODES]
        self.flows = [i for i, k in self.kinds.items() if k == "sequenceFlow"]
        shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
        edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
        self.boxes = {i: _box(s.find("dc:Bounds", NS)) for i, s in shapes.items()}
        self.points = {i: [(float(p.get("x")), float(p.get("y"))) for p in e.findall("di:waypoint", NS)]
                       for i, e in edges.items()}
        self.labels = {i: _box(b) for i, di in [*shapes.items(), *edges.items()]
                       if (b := di.find("bpmndi:BPMNLabel/dc:Bounds", NS)) is not None}
        self.lanes = {lane.get("id"): [ref.text for ref in lane.findall("bpmn:flowNodeRef", NS)]
                      for lane in root.iterfind(".//bpmn:lane", NS)}
        self.pools = [p.get("id") for p in root.iterfind(".//bpmn:participant", NS)]

    def name(self, i: str) -> str:
        return (self.elements[i].get("name") or "").strip()

    def ends(self, flow: str) -> tuple[str, str]:
        return self.elements[flow].get("sourceRef"), self.elements[flow].get("targetRef")

    def outgoing(self, node: str) -> list[str]:
        return [f for f in self.flows if self.ends(f)[0] == node]


def layout_problems(path: Path) -> list[str]:
    """Everything in ``path`` that a person opening it in a modeller would find hard to read."""
    d = Drawing(path)
    return _unnamed(d) + _shapes(d) + _flows(d) + _labels(d)


def _unnamed(d: Drawing) -> list[str]:
    problems = [f"{i}: no shape in the diagram" for i in d.nodes if i not in d.boxes]
    problems += [f"{f}: no edge in the diagram" for f in d.flows if f not in d.points]
    for i in d.nodes:
        branches = d.outgoing(i)
        if not d.name(i) and (d.kinds[i] in TASKS | EVENTS or len(branches) > 1):
            problems.append(f"{i}: a {d.kinds[i]} without a name")
        if d.kinds[i] in {"exclusiveGateway", "inclusiveGateway"} and len(branches) > 1:
            problems += [f"{f}: a branch of {i} without a name" for f in branches if not d.name(f)]
    return problems


def _shapes(d: Drawing) -> list[str]:
    problems = []
    drawn = [i for i in d.nodes if i in d.boxes]
    for n, a in enumerate(drawn):
        for b in drawn[n + 1:]:
            hosts = {d.elements[a].get("attachedToRef"), d.elements[b].get("attachedToRef")}
            inside = any(d.kinds[x] == "subProcess" and d.boxes[x].contains(d.boxes[y]) for x, y in ((a, b), (b, a)))
            if d.boxes[a].overlaps(d.boxes[b]) and a not in hosts and b not in hosts and not inside:
                problems.append(f"shapes overlap: {a} and {b}")
    for lane, refs in d.lanes.items():
        problems += [f"{i}: outside its lane {lane}" for i in refs
                     if lane in d.boxes and i in d.boxes and not d.boxes[lane].contains(d.boxes[i])]
    for pool in d.pools:
        problems += [f"{i}: outside the pool {pool}" for i in drawn
                     if pool in d.boxes and not d.boxes[pool].contains(d.boxes[i])]
    return problems


def _flows(d: Drawing) -> list[str]:
    problems = []
    drawn = [f for f in d.flows if f in d.points]
    for f in drawn:
        points, (source, target) = d.points[f], d.ends(f)
        if len(points) < 2:
            problems.append(f"{f}: fewer than two waypoints")
            continue
        segments = list(zip(points, points[1:]))
        if any(a[0] != b[0] and a[1] != b[1] for a, b in segments):
            problems.append(f"{f}: not drawn with right angles")
        for end, node in ((points[0], source), (points[-1], target)):
            if node in d.boxes and not _on_outline(d.kinds[node], d.boxes[node], end):
                problems.append(f"{f}: does not start or end on the outline of {node}")
        problems += [f"{f}: drawn through {i}" for i in d.nodes
                     if i in d.boxes and i not in (source, target) and d.kinds[i] != "subProcess"
                     and any(_crosses(a, b, d.boxes[i]) for a, b in segments)]
        problems += [f"{f}: drawn along the outline of {i}" for i in d.nodes
                     if i in d.boxes and d.kinds[i] in TASKS and any(_along(a, b, d.boxes[i]) for a, b in segments)]
    # two flows may share a stretch only when they leave the same element or enter the same one
    for n, f in enumerate(drawn):
        for g in drawn[n + 1:]:
            (fs, ft), (gs, gt) = d.ends(f), d.ends(g)
            if fs != gs and ft != gt and any(_collinear_overlap(a, b, c, e)
                                             for a, b in zip(d.points[f], d.points[f][1:])
                                             for c, e in zip(d.points[g], d.points[g][1:])):
                problems.append(f"flows drawn on top of each other: {f} and {g}")
    return problems


def _labels(d: Drawing) -> list[str]:
    problems = [f"{i}: a name without label bounds" for i in d.nodes + d.flows
                if d.name(i) and d.kinds[i] in EVENTS | GATEWAYS | {"sequenceFlow"} and i not in d.labels]
    named = sorted(d.labels)
    for n, a in enumerate(named):
        problems += [f"labels overlap: {a} and {b}" for b in named[n + 1:] if d.labels[a].overlaps(d.labels[b])]
        problems += [f"label of {a} overlaps {i}" for i, box in d.boxes.items()
                     if i != a and i in d.kinds and d.kinds[i] not in CONTAINERS and d.labels[a].overlaps(box)]
    return problems


def _box(bounds: etree._Element) -> Box:
    return Box(*(float(bounds.get(k)) for k in ("x", "y", "width", "height")))


def _on_outline(kind: str, box: Box, point: Point) -> bool:
    """Whether ``point`` lies on the drawn outline of a shape: a circle, a diamond or a rectangle."""
    (x, y), cx, cy, rx, ry = point, box.x + box.w / 2, box.y + box.h / 2, box.w / 2, box.h / 2
    if kind in EVENTS:
        return abs(((x - cx) ** 2 + (y - cy) ** 2) ** 0.5 - rx) <= 2
    if kind in GATEWAYS:
        return abs(abs(x - cx) / rx + abs(y - cy) / ry - 1) <= 0.05
    on_side = abs(abs(x - cx) - rx) <= 1 and abs(y - cy) <= ry + 1
    on_top_or_bottom = abs(abs(y - cy) - ry) <= 1 and abs(x - cx) <= rx + 1
    return on_side or on_top_or_bottom


def _crosses(a: Point, b: Point, box: Box) -> bool:
    """Whether the segment a-b passes through the inside of ``box`` (running along its outline is fine)."""
    if a[0] == b[0]:
        low, high = sorted((a[1], b[1]))
        return box.x < a[0] < box.x + box.w and low < box.y + box.h and high > box.y
    low, high = sorted((a[0], b[0]))
    return box.y < a[1] < box.y + box.h and low < box.x + box.w and high > box.x


def _along(a: Point, b: Point, box: Box) -> bool:
    """Whether the segment a-b runs along a side of ``box`` (rather than meeting it at one point)."""
    corners = ((box.x, box.y), (box.x + box.w, box.y), (box.x + box.w, box.y + box.h), (box.x, box.y + box.h))
    return any(_collinear_overlap(a, b, c, e) for c, e in zip(corners, corners[1:] + corners[:1]))


def _collinear_overlap(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Whether segments a-b and c-d lie on one horizontal or vertical line and share a stretch of it."""
    for along, across in ((0, 1), (1, 0)):
        if a[across] == b[across] == c[across] == d[across]:
            low = max(min(a[along], b[along]), min(c[along], d[along]))
            high = min(max(a[along], b[along]), max(c[along], d[along]))
            if high > low:
                return True
    return False


# Diagrams laid out before this check covered them; each is to be re-laid out, not left like this.
LAYOUT_TO_DO: dict[str, str] = {}


@pytest.mark.parametrize("path", DIAGRAMS, ids=[p.name for p in DIAGRAMS])
def test_every_diagram_reads_well_in_a_modeller(path: Path) -> None:
    if path.name in LAYOUT_TO_DO:
        pytest.xfail(LAYOUT_TO_DO[path.name])
    assert layout_problems(path) == []


def test_the_check_finds_overlaps_slanted_flows_and_missing_names() -> None:
    problems = layout_problems(FIXTURES / "layout_overlap.bpmn")
    assert sorted(problems) == sorted([
        "shapes overlap: first and second",
        "labels overlap: decide and start",
        "label of done overlaps second",
        "flow_other: a branch of decide without a name",
        "unnamed: a scriptTask without a name",
        "flow_slanted: not drawn with right angles",
        "flow_slanted: drawn through second",
        "flow_other: drawn along the outline of unnamed",
        "flows drawn on top of each other: flow_unnamed and flow_along",
    ])
