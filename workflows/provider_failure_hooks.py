"""Case lifecycle hooks the runtime calls (one line each): generic, first needed by provider failure.

* ``apply_config_defaults``: a process with property ``configData`` starts with the values of that
  JSON file (beside the diagrams) under its process id; a start's own data wins. Timer durations
  and [CONFIG] values live there, not in the diagram.
* ``prepare_message_start``: a process with a plain and a message start event starts by exactly one
  of them (SpiffWorkflow would run the plain one as well when started by a message).
* ``summarise``: process property ``summaryFields`` names data copied into ``Instance.summary`` each
  step, so counts over thousands of cases are a query, never a deserialization.
* ``after_step``: an instance that ends with ``continueCase`` true continues in a fresh instance of
  the same case with its data (DESIGN.md decision 8); when the last open child case of a parent
  closes, the parent gets message ``person_cases_all_closed`` with the children's totals.
"""
from __future__ import annotations

import functools
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .data import to_json_safe
from .engine import correlation_key_from_request
from .models import Instance, MessageSubscription, ProcessVersion
from .spiff_bridge import StepContext, deliver_message

if TYPE_CHECKING:
    from .library import ProcessLibrary
    from .runtime import Runtime

ALL_CLOSED = "person_cases_all_closed"
RECHARGES = ("RECHARGE_ARRANGING_AUTHORITY", "RECHARGE_WELSH_LA", "RECHARGE_SCOTTISH_LA", "RECHARGE_NI_HSC_TRUST")


@functools.lru_cache(maxsize=32)
def _config(path: str, mtime: float) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def process_properties(version: ProcessVersion) -> dict[str, str]:
    return (version.element_properties or {}).get(version.process_id, {})


def apply_config_defaults(library: ProcessLibrary, version: ProcessVersion, data: dict[str, Any]) -> None:
    name = process_properties(version).get("configData")
    if not name or "/" in name or "\\" in name:
        return
    path = Path(library.bpmn_dir) / name
    if not path.is_file():
        return
    values = _config(str(path), path.stat().st_mtime).get(version.process_id) or {}
    for key, value in values.items():
        data.setdefault(key, json.loads(json.dumps(value)))  # a fresh copy per instance


def prepare_message_start(wf: BpmnWorkflow) -> None:
    """Run up to the start events and withdraw the plain ones, so only the message start runs."""
    for _ in range(3):
        ready = [t for t in wf.get_tasks(state=TaskState.READY) if not isinstance(t.task_spec, StartEvent)]
        if not ready:
            break
        for task in ready:
            task.run()
    for task in wf.get_tasks(state=TaskState.READY):
        if isinstance(task.task_spec, StartEvent):
            task.cancel()


def case_data(wf: BpmnWorkflow) -> dict[str, Any]:
    """The case's data where its work is: with parallel branches (a review loop beside the main
    path) the branch that has gathered the most data, not whichever task happens to be last."""
    from .engine import tasks_in

    candidates = tasks_in(wf, TaskState.READY) + tasks_in(wf, TaskState.WAITING)
    if wf.is_completed() or not candidates:
        candidates = [t for t in (wf.last_task,) if t is not None]
    if not candidates:
        return dict(wf.data)
    return dict(max(candidates, key=lambda t: len(t.data)).data)


def summarise(row: Instance, properties: dict[str, str], wf: BpmnWorkflow) -> None:
    names = [n.strip() for n in (properties.get("summaryFields") or "").split(",") if n.strip()]
    if not names:
        return
    values = case_data(wf)
    summary = to_json_safe({n: values.get(n) for n in names})
    if summary != row.summary:
        row.summary = summary


def after_step(runtime: Runtime, session: Session, row: Instance, wf: BpmnWorkflow) -> None:
    if row.status != "completed":
        return
    values = case_data(wf)
    if values.get("continueCase") is True:
        _continue_case(runtime, session, row, values)
    elif row.parent_case_reference:
        _maybe_close_parent(runtime, session, row)


def _continue_case(runtime: Runtime, session: Session, row: Instance, values: dict[str, Any]) -> None:
    carried = {k: v for k, v in values.items() if k != "continueCase"}
    carried["continuedFrom"] = row.id
    runtime._start_in(session, row.process_id, carried, actor="system", case_reference=row.case_reference,
                      parent_case_reference=row.parent_case_reference, title=row.title)


def children_query(parent: str, process_id: str | None = None) -> Any:
    query = select(Instance).where(Instance.parent_case_reference == parent)
    return query.where(Instance.process_id == process_id) if process_id else query


def _maybe_close_parent(runtime: Runtime, session: Session, row: Instance) -> None:
    parent = row.parent_case_reference
    if parent is None:
        return
    still_open = session.scalar(select(func.count()).select_from(Instance).where(
        Instance.parent_case_reference == parent, Instance.process_id == row.process_id,
        Instance.status != "completed"))
    if still_open:
        return
    key = correlation_key_from_request({"caseReference": parent})
    waiting = session.scalars(select(MessageSubscription.instance_id).where(
        MessageSubscription.message_name == ALL_CLOSED, MessageSubscription.correlation_key == key)).all()
    if not waiting:
        return
    payload = closed_totals(session, parent, row.process_id)
    for instance_id in dict.fromkeys(waiting):
        parent_row, wf = runtime._load(session, instance_id, lock=True)
        ctx = StepContext(parent_row.id, parent_row.case_reference, "system")
        ctx.audit.append({"action": "message_received", "data": {"message": ALL_CLOSED, "keys": {
            "caseReference": parent}, "payload": {k: v for k, v in payload.items() if k != "personCharges"}}})
        runtime._step(session, parent_row, wf, ctx, functools.partial(deliver_message, wf, ALL_CLOSED, payload))


def closed_totals(session: Session, parent: str, process_id: str) -> dict[str, Any]:
    """What the incident needs from its closed person cases: end reasons, last end, what to recover."""
    reasons: Counter[str] = Counter()
    recharges: dict[tuple[str, str], list[str | None]] = {}
    person_charges: list[str | None] = []  # a person reference, or None where a case had none
    last_end = None
    summaries = session.scalars(select(Instance.summary).where(
        Instance.parent_case_reference == parent, Instance.process_id == process_id)).all()
    for summary in summaries:
        summary = summary or {}
        reasons[str(summary.get("endReason"))] += 1
        ended = summary.get("personDutyEndedAt")
        if ended and (last_end is None or ended > last_end):
            last_end = ended
        charge = summary.get("chargeTo")
        if charge in RECHARGES:
            authority = summary.get("placingAuthorityName") or "unknown authority"
            recharges.setdefault((authority, charge), []).append(summary.get("personRef"))
        elif charge == "PERSON_ACTUAL_COST":
            person_charges.append(summary.get("personRef"))
    return {"personCasesClosed": len(summaries), "endReasons": dict(reasons), "lastPersonDutyEndedAt": last_end,
            "recharges": [{"authority": a, "chargeTo": c, "people": p} for (a, c), p in sorted(recharges.items())],
            "personCharges": person_charges}
