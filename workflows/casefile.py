"""What every case has, whatever its procedure: its data, summary, configuration and continuation.

* :func:`case_data` is the one answer to "what is this case's data now": the title, the summary,
  the API and the procedures' hooks all read it.
* ``configData``: a process with this property starts with the values of that JSON file (beside
  the diagrams) under its process id, as its version pinned them; a start's own data wins. Timer
  durations and [CONFIG] values live there, not in the diagram.
* ``summaryFields``: data copied into ``Instance.summary`` each step, so counts over thousands of
  cases are a query, never a deserialization. ``reviewPlan.nextReviewAt`` reads inside a value the
  case holds as a whole and is summarised under its last name (``nextReviewAt``).
* ``continueCase``: an instance that ends with it true continues in a fresh instance of the same
  case, with its data (DESIGN.md decision 8).
* A process with a plain and a message start event starts by exactly one of them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from .data import to_json_safe
from .engine import reached_end, tasks_in
from .models import Instance, ProcessVersion

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .library import ProcessLibrary


def process_properties(version: ProcessVersion) -> dict[str, str]:
    return (version.element_properties or {}).get(version.process_id, {})


def apply_config_defaults(library: ProcessLibrary, session: Session, version: ProcessVersion,
                          data: dict[str, Any]) -> None:
    """Start values from the ``configData`` section the version pinned; a start's own data wins."""
    for key, value in library.config_data(session, version).items():
        data.setdefault(key, value)  # config_data hands out a fresh copy per call


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
    """The case's data where its work is: of its open, waiting or failed tasks, the one that has
    gathered the most data (with parallel branches, e.g. a review loop beside the main path, not
    whichever happens to be last); where it ended when nothing is open. Data objects' values are part
    of it, by the data object's id."""
    candidates = [] if reached_end(wf) else tasks_in(wf, TaskState.READY | TaskState.WAITING | TaskState.ERROR)
    if not candidates and wf.last_task is not None:
        candidates = [wf.last_task]
    data = dict(wf.data) if not candidates else dict(max(candidates, key=lambda t: len(t.data)).data)
    data.pop("data_objects", None)
    for each in [wf, *wf.subprocesses.values()]:  # data objects: one value per instance, shown by name
        for name, value in (getattr(each, "data_objects", None) or {}).items():
            if value is not None:
                data[name] = value
    return data


def _dig(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def summarise(row: Instance, properties: dict[str, str], data: dict[str, Any]) -> None:
    names = [n.strip() for n in (properties.get("summaryFields") or "").split(",") if n.strip()]
    if not names:
        return
    summary = to_json_safe({n.rsplit(".", 1)[-1]: _dig(data, n) for n in names})
    if summary != row.summary:
        row.summary = summary


def case_title(expression: str, data: dict[str, Any]) -> str | None:
    """The case's title from the process's ``caseTitle`` expression (e.g. the person's name)."""
    from .expressions import evaluate_expression

    try:
        value = evaluate_expression(expression, dict(data))
    except Exception:  # noqa: BLE001  data not there yet: keep the title as it is
        return None
    return str(value)[:300] if value not in (None, "") else None


def continues(data: dict[str, Any]) -> bool:
    return data.get("continueCase") is True


def carried_over(row: Instance, data: dict[str, Any]) -> dict[str, Any]:
    """The data a continued case starts its fresh instance with."""
    carried = {k: v for k, v in data.items() if k != "continueCase"}
    carried["continuedFrom"] = row.id
    return carried
