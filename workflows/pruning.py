"""Keeping a long-lived case's workflow bounded (DESIGN.md decision 8), for every diagram.

SpiffWorkflow keeps every task it ever ran in one tree, and each loop round hangs below the last:
after a few hundred rounds the tree is 1,000 deep, where its task iterator stops (ENGINE_NOTES.md
pitfall 1) and recursive ancestor walks overflow. So the runtime prunes finished history as the
engine runs: a finished task that nothing still needs is taken out and its children hang from its
parent instead. What happened stays in careflow's audit and projection rows, not in the tree.

A finished task is still needed (pinned) when it is:
* the root, or the workflow's last completed task;
* the parent or a child of an unfinished task (joins read their inputs' parents; a multi-instance
  task counts its children; a waiting boundary event's siblings share its split);
* the split a still-open structured join (boundary events, start events) will look up, and the
  split's children;
* a cancelled copy of a parallel or inclusive join from the current round (and its parent): the
  join merges the data of those branches when it fires;
* the task that holds a sub-process still in the workflow.
Removing a task keeps the ancestor relation among the tasks that stay, so joins and loops see the
same structure, only shorter. Completed sub-processes whose task has finished are dropped too.
"""
from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.task import TaskState

DONE = TaskState.COMPLETED | TaskState.CANCELLED
PRUNE_ABOVE = 150  # tasks in one (sub)workflow before pruning is worth its scan


def prune_history(wf: Any, *, threshold: int = PRUNE_ABOVE) -> int:
    """Remove finished history no open work depends on, from the workflow and its sub-processes.

    Returns how many tasks were removed. Cheap when the tree is small (nothing is scanned)."""
    removed = _drop_finished_subprocesses(wf)
    for each in [wf, *wf.subprocesses.values()]:
        if len(each.tasks) > threshold:
            removed += _prune(each, wf)
    return removed


def _finished(task: Any) -> bool:
    return bool(task.state & DONE)


def _pinned(workflow: Any, top: Any) -> set[UUID]:
    tasks = workflow.tasks
    pinned: set[UUID] = {workflow.task_tree.id}
    if workflow.last_task is not None:
        pinned.add(workflow.last_task.id)
    pinned.update(task_id for task_id in top.subprocesses if task_id in tasks)
    last_fired: dict[str, float] = {}
    join_copies: list[Any] = []
    for task in tasks.values():
        if not _finished(task):
            pinned.add(task.id)
            if task._parent is not None:
                pinned.add(task._parent)
            pinned.update(task._children)
            split = getattr(task.task_spec, "split_task", None)
            if split:
                ancestor = _ancestor_named(task, split)
                if ancestor is not None:
                    pinned.add(ancestor.id)
                    pinned.update(ancestor._children)
        elif isinstance(task.task_spec, UnstructuredJoin | InclusiveGateway):
            join_copies.append(task)
            if task.state == TaskState.COMPLETED:
                name = task.task_spec.name
                last_fired[name] = max(last_fired.get(name, 0.0), task.last_state_change)
    for task in join_copies:
        # Cancelled after the join last fired: a branch of the round still open.
        if task.state == TaskState.CANCELLED and task.last_state_change > last_fired.get(task.task_spec.name, -1.0):
            pinned.add(task.id)
            if task._parent is not None:
                pinned.add(task._parent)
    return pinned


def _ancestor_named(task: Any, spec_name: str) -> Any:
    current = task.parent
    while current is not None:  # a loop, not SpiffWorkflow's recursion: the tree may still be deep
        if current.task_spec.name == spec_name:
            return current
        current = current.parent
    return None


def _prune(workflow: Any, top: Any) -> int:
    tasks = workflow.tasks
    pinned = _pinned(workflow, top)
    record = getattr(top, "careflow_pruned", None)  # id -> state, for this step's projection
    removed = 0
    for task in list(tasks.values()):
        if task.id in pinned or not _finished(task) or task._parent is None:
            continue
        parent = tasks.get(task._parent)
        if parent is None:
            continue
        siblings = parent._children
        at = siblings.index(task.id)
        siblings[at:at + 1] = task._children  # the children take its place, in order
        for child_id in task._children:
            child = tasks.get(child_id)
            if child is not None:
                child._parent = parent.id
        task._children = []
        del tasks[task.id]
        if record is not None:
            record[task.id] = task.state
        removed += 1
    return removed


def _drop_finished_subprocesses(wf: Any) -> int:
    """Completed sub-processes whose calling task has finished: their outputs are already copied out."""
    removed = 0
    for task_id, sub in list(wf.subprocesses.items()):
        holder = wf.get_task_from_id(task_id)
        if holder is None or _finished(holder):
            nested = [k for k, s in wf.subprocesses.items() if k != task_id and _within(s, sub, wf)]
            for key in [task_id, *nested]:
                dropped = wf.subprocesses.pop(key, None)
                removed += len(dropped.tasks) if dropped is not None else 0
    return removed


def _within(candidate: Any, ancestor: Any, wf: Any) -> bool:
    current = candidate
    for _ in range(100):
        holder = wf.get_task_from_id(current.parent_task_id) if getattr(current, "parent_task_id", None) else None
        if holder is None:
            return False
        current = holder.workflow
        if current is ancestor:
            return True
        if current is wf:
            return False
    return False
