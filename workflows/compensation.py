"""Compensation, rewritten into flow SpiffWorkflow runs (it has no compensation of its own).

As drawn: an activity with a compensation boundary event, associated to its handler (an activity
marked "for compensation"); a compensation throw (intermediate or end event, optionally naming one
activity with ``activityRef``) in the same process or sub-process. As run:

* after each compensable activity completes, its id is added to the case's ``compensationLog``
  (started empty at the process's start events);
* the throw is followed by each handler in turn, newest activity first (the reverse of the order
  the activities are drawn along the flow), each behind a gateway that runs it only when its
  activity is in the log; then the path goes on (or ends, for an end event). Compensation waits
  for the handlers, as BPMN's default ``waitForCompletion`` does.

Refused with a reason: a handler without its boundary event (or the reverse), a handler run by two
throws, compensation of activities in another (sub-)process, and compensation event sub-processes.
Activities in parallel branches are compensated only if their branch's data reached the throw.
"""
from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from .errors import ProcessDefinitionError

NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
B = f"{{{NS}}}"
DEFINITION = f"{B}compensateEventDefinition"
LOG = "compensationLog"

Error = Callable[[str, str, etree._Element], ProcessDefinitionError]
Add = Callable[..., etree._Element]


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def compensate(scope: etree._Element, filename: str, error: Error, add: Add) -> bool:
    """Rewrite the compensation of one (sub-)process; True when the case needs a ``compensationLog``."""
    boundaries = [b for b in scope.iterchildren(f"{B}boundaryEvent") if b.find(DEFINITION) is not None]
    throws = [e for e in scope.iterchildren(f"{B}intermediateThrowEvent", f"{B}endEvent")
              if e.find(DEFINITION) is not None]
    flagged = [el for el in scope if isinstance(el.tag, str) and el.get("isForCompensation") == "true"]
    for start in scope.iterchildren(f"{B}startEvent"):
        if start.find(DEFINITION) is not None:
            raise error(f"Compensation event sub-process '{scope.get('id')}' is not run by careflow: draw the "
                        f"handler as an activity associated to a compensation boundary event", filename, start)
    if not (boundaries or throws or flagged):
        return False
    ids = {el.get("id"): el for el in scope if isinstance(el.tag, str) and el.get("id")}
    targets = {a.get("sourceRef"): a.get("targetRef") for a in scope.iterchildren(f"{B}association")}
    pairs: list[tuple[etree._Element, etree._Element]] = []
    for boundary in boundaries:
        activity, handler = ids.get(boundary.get("attachedToRef")), ids.get(targets.get(boundary.get("id")))
        if activity is None or handler is None or handler.get("isForCompensation") != "true":
            raise error(f"Compensation boundary event '{boundary.get('id')}' needs an association to its handler: "
                        f"an activity marked 'for compensation' in the same process", filename, boundary)
        pairs.append((activity, handler))
    handled = {h.get("id") for _, h in pairs}
    for el in flagged:
        if el.get("id") not in handled:
            raise error(f"Compensation handler '{el.get('id')}' has no compensation boundary event associated to "
                        f"it, so nothing would ever run it", filename, el)
    order = _flow_order(scope)
    pairs.sort(key=lambda pair: order.get(pair[0].get("id", ""), -1), reverse=True)
    for boundary in boundaries:
        scope.remove(boundary)
    for association in list(scope.iterchildren(f"{B}association")):
        if association.get("sourceRef") in {b.get("id") for b in boundaries}:
            scope.remove(association)
    for _, handler in pairs:
        del handler.attrib["isForCompensation"]
    for activity, _ in pairs:
        _after(scope, activity, add, "scriptTask", f"{activity.get('id')}__compensable",
               f'{LOG} = {LOG} + ["{activity.get("id")}"]')
    taken: set[str] = set()
    for throw in throws:
        ref = throw.find(DEFINITION).get("activityRef")
        if ref and ref not in ids:
            raise error(f"Compensation throw '{throw.get('id')}' names activity '{ref}', which is not in the same "
                        f"process or sub-process", filename, throw)
        chosen = [(a, h) for a, h in pairs if not ref or a.get("id") == ref]
        for _, handler in chosen:
            if handler.get("id") in taken:
                raise error(f"Two compensation throws would both run handler '{handler.get('id')}': careflow runs "
                            f"a handler from one throw (name the activity with activityRef)", filename, throw)
            taken.add(handler.get("id", ""))
        _chain(scope, throw, chosen, add)
    return bool(pairs)


def start_log(process: etree._Element, add: Add) -> None:
    """Start every case of ``process`` with an empty compensation log."""
    for start in list(process.iterchildren(f"{B}startEvent")):
        _after(process, start, add, "scriptTask", f"{start.get('id')}__compensation_log", f"{LOG} = []")


def _after(scope: etree._Element, element: etree._Element, add: Add, kind: str, new_id: str,
           script: str) -> None:
    """Put a script task straight after ``element``: its outgoing flows leave from the script instead."""
    for flow in scope.iterchildren(f"{B}sequenceFlow"):
        if flow.get("sourceRef") == element.get("id"):
            flow.set("sourceRef", new_id)
    task = add(scope, kind, id=new_id)
    etree.SubElement(task, f"{B}script").text = script
    add(scope, "sequenceFlow", id=f"{new_id}__in", sourceRef=element.get("id"), targetRef=new_id)


def _chain(scope: etree._Element, throw: etree._Element, chosen: list[tuple[etree._Element, etree._Element]],
           add: Add) -> None:
    throw.remove(throw.find(DEFINITION))
    throw_id = throw.get("id", "")
    if _local(throw) == "endEvent":
        throw.tag = f"{B}intermediateThrowEvent"
        add(scope, "endEvent", id=f"{throw_id}__end")
        add(scope, "sequenceFlow", id=f"{throw_id}__ended", sourceRef=throw_id, targetRef=f"{throw_id}__end")
    outgoing = [f for f in scope.iterchildren(f"{B}sequenceFlow") if f.get("sourceRef") == throw_id]
    previous = throw_id
    for activity, handler in chosen:
        handler_id = handler.get("id")
        check, merged = f"{handler_id}__if_done", f"{handler_id}__done"
        gateway = add(scope, "exclusiveGateway", id=check, default=f"{check}__skip")
        add(scope, "exclusiveGateway", id=merged)
        add(scope, "sequenceFlow", id=f"{check}__in", sourceRef=previous, targetRef=check)
        run = add(scope, "sequenceFlow", id=f"{check}__run", sourceRef=check, targetRef=handler_id)
        etree.SubElement(run, f"{B}conditionExpression").text = f'"{activity.get("id")}" in {LOG}'
        add(scope, "sequenceFlow", id=f"{check}__skip", sourceRef=check, targetRef=merged)
        add(scope, "sequenceFlow", id=f"{handler_id}__out", sourceRef=handler_id, targetRef=merged)
        previous = merged
        del gateway
    for flow in outgoing:
        flow.set("sourceRef", previous)


def _flow_order(scope: etree._Element) -> dict[str, int]:
    """Elements numbered in the order a token meets them from the start events (breadth first)."""
    nexts: dict[str, list[str]] = {}
    for flow in scope.iterchildren(f"{B}sequenceFlow"):
        nexts.setdefault(flow.get("sourceRef", ""), []).append(flow.get("targetRef", ""))
    queue = [s.get("id", "") for s in scope.iterchildren(f"{B}startEvent")]
    order: dict[str, int] = {}
    while queue:
        current = queue.pop(0)
        if current in order:
            continue
        order[current] = len(order)
        queue.extend(nexts.get(current, []))
    return order
