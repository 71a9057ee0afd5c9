"""The checks a diagram passes before the modeller stores it, each problem named by element.

One module, two users: the save API runs :func:`check_process` and refuses the whole save with
its list; the editor runs the same rules as a bpmnlint plugin (``app/static/src/lint/``) while
the process owner types. :data:`RULES` names every rule; :data:`EDITOR_RULES` those the plugin
carries too (a test keeps the two lists equal). Rules that need the server (the XML schema,
SpiffWorkflow's own parser, the Python sandbox's full check) run only here, at save.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from .errors import ProcessDefinitionError

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
B = f"{{{BPMN}}}"
S = f"{{{SPIFF}}}"

# rule id -> what it asks of a diagram (shown beside each problem in the editor)
RULES: dict[str, str] = {
    "well-formed-xml": "The file is well-formed XML without a DOCTYPE",
    "bpmn-schema": "The diagram is valid against the BPMN 2.0 schema",
    "spiff-parses": "SpiffWorkflow can load the diagram",
    "user-task-form": "Every user task's form exists",
    "service-task-handler": "Every service task names a registered handler",
    "business-rule-decision": "Every business rule task names a decision that exists",
    "expression-syntax": "Every script, condition and parameter parses in careflow's sandbox",
    "timer-syntax": "Every timer is an ISO 8601 text in quotes or an expression",
    "due-date-syntax": "Every dueIn is a duration (P5WD, PT4H) or expression; every dueDate a date or expression",
    "flow-ends": "Every sequence flow starts and ends at an element of its own process or sub-process",
    "gateway-conditions": "Every flow out of a deciding gateway has a condition or is the default",
    "no-unreachable": "Every element can be reached from a start event",
}
# Run in the browser by careflow's bpmnlint plugin as well as here.
EDITOR_RULES = frozenset({"user-task-form", "service-task-handler", "business-rule-decision", "timer-syntax",
                          "due-date-syntax", "gateway-conditions", "no-unreachable"})
SERVER_ONLY = frozenset(RULES) - EDITOR_RULES

ISO_DURATION = re.compile(r"^-?P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
WORKING_DAYS = re.compile(r"^P\d+WD$", re.IGNORECASE)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
ISO_CYCLE = re.compile(r"^R\d*/.+$")
FLOW_NODES = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
              "task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "transaction", "exclusiveGateway", "inclusiveGateway",
              "parallelGateway", "eventBasedGateway", "complexGateway"}
SPIFF_ARENA_FORM = "formJsonSchemaFilename"
# SpiffWorkflow's parser follows a diagram's flows recursively: past about 480 steps one after another it
# fails with Python's recursion limit. Refuse well before, saying so, rather than pass on its RecursionError.
MAX_STEPS_IN_A_ROW = 400


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: the element (when there is one), a plain message, the rule."""

    rule: str
    message: str
    element: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"element": self.element, "message": self.message, "rule": self.rule, "line": self.line}


@dataclass
class CheckContext:
    """What a diagram may refer to: handler names, decision ids, and a way to ask if a form exists."""

    handlers: Iterable[str]
    decisions: Iterable[str]
    form_exists: Callable[[str], bool]


def form_key_of(props: dict[str, str]) -> str | None:
    """careflow's ``formKey``, or the key spiff-arena's ``formJsonSchemaFilename`` names."""
    if props.get("formKey"):
        return props["formKey"]
    name = props.get(SPIFF_ARENA_FORM)
    if not name:
        return None
    for suffix in (".schema.json", "-schema.json", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def adopt_spiff_arena_forms(text: str) -> str:
    """A diagram drawn in spiff-arena names a user task's form by ``formJsonSchemaFilename``; careflow
    runs ``formKey``. Add the ``formKey`` it names where a task has none (the text is kept otherwise)."""
    if SPIFF_ARENA_FORM not in text:
        return text
    from .library import parse_xml

    try:
        root = parse_xml(text, "diagram.bpmn")
    except ProcessDefinitionError:
        return text  # the checks report it
    changed = False
    for group in root.iter(f"{S}properties"):
        props = {p.get("name"): p for p in group.findall(f"{S}property")}
        if SPIFF_ARENA_FORM in props and "formKey" not in props:
            key = form_key_of({SPIFF_ARENA_FORM: props[SPIFF_ARENA_FORM].get("value", "")})
            if key:
                etree.SubElement(group, f"{S}property", name="formKey", value=key)
                changed = True
    if not changed:
        return text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def properties_of(el: etree._Element) -> dict[str, str]:
    """An element's ``spiffworkflow:property`` values and Camunda's form and due attributes."""
    props: dict[str, str] = {}
    for attr, key in (("formKey", "formKey"), ("candidateGroups", "candidateGroup"), ("dueDate", "dueDate")):
        value = el.get(f"{{{CAMUNDA}}}{attr}")
        if value:
            props[key] = value
    ext = el.find(f"{B}extensionElements")
    if ext is not None:
        for prop in ext.findall(f"{S}properties/{S}property"):
            if prop.get("name"):
                props[prop.get("name") or ""] = prop.get("value", "")
    return props


def check_xml(text: str, filename: str) -> tuple[etree._Element | None, list[Problem]]:
    """Parse safely; a problem instead of the root when the text is not well-formed XML."""
    from .library import parse_xml

    try:
        root = parse_xml(text, filename)
    except ProcessDefinitionError as exc:
        return None, [Problem("well-formed-xml", exc.message, exc.element, exc.line)]
    return root, []


def check_schema(root: etree._Element, filename: str, text: str | None = None) -> list[Problem]:
    """The BPMN 2.0 XSD SpiffWorkflow validates against (with its own extension namespace)."""
    from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
    from SpiffWorkflow.spiff.parser.process import VALIDATOR

    from .library import parse_xml

    # The validator rewrites parts of the tree: it gets its own, parsed from the text so lines stay true.
    copy = parse_xml(text, filename) if text is not None else etree.fromstring(etree.tostring(root))
    try:
        VALIDATOR.validate(copy, filename)
    except ValidationException as exc:
        line = getattr(exc, "line_number", None)
        found = _element_at_line(root, line) if isinstance(line, int) else None
        return [Problem("bpmn-schema", f"Not valid BPMN: {exc.args[0] if exc.args else exc}", found, line)]
    return []


def _element_at_line(root: etree._Element, line: int) -> str | None:
    for el in root.iter():
        if isinstance(el.tag, str) and el.sourceline == line:
            owner = _owner(el)
            if owner is not None:
                return owner.get("id")
    return None


def _owner(el: etree._Element) -> etree._Element | None:
    node: etree._Element | None = el
    while node is not None and not (node.get("id") and etree.QName(node).namespace == BPMN):
        node = node.getparent()
    return node


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def check_elements(root: etree._Element, ctx: CheckContext) -> list[Problem]:
    """Every careflow rule that reads the diagram element by element (the editor's rules too)."""
    handlers, decisions = set(ctx.handlers), set(ctx.decisions)
    problems: list[Problem] = []
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).namespace != BPMN:
            continue
        kind, eid = _local(el), el.get("id")
        props = properties_of(el)
        if kind == "userTask":
            key = form_key_of(props)
            if key and not ctx.form_exists(key):
                problems.append(Problem("user-task-form", f"The form '{key}' does not exist", eid, el.sourceline))
        if kind in ("userTask", "manualTask"):
            problems.extend(_due_problems(props, eid, el.sourceline))
        if kind == "serviceTask":
            problems.extend(_service_problems(el, handlers))
        if kind == "businessRuleTask":
            called = el.find(f"{B}extensionElements/{S}calledDecisionId")
            name = (called.text or "").strip() if called is not None else (el.get(f"{{{CAMUNDA}}}decisionRef") or "")
            if not name:
                problems.append(Problem("business-rule-decision", "The business rule task names no decision",
                                        eid, el.sourceline))
            elif name not in decisions:
                problems.append(Problem("business-rule-decision", f"No decision table defines '{name}'",
                                        eid, el.sourceline))
        if kind == "timerEventDefinition":
            problems.extend(_timer_problems(el))
        if kind in ("exclusiveGateway", "inclusiveGateway"):
            problems.extend(_gateway_problems(root, el))
        if kind == "process" and props.get("caseTitle"):
            problems.extend(_expression("caseTitle", props["caseTitle"], "eval", eid, el.sourceline))
    problems.extend(_script_problems(root))
    problems.extend(dangling_flows(root))
    problems.extend(unreachable(root))
    return problems


def _expression(what: str, text: str, mode: str, element: str | None, line: int | None,
                rule: str = "expression-syntax") -> list[Problem]:
    from .expressions import ExpressionError, check_expression

    try:
        check_expression(text, mode=mode)
    except ExpressionError as exc:
        return [Problem(rule, f"The {what} cannot be run: {getattr(exc, 'reason', None) or exc}", element, line)]
    return []


def _due_problems(props: dict[str, str], eid: str | None, line: int | None) -> list[Problem]:
    due_in, due_date = props.get("dueIn", "").strip(), props.get("dueDate", "").strip()
    if due_in and not (ISO_DURATION.match(due_in) or WORKING_DAYS.match(due_in)):
        if _looks_iso(due_in) or _expression("dueIn", due_in, "eval", eid, line):
            return [Problem("due-date-syntax", f"dueIn '{due_in}' is neither a duration such as P5WD or PT4H "
                                               "nor an expression", eid, line)]
    if due_date and not ISO_DATE.match(due_date):
        if _expression("dueDate", due_date, "eval", eid, line):
            return [Problem("due-date-syntax", f"dueDate '{due_date}' is neither a date such as 2026-03-31 "
                                               "nor an expression", eid, line)]
    return []


def _looks_iso(text: str) -> bool:
    return bool(re.match(r"^P[0-9T]", text))


def _service_problems(el: etree._Element, handlers: set[str]) -> list[Problem]:
    eid, line = el.get("id"), el.sourceline
    operator = el.find(f"{B}extensionElements/{S}serviceTaskOperator")
    if operator is None or not operator.get("id"):
        return [Problem("service-task-handler", "The service task names no handler", eid, line)]
    problems = []
    if operator.get("id") not in handlers:
        problems.append(Problem("service-task-handler", f"No handler named '{operator.get('id')}' "
                                f"(registered: {', '.join(sorted(handlers)) or 'none'})", eid, line))
    for param in operator.iter(f"{S}parameter"):
        value = param.get("value")
        if value:
            problems.extend(_expression(f"parameter '{param.get('id')}'", value, "eval", eid, param.sourceline))
    return problems


def _timer_problems(definition: etree._Element) -> list[Problem]:
    owner = definition.getparent()
    eid = owner.get("id") if owner is not None else None
    problems = []
    for child in definition:
        kind = _local(child)
        if kind not in ("timeDuration", "timeDate", "timeCycle"):
            continue
        text = (child.text or "").strip()
        if not text:
            problems.append(Problem("timer-syntax", f"The timer's {kind} is empty", eid, child.sourceline))
            continue
        problems.extend(_timer_text(kind, text, eid, child.sourceline))
    return problems


def _timer_text(kind: str, text: str, eid: str | None, line: int | None) -> list[Problem]:
    pattern = {"timeDuration": ISO_DURATION, "timeDate": ISO_DATE, "timeCycle": ISO_CYCLE}[kind]
    if pattern.match(text) or (kind == "timeDuration" and WORKING_DAYS.match(text)):
        return [Problem("timer-syntax", f'Put the {kind} in quotes: "{text}" (without quotes it is read as a '
                                        "data name)", eid, line)]
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return [Problem("timer-syntax", f"The {kind} '{text}' is neither an ISO 8601 text in quotes nor an "
                                        "expression", eid, line)]
    body = tree.body
    if isinstance(body, ast.Constant) and isinstance(body.value, str):
        literal = body.value.strip()
        ok = pattern.match(literal) or (kind == "timeDuration" and WORKING_DAYS.match(literal))
        if not ok:
            return [Problem("timer-syntax", f"'{literal}' is not an ISO 8601 {_WORDS[kind]}", eid, line)]
        return []
    return _expression(kind, text, "eval", eid, line, rule="timer-syntax")


_WORDS = {"timeDuration": "duration such as P3D", "timeDate": "date such as 2026-03-31T09:00:00Z",
          "timeCycle": "cycle such as R3/P1D"}


def _gateway_problems(root: etree._Element, gateway: etree._Element) -> list[Problem]:
    process = gateway.getparent()
    if process is None:
        return []
    gid = gateway.get("id")
    outgoing = [f for f in process.findall(f"{B}sequenceFlow") if f.get("sourceRef") == gid]
    if len(outgoing) < 2:
        return []
    default = gateway.get("default")
    problems = []
    for flow in outgoing:
        has_condition = bool((flow.findtext(f"{B}conditionExpression") or "").strip())
        if not has_condition and flow.get("id") != default:
            label = flow.get("name") or flow.get("id")
            problems.append(Problem("gateway-conditions", f"The flow '{label}' out of this gateway has no condition "
                                    "and is not the default", gid, gateway.sourceline))
    return problems


def _script_problems(root: etree._Element) -> list[Problem]:
    problems = []
    for el in root.iter():
        kind = _local(el)
        mode = {"script": "exec", "preScript": "exec", "postScript": "exec", "conditionExpression": "eval"}.get(kind)
        if mode is None or not (el.text or "").strip():
            continue
        owner = _owner(el.getparent()) if el.getparent() is not None else None
        what = {"script": "script", "preScript": "pre-script", "postScript": "post-script",
                "conditionExpression": "condition"}[kind]
        problems.extend(_expression(what, el.text or "", mode, owner.get("id") if owner is not None else None,
                                    el.sourceline))
    return problems


def dangling_flows(root: etree._Element) -> list[Problem]:
    """Sequence flows naming a source or target that is not an element beside them (a missing attribute is
    the schema's problem). Otherwise only the elements cut off would be reported, never the flow itself."""
    problems = []
    for container in root.iter(f"{B}process", f"{B}subProcess", f"{B}transaction"):
        nodes = {el.get("id") for el in container if _local(el) in FLOW_NODES and el.get("id")}
        for flow in container.findall(f"{B}sequenceFlow"):
            for end, words in (("sourceRef", "starts at"), ("targetRef", "ends at")):
                ref = flow.get(end)
                if ref is not None and ref not in nodes:
                    problems.append(Problem("flow-ends", f"The sequence flow '{flow.get('name') or flow.get('id')}' "
                                            f"{words} '{ref}', which is not an element of this "
                                            f"{'process' if _local(container) == 'process' else 'sub-process'}",
                                            flow.get("id"), flow.sourceline))
    return problems


def _flow_graph(container: etree._Element) -> tuple[dict[str, etree._Element], dict[str, list[str]]]:
    """A process's or sub-process's flow elements by id, and each one's sequence-flow targets, in order."""
    nodes = {el.get("id"): el for el in container if _local(el) in FLOW_NODES and el.get("id")}
    flows: dict[str, list[str]] = {}
    for flow in container.findall(f"{B}sequenceFlow"):
        flows.setdefault(flow.get("sourceRef") or "", []).append(flow.get("targetRef") or "")
    return nodes, flows


def unreachable(root: etree._Element) -> list[Problem]:
    """Flow elements no path reaches from a start event (boundary events ride on their activity)."""
    problems = []
    for container in root.iter(f"{B}process", f"{B}subProcess", f"{B}transaction"):
        nodes, flows = _flow_graph(container)
        seen: set[str] = set()
        todo = [i for i, el in nodes.items() if _is_root(el)]
        while todo:
            current = todo.pop()
            if current in seen or current not in nodes:
                continue
            seen.add(current)
            todo.extend(flows.get(current, []))
            todo.extend(i for i, el in nodes.items() if _local(el) == "boundaryEvent"
                        and el.get("attachedToRef") == current)
        for eid, el in nodes.items():
            if eid not in seen:
                problems.append(Problem("no-unreachable", f"No path from a start event reaches "
                                        f"'{el.get('name') or eid}'", eid, el.sourceline))
    return problems


def too_long_paths(root: etree._Element) -> list[Problem]:
    """A path the engine's parser cannot follow: more than MAX_STEPS_IN_A_ROW steps deep, walked as it walks
    (depth first from each start, each element once)."""
    for container in root.iter(f"{B}process", f"{B}subProcess", f"{B}transaction"):
        nodes, flows = _flow_graph(container)
        seen: set[str] = set()
        for start in (i for i, el in nodes.items() if _is_root(el)):
            todo = [(start, 1)]
            while todo:
                current, depth = todo.pop()
                if current in seen or current not in nodes:
                    continue
                seen.add(current)
                if depth > MAX_STEPS_IN_A_ROW:
                    el = nodes[current]
                    return [Problem("spiff-parses", f"More than {MAX_STEPS_IN_A_ROW} steps follow one another from "
                                    f"'{nodes[start].get('name') or start}' to '{el.get('name') or current}': the "
                                    "engine cannot load a path that long. Move part of it into a sub-process or "
                                    "a called process.", current, el.sourceline)]
                todo.extend((target, depth + 1) for target in reversed(flows.get(current, [])))
    return []


def _is_root(el: etree._Element) -> bool:
    kind = _local(el)
    if kind == "startEvent":
        return True
    if kind == "subProcess" and el.get("triggeredByEvent") == "true":
        return True
    return el.get("isForCompensation") == "true"


def check_process(text: str, filename: str, ctx: CheckContext,
                  build: Callable[[str], None] | None = None) -> list[Problem]:
    """Every rule on one BPMN file; ``build`` (SpiffWorkflow's parse) runs when the rest pass."""
    root, problems = check_xml(text, filename)
    if root is None:
        return problems
    if _local(root) != "definitions":
        return [Problem("bpmn-schema", "The file is not a BPMN diagram (its root is not <definitions>)",
                        None, root.sourceline)]
    problems = check_schema(root, filename, text) + check_elements(root, ctx)
    if not problems:
        problems = too_long_paths(root)
    if not problems and build is not None:
        try:
            build(text)
        except ProcessDefinitionError as exc:
            problems.append(Problem("spiff-parses", exc.message, exc.element, exc.line))
    return problems
