"""BPMN as drawn: elements SpiffWorkflow does not run as a process owner means them.

Before SpiffWorkflow parses a diagram, :func:`prepare` gives it an equivalent it runs (on a copy
of the tree: the stored file, its hash and its ids stay as drawn), or refuses the element with a
reason, its id and its line. Nothing a modeller's palette offers passes validation and then
misbehaves quietly.

Rewritten (ids kept, so the case's diagram still lights up the drawn elements):

* link events: a throw continues at the catch of the same name in the same (sub-)process;
* signal end events: the signal is thrown, then the path ends;
* several flows, or conditional flows, straight out of an activity or event: an implicit split,
  made explicit with an inclusive (conditions) or parallel (none) gateway after the element;
* a process's timer start events: plain starts in the instance; careflow keeps their schedule
  (``workflows/start_timers.py``);
* timer texts written without quotes (``PT1S``, ``R3/P1D``, ``2026-04-01T09:00:00Z``): read as the
  ISO literal they are (a text that looks like one but is not is refused);
* compensation: handlers run after the throw, newest activity first (``workflows/compensation.py``).

Refused (see README's table for why): conditional events, ad hoc sub-processes, complex gateways,
send and receive tasks without a message, and data associations to anything but a data object or
data store.

After parsing, :func:`adjust_specs` lets a manual task (or a plain task) without a form pass
straight through, as other engines do; with a form it is a task in someone's inbox.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from lxml import etree

from .compensation import compensate, start_log
from .errors import ProcessDefinitionError

NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
B = f"{{{NS}}}"
SCOPES = (f"{B}process", f"{B}subProcess", f"{B}transaction", f"{B}adHocSubProcess")
# Elements that may be the source of an implicit split (BPMN 2.0 §10.5.1: activities and events).
SPLITTING = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
             "receiveTask", "subProcess", "transaction", "callActivity", "adHocSubProcess",
             "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}

_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
_LOOKS_ISO = re.compile(r"^(R\d*/|P\d|PT\d|\d{4}-\d{2}-\d{2})")

REFUSED = {
    "conditionalEventDefinition": (
        "Conditional events are not run by careflow: SpiffWorkflow checks the condition once, against the "
        "waiting branch's own data (parallel branches share none), so the event would wait for ever or fail. "
        "Use an exclusive gateway after the step that changes the data, or a message"),
    "adHocSubProcess": (
        "Ad hoc sub-processes are not run by careflow: the inbox cannot offer a choice of which task to do "
        "next. Draw the tasks after a parallel or inclusive gateway instead"),
    "complexGateway": (
        "Complex gateways are not run by careflow (SpiffWorkflow 3.2 has none). Use an inclusive gateway "
        "with conditions, or a parallel gateway"),
}


def prepare(root: etree._Element, filename: str) -> etree._Element:
    """A copy of ``root`` that SpiffWorkflow runs as drawn; raises ProcessDefinitionError for what it cannot."""
    from .start_timers import check as check_start_timers

    _refuse_unsupported(root, filename)
    _check_message_tasks(root, filename)
    _check_data_references(root, filename)
    check_start_timers(root, filename)
    tree = copy.deepcopy(root)
    _timer_starts(tree)
    logged: list[etree._Element] = []
    for scope in list(tree.iter(*SCOPES)):
        if compensate(scope, filename, _error, _add):
            process = next(scope.iterancestors(f"{B}process"), scope)
            if not any(p is process for p in logged):
                logged.append(process)
    for process in logged:
        start_log(process, _add)
    for scope in list(tree.iter(*SCOPES)):
        _link_events(scope, filename)
        _signal_end_events(scope)
        _implicit_splits(scope)
    _timer_literals(tree, filename)
    return tree


def _error(message: str, filename: str, el: etree._Element) -> ProcessDefinitionError:
    owner = el
    while owner is not None and (not owner.get("id") or _local(owner).endswith("EventDefinition")):
        owner = owner.getparent()
    return ProcessDefinitionError(message, file=filename, element=owner.get("id") if owner is not None else None,
                                  line=el.sourceline)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _refuse_unsupported(root: etree._Element, filename: str) -> None:
    for el in root.iter():
        local = _local(el)
        reason = REFUSED.get(local)
        if reason is not None:
            what = el.getparent() if local.endswith("EventDefinition") else el
            raise _error(f"{_local(what)} '{what.get('id')}': {reason}", filename, what)


def _check_message_tasks(root: etree._Element, filename: str) -> None:
    # SpiffWorkflow runs a send task without a message as a no-op and a receive task without one as
    # already received: both would pass quietly.
    for el in root.iter(f"{B}sendTask", f"{B}receiveTask"):
        if not el.get("messageRef") and el.find(f"{B}messageEventDefinition") is None:
            what = "sends" if _local(el) == "sendTask" else "waits for"
            raise _error(f"{_local(el)} '{el.get('id')}' {what} no message: choose the message it {what}",
                         filename, el)


def _check_data_references(root: etree._Element, filename: str) -> None:
    # SpiffWorkflow answers an association to anything but a data object with its raw XML, or (inside
    # a sub-process) loops for ever looking for the data object in the enclosing scopes.
    ids = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for assoc in root.iter(f"{B}dataInputAssociation", f"{B}dataOutputAssociation"):
        # The side outside the task: where an input comes from, where an output goes.
        outer = "sourceRef" if _local(assoc) == "dataInputAssociation" else "targetRef"
        for ref in assoc.iterchildren(f"{B}{outer}"):
            name = (ref.text or "").strip()
            target = ids.get(name)
            kind = _local(target) if target is not None else ""
            if target is not None and kind == "dataObjectReference" \
                    and _local(ids.get(target.get("dataObjectRef"), target)) == "dataObject":
                continue
            if target is not None and kind == "dataStoreReference" \
                    and _local(ids.get(target.get("dataStoreRef"), target)) == "dataStore":
                continue
            if kind == "dataObject":
                continue
            what = f"the {kind} '{name}'" if kind else f"'{name}', which is not in this diagram"
            raise _error(f"The data association '{assoc.get('id')}' connects to {what}: careflow connects tasks "
                         f"only to data objects and data stores (a process's own inputs and outputs are its "
                         f"case data)",
                         filename, ref)


def _children(scope: etree._Element, *locals_: str) -> Iterator[etree._Element]:
    for el in scope:
        if _local(el) in locals_:
            yield el


ARTIFACTS = {"textAnnotation", "association", "group"}


def _add(scope: etree._Element, local: str, **attrs: str) -> etree._Element:
    """A new flow element in ``scope``, before its artifacts (the schema wants flow elements first)."""
    el = etree.Element(f"{B}{local}", **attrs)
    artifact = next((c for c in scope if _local(c) in ARTIFACTS), None)
    if artifact is None:
        scope.append(el)
    else:
        artifact.addprevious(el)
    return el


def _flow(scope: etree._Element, flow_id: str, source: str, target: str) -> etree._Element:
    return _add(scope, "sequenceFlow", id=flow_id, sourceRef=source, targetRef=target)


def _link_name(event: etree._Element) -> str | None:
    definition = event.find(f"{B}linkEventDefinition")
    if definition is None:
        return None
    return (definition.get("name") or event.get("name") or "").strip()


def _link_events(scope: etree._Element, filename: str) -> None:
    throws = [e for e in _children(scope, "intermediateThrowEvent") if _link_name(e) is not None]
    catches: dict[str, etree._Element] = {}
    for event in _children(scope, "intermediateCatchEvent"):
        name = _link_name(event)
        if name is None:
            continue
        if not name:
            raise _error(f"Link catch event '{event.get('id')}' has no name: a link throw finds its catch by name",
                         filename, event)
        if name in catches:
            raise _error(f"Two link catch events are named '{name}' ('{catches[name].get('id')}' and "
                         f"'{event.get('id')}'): a link throw must find exactly one", filename, event)
        catches[name] = event
    for event in throws:
        name = _link_name(event) or ""
        target = catches.get(name)
        if target is None:
            raise _error(f"Link throw event '{event.get('id')}' goes to link '{name}', but no link catch event of "
                         f"that name is in the same {_local(scope)}", filename, event)
        event.remove(event.find(f"{B}linkEventDefinition"))
        _flow(scope, f"{event.get('id')}__link", event.get("id"), target.get("id"))
    for event in catches.values():
        # A catch reached by a link is a pass-through point: an intermediate event without a definition.
        event.remove(event.find(f"{B}linkEventDefinition"))
        event.tag = f"{B}intermediateThrowEvent"


def _signal_end_events(scope: etree._Element) -> None:
    for event in list(_children(scope, "endEvent")):
        if event.find(f"{B}signalEventDefinition") is None:
            continue
        end_id = f"{event.get('id')}__end"
        event.tag = f"{B}intermediateThrowEvent"
        _add(scope, "endEvent", id=end_id)
        _flow(scope, f"{event.get('id')}__ended", event.get("id"), end_id)


def _implicit_splits(scope: etree._Element) -> None:
    flows = list(_children(scope, "sequenceFlow"))
    outgoing: dict[str, list[etree._Element]] = {}
    for flow in flows:
        outgoing.setdefault(flow.get("sourceRef", ""), []).append(flow)
    for el in list(scope):
        local = _local(el)
        if local not in SPLITTING:
            continue
        out = outgoing.get(el.get("id", ""), [])
        conditional = [f for f in out if f.find(f"{B}conditionExpression") is not None]
        if len(out) < 2 and not conditional:
            continue
        source = el.get("id")
        gateway_id = f"{source}__split"
        kind = "inclusiveGateway" if conditional or el.get("default") else "parallelGateway"
        gateway = _add(scope, kind, id=gateway_id)
        default = el.attrib.pop("default", None)
        if default:
            gateway.set("default", default)
        for flow in out:
            flow.set("sourceRef", gateway_id)
            if kind == "inclusiveGateway" and flow.get("id") != default \
                    and flow.find(f"{B}conditionExpression") is None:
                condition = etree.SubElement(flow, f"{B}conditionExpression")
                condition.text = "True"  # an unconditional flow of an implicit split always runs
        _flow(scope, f"{source}__to_split", source, gateway_id)


def _timer_starts(tree: etree._Element) -> None:
    # careflow runs a process's timer start events itself (workflows/start_timers.py): in the instance
    # they are plain starts, so a firing starts one instance that runs at once.
    for process in tree.iter(f"{B}process"):
        for event in process.iterchildren(f"{B}startEvent"):
            definition = event.find(f"{B}timerEventDefinition")
            if definition is not None:
                event.remove(definition)


def _timer_literals(tree: etree._Element, filename: str) -> None:
    for el in tree.iter(f"{B}timeDuration", f"{B}timeDate", f"{B}timeCycle"):
        text = (el.text or "").strip()
        if not text or not _LOOKS_ISO.match(text):
            continue  # quoted text or an expression: the engine evaluates it
        problem = iso_timer_problem(_local(el), text)
        if problem:
            raise _error(f"{_local(el)} '{text}' {problem}", filename, el)
        el.text = repr(text)


def iso_timer_problem(kind: str, text: str) -> str | None:
    """Why ``text`` is not an ISO 8601 value for a timer of ``kind`` (None when it is)."""
    if kind == "timeCycle":
        if not text.startswith("R"):
            return "is not a repeating interval such as R3/PT1H or R/P1D"
        count, _, rest = text[1:].partition("/")
        parts = rest.split("/") if rest else []
        if (count and not count.isdigit()) or not 1 <= len(parts) <= 2:
            return "is not a repeating interval such as R3/PT1H or R/P1D"
        for part in parts:
            if not (_is_duration(part) or _is_datetime(part)):
                return f"is not a repeating interval: '{part}' is neither a duration nor a date-time"
        if not any(_is_duration(p) for p in parts):
            return "is not a repeating interval: it has no duration between repetitions"
        return None
    if kind == "timeDuration":
        return None if _is_duration(text) else "is not an ISO 8601 duration such as PT1S, P3D or P1M"
    return None if _is_datetime(text) else "is not an ISO 8601 date-time such as 2026-04-01T09:00:00Z"


def _is_duration(text: str) -> bool:
    # SpiffWorkflow's timers read ISO durations; careflow's working days (P5WD) only in dueIn and start timers.
    return bool(_DURATION.match(text))


def _is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def adjust_specs(specs: Iterable[Any], properties: dict[str, dict[str, str]]) -> None:
    """A manual or plain task without a form runs at once; with one it waits in an inbox."""
    from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
    from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask

    for spec in specs:
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, (ManualTask, NoneTask)) and task_spec.manual:
                task_spec.manual = bool(properties.get(task_spec.bpmn_id, {}).get("formKey"))


def scoped_ids(root: etree._Element) -> dict[str, etree._Element]:
    """The ids SpiffWorkflow keeps in one namespace across every file parsed together: processes and
    sub-processes (each becomes a spec of its own)."""
    return {el.get("id"): el for el in root.iter(f"{B}process", *SCOPES[1:]) if el.get("id")}


def check_unique_ids(files: dict[str, etree._Element], others: dict[str, etree._Element] | None = None) -> None:
    """Refuse a process or sub-process id used twice across the files (``others``: already deployed ones,
    by file name), naming both places: SpiffWorkflow would keep only one of them."""
    seen: dict[str, tuple[str, etree._Element]] = {}
    for filename, root in [*(others or {}).items(), *files.items()]:
        for element_id, el in scoped_ids(root).items():
            if element_id in seen and seen[element_id][0] != filename and filename in files:
                first_file, first = seen[element_id]
                raise _error(f"The id '{element_id}' ({_local(el)}) is already used by a {_local(first)} in "
                             f"{first_file} (line {first.sourceline}); processes and sub-processes need ids "
                             f"unique across all diagrams: rename one of them", filename, el)
            seen.setdefault(element_id, (filename, el))
