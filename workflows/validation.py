"""Checks on a diagram's XML that SpiffWorkflow makes late or with misleading messages.

A flow to a missing id passes SpiffWorkflow's loading and fails later without a line number
(ENGINE_NOTES.md pitfall 6); here it is named with its element and line. Scripts and
conditions are checked by the sandbox before anything runs.
"""
from __future__ import annotations

from lxml import etree

from .errors import ProcessDefinitionError

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
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
