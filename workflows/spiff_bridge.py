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
from typing import Any, Protocol
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import StartEvent as SpiffStartEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import SpiffBpmnTaskConverter
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask

from .data import to_json_safe
from .data_stores import EveryDataStore
from .spiff_events import CycleTimer, DateTimer, DurationTimer, InterruptingStartEvent, event_subprocess_message_starts


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
    throws: list[Any] = field(default_factory=list)  # messages and signals for other instances (throws.py)
    # engine.KnownRows: the instance's open task and waiting timer rows as the caller already read them
    # (the timer batch, for all its instances in one query), so the projection skips its own queries.
    known: Any = None
    # What procedures' ``on_step`` hooks returned after this step, for the caller that stepped the case.
    reports: dict[str, Any] = field(default_factory=dict)


current_step: contextvars.ContextVar[StepContext | None] = contextvars.ContextVar("careflow_step", default=None)


def step_context() -> StepContext:
    ctx = current_step.get()
    if ctx is None:
        raise RuntimeError("no engine step is running")
    return ctx


class DecisionSource(Protocol):
    """Where a business rule task finds its table and the configuration offered to it: the process
    library that built the spec. Each library is its own source, so two apps in one process never
    share (or overwrite) each other's decisions."""

    def decision_model(self, dmn_hash: str) -> Any: ...

    def decision_defaults(self, workflow: Any) -> dict[str, Any]: ...


def decision_inputs(data: dict[str, Any], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """Task data offered to a decision, over the configured defaults (``config`` and its keys)."""
    inputs: dict[str, Any] = {}
    if defaults:
        inputs.update(defaults)
        inputs["config"] = dict(defaults)
    inputs.update(data)
    return inputs


def top_workflow(workflow: Any) -> Any:
    """The instance's workflow, from a task's workflow that may be a subprocess's."""
    return getattr(workflow, "top_workflow", None) or workflow


class DecisionTaskEngine:
    """Stands where SpiffWorkflow expects its DMNEngine: evaluates with careflow's evaluator.

    Only the decision id and the DMN file's content hash are serialized with the instance, so the
    instance keeps the decision version it started with (files are immutable by hash). ``source`` is
    the library that built the spec; the table and the configuration come from it, never from a
    process-wide setting.
    """

    def __init__(self, decision_id: str, dmn_hash: str, result_variable: str | None = None,
                 source: DecisionSource | None = None) -> None:
        self.decision_id = decision_id
        self.dmn_hash = dmn_hash
        self.result_variable = result_variable
        self.source = source

    def result(self, task: Any) -> dict[str, Any]:
        return self.decide(task.data, task.workflow, task_id=str(task.id), element_id=task.task_spec.bpmn_id,
                           element_name=task.task_spec.bpmn_name)

    def decide(self, data: dict[str, Any], workflow: Any, *, task_id: str | None, element_id: str | None,
               element_name: str | None, cause: str | None = None) -> dict[str, Any]:
        """Evaluate the table over ``data``, logged in the current step like any decision (inputs, rules,
        outputs, table hash); also how a decision already taken is taken again (``cause``: why)."""
        if self.source is None:
            raise RuntimeError(f"Decision '{self.decision_id}' has no process library to read its table from")
        model = self.source.decision_model(self.dmn_hash)
        defaults = self.source.decision_defaults(top_workflow(workflow))
        result = model.evaluate(self.decision_id, decision_inputs(data, defaults))
        ctx = current_step.get()
        if ctx is not None:
            record = result.to_dict()
            record["task_id"] = task_id
            record["dmn_hash"] = self.dmn_hash
            record["table_file"] = getattr(model, "filename", None)
            ctx.decisions.append(record)
            ctx.audit.append({"action": "decision_evaluated", "task_id": task_id,
                              "element_id": element_id, "element_name": element_name,
                              "data": {"decision": self.decision_id, "value": record.get("value"),
                                       "rules": [r.get("index") for r in record.get("matchedRules", [])],
                                       "table": self.dmn_hash[:12], **({"cause": cause} if cause else {})}})
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

    source: DecisionSource | None = None  # set on the per-library subclass (see make_serializer)

    def from_dict(self, dct: dict[str, Any]) -> Any:
        ref = dct.pop("decision")
        dct["dmnEngine"] = DecisionTaskEngine(ref["id"], ref["dmn_hash"], ref.get("result_variable"), self.source)
        return self.task_spec_from_dict(dct)


SpecResolver = Callable[[str], tuple[Any, dict[str, Any]]]


def spec_ref(process_id: str, content_hash: str) -> str:
    return f"{process_id}@{content_hash}"


class WorkflowStateConverter(BpmnWorkflowConverter):
    """Stores a workflow's spec by reference to its immutable, content-addressed process version.

    SpiffWorkflow would copy the whole spec into every instance's state (tens of KB for a large
    process, converted on every step). careflow keeps each version's files forever, so the
    reference pins the instance to its version just as firmly, at a fraction of the cost.
    A state without a reference (a workflow not started by careflow) is stored whole, as before.
    """

    resolve_spec: SpecResolver | None = None  # set on the per-library subclass (see make_serializer)

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
        if self.resolve_spec is None:
            raise RuntimeError(f"No process library to find version {ref}: deserialize with the library's serializer")
        spec, subprocess_specs = self.resolve_spec(ref)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        workflow.careflow_spec_ref = ref
        return workflow


def make_serializer(spec_resolver: SpecResolver | None = None,
                    decisions: DecisionSource | None = None) -> BpmnWorkflowSerializer:
    """A serializer whose restored workflows find their specs and decision tables through one library."""
    config = dict(SPIFF_CONFIG)
    config[BusinessRuleTask] = type("LibraryBusinessRuleTaskConverter", (BusinessRuleTaskConverter,),
                                    {"source": decisions})
    for timer in (DurationTimer, DateTimer, CycleTimer):
        config[timer] = TimerConditionalEventDefinitionConverter
    config[InterruptingStartEvent] = SPIFF_CONFIG[SpiffStartEvent]
    config[BpmnWorkflow] = type("LibraryWorkflowStateConverter", (WorkflowStateConverter,),
                                {"resolve_spec": staticmethod(spec_resolver) if spec_resolver else None})
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_SERIALIZER: list[BpmnWorkflowSerializer] = []


def serializer() -> BpmnWorkflowSerializer:
    """For writing states (no library needed); a state that names its version is restored with
    ``ProcessLibrary.serializer``, which knows where the versions are."""
    if not _SERIALIZER:
        _SERIALIZER.append(make_serializer())
    return _SERIALIZER[0]


class CareflowParser(SpiffBpmnParser):
    """SpiffWorkflow's parser with business rule tasks bound to careflow's decision models, and every
    data store kept by careflow (``workflows/data_stores.py``)."""

    DATA_STORE_CLASSES = EveryDataStore()

    def __init__(self, decisions: dict[str, str], source: DecisionSource | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.decision_files = decisions  # decision id -> dmn file hash
        self.source = source

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
        return DecisionTaskEngine(decision_ref, self.decision_files[decision_ref], result_variable, self.source)


SIGNAL_PREFIX = "signal:"


def signal_name(name: str) -> str:
    """Signals share careflow's message correlation under this name (``signal:<name>``)."""
    return f"{SIGNAL_PREFIX}{name}"


def deliver_message(wf: Any, name: str, payload: dict[str, Any]) -> None:
    """Deliver a message to the workflow; its payload joins the data of the events that catch it.
    A name ``signal:<name>`` delivers that signal instead (``workflows/throws.py``).

    SpiffWorkflow's spiff dialect would drop a payload without a message variable, and a catching
    task takes its parent's data again as it becomes ready, so the payload is applied after the
    catch: values in the message win over older values of the same name.
    """
    from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
    from SpiffWorkflow.bpmn.util import BpmnEvent
    from SpiffWorkflow.util.task import TaskState

    if name.startswith(SIGNAL_PREFIX):
        from .throws import deliver_signal

        deliver_signal(wf, name[len(SIGNAL_PREFIX):], payload)
        return
    definition = None
    catching = []
    for *_, found in event_subprocess_message_starts(wf):
        if found.name == name:
            definition = found  # an event sub-process this message starts
    before = {task.id for each in [wf, *wf.subprocesses.values()] for task in each.get_tasks(max_depth=100000)}
    for each in [wf, *wf.subprocesses.values()]:
        for task in each.get_tasks(state=TaskState.WAITING, max_depth=100000):
            waits_for = getattr(task.task_spec, "event_definition", None)
            # An event-based gateway waits for several events at once.
            for found in [waits_for, *(getattr(waits_for, "event_definitions", None) or [])]:
                if isinstance(found, MessageEventDefinition) and found.name == name:
                    definition = found  # SpiffWorkflow matches events by class as well as name
                    if getattr(found, "message_var", None) is None:
                        catching.append(task)
    wf.send_event(BpmnEvent(definition or MessageEventDefinition(name), payload=payload))
    for task in catching:
        if task.state != TaskState.WAITING:  # it caught the message (a boundary sibling may not have)
            task.set_data(**payload)
    # An event sub-process the message started: its start event passes the payload on.
    for each in [wf, *wf.subprocesses.values()]:
        for task in each.get_tasks(max_depth=100000):
            event = getattr(task.task_spec, "event_definition", None)
            if task.id not in before and isinstance(event, MessageEventDefinition) and event.name == name \
                    and getattr(event, "message_var", None) is None:
                # SpiffWorkflow gave the start a copy of the data as it was when the process began; the
                # sub-process must see the case as it is now, or its end would put the old values back.
                task.set_data(**{**_current_data(task), **payload})


def _current_data(start_task: Any) -> dict[str, Any]:
    """The data of the last task completed in the workflow that holds an event sub-process."""
    holder = getattr(start_task.workflow, "parent_workflow", None)
    last = getattr(holder, "last_task", None) if holder is not None else None
    return dict(last.data) if last is not None and isinstance(last.data, dict) else {}


def service_result(outputs: Any) -> str:
    """SpiffWorkflow's service task expects a JSON text back from the call."""
    return json.dumps(to_json_safe(outputs if outputs is not None else {}))
