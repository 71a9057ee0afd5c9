"""Bounds on multi-instance activities (DESIGN.md decision 11): how many instances one may create.

A diagram's cardinality or input collection comes from case data, so a mistake (or a hostile list)
could ask for millions of instances in one step. Above the runtime's limit the step becomes an
incident naming the activity and the number; a literal cardinality above it is refused when the
diagram is validated. Completing the instances of a parallel multi-instance costs the same for
each one: SpiffWorkflow rescans every instance after each completion, which makes completing all
of them quadratic, so "all done" is counted instead.
"""
from __future__ import annotations

from collections.abc import Sized
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import (
    MultiInstanceTask,
    ParallelMultiInstanceTask,
    SequentialMultiInstanceTask,
)

DEFAULT_MAX_INSTANCES = 5_000


def planned_instances(spec: MultiInstanceTask, my_task: Any) -> int | None:
    """How many instances the activity is about to create (None when it cannot tell)."""
    if spec.data_input is not None:
        items = spec.data_input.get(my_task) if spec.data_input.exists(my_task) else None
        return len(items) if isinstance(items, Sized) else None
    if spec.cardinality:
        value = my_task.workflow.script_engine.evaluate(my_task, spec.cardinality)
        return value if isinstance(value, int) else None
    return None


def _check(spec: MultiInstanceTask, my_task: Any) -> None:
    limit = getattr(my_task.workflow.script_engine, "max_instances", DEFAULT_MAX_INSTANCES)
    # Before the hook the task has not taken its parent's data yet: read what it is about to take.
    count = planned_instances(spec, my_task.parent if my_task.parent is not None else my_task)
    if count is not None and count > limit:
        raise WorkflowTaskException(
            f"'{spec.bpmn_name or spec.bpmn_id}' would create {count} instances; the limit is {limit}. "
            f"Check the list or number it runs over", task=my_task)


def _bounded(original: Any) -> Any:
    def update_hook(self: MultiInstanceTask, my_task: Any) -> Any:
        if not my_task.internal_data.get("careflow_checked"):
            _check(self, my_task)
            my_task.internal_data["careflow_checked"] = True
        return original(self, my_task)
    return update_hook


def _children_complete(self: ParallelMultiInstanceTask, my_task: Any) -> bool:
    # Counted, not rescanned: every instance merges once when it completes (cancelled ones end the loop).
    instances = my_task.internal_data.get("careflow_instances")
    if instances is None:
        instances = sum(1 for _ in self._instances(my_task))
        my_task.internal_data["careflow_instances"] = instances
    return len(my_task.internal_data.get("merged", [])) >= instances


def install() -> None:
    """Put the bounds in place (once per process; SpiffWorkflow's classes are shared)."""
    if getattr(MultiInstanceTask, "careflow_bounded", False):
        return
    for cls in (ParallelMultiInstanceTask, SequentialMultiInstanceTask):
        cls._update_hook = _bounded(cls.__dict__["_update_hook"])  # type: ignore[method-assign]
    ParallelMultiInstanceTask.children_complete = _children_complete  # type: ignore[method-assign]
    MultiInstanceTask.careflow_bounded = True  # type: ignore[attr-defined]
