"""What changed between two versions of a diagram: elements added, removed and changed, and for a
changed element which properties (name, form, due date, handler, condition, timer ...) and how."""
from __future__ import annotations

from typing import Any

from lxml import etree

from .library import parse_xml
from .model_checks import BPMN, B, S, properties_of

IGNORED = {"incoming", "outgoing", "flowNodeRef", "extensionElements", "laneSet", "lane", "definitions",
           "collaboration", "participant"}
DEFAULTS = {"cancelActivity": "true", "triggeredByEvent": "false", "isInterrupting": "true"}
ATTRIBUTES = ("name", "sourceRef", "targetRef", "default", "attachedToRef", "cancelActivity", "calledElement",
              "messageRef", "isExecutable", "triggeredByEvent", "isInterrupting")


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def describe(el: etree._Element) -> dict[str, str]:
    """An element's comparable properties, flattened to ``name -> text``."""
    out: dict[str, str] = {}
    for attr in ATTRIBUTES:
        value = el.get(attr)
        if value is not None and DEFAULTS.get(attr) != value:  # a default written out is no change
            out[attr] = value
    for key, value in properties_of(el).items():
        out[f"property {key}"] = value
    ext = el.find(f"{B}extensionElements")
    if ext is not None:
        called = ext.find(f"{S}calledDecisionId")
        if called is not None:
            out["decision"] = (called.text or "").strip()
        operator = ext.find(f"{S}serviceTaskOperator")
        if operator is not None:
            out["handler"] = operator.get("id") or ""
            for param in operator.iter(f"{S}parameter"):
                out[f"parameter {param.get('id')}"] = param.get("value") or ""
        for tag in ("preScript", "postScript"):
            found = ext.find(f"{S}{tag}")
            if found is not None:
                out[tag] = (found.text or "").strip()
    for child in el.iter():
        kind = _local(child)
        if kind in ("conditionExpression", "script", "timeDuration", "timeDate", "timeCycle"):
            out[kind] = (child.text or "").strip()
        if kind.endswith("EventDefinition") and child is not el:
            out.setdefault("event", kind[: -len("EventDefinition")])
            if child.get("messageRef"):
                out["message"] = child.get("messageRef") or ""
    return out


def elements(root: etree._Element) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).namespace != BPMN or not el.get("id"):
            continue
        kind = _local(el)
        if kind in IGNORED or kind.endswith("EventDefinition"):  # an event's definition is part of the event
            continue
        found[el.get("id") or ""] = {"id": el.get("id"), "type": kind, "name": el.get("name"),
                                     "properties": describe(el)}
    return found


def compare(old_xml: str, new_xml: str) -> dict[str, Any]:
    """``{added, removed, changed}``; each changed element lists ``{name, from, to}`` per property."""
    old, new = elements(parse_xml(old_xml, "from.bpmn")), elements(parse_xml(new_xml, "to.bpmn"))
    added = [_brief(new[i]) for i in new if i not in old]
    removed = [_brief(old[i]) for i in old if i not in new]
    changed = []
    for element_id in new:
        if element_id not in old:
            continue
        before, after = old[element_id]["properties"], new[element_id]["properties"]
        diffs = [{"name": key, "from": before.get(key), "to": after.get(key)}
                 for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]
        if old[element_id]["type"] != new[element_id]["type"]:
            diffs.insert(0, {"name": "type", "from": old[element_id]["type"], "to": new[element_id]["type"]})
        if diffs:
            changed.append({**_brief(new[element_id]), "changes": diffs})
    return {"added": added, "removed": removed, "changed": changed}


def _brief(entry: dict[str, Any]) -> dict[str, Any]:
    return {"id": entry["id"], "type": entry["type"], "name": entry["name"]}
