"""Timers and event sub-processes as careflow reads them, fitted onto SpiffWorkflow's specs.

* Timers read their text with careflow's one duration library (``timeutil``): calendar months and years,
  working days, dates from expressions; a literal may be written without quotes.
* Event sub-processes: SpiffWorkflow 3.2 starts each as a non-interrupting one and keeps a process open
  for a timer start still waiting after the process's own flow has ended. Here an interrupting one
  cancels the rest of its process, ones never started end with their process, and the message starts
  a running process waits for are listed for the subscription projection.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import StartEvent as SpiffStartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)


# ---- timers read with careflow's duration library -----------------------------------------------
def _timer_value(task: Any, expression: str) -> Any:
    """A timer's value: a literal written without quotes (``P3M``, ``R3/P7D``, ``2026-04-01``) is
    taken as it is; anything else is an expression over the task's data, run in the sandbox."""
    from .timeutil import LOOKS_LIKE_DURATION

    text = (expression or "").strip()
    if LOOKS_LIKE_DURATION.match(text) or _ISO_DATE.match(text):
        return text
    return task.workflow.script_engine.evaluate(task, expression)


class DurationTimer(DurationTimerEventDefinition):
    """A duration timer that understands months, years and working days (``P3M``, ``P1Y``, ``P5WD``)."""

    def has_fired(self, my_task: Any) -> bool:
        from .timeutil import timer_due

        if my_task._get_internal_data("event_value") is None:
            due = timer_due(datetime.now(timezone.utc), _timer_value(my_task, self.expression))
            my_task._set_internal_data(event_value=due.isoformat())
        if TimerEventDefinition.get_datetime(my_task._get_internal_data("event_value")) < datetime.now(timezone.utc):
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


class DateTimer(TimeDateEventDefinition):
    """A date timer whose expression may give a date, a datetime or ISO text."""

    def has_fired(self, my_task: Any) -> bool:
        from .timeutil import timer_date

        if my_task._get_internal_data("event_value") is None:
            at = timer_date(_timer_value(my_task, self.expression))
            my_task._set_internal_data(event_value=at.isoformat())
        if TimerEventDefinition.get_datetime(my_task._get_internal_data("event_value")) < datetime.now(timezone.utc):
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


class CycleTimer(CycleTimerEventDefinition):
    """A repeating timer (``R3/P7D``, ``R/P1M``, ``R4/P5WD``, ``R/2027-04-01/P1M``): each occurrence is
    the one before plus the interval as a calendar counts it (``every``; ``duration`` is the first
    interval in seconds, as SpiffWorkflow keeps it)."""

    def cycle_complete(self, my_task: Any) -> bool:
        from .timeutil import add_duration, timer_date

        value = my_task._get_internal_data("event_value")
        if value is None and my_task._get_internal_data("event_fired", False):
            return False  # every cycle has run: the timer is done, not started again
        if value is None:
            text = str(_timer_value(my_task, self.expression)).strip()
            count, _, rest = text[1:].partition("/")
            parts = rest.split("/")
            now = datetime.now(timezone.utc)
            if len(parts) == 2 and not parts[0].upper().startswith("P"):
                start, every = timer_date(parts[0]), parts[1]
            else:
                start, every = add_duration(now, parts[0]), parts[0]
            value = {"cycles": int(count) if count else -1, "next": start.isoformat(), "every": every,
                     "duration": (add_duration(start, every) - start).total_seconds()}
            my_task._set_internal_data(event_value=value)
        previous = value.get("next")
        ready = bool(super().cycle_complete(my_task))
        after = my_task._get_internal_data("event_value")
        if ready and isinstance(after, dict) and after.get("every") and previous:
            after["next"] = add_duration(datetime.fromisoformat(previous), after["every"]).isoformat()
            if after.get("cycles") == 0:  # that was the last occurrence: done now, not at one more tick
                my_task.internal_data.pop("event_value", None)
                my_task._set_internal_data(event_fired=True)
        return ready


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
_TIMERS = {TimeDateEventDefinition: DateTimer, DurationTimerEventDefinition: DurationTimer,
           CycleTimerEventDefinition: CycleTimer}


def use_careflow_timers(specs: list[Any]) -> None:
    """Give every timer of these specs careflow's reading of durations and dates (same data, same
    serialization; only how the timer's text becomes a due time changes)."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            for each in [definition, *(getattr(definition, "event_definitions", None) or [])]:
                replacement = _TIMERS.get(type(each))
                if replacement is not None:
                    each.__class__ = replacement


# ---- interrupting event sub-processes --------------------------------------------------------------
class InterruptingStartEvent(SpiffStartEvent):
    """The start event of an interrupting event sub-process (``isInterrupting``, BPMN's default).

    SpiffWorkflow 3.2 starts every event sub-process as a non-interrupting one; when this start event
    runs, careflow cancels the rest of the enclosing process (its open tasks, waiting events and other
    sub-processes), which then ends when the event sub-process ends.
    """

    def _run_hook(self, my_task: Any) -> Any:
        result = super()._run_hook(my_task)
        interrupt_enclosing(my_task)
        return result


def interrupt_enclosing(start_task: Any) -> None:
    """Cancel everything in the enclosing workflow but the event sub-process ``start_task`` is in."""
    from SpiffWorkflow.util.task import TaskState

    own = start_task.workflow
    if not hasattr(own, "parent_task_id"):
        return  # a plain process start, not an event sub-process
    esp_task = own.top_workflow.get_task_from_id(own.parent_task_id)
    enclosing = esp_task.workflow
    keep = {esp_task.id}
    parent = esp_task.parent
    while parent is not None:
        keep.add(parent.id)
        parent = parent.parent
    for task in list(enclosing.get_tasks(max_depth=100000)):
        if task.id in keep or task.has_state(TaskState.FINISHED_MASK) or _under(task, esp_task):
            continue
        if enclosing.tasks.get(task.id) is task:  # not dropped with a cancelled parent
            task.cancel()


def _under(task: Any, ancestor: Any) -> bool:
    parent = task.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


def use_interrupting_starts(specs: list[Any], start_ids: set[str]) -> None:
    """Mark the start events of interrupting event sub-processes (ids read from the diagram)."""
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if type(task_spec) is SpiffStartEvent and task_spec.bpmn_id in start_ids:
                task_spec.__class__ = InterruptingStartEvent


def settle_event_subprocesses(wf: Any) -> bool:
    """End the event sub-processes that never started once the rest of their process has ended.

    BPMN ends a process when its own flow has ended and no event sub-process is running; SpiffWorkflow
    would keep the process open for a timer start that is still waiting (a review due in a year would
    reopen a closed plan). Returns True when something was cancelled (run the engine again).
    """
    from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
    from SpiffWorkflow.util.task import TaskState

    changed = False
    for each in [wf, *wf.subprocesses.values()]:
        # An event sub-process hangs from the workflow's start task itself (the main flow from its
        # start event), whichever class the dialect gives it.
        esps = [t for t in each.task_tree.children if isinstance(t.task_spec, SubWorkflowTask)]
        if not esps or each.is_completed():  # the cheap test first: most processes have none
            continue
        tasks = [t for t in each.get_tasks(max_depth=100000) if t.workflow is each]
        own_work = [t for t in tasks if getattr(t.task_spec, "bpmn_id", None) and t not in esps
                    and not any(_under(t, esp) for esp in esps)]
        if any(not t.has_state(TaskState.FINISHED_MASK) for t in own_work):
            continue
        for esp in esps:
            sub = wf.subprocesses.get(esp.id)
            if esp.has_state(TaskState.FINISHED_MASK):
                continue
            waiting_start = sub is None or all(
                t.state == TaskState.WAITING for t in sub.get_tasks(max_depth=100000)
                if t.workflow is sub and isinstance(t.task_spec, SpiffStartEvent))
            if waiting_start:
                esp.cancel()
                changed = True
        if changed:  # the process's end join waited for those: let it look again
            for task in each.get_tasks(state=TaskState.WAITING, max_depth=100000):
                if task.workflow is each:
                    task.task_spec._update(task)
    return changed


def event_subprocess_message_starts(wf: Any) -> list[tuple[Any, Any, Any]]:
    """The message start events of the event sub-processes a running workflow can still start:
    (workflow, start event spec, message definition). SpiffWorkflow keeps these as triggers of the
    workflow's start, not as waiting tasks, so they are found in the spec."""
    from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition

    found = []
    for each in [wf, *wf.subprocesses.values()]:
        triggers = getattr(each.spec.start, "trigger_specs", None) or []
        if not triggers or each.is_completed():  # the cheap test first: most processes have none
            continue
        for name in triggers:
            sp_spec = wf.subprocess_specs.get(name)
            for start in getattr(sp_spec, "bpmn_start_events", None) or []:
                if isinstance(start.event_definition, MessageEventDefinition):
                    found.append((each, start, start.event_definition))
    return found
