"""Scenario tests a process owner writes for a process, kept beside it (``bpmn/<process>.tests.json``).

    {"processId": "demo_referral", "tests": [{
        "name": "A risk to life is urgent",
        "start": {"data": {...}}            or {"message": "name", "payload": {...}},
        "steps": [{"complete": "record_referral", "data": {...}},
                  {"message": "name", "payload": {...}}, {"timer": "element_id"}],
        "expect": {"path": ["alert_duty_team"], "notPath": ["..."], "data": {"priority": "URGENT"},
                   "openTasks": ["..."], "status": "completed" | "waiting",
                   "messages": ["urgent_referral"]}}]}

Each test runs a fresh workflow of the version in memory, through careflow's own script engine,
decisions, handlers and forms (the data a task is completed with is checked against its form),
and nothing is written to the database.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from . import casefile
from .data import normalise, to_json_safe
from .engine import run_engine, tasks_in
from .errors import ValidationFailed
from .models import ProcessVersion
from .spiff_bridge import StepContext, current_step, deliver_message

MAX_STEPS = 200


def tests_path(bpmn_dir: Path, process_id: str) -> Path:
    return Path(bpmn_dir) / f"{process_id}.tests.json"


def load_tests(bpmn_dir: Path, process_id: str) -> dict[str, Any]:
    """The scenario file beside the process (an empty one when there is none)."""
    path = tests_path(bpmn_dir, process_id)
    if not path.is_file():
        return {"processId": process_id, "tests": []}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValidationFailed("The scenario file is not valid JSON", [
            {"field": path.name, "message": f"{exc.msg} (line {exc.lineno})"}]) from None
    return check_suite(value, process_id)


def check_suite(value: Any, process_id: str) -> dict[str, Any]:
    """The shape of a scenario file, with one message per wrong part."""
    errors = []
    if not isinstance(value, dict) or not isinstance(value.get("tests"), list):
        raise ValidationFailed("A scenario file is an object with a list of tests",
                               [{"field": "tests", "message": "Add \"tests\": [...]"}])
    for i, test in enumerate(value["tests"]):
        if not isinstance(test, dict) or not isinstance(test.get("name"), str):
            errors.append({"field": f"tests.{i}", "message": "Each test needs a name"})
            continue
        for part in ("start", "expect"):
            if not isinstance(test.get(part) or {}, dict):
                errors.append({"field": f"tests.{i}.{part}", "message": f"'{part}' must be an object"})
        if not isinstance(test.get("steps") or [], list):
            errors.append({"field": f"tests.{i}.steps", "message": "'steps' must be a list"})
            continue
        for j, step in enumerate(test.get("steps") or []):
            if not isinstance(step, dict) or not ({"complete", "message", "timer"} & set(step)):
                errors.append({"field": f"tests.{i}.steps.{j}",
                               "message": "A step completes a task, delivers a message or fires a timer"})
    if errors:
        raise ValidationFailed("The scenario file has problems", errors)
    return {"processId": value.get("processId") or process_id, "tests": value["tests"]}


class ScenarioRunner:
    """Runs scenario tests against a process version with a runtime's engine, forms and library."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.properties: dict[str, dict[str, str]] = {}

    def run_all(self, session: Any, version: ProcessVersion, suite: dict[str, Any]) -> list[dict[str, Any]]:
        spec, subprocess_specs = self.runtime.library.specs(session, version)
        self.properties = self.runtime.library.element_properties(session, version.id)
        return [self.run_one(session, version, spec, subprocess_specs, test) for test in suite["tests"]]

    def run_one(self, session: Any, version: ProcessVersion, spec: Any, subprocess_specs: Any,
                test: dict[str, Any]) -> dict[str, Any]:
        ctx = StepContext("scenario", "SCENARIO", "scenario-test")
        ctx.session = session
        token = current_step.set(ctx)
        try:
            wf, failure = self._run(session, version, spec, subprocess_specs, test, ctx)
        except Exception as exc:  # noqa: BLE001  whatever the diagram under test does, the scenario fails
            return {"name": test["name"], "passed": False, "failures": [_message(exc)], "path": []}
        finally:
            current_step.reset(token)
        path = _path(wf)
        failures = [failure] if failure else []
        failures.extend(_compare(test.get("expect") or {}, wf, path, ctx))
        return {"name": test["name"], "passed": not failures, "failures": failures, "path": path,
                "openTasks": _open(wf), "status": "completed" if wf.is_completed() else "waiting"}

    def _run(self, session: Any, version: ProcessVersion, spec: Any, subprocess_specs: Any,
             test: dict[str, Any], ctx: StepContext) -> tuple[BpmnWorkflow, str | None]:
        start = test.get("start") or {}
        data = normalise(start.get("data") or start.get("payload") or {})
        casefile.apply_config_defaults(self.runtime.library, session, version, data)
        data.setdefault("caseReference", "SCENARIO")
        wf = BpmnWorkflow(spec, subprocess_specs, script_engine=self.runtime.script_engine)
        wf.task_tree.set_data(**data)
        if start.get("message"):
            casefile.prepare_message_start(wf)
            wf.do_engine_steps()
            deliver_message(wf, start["message"], data)
        failed = run_engine(wf)
        if failed:
            return wf, f"The start failed at '{_where(failed.task)}': {failed.error}"
        for number, step in enumerate(test.get("steps") or [], 1):
            problem = self._step(wf, step)
            if problem:
                return wf, f"Step {number}: {problem}"
            failed = run_engine(wf)
            if failed:
                return wf, f"Step {number}: the diagram failed at '{_where(failed.task)}': {failed.error}"
        return wf, None

    def _step(self, wf: BpmnWorkflow, step: dict[str, Any]) -> str | None:
        if "complete" in step:
            name = step["complete"]
            ready = [t for t in tasks_in(wf, TaskState.READY) if t.task_spec.bpmn_id == name and t.task_spec.manual]
            if not ready:
                return f"the task '{name}' is not open (open: {', '.join(_open(wf)) or 'none'})"
            task = ready[0]
            key = (self.properties.get(name) or {}).get("formKey")
            clean = self.runtime.forms.validate(key, step.get("data") or {}) if key else normalise(step.get("data"))
            task.set_data(**clean)
            task.run()
            return None
        if "message" in step:
            deliver_message(wf, step["message"], normalise(step.get("payload") or {}))
            return None
        name = step["timer"]
        waiting = [t for t in tasks_in(wf, TaskState.WAITING) if t.task_spec.bpmn_id == name]
        if not waiting:
            return f"no timer '{name}' is waiting"
        waiting[0].internal_data["event_fired"] = True
        wf.refresh_timers()
        return None


def _message(exc: BaseException) -> str:
    if isinstance(exc, ValidationFailed):
        return exc.message + ": " + "; ".join(f"{e.get('field')}: {e.get('message')}" for e in exc.errors)
    return getattr(exc, "message", None) or str(exc)


def _where(task: Any) -> str:
    return getattr(getattr(task, "task_spec", None), "bpmn_id", None) or "?"


def _path(wf: BpmnWorkflow) -> list[str]:
    done = [t for t in tasks_in(wf, TaskState.COMPLETED) if getattr(t.task_spec, "bpmn_id", None)]
    done.sort(key=lambda t: t.last_state_change)
    return [t.task_spec.bpmn_id for t in done]


def _open(wf: BpmnWorkflow) -> list[str]:
    return sorted({t.task_spec.bpmn_id for t in tasks_in(wf, TaskState.READY | TaskState.WAITING)
                   if getattr(t.task_spec, "bpmn_id", None)})


def _compare(expect: dict[str, Any], wf: BpmnWorkflow, path: list[str], ctx: StepContext) -> list[str]:
    failures = []
    missing = [e for e in expect.get("path") or [] if e not in path]
    if missing:
        failures.append(f"Expected the case to pass {', '.join(missing)}; it passed {', '.join(path) or 'nothing'}")
    passed = [e for e in expect.get("notPath") or [] if e in path]
    if passed:
        failures.append(f"Expected the case not to pass {', '.join(passed)}")
    if "openTasks" in expect:  # the tasks caseworkers would see in their inbox
        inbox = sorted({t.task_spec.bpmn_id for t in tasks_in(wf, TaskState.READY) if t.task_spec.manual})
        if sorted(set(expect["openTasks"])) != inbox:
            failures.append(f"Expected open tasks {', '.join(expect['openTasks']) or 'none'}; "
                            f"open: {', '.join(inbox) or 'none'}")
    status = expect.get("status")
    if status and status != ("completed" if wf.is_completed() else "waiting"):
        failures.append(f"Expected the case to be {status}")
    data = to_json_safe(casefile.case_data(wf))
    for key, value in (expect.get("data") or {}).items():
        if data.get(key) != value:
            failures.append(f"Expected {key} = {json.dumps(value)}; it is {json.dumps(data.get(key))}")
    sent = [m.get("template") for m in ctx.outbox]
    for template in expect.get("messages") or []:
        if template not in sent:
            failures.append(f"Expected a '{template}' message; sent: {', '.join(map(str, sent)) or 'none'}")
    return failures
