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


@dataclass(frozen=True)
class Plane:
    """One BPMN plane: the pool's own, or a collapsed sub-process's, each drawn in coordinates of its own."""
    id: str
    boxes: dict[str, Box]
    points: dict[str, list[Point]]
    labels: dict[str, Box]


class Drawing:
    """One .bpmn file: its process elements and what each plane of its diagram (BPMN DI) draws for them."""

    def __init__(self, path: Path) -> None:
        root = etree.parse(str(path)).getroot()
        self.elements = {el.get("id"): el for process in root.findall("bpmn:process", NS)
                         for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
        self.kinds = {i: etree.QName(el).localname for i, el in self.elements.items()}
        self.nodes = [i for i, k in self.kinds.items() if k in FLOW_NODES]
        self.flows = [i for i, k in self.kinds.items() if k == "sequenceFlow"]
        self.planes = [_plane(plane) for plane in root.iterfind(".//bpmndi:BPMNPlane", NS)]
        self.expanded = {plane.id: {self.elements[i].getparent().get("id") for i in plane.boxes if i in self.elements}
                         & {i for i in plane.boxes if self.kinds.get(i) == "subProcess"} for plane in self.planes}
        self.lanes = {lane.get("id"): [ref.text for ref in lane.findall("bpmn:flowNodeRef", NS)]
                      for lane in root.iterfind(".//bpmn:lane", NS)}
        self.pools = [p.get("id") for p in root.iterfind(".//bpmn:participant", NS)]

    def name(self, i: str) -> str:
        return (self.elements[i].get("name") or "").strip()

    def ends(self, flow: str) -> tuple[str, str]:
        return self.elements[flow].get("sourceRef"), self.elements[flow].get("targetRef")

    def outgoing(self, node: str) -> list[str]:
        return [f for f in self.flows if self.ends(f)[0] == node]

    def container(self, plane: Plane, i: str) -> bool:
        """A lane, or a sub-process drawn expanded on ``plane`` with what it holds; a collapsed one is a box."""
        return self.kinds.get(i) == "lane" or i in self.expanded[plane.id]


def _plane(plane: etree._Element) -> Plane:
    shapes = {s.get("bpmnElement"): s for s in plane.iterfind("bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in plane.iterfind("bpmndi:BPMNEdge", NS)}
    return Plane(
        id=plane.get("id"),
        boxes={i: _box(s.find("dc:Bounds", NS)) for i, s in shapes.items()},
        points={i: [(float(p.get("x")), float(p.get("y"))) for p in e.findall("di:waypoint", NS)]
                for i, e in edges.items()},
        labels={i: _box(b) for i, di in [*shapes.items(), *edges.items()]
                if (b := di.find("bpmndi:BPMNLabel/dc:Bounds", NS)) is not None})


def layout_problems(path: Path) -> list[str]:
    """Everything in ``path`` that a person opening it in a modeller would find hard to read. Shapes and flows
    are compared only with others on their own plane: a collapsed sub-process's plane is a separate drawing."""
    d = Drawing(path)
    return _unnamed(d) + [problem for plane in d.planes
                          for problem in _shapes(d, plane) + _flows(d, plane) + _labels(d, plane)]


def _unnamed(d: Drawing) -> list[str]:
    problems = [f"{i}: no shape in the diagram" for i in d.nodes if not any(i in p.boxes for p in d.planes)]
    problems += [f"{f}: no edge in the diagram" for f in d.flows if not any(f in p.points for p in d.planes)]
    for i in d.nodes:
        branches = d.outgoing(i)
        if not d.name(i) and (d.kinds[i] in TASKS | EVENTS or len(branches) > 1):
            problems.append(f"{i}: a {d.kinds[i]} without a name")
        if d.kinds[i] in {"exclusiveGateway", "inclusiveGateway"} and len(branches) > 1:
            problems += [f"{f}: a branch of {i} without a name" for f in branches if not d.name(f)]
    return problems


def _shapes(d: Drawing, plane: Plane) -> list[str]:
    problems = []
    boxes = plane.boxes
    drawn = [i for i in d.nodes if i in boxes]
    for n, a in enumerate(drawn):
        for b in drawn[n + 1:]:
            hosts = {d.elements[a].get("attachedToRef"), d.elements[b].get("attachedToRef")}
            inside = any(d.container(plane, x) and boxes[x].contains(boxes[y]) for x, y in ((a, b), (b, a)))
            if boxes[a].overlaps(boxes[b]) and a not in hosts and b not in hosts and not inside:
                problems.append(f"shapes overlap: {a} and {b}")
    for lane, refs in d.lanes.items():
        problems += [f"{i}: outside its lane {lane}" for i in refs
                     if lane in boxes and i in boxes and not boxes[lane].contains(boxes[i])]
    for pool in d.pools:
        problems += [f"{i}: outside the pool {pool}" for i in drawn
                     if pool in boxes and not boxes[pool].contains(boxes[i])]
    return problems


def _flows(d: Drawing, plane: Plane) -> list[str]:
    problems = []
    boxes, drawn = plane.boxes, [f for f in d.flows if f in plane.points]
    for f in drawn:
        points, (source, target) = plane.points[f], d.ends(f)
        if len(points) < 2:
            problems.append(f"{f}: fewer than two waypoints")
            continue
        segments = list(zip(points, points[1:]))
        if any(a[0] != b[0] and a[1] != b[1] for a, b in segments):
            problems.append(f"{f}: not drawn with right angles")
        for end, node in ((points[0], source), (points[-1], target)):
            if node in boxes and not _on_outline(d.kinds[node], boxes[node], end):
                problems.append(f"{f}: does not start or end on the outline of {node}")
        problems += [f"{f}: drawn through {i}" for i in d.nodes
                     if i in boxes and i not in (source, target) and not d.container(plane, i)
                     and any(_crosses(a, b, boxes[i]) for a, b in segments)]
        problems += [f"{f}: drawn along the outline of {i}" for i in d.nodes
                     if i in boxes and d.kinds[i] in TASKS and any(_along(a, b, boxes[i]) for a, b in segments)]
    # two flows may share a stretch only when they leave the same element or enter the same one
    for n, f in enumerate(drawn):
        for g in drawn[n + 1:]:
            (fs, ft), (gs, gt) = d.ends(f), d.ends(g)
            if fs != gs and ft != gt and any(_collinear_overlap(a, b, c, e)
                                             for a, b in zip(plane.points[f], plane.points[f][1:])
                                             for c, e in zip(plane.points[g], plane.points[g][1:])):
                problems.append(f"flows drawn on top of each other: {f} and {g}")
    return problems


def _labels(d: Drawing, plane: Plane) -> list[str]:
    problems = [f"{i}: a name without label bounds" for i in d.nodes + d.flows
                if (i in plane.boxes or i in plane.points) and d.name(i)
                and d.kinds[i] in EVENTS | GATEWAYS | {"sequenceFlow"} and i not in plane.labels]
    named = sorted(plane.labels)
    for n, a in enumerate(named):
        label = plane.labels[a]
        problems += [f"labels overlap: {a} and {b}" for b in named[n + 1:] if label.overlaps(plane.labels[b])]
        problems += [f"label of {a} overlaps {i}" for i, box in plane.boxes.items()
                     if i != a and i in d.kinds and not d.container(plane, i) and label.overlaps(box)]
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


def test_a_collapsed_sub_process_is_drawn_on_a_plane_of_its_own() -> None:
    # its plane reuses the pool's coordinates: shapes, labels and flows on the same spots, and below the pool
    assert layout_problems(FIXTURES / "layout_planes.bpmn") == []


def test_an_overlap_on_a_sub_process_plane_is_still_found() -> None:
    assert layout_problems(FIXTURES / "layout_planes_overlap.bpmn") == ["shapes overlap: check and note"]
