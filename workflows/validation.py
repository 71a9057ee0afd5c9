"""Checks on a diagram's XML that SpiffWorkflow makes late or with misleading messages.

A flow to a missing id passes SpiffWorkflow's loading and fails later without a line number
(ENGINE_NOTES.md pitfall 6); here it is named with its element and line. Scripts and
conditions are checked by the sandbox before anything runs; timer texts and due dates
(``dueIn``, ``dueDate``) are read with the runtime's duration library, so one that cannot be
read is refused now rather than leaving a case without its deadline later.
"""
from __future__ import annotations

import ast
from typing import Any

from lxml import etree

from .errors import ProcessDefinitionError
from .service_tasks import ParameterCheck

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
TIMER_TAGS = ("timeDuration", "timeDate", "timeCycle")
# Every place a diagram holds an expression is parsed before anything runs (not only conditions).
SCRIPT_TAGS = {"script": "exec", "conditionExpression": "eval", "loopCardinality": "eval",
               "completionCondition": "eval", "loopCondition": "eval"}


def check_process_xml(root: etree._Element, filename: str) -> None:
    """Raise ProcessDefinitionError for the first structural or expression error found."""
    if etree.QName(root).localname != "definitions":
        raise ProcessDefinitionError("The file is not a BPMN diagram (its root element is not <definitions>)",
                                     file=filename, element=etree.QName(root).localname, line=root.sourceline)
    for process in root.iter(f"{BPMN}process", f"{BPMN}subProcess"):
        ids = {el.get("id") for el in process if isinstance(el.tag, str) and el.get("id")}
        for flow in process.iterchildren(f"{BPMN}sequenceFlow"):
            for attr in ("sourceRef", "targetRef"):
                ref = flow.get(attr)
                if not ref:
                    raise ProcessDefinitionError(f"Sequence flow has no {attr}", file=filename,
                                                 element=flow.get("id"), line=flow.sourceline)
                if ref not in ids:
                    raise ProcessDefinitionError(
                        f"Sequence flow '{flow.get('id')}' points at '{ref}', which is not in process "
                        f"'{process.get('id')}'", file=filename, element=flow.get("id"), line=flow.sourceline)
    _check_expressions(root, filename)
    _check_times(root, filename)
    _check_cardinality(root, filename)


def _check_cardinality(root: etree._Element, filename: str) -> None:
    """A literal multi-instance cardinality above the runtime's limit can never run: refuse it now."""
    from .multi_instance import DEFAULT_MAX_INSTANCES

    for el in root.iter(f"{BPMN}loopCardinality"):
        text = (el.text or "").strip()
        if text.isdigit() and int(text) > DEFAULT_MAX_INSTANCES:
            owner = el.getparent().getparent() if el.getparent() is not None else None
            raise ProcessDefinitionError(
                f"Multi-instance cardinality {text} is above the limit of {DEFAULT_MAX_INSTANCES} instances",
                file=filename, element=owner.get("id") if owner is not None else None, line=el.sourceline)


def _check_expressions(root: etree._Element, filename: str) -> None:
    try:
        from .expressions import ExpressionError, check_expression
    except ImportError:  # the sandbox module is optional for this check
        return
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        mode = SCRIPT_TAGS.get(local)
        text = el.text or ""
        if local in ("preScript", "postScript"):
            mode = "exec"
        elif local == "parameter" and el.get("value") is not None:  # a service task's input
            mode, text = "eval", el.get("value") or ""
        if mode is None or not text.strip():
            continue
        owner = el.getparent()  # the BPMN element it belongs to (not an extension's own id)
        while owner is not None and not (owner.get("id") and str(owner.tag).startswith(BPMN)):
            owner = owner.getparent()
        try:
            check_expression(text, mode=mode)
        except ExpressionError as exc:
            line = el.sourceline
            offset = getattr(exc, "line_number", None)
            if offset:
                line = (el.sourceline or 0) + offset - 1
            raise ProcessDefinitionError(f"{local} cannot be run: {getattr(exc, 'reason', exc)}", file=filename,
                                         element=owner.get("id") if owner is not None else None,
                                         line=line) from None


def _owner_id(el: etree._Element) -> str | None:
    """The BPMN element a timer text or property belongs to: the event or task, not its event
    definition or an extension element (those may carry ids of their own)."""
    owner = el.getparent()
    while owner is not None and not (owner.get("id") and str(owner.tag).startswith(BPMN)
                                     and not etree.QName(owner).localname.endswith("EventDefinition")):
        owner = owner.getparent()
    return owner.get("id") if owner is not None else None


def _literal(text: str) -> str | None:
    """The literal a timer or due-date text stands for: unquoted ISO text, or a quoted string."""
    from .timeutil import LOOKS_LIKE_DURATION

    if LOOKS_LIKE_DURATION.match(text) or (text[:4].isdigit() and text[4:5] == "-"):
        return text
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value.strip() if isinstance(value, str) else None


def check_time_text(kind: str, text: str | None) -> None:
    """Raise ValueError unless ``text`` can give a time of this kind (timeDuration, timeDate, timeCycle,
    dueIn, dueDate): a literal must parse; anything else must be an expression the sandbox accepts."""
    from .timeutil import as_utc_datetime, check_duration_or_cycle, parse_duration, timer_date

    text = (text or "").strip()
    if not text:
        raise ValueError("it is empty")
    literal = _literal(text)
    if literal is None:
        from .expressions import ExpressionError, check_expression

        try:
            check_expression(text, mode="eval")
        except ExpressionError as exc:
            raise ValueError(f"'{text}' is neither a {kind} nor an expression: {getattr(exc, 'reason', exc)}") \
                from None
        return
    checks: dict[str, Any] = {"timeDuration": parse_duration, "timeCycle": check_duration_or_cycle,
                              "timeDate": timer_date, "dueDate": as_utc_datetime}
    if kind == "dueIn":
        try:
            parse_duration(literal)
        except ValueError:
            as_utc_datetime(literal)  # a dueIn may also name the date itself
        return
    checks[kind](literal)


def _check_times(root: etree._Element, filename: str) -> None:
    found: list[tuple[str, str | None, etree._Element]] = []
    for tag in TIMER_TAGS:
        found.extend((tag, el.text, el) for el in root.iter(f"{BPMN}{tag}"))
    for prop in root.iter(f"{SPIFF}property"):
        if prop.get("name") in ("dueIn", "dueDate"):
            found.append((str(prop.get("name")), prop.get("value"), prop))
    for el in root.iter():
        if isinstance(el.tag, str) and el.get(f"{CAMUNDA}dueDate"):
            found.append(("dueDate", el.get(f"{CAMUNDA}dueDate"), el))
    for kind, text, el in found:
        try:
            check_time_text(kind, text)
        except (ValueError, TypeError) as exc:
            element = el.get("id") if kind == "dueDate" and el.get("id") else _owner_id(el)
            label = {"timeDuration": "timer duration", "timeDate": "timer date", "timeCycle": "timer cycle"}
            raise ProcessDefinitionError(f"The {label.get(kind, kind)} cannot be read: {exc}", file=filename,
                                         element=element, line=el.sourceline) from None


def literal_parameters(operator: etree._Element) -> dict[str, Any]:
    """A service task's parameters whose value is a literal (``'M1_ProviderFailureAlert'``), by id."""
    out: dict[str, Any] = {}
    for param in operator.iter(f"{SPIFF}parameter"):
        try:
            out[str(param.get("id"))] = ast.literal_eval((param.get("value") or "").strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue  # an expression: its value is known only when the task runs
    return out


def check_service_parameters(root: etree._Element, filename: str, check: ParameterCheck) -> None:
    """Raise ProcessDefinitionError naming the task when its handler refuses a literal parameter."""
    for operator in root.iter(f"{SPIFF}serviceTaskOperator"):
        literals = literal_parameters(operator)
        problems = check(str(operator.get("id") or ""), literals) if literals else []
        if problems:
            task = _owner_id(operator)
            raise ProcessDefinitionError(f"Service task '{task}': {'; '.join(problems)}", file=filename,
                                         element=task, line=operator.sourceline)
