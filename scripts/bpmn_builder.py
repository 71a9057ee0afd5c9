"""A small builder that writes executable BPMN (spiff dialect) with its diagram layout (BPMN DI).

The provider-failure diagrams are generated from ``scripts/gen_provider_failure.py`` with this,
so each element gets a position on a grid (column, lane, row) and every flow gets waypoints;
bpmn-js then shows the committed ``.bpmn`` output as drawn here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

COL_W, LANE_H, ROW_H, LEFT = 160, 170, 80, 200
SIZES = {"event": (36, 36), "gateway": (50, 50), "task": (110, 80)}


@dataclass
class Node:
    id: str
    kind: str          # startEvent, endEvent, userTask, scriptTask, ...
    name: str
    lane: str
    col: float
    row: int = 0
    body: str = ""     # inner XML (event definitions, scripts, extension elements)
    attrs: dict[str, str] = field(default_factory=dict)
    shape: str = "task"
    attached_to: str | None = None
    data: str = ""     # data input/output associations (to process-level data objects)


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str | None = None
    condition: str | None = None


def _props(props: dict[str, str]) -> str:
    if not props:
        return ""
    inner = "".join(f'<spiffworkflow:property name={quoteattr(k)} value={quoteattr(v)}/>' for k, v in props.items())
    return f"<spiffworkflow:properties>{inner}</spiffworkflow:properties>"


class Diagram:
    def __init__(self, process_id: str, name: str, lanes: list[str], documentation: str = "",
                 properties: dict[str, str] | None = None) -> None:
        self.process_id, self.name, self.lanes = process_id, name, lanes
        self.documentation = documentation
        self.properties = properties or {}
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []
        self.messages: dict[str, str] = {}
        self.data_objects: dict[str, str] = {}

    # ---- elements ------------------------------------------------------------------------
    def _add(self, node: Node) -> str:
        assert node.id not in self.nodes, node.id
        assert node.lane in self.lanes, node.lane
        self.nodes[node.id] = node
        return node.id

    def _message(self, name: str) -> str:
        self.messages.setdefault(name, f"msg_{name}")
        return self.messages[name]

    def start(self, id: str, name: str, lane: str, col: float, row: int = 0, message: str | None = None,
              correlation: str | None = None) -> str:
        body = ""
        if message:
            body = _ext(_props({"correlationKeys": correlation} if correlation else {}))
            body += f'<bpmn:messageEventDefinition id="{id}_def" messageRef="{self._message(message)}"/>'
        return self._add(Node(id, "startEvent", name, lane, col, row, body, shape="event"))

    def end(self, id: str, name: str, lane: str, col: float, row: int = 0, terminate: bool = False) -> str:
        body = f'<bpmn:terminateEventDefinition id="{id}_def"/>' if terminate else ""
        return self._add(Node(id, "endEvent", name, lane, col, row, body, shape="event"))

    def user(self, id: str, name: str, lane: str, col: float, row: int = 0, form: str = "",
             due: str | None = None) -> str:
        props = {"formKey": form}
        if due:
            props["dueIn"] = due
        return self._add(Node(id, "userTask", name, lane, col, row, _ext(_props(props))))

    def script(self, id: str, name: str, lane: str, col: float, row: int = 0, script: str = "") -> str:
        return self._add(Node(id, "scriptTask", name, lane, col, row, f"<bpmn:script>{escape(script.strip())}</bpmn:script>"))

    def rule(self, id: str, name: str, lane: str, col: float, row: int = 0, decision: str = "",
             result: str | None = None) -> str:
        ext = f"<spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>"
        ext += _props({"resultVariable": result} if result else {})
        return self._add(Node(id, "businessRuleTask", name, lane, col, row, _ext(ext)))

    def notify(self, id: str, name: str, lane: str, col: float, row: int = 0, *, template: str,
               recipient: str, data: str, channel: str = "'email'", each: str | None = None,
               item: str = "item") -> str:
        params = (f'<spiffworkflow:parameter id="template" type="str" value={quoteattr(template)}/>'
                  f'<spiffworkflow:parameter id="recipient" type="str" value={quoteattr(recipient)}/>'
                  f'<spiffworkflow:parameter id="channel" type="str" value={quoteattr(channel)}/>'
                  f'<spiffworkflow:parameter id="data" type="any" value={quoteattr(data)}/>')
        body = _ext(f'<spiffworkflow:serviceTaskOperator id="notify" resultVariable="{id}_result">'
                    f"<spiffworkflow:parameters>{params}</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>")
        if each:
            body += (f'<bpmn:multiInstanceLoopCharacteristics isSequential="true">'
                     f"<bpmn:loopDataInputRef>{each}</bpmn:loopDataInputRef>"
                     f"<bpmn:loopDataOutputRef>{id}_results</bpmn:loopDataOutputRef>"
                     f'<bpmn:inputDataItem id="{item}" name="{item}"/>'
                     f'<bpmn:outputDataItem id="{id}_result" name="{id}_result"/>'
                     "</bpmn:multiInstanceLoopCharacteristics>")
        return self._add(Node(id, "serviceTask", name, lane, col, row, body))

    def gateway(self, id: str, name: str, lane: str, col: float, row: int = 0, kind: str = "exclusive",
                default: str | None = None) -> str:
        attrs = {"default": default} if default else {}
        return self._add(Node(id, f"{kind}Gateway", name, lane, col, row, "", attrs, shape="gateway"))

    def timer(self, id: str, name: str, lane: str, col: float, row: int = 0, *, duration: str | None = None,
              date: str | None = None, cycle: str | None = None, attached_to: str | None = None,
              interrupting: bool = True) -> str:
        if cycle:
            inner = f"<bpmn:timeCycle>{escape(cycle)}</bpmn:timeCycle>"
        elif duration:
            inner = f"<bpmn:timeDuration>{escape(duration)}</bpmn:timeDuration>"
        else:
            inner = f"<bpmn:timeDate>{escape(date or '')}</bpmn:timeDate>"
        body = f'<bpmn:timerEventDefinition id="{id}_def">{inner}</bpmn:timerEventDefinition>'
        return self._catch(id, name, lane, col, row, body, attached_to, interrupting)

    def message(self, id: str, name: str, lane: str, col: float, row: int = 0, *, message: str,
                correlation: str, attached_to: str | None = None, interrupting: bool = True) -> str:
        body = _ext(_props({"correlationKeys": correlation}))
        body += f'<bpmn:messageEventDefinition id="{id}_def" messageRef="{self._message(message)}"/>'
        return self._catch(id, name, lane, col, row, body, attached_to, interrupting)

    def receive(self, id: str, name: str, lane: str, col: float, row: int = 0, *, message: str,
                correlation: str) -> str:
        attrs = {"messageRef": self._message(message)}
        return self._add(Node(id, "receiveTask", name, lane, col, row, _ext(_props({"correlationKeys": correlation})),
                              attrs))

    def _catch(self, id: str, name: str, lane: str, col: float, row: int, body: str, attached_to: str | None,
               interrupting: bool) -> str:
        if attached_to:
            attrs = {"attachedToRef": attached_to, "cancelActivity": "true" if interrupting else "false"}
            return self._add(Node(id, "boundaryEvent", name, lane, col, row, body, attrs, "event", attached_to))
        return self._add(Node(id, "intermediateCatchEvent", name, lane, col, row, body, shape="event"))

    def data_object(self, id: str, name: str) -> str:
        """A process-level data object: one value shared by every branch (parallel branches share no task data)."""
        self.data_objects[id] = name
        return id

    def uses(self, node_id: str, data_object: str, *, read: bool = True, write: bool = False) -> None:
        """``node_id`` reads the data object into its task data (and writes it back when it completes)."""
        assert data_object in self.data_objects, data_object
        ref = f"{data_object}_ref"
        node = self.nodes[node_id]
        if read:  # BPMN wants a target for an input: bpmn-js's placeholder property (the engine ignores it)
            placeholder = f"{node_id}_{data_object}_in"
            node.data = (f'<bpmn:property id="{placeholder}" name="__targetRef_placeholder"/>' + node.data
                         + f'<bpmn:dataInputAssociation id="{node_id}_reads_{data_object}">'
                         f"<bpmn:sourceRef>{ref}</bpmn:sourceRef><bpmn:targetRef>{placeholder}</bpmn:targetRef>"
                         "</bpmn:dataInputAssociation>")
        if write:
            node.data += (f'<bpmn:dataOutputAssociation id="{node_id}_writes_{data_object}">'
                          f"<bpmn:targetRef>{ref}</bpmn:targetRef></bpmn:dataOutputAssociation>")

    def flow(self, source: str, target: str, name: str | None = None, condition: str | None = None,
             id: str | None = None) -> str:
        fid = id or f"flow_{source}_to_{target}"
        self.flows.append(Flow(fid, source, target, name, condition))
        return fid

    def chain(self, *ids: str) -> None:
        for a, b in zip(ids, ids[1:]):
            self.flow(a, b)

    # ---- output --------------------------------------------------------------------------
    def _bounds(self, node: Node) -> tuple[float, float, float, float]:
        if node.attached_to:
            host = self._bounds(self.nodes[node.attached_to])
            w, h = SIZES["event"]
            offset = 20 + 40 * (node.row % 2)
            return host[0] + offset, host[1] + host[3] - h / 2, w, h
        w, h = SIZES[node.shape]
        lane_y = 60 + self.lanes.index(node.lane) * LANE_H
        cx = LEFT + 80 + node.col * COL_W
        cy = lane_y + 55 + node.row * ROW_H
        return cx - w / 2, cy - h / 2, w, h

    def _waypoints(self, flow: Flow) -> list[tuple[float, float]]:
        sx, sy, sw, sh = self._bounds(self.nodes[flow.source])
        tx, ty, tw, th = self._bounds(self.nodes[flow.target])
        if self.nodes[flow.source].attached_to:  # leave a boundary event downwards
            start = (sx + sw / 2, sy + sh)
            return [start, (start[0], ty + th / 2), (tx, ty + th / 2)]
        start, end = (sx + sw, sy + sh / 2), (tx, ty + th / 2)
        if tx >= sx + sw:  # forwards
            if abs(start[1] - end[1]) < 1:
                return [start, end]
            mid = start[0] + 20
            return [start, (mid, start[1]), (mid, end[1]), end]
        # backwards: go above the source and come into the target from the top
        top = min(sy, ty) - 25
        return [(sx + sw / 2, sy), (sx + sw / 2, top), (tx + tw / 2, top), (tx + tw / 2, ty)]

    def xml(self) -> str:
        pid = self.process_id
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
               'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
               'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
               'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
               'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
               f'id="{pid}_definitions" targetNamespace="https://careflow.example.org/bpmn">',
               '  <!-- Generated by scripts/gen_provider_failure.py: edit the generator, then run it. -->']
        for name, mid in sorted(self.messages.items()):
            out.append(f'  <bpmn:message id="{mid}" name="{name}"/>')
        out.append(f'  <bpmn:collaboration id="{pid}_collaboration">')
        out.append(f'    <bpmn:participant id="{pid}_pool" name={quoteattr(self.name)} processRef="{pid}"/>')
        out.append("  </bpmn:collaboration>")
        out.append(f'  <bpmn:process id="{pid}" name={quoteattr(self.name)} isExecutable="true">')
        if self.documentation:
            out.append(f"    <bpmn:documentation>{escape(self.documentation)}</bpmn:documentation>")
        if self.properties:
            out.append(f"    {_ext(_props(self.properties))}")
        out.append(f'    <bpmn:laneSet id="{pid}_lanes">')
        for lane in self.lanes:
            out.append(f'      <bpmn:lane id="{_lane_id(lane)}" name={quoteattr(lane)}>')
            for node in self.nodes.values():
                if node.lane == lane:
                    out.append(f"        <bpmn:flowNodeRef>{node.id}</bpmn:flowNodeRef>")
            out.append("      </bpmn:lane>")
        out.append("    </bpmn:laneSet>")
        for obj, name in self.data_objects.items():
            out.append(f'    <bpmn:dataObject id="{obj}" name={quoteattr(name)}/>')
            out.append(f'    <bpmn:dataObjectReference id="{obj}_ref" name={quoteattr(name)} dataObjectRef="{obj}"/>')
        incoming: dict[str, list[str]] = {}
        outgoing: dict[str, list[str]] = {}
        for f in self.flows:
            outgoing.setdefault(f.source, []).append(f.id)
            incoming.setdefault(f.target, []).append(f.id)
        for node in self.nodes.values():
            attrs = "".join(f" {k}={quoteattr(v)}" for k, v in node.attrs.items())
            refs = "".join(f"<bpmn:incoming>{i}</bpmn:incoming>" for i in incoming.get(node.id, []))
            refs += "".join(f"<bpmn:outgoing>{o}</bpmn:outgoing>" for o in outgoing.get(node.id, []))
            out.append(f'    <bpmn:{node.kind} id="{node.id}" name={quoteattr(node.name)}{attrs}>'
                       f"{_ext_first(node.body, refs + node.data)}</bpmn:{node.kind}>")
        for f in self.flows:
            name = f" name={quoteattr(f.name)}" if f.name else ""
            cond = (f"<bpmn:conditionExpression>{escape(f.condition)}</bpmn:conditionExpression>"
                    if f.condition else "")
            out.append(f'    <bpmn:sequenceFlow id="{f.id}"{name} sourceRef="{f.source}" '
                       f'targetRef="{f.target}">{cond}</bpmn:sequenceFlow>')
        out.append("  </bpmn:process>")
        out.extend(self._di())
        out.append("</bpmn:definitions>")
        return "\n".join(out) + "\n"

    def _di(self) -> list[str]:
        pid = self.process_id
        width = LEFT + 80 + (max(n.col for n in self.nodes.values()) + 1) * COL_W
        out = [f'  <bpmndi:BPMNDiagram id="{pid}_diagram">',
               f'    <bpmndi:BPMNPlane id="{pid}_plane" bpmnElement="{pid}_collaboration">',
               f'      <bpmndi:BPMNShape id="{pid}_pool_di" bpmnElement="{pid}_pool" isHorizontal="true">'
               f'<dc:Bounds x="120" y="60" width="{width}" height="{len(self.lanes) * LANE_H}"/></bpmndi:BPMNShape>']
        for i, lane in enumerate(self.lanes):
            out.append(f'      <bpmndi:BPMNShape id="{_lane_id(lane)}_di" bpmnElement="{_lane_id(lane)}" '
                       f'isHorizontal="true"><dc:Bounds x="150" y="{60 + i * LANE_H}" width="{width - 30}" '
                       f'height="{LANE_H}"/></bpmndi:BPMNShape>')
        for node in self.nodes.values():
            x, y, w, h = self._bounds(node)
            marker = ' isMarkerVisible="true"' if node.kind == "exclusiveGateway" else ""
            label = ""
            if node.shape != "task":
                label = (f'<bpmndi:BPMNLabel><dc:Bounds x="{x - 30:.0f}" y="{y + h + 4:.0f}" width="{w + 60:.0f}" '
                         f'height="27"/></bpmndi:BPMNLabel>')
            out.append(f'      <bpmndi:BPMNShape id="{node.id}_di" bpmnElement="{node.id}"{marker}>'
                       f'<dc:Bounds x="{x:.0f}" y="{y:.0f}" width="{w}" height="{h}"/>{label}</bpmndi:BPMNShape>')
        for f in self.flows:
            points = "".join(f'<di:waypoint x="{x:.0f}" y="{y:.0f}"/>' for x, y in self._waypoints(f))
            out.append(f'      <bpmndi:BPMNEdge id="{f.id}_di" bpmnElement="{f.id}">{points}</bpmndi:BPMNEdge>')
        for i, obj in enumerate(self.data_objects):
            out.append(f'      <bpmndi:BPMNShape id="{obj}_ref_di" bpmnElement="{obj}_ref">'
                       f'<dc:Bounds x="{140 + 60 * i}" y="10" width="36" height="50"/></bpmndi:BPMNShape>')
        out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>"]
        return out


def _ext(inner: str) -> str:
    return f"<bpmn:extensionElements>{inner}</bpmn:extensionElements>" if inner else ""


def _ext_first(body: str, refs: str) -> str:
    """BPMN's schema wants extensionElements first, then incoming/outgoing, then definitions."""
    if body.startswith("<bpmn:extensionElements>"):
        end = body.index("</bpmn:extensionElements>") + len("</bpmn:extensionElements>")
        return body[:end] + refs + body[end:]
    return refs + body


def _lane_id(lane: str) -> str:
    return "lane_" + "".join(c.lower() if c.isalnum() else "_" for c in lane).strip("_")


def form(title: str, fields: dict[str, dict[str, Any]], required: list[str]) -> dict[str, Any]:
    """A JSON Schema form in careflow's style (GOV.UK wording in ``errorMessage``)."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, "type": "object",
            "required": required, "additionalProperties": False, "properties": fields}
