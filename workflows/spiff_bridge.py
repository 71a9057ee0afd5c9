"""Where careflow plugs into SpiffWorkflow: parser, serializer, decisions, service calls.

Everything SpiffWorkflow-specific that is not the engine's use cases lives here, so the rest
of ``workflows/`` talks in careflow's terms.
"""
from __future__ import annotations

import contextvars
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import SpiffBpmnTaskConverter
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask

from .data import to_json_safe


@dataclass
class StepContext:
    """What one engine step collects beside the workflow state, written in the same transaction."""

    instance_id: str
    case_reference: str
    actor: str | None
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    decisions: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    session: Any = None  # the step's database session, for handlers' reads


current_step: contextvars.ContextVar[StepContext | None] = contextvars.ContextVar("careflow_step", default=None)


def step_context() -> StepContext:
    ctx = current_step.get()
    if ctx is None:
        raise RuntimeError("no engine step is running")
    return ctx


# Set by the process library: (dmn file hash) -> loaded decision model.
DecisionModelResolver = Callable[[str], Any]
_resolver: dict[str, DecisionModelResolver] = {}
# Set by the runtime: values (e.g. council configuration) offered to every decision as inputs.
_decision_defaults: dict[str, Any] = {}


def set_decision_model_resolver(resolver: DecisionModelResolver) -> None:
    _resolver["resolve"] = resolver


def set_decision_defaults(values: dict[str, Any]) -> None:
    _decision_defaults.clear()
    _decision_defaults.update(values)


def decision_inputs(data: dict[str, Any]) -> dict[str, Any]:
    """Task data offered to a decision, over the configured defaults (``config`` and its keys)."""
    inputs: dict[str, Any] = {}
    if _decision_defaults:
        inputs.update(_decision_defaults)
        inputs["config"] = dict(_decision_defaults)
    inputs.update(data)
    return inputs


class DecisionTaskEngine:
    """Stands where SpiffWorkflow expects its DMNEngine: evaluates with careflow's evaluator.

    Only the decision id and the DMN file's content hash are serialized with the instance, so the
    instance keeps the decision version it started with (files are immutable by hash).
    """

    def __init__(self, decision_id: str, dmn_hash: str, result_variable: str | None = None) -> None:
        self.decision_id = decision_id
        self.dmn_hash = dmn_hash
        self.result_variable = result_variable

    def result(self, task: Any) -> dict[str, Any]:
        from .decisions import DecisionError  # noqa: F401  (re-raised as is)

        model = _resolver["resolve"](self.dmn_hash)
        result = model.evaluate(self.decision_id, decision_inputs(task.data))
        ctx = current_step.get()
        if ctx is not None:
            record = result.to_dict()
            record["task_id"] = str(task.id)
            ctx.decisions.append(record)
            ctx.audit.append({"action": "decision_evaluated", "task_id": str(task.id),
                              "element_id": task.task_spec.bpmn_id, "element_name": task.task_spec.bpmn_name,
                              "data": {"decision": self.decision_id, "value": record.get("value"),
                                       "rules": [r.get("index") for r in record.get("matchedRules", [])]}})
        value = to_json_safe(result.value)
        if self.result_variable:
            return {self.result_variable: value}
        if isinstance(value, dict):
            return value
        decision = model.decisions.get(self.decision_id)
        outputs = decision.table.outputs if decision is not None and decision.table is not None else []
        name = outputs[0].name if len(outputs) == 1 and outputs[0].name else self.decision_id
        return {name: value}


class BusinessRuleTaskConverter(SpiffBpmnTaskConverter):
    """Serializes a business rule task by decision reference, not by copying the table."""

    def to_dict(self, spec: Any) -> dict[str, Any]:
        dct = super().to_dict(spec)
        engine = spec.dmnEngine
        dct["decision"] = {
            "id": engine.decision_id,
            "dmn_hash": engine.dmn_hash,
            "result_variable": engine.result_variable,
        }
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        ref = dct.pop("decision")
        dct["dmnEngine"] = DecisionTaskEngine(ref["id"], ref["dmn_hash"], ref.get("result_variable"))
        return self.task_spec_from_dict(dct)


SpecResolver = Callable[[str], tuple[Any, dict[str, Any]]]
_spec_resolver: dict[str, SpecResolver] = {}


def set_spec_resolver(resolver: SpecResolver) -> None:
    _spec_resolver["resolve"] = resolver


def spec_ref(process_id: str, content_hash: str) -> str:
    return f"{process_id}@{content_hash}"


class WorkflowStateConverter(BpmnWorkflowConverter):
    """Stores a workflow's spec by reference to its immutable, content-addressed process version.

    SpiffWorkflow would copy the whole spec into every instance's state (tens of KB for a large
    process, converted on every step). careflow keeps each version's files forever, so the
    reference pins the instance to its version just as firmly, at a fraction of the cost.
    A state without a reference (a workflow not started by careflow) is stored whole, as before.
    """

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        ref = getattr(workflow, "careflow_spec_ref", None)
        if ref is None:
            return super().to_dict(workflow)
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["spec_ref"] = ref
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        ref = dct.pop("spec_ref", None)
        if ref is None:
            return super().from_dict(dct)
        spec, subprocess_specs = _spec_resolver["resolve"](ref)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        workflow.careflow_spec_ref = ref
        return workflow


_CONFIG = dict(SPIFF_CONFIG)
_CONFIG[BusinessRuleTask] = BusinessRuleTaskConverter
_CONFIG[BpmnWorkflow] = WorkflowStateConverter
_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))


def serializer() -> BpmnWorkflowSerializer:
    return _SERIALIZER


class CareflowParser(SpiffBpmnParser):
    """SpiffWorkflow's parser with business rule tasks bound to careflow's decision models."""

    def __init__(self, decisions: dict[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.decision_files = decisions  # decision id -> dmn file hash

    def get_engine(self, decision_ref: str | None, node: Any) -> DecisionTaskEngine:  # type: ignore[override]
        from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

        if not decision_ref or decision_ref not in self.decision_files:
            known = ", ".join(sorted(self.decision_files)) or "none"
            raise ValidationException(
                f"Business rule task calls decision '{decision_ref}', which no DMN file defines "
                f"(known decisions: {known})",
                node=node, file_name=getattr(self, "_current_file", None))
        result_variable = None
        from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser

        props = SpiffTaskParser._parse_extensions(node).get("properties", {})
        result_variable = props.get("resultVariable")
        return DecisionTaskEngine(decision_ref, self.decision_files[decision_ref], result_variable)


def deliver_message(wf: Any, name: str, payload: dict[str, Any]) -> None:
    """Deliver a message to the workflow; its payload joins the data of the events that catch it.

    SpiffWorkflow's spiff dialect would drop a payload without a message variable, and a catching
    task takes its parent's data again as it becomes ready, so the payload is applied after the
    catch: values in the message win over older values of the same name.
    """
    from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
    from SpiffWorkflow.bpmn.util import BpmnEvent
    from SpiffWorkflow.util.task import TaskState

    definition = None
    catching = []
    for each in [wf, *wf.subprocesses.values()]:
        for task in each.get_tasks(state=TaskState.WAITING, max_depth=100000):
            waits_for = getattr(task.task_spec, "event_definition", None)
            # An event-based gateway waits for several events at once.
            for found in [waits_for, *(getattr(waits_for, "event_definitions", None) or [])]:
                if isinstance(found, MessageEventDefinition) and found.name == name:
                    definition = found  # SpiffWorkflow matches events by class as well as name
                    if getattr(found, "message_var", None) is None:
                        catching.append(task)
    before = set(wf.subprocesses)
    if definition is None:  # perhaps it starts an event sub-process: use that start's own definition
        from .engine import event_subprocess_messages

        definition = next((d for _s, d in event_subprocess_messages(wf) if d.name == name), None)
    wf.send_event(BpmnEvent(definition or MessageEventDefinition(name), payload=payload))
    for key in set(wf.subprocesses) - before:  # a started event sub-process: the payload is its data
        catching.extend(t for t in wf.subprocesses[key].get_tasks(state=TaskState.READY) if t.parent is None
                        or t.task_spec.__class__.__name__ == "StartEvent")
    for task in catching:
        if task.state != TaskState.WAITING:  # it caught the message (a boundary sibling may not have)
            task.set_data(**payload)


def service_result(outputs: Any) -> str:
    """SpiffWorkflow's service task expects a JSON text back from the call."""
    return json.dumps(to_json_safe(outputs if outputs is not None else {}))
