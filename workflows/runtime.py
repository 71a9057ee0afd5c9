"""careflow's use cases: each public method is one database transaction.

Views and the scheduler call these; they never touch SpiffWorkflow or write SQL themselves.
"""
from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from . import casefile, follow_ups, stalled
from .data import normalise
from .db import Database
from .engine import (
    MAX_TASKS_PER_STEP,
    Projector,
    StepFailed,
    WorkflowCache,
    audit_event,
    call_service,
    correlation_key_from_request,
    find_task,
    open_incident,
    reached_end,
    run_engine,
    tasks_in,
)
from .errors import CareflowError, Conflict, Forbidden, NotFound, ValidationFailed
from .forms import FormLibrary
from .identity import MANAGER_ROLES, Principal
from .incidents import IncidentUseCases
from .library import ProcessLibrary
from .models import (
    AuditEvent,
    Incident,
    Instance,
    MessageSubscription,
    ProcessVersion,
    TaskRow,
    TimerRow,
    User,
    urgency_rank,
    utcnow,
)
from .multi_instance import DEFAULT_MAX_INSTANCES, install
from .procedure import Procedure, Procedures
from .rescheduling import Rescheduled
from .service_tasks import HandlerLookup, no_handlers
from .spiff_bridge import StepContext, current_step, deliver_message, serializer, spec_ref
from .throws import RUNTIME_KEY
from .timers import timer_not_held

_DEFER_FLUSH = "careflow_defer_flush"  # session.info key: see Runtime.defer_flushes
BATCH = 500  # new cases flushed together when many start in one transaction
# Statuses in which nothing may step a case (its tasks, messages and timers wait), and why.
HELD_STATUSES = {"suspended": "This case is suspended: an operator must resume it before its work can go on",
                 "terminated": "This case was cancelled, so nothing more can happen on it"}
install()  # bounded multi-instance activities


def build_script_engine(handlers: HandlerLookup) -> Any:
    from .expressions import make_script_engine
    from .timeutil import TIME_FUNCTIONS

    engine = make_script_engine(functions=TIME_FUNCTIONS)  # working days and timer dates in diagrams
    engine.call_service = functools.partial(call_service, handlers)  # type: ignore[method-assign]
    return engine


def may_work(user: Principal, task: TaskRow) -> bool:
    """A user may work a task assigned to them, or an unassigned one offered to their group."""
    if task.assignee:
        return task.assignee == user.username
    return task.candidate_group is None or task.candidate_group in user.group_names


@dataclass
class NewCase:
    """One case to start: its data and where it sits (see :meth:`Runtime.start_many`)."""

    data: dict[str, Any]
    case_reference: str | None = None
    parent_case_reference: str | None = None
    business_key: str | None = None
    title: str | None = None
    audit_data: dict[str, Any] | None = None  # what the start's audit row shows (default: the data)


class Runtime(IncidentUseCases):
    """careflow's use cases over one database and process library.

    Procedures and service-task handlers are handed in (``register``, ``handlers=``): the runtime
    imports neither. Its public step API (``transaction``, ``load``, ``step``, ``start_in``,
    ``start_many``, ``deliver_message``, ``case_data``) is what procedures' hooks use.
    """

    def __init__(self, db: Database, library: ProcessLibrary, forms: FormLibrary,
                 case_prefix: str = "CF", *, handlers: HandlerLookup | None = None,
                 cache_size: int = 256, max_instances: int = DEFAULT_MAX_INSTANCES) -> None:
        self.db = db
        self.library = library
        self.forms = forms
        self.case_prefix = case_prefix
        self.cache = WorkflowCache(cache_size)  # 0: every step restores the state from the database
        self.script_engine = build_script_engine(handlers or no_handlers)
        self.script_engine.max_instances = max_instances  # multi-instance bound (workflows/multi_instance.py)
        self.procedures = Procedures()
        self.max_tasks_per_step = MAX_TASKS_PER_STEP
        self.follow_up_batch = follow_ups.BATCH  # items per transaction of long work (workflows/follow_ups.py)

    def register(self, procedure: Procedure) -> None:
        """Plug a procedure's hooks in (the app does this at start)."""
        self.procedures.register(procedure)

    # ---- the step machinery ----------------------------------------------------------------
    def transaction(self) -> Any:
        """One use case's transaction; the workflows stepped in it stay cached after commit."""
        return _CachingTransaction(self)

    def load(self, session: Session, instance_id: str, *, lock: bool = False) -> tuple[Instance, BpmnWorkflow]:
        """An instance's row and live workflow (``lock``: hold the row until the transaction ends)."""
        row = session.get(Instance, instance_id, with_for_update=lock or None)
        if row is None:
            raise NotFound(f"No instance {instance_id}")
        wf = self.cache.get(instance_id, row.version)
        if wf is None:
            wf = self.library.serializer.deserialize_json(row.state)
        wf.script_engine = self.script_engine
        return row, wf

    @staticmethod
    def case_data(wf: BpmnWorkflow) -> dict[str, Any]:
        return casefile.case_data(wf)

    def step(self, session: Session, row: Instance, wf: BpmnWorkflow, ctx: StepContext,
             act: Callable[[], None] | None = None) -> Instance:
        """Act on the workflow (complete a task, deliver a message ...), run the engine, and save the
        state with its projections; a failure in the diagram becomes an incident, not an error."""
        if row.status in HELD_STATUSES:  # an operator suspended or cancelled it (workflows/operations.py)
            raise Conflict(HELD_STATUSES[row.status], status=row.status)
        ctx.session = session
        session.info[RUNTIME_KEY] = self  # messages and signals to other instances go through it (throws.py)
        wf.careflow_pruned = {}  # what this step prunes, for its projection
        token = current_step.set(ctx)
        try:
            failure: StepFailed | None = None
            if act is not None:
                try:
                    act()
                except CareflowError:
                    raise
                except Exception as exc:  # noqa: BLE001  a post-script failing on completion, a retry failing
                    errored = tasks_in(wf, TaskState.ERROR)
                    failed_task = getattr(exc, "task", None)
                    if not errored and failed_task is None:
                        raise
                    failure = StepFailed(exc, failed_task or errored[0])
            if failure is None:
                failure = run_engine(wf, max_tasks=self.max_tasks_per_step)
        finally:
            current_step.reset(token)
        data = self._save(session, row, wf, ctx, failure)
        self._after_step(session, row, data, ctx)
        return row

    def _after_step(self, session: Session, row: Instance, data: dict[str, Any], ctx: StepContext) -> None:
        procedures = self.procedures.for_process(row.process_id)
        for procedure in procedures:
            ctx.reports.update(procedure.on_step(self, session, row, data) or {})
        if row.status != "completed":
            return
        if casefile.continues(data):
            self.continue_case(session, row, data)
            return
        for procedure in procedures:
            procedure.on_completed(self, session, row, data)

    def continue_case(self, session: Session, row: Instance, data: dict[str, Any]) -> Instance:
        """Continue a completed instance's case in a fresh instance of the same process (bounded state)."""
        return self.start_in(session, row.process_id, casefile.carried_over(row, data), actor="system",
                             case_reference=row.case_reference, parent_case_reference=row.parent_case_reference,
                             title=row.title)

    def deliver_message(self, session: Session, instance_id: str, name: str, payload: dict[str, Any], *,
                        actor: str | None, keys: dict[str, Any] | None = None,
                        audit_payload: dict[str, Any] | None = None) -> Instance:
        """Deliver message ``name`` to one instance in this transaction (the row is locked first)."""
        row, wf = self.load(session, instance_id, lock=True)
        ctx = StepContext(row.id, row.case_reference, actor)
        ctx.audit.append({"action": "message_received", "data": {
            "message": name, "keys": keys or {}, "payload": payload if audit_payload is None else audit_payload}})
        return self.step(session, row, wf, ctx, functools.partial(deliver_message, wf, name, payload))

    def _save(self, session: Session, row: Instance, wf: BpmnWorkflow, ctx: StepContext,
              failure: StepFailed | None = None) -> dict[str, Any]:
        row.state = serializer().serialize_json(wf)
        row.updated_at = ctx.now
        new_instance = row not in session
        if new_instance:  # inserted once, with its first state
            session.add(row)
            session.flush()
        elif self.stepped_in(session, row.id):
            # Stepped before in this transaction (flushes may be deferred): the projection's queries must
            # see that step's rows, and rows read before it are out of date.
            ctx.known = None
            session.flush()
        properties = self.library.element_properties(session, row.process_version_id)
        data = self._record(session, row, wf, ctx, failure, properties, new_instance=new_instance)
        session.info.setdefault("careflow_cache", []).append((row.id, wf))
        if not session.info.get(_DEFER_FLUSH):
            self.flush(session, row.id)
        return data

    @staticmethod
    def steps_taken(session: Session) -> int:
        """How many steps this transaction has taken (see :meth:`forget_steps`)."""
        return len(session.info.get("careflow_cache", ()))

    def forget_steps(self, session: Session, since: int) -> None:
        """The steps after the first ``since`` were rolled back (to a savepoint): keep none of their
        workflows, which no longer match the database."""
        stepped = session.info.get("careflow_cache", [])
        for instance_id, _ in stepped[since:]:
            self.cache.drop(instance_id)
        del stepped[since:]

    @staticmethod
    def stepped_in(session: Session, instance_id: str) -> bool:
        """Whether this transaction has stepped the instance already."""
        return any(stepped == instance_id for stepped, _ in session.info.get("careflow_cache", ()))

    def defer_flushes(self, session: Session) -> None:
        """Steps in this transaction leave their writes to one :meth:`flush` by the caller: the rows of
        many steps then go in a few statements (an insert of many rows, an executemany per table)
        instead of several round trips per step."""
        session.info[_DEFER_FLUSH] = True

    def flush(self, session: Session, instance_id: str | None = None) -> None:
        """Write the steps' rows; a case changed meanwhile by another transaction is a Conflict."""
        try:
            session.flush()
        except StaleDataError:
            for stepped in [instance_id] if instance_id else [i for i, _ in session.info.get("careflow_cache", ())]:
                self.cache.drop(stepped)
            raise Conflict("The case was changed by someone else meanwhile; reload and try again") from None

    def _record(self, session: Session, row: Instance, wf: BpmnWorkflow, ctx: StepContext,
                failure: StepFailed | None, properties: dict[str, dict[str, str]], *,
                new_instance: bool) -> dict[str, Any]:
        """Everything a step writes beside the state: incident, title, summary, projections, status."""
        if failure is not None:
            open_incident(session, row, failure, ctx)
        data = casefile.case_data(wf)
        own = properties.get(row.process_id, {})
        title = casefile.case_title(own["caseTitle"], data) if own.get("caseTitle") else None
        urgency_before = urgency_rank(row.summary)
        casefile.summarise(row, own, data)
        # The open tasks carry the case's name and urgency, for the inbox to filter and order by.
        changed: dict[Any, Any] = {}
        if title and title != row.title:
            row.title = changed["subject"] = title
        if urgency_rank(row.summary) != urgency_before:
            changed["urgency_rank"] = urgency_rank(row.summary)
        if changed and not new_instance:
            session.query(TaskRow).filter_by(instance_id=row.id, state="open").update(
                changed, synchronize_session="fetch")
        with session.no_autoflush:  # one flush for the whole projection, not one per query
            Projector(session, row, properties, new_instance=new_instance, known=ctx.known).project(wf, ctx)
        if failure is not None or row.status == "incident":
            session.flush()
            open_incidents = session.scalar(select(func.count()).select_from(Incident).where(
                Incident.instance_id == row.id, Incident.state == "open"))
        else:
            open_incidents = 0  # an instance without an incident gains one only through a failure
        if open_incidents:
            row.status = "incident"
        elif reached_end(wf):
            if row.status != "completed":
                session.add(audit_event(row.id, ctx, "instance_completed"))
            row.status = "completed"
            row.completed_at = row.completed_at or ctx.now
        else:
            row.status = "running"
        return data

    # ---- starting --------------------------------------------------------------------------
    def start(self, process_id: str, data: Any = None, *, actor: str | None = None,
              case_reference: str | None = None, parent_case_reference: str | None = None,
              business_key: str | None = None, title: str | None = None,
              start_message: str | None = None) -> Instance:
        """Start an instance on the newest deployed version; a known ``business_key`` returns the
        existing instance instead (so a retried start creates nothing twice)."""
        clean = normalise(data)
        with self.transaction() as session:
            if business_key:
                existing = session.scalars(select(Instance).where(Instance.business_key == business_key)).first()
                if existing is not None:
                    return existing
            if case_reference and session.scalar(select(Instance.id).where(
                    Instance.case_reference == case_reference).limit(1)) is not None:
                # A case's reference is its identity (messages correlate by it): never shared by a new start.
                raise Conflict(f"Case reference {case_reference} is already taken; leave it out and careflow "
                               f"makes one", case_reference=case_reference)
            return self.start_in(session, process_id, clean, actor=actor, case_reference=case_reference,
                                 parent_case_reference=parent_case_reference, business_key=business_key,
                                 title=title, start_message=start_message)

    def start_in(self, session: Session, process_id: str, clean: dict[str, Any], *, actor: str | None,
                 case_reference: str | None = None, parent_case_reference: str | None = None,
                 business_key: str | None = None, title: str | None = None,
                 start_message: str | None = None) -> Instance:
        """Start one instance inside the caller's transaction (``clean``: data already normalised)."""
        version = self.library.latest(session, process_id)
        spec, subprocess_specs = self.library.specs(session, version)
        casefile.apply_config_defaults(self.library, session, version, clean)
        case = NewCase(clean, case_reference or self._next_case_reference(session), parent_case_reference,
                       business_key, title)
        row, wf, ctx = self._new_case(version, spec, subprocess_specs, case, actor)

        def act() -> None:
            if start_message:
                casefile.prepare_message_start(wf)
                wf.do_engine_steps()
                deliver_message(wf, start_message, clean)

        return self.step(session, row, wf, ctx, act)

    def start_many(self, session: Session, process_id: str, cases: list[NewCase], *,
                   actor: str | None) -> list[Instance]:
        """Start many instances of one process in the caller's transaction: one spec, one copy of the
        configuration, one flush per batch of new rows (fan-out of thousands of person cases).

        Each case is stepped exactly as :meth:`start_in` would, to its first wait."""
        version = self.library.latest(session, process_id)
        spec, subprocess_specs = self.library.specs(session, version)
        properties = self.library.element_properties(session, version.id)
        defaults: dict[str, Any] = {}
        casefile.apply_config_defaults(self.library, session, version, defaults)
        template = json.dumps(defaults)
        started: list[Instance] = []
        for chunk in range(0, len(cases), BATCH):
            stepped = []
            for case in cases[chunk:chunk + BATCH]:
                case.data = {**json.loads(template), **case.data}
                if case.case_reference is None:
                    case.case_reference = self._next_case_reference(session)
                row, wf, ctx = self._new_case(version, spec, subprocess_specs, case, actor)
                ctx.session = session
                session.info[RUNTIME_KEY] = self
                token = current_step.set(ctx)
                try:
                    failure = run_engine(wf, max_tasks=self.max_tasks_per_step)
                finally:
                    current_step.reset(token)
                row.state = serializer().serialize_json(wf)
                session.add(row)
                stepped.append((row, wf, ctx, failure))
            session.flush()  # the instances first: the projections refer to them
            for row, wf, ctx, failure in stepped:
                ctx.session = session
                data = self._record(session, row, wf, ctx, failure, properties, new_instance=True)
                self._after_step(session, row, data, ctx)
                started.append(row)
            session.flush()
        return started

    def _new_case(self, version: ProcessVersion, spec: Any, subprocess_specs: Any, case: NewCase,
                  actor: str | None) -> tuple[Instance, BpmnWorkflow, StepContext]:
        assert case.case_reference is not None
        case.data.setdefault("caseReference", case.case_reference)
        wf = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
        wf.careflow_spec_ref = spec_ref(version.process_id, version.content_hash)  # state names its version
        wf.task_tree.set_data(**case.data)
        now = utcnow()
        row = Instance(id=str(uuid.uuid4()), process_id=version.process_id, process_version_id=version.id,
                       case_reference=case.case_reference, parent_case_reference=case.parent_case_reference,
                       business_key=case.business_key,
                       title=case.title or case.data.get("caseTitle") or version.name,
                       status="running", state="", started_by=actor, created_at=now, updated_at=now, version=1)
        ctx = StepContext(row.id, case.case_reference, actor, now=now)
        ctx.audit.append({"action": "instance_started", "data": {
            "process": version.process_id, "version": version.version,
            "data": case.data if case.audit_data is None else case.audit_data}})
        return row, wf, ctx

    def _next_case_reference(self, session: Session) -> str:
        count = session.scalar(select(func.count()).select_from(Instance)) or 0
        return f"{self.case_prefix}-{utcnow().year}-{count + 1:06d}-{uuid.uuid4().hex[:4].upper()}"

    # ---- user tasks ------------------------------------------------------------------------
    def _open_task(self, session: Session, task_id: str) -> TaskRow:
        row = session.get(TaskRow, task_id, with_for_update=True)
        if row is None:
            raise NotFound(f"No task {task_id}")
        if row.state != "open":
            raise Conflict(f"This task is already {row.state}", task_state=row.state)
        return row

    def complete_task(self, task_id: str, data: Any, user: Principal, *,
                      expected_version: int | None = None) -> Instance:
        """Validate the data against the task's form and complete the task for ``user``."""
        with self.transaction() as session:
            task_row = self._open_task(session, task_id)
            if not may_work(user, task_row):
                raise _not_yours(task_row, user)
            clean = self.library.task_form(session, task_id).validate(data)  # the case's own version
            row, wf = self.load(session, task_row.instance_id)
            if expected_version is not None and expected_version != row.version:
                raise Conflict("The case was changed by someone else meanwhile; reload and try again",
                               current_version=row.version)
            task = find_task(wf, task_id)
            if task is None or task.state != TaskState.READY:
                raise Conflict("This task can no longer be completed")
            problems = [p for procedure in self.procedures.for_process(row.process_id)
                        for p in procedure.check_submission(row, task_row.name, task_row.form_key, clean,
                                                            dict(task.data))]
            if problems:
                raise ValidationFailed("There is a problem with the form", problems)
            task_row.completed_by = user.username
            task_row.draft = None
            ctx = StepContext(row.id, row.case_reference, user.username)
            ctx.audit.append({"action": "task_completed", "task_id": task_id, "element_id": task_row.name,
                              "element_name": task_row.title, "data": clean})

            def act() -> None:
                task.set_data(**clean)
                task.run()

            return self.step(session, row, wf, ctx, act)

    def claim(self, task_id: str, user: Principal) -> TaskRow:
        with self.db.transaction() as session:
            row = self._open_task(session, task_id)
            if row.assignee == user.username:
                return row
            if row.assignee:
                raise Conflict(f"This task is already claimed by {row.assignee}", assignee=row.assignee)
            if not may_work(user, row):
                raise _not_yours(row, user)
            row.assignee = user.username
            self._audit(session, row, user.username, "task_claimed")
            return row

    def unclaim(self, task_id: str, user: Principal) -> TaskRow:
        with self.db.transaction() as session:
            row = self._open_task(session, task_id)
            if row.assignee != user.username and user.role not in MANAGER_ROLES:
                raise Forbidden("Only the person working this task or a manager can release it")
            row.assignee = None
            row.offered_to_group = True  # released to its group: its members may now see and take it
            self._audit(session, row, user.username, "task_released")
            return row

    def reassign(self, task_id: str, to_username: str, user: Principal) -> TaskRow:
        with self.db.transaction() as session:
            row = self._open_task(session, task_id)
            if user.role not in MANAGER_ROLES:
                raise Forbidden("Only a manager can reassign a task")
            target = session.scalars(select(User).where(User.username == to_username)).first()
            if target is None or not target.active:
                raise NotFound(f"No active user '{to_username}'")
            if row.candidate_group and row.candidate_group not in target.group_names:
                raise Conflict(f"{to_username} is not in group {row.candidate_group}")
            row.assignee = to_username
            self._audit(session, row, user.username, "task_reassigned", {"to": to_username})
            return row

    def save_draft(self, task_id: str, data: Any, user: Principal) -> TaskRow:
        with self.db.transaction() as session:
            row = self._open_task(session, task_id)
            if not may_work(user, row):
                raise _not_yours(row, user)
            row.draft = normalise(data)
            return row

    def _audit(self, session: Session, row: TaskRow, actor: str, action: str, data: Any = None) -> None:
        session.add(AuditEvent(instance_id=row.instance_id, actor=actor, action=action, task_id=row.id,
                               element_id=row.name, element_name=row.title, data=data))

    # ---- messages --------------------------------------------------------------------------
    def correlate_message(self, name: str, keys: dict[str, Any] | None, payload: Any, *,
                          actor: str | None = None, start: bool = True,
                          may_reach: Callable[[Session, Instance], bool] | None = None) -> dict[str, Any]:
        """Deliver a message to every instance waiting for it under these keys; if none waits,
        start the processes that a message of this name starts.

        ``may_reach`` (given for a person sending through the API) says whether the sender may act
        on a waiting case; a message only careflow sends is refused from anyone else."""
        if may_reach is not None and name in self.procedures.system_messages():
            raise Forbidden(f"Message '{name}' is sent only by careflow itself")
        clean = normalise(payload)
        clean_keys = normalise(keys or {}, source="correlationKeys")
        key = correlation_key_from_request(clean_keys)
        with self.transaction() as session:
            subs = session.scalars(select(MessageSubscription).where(
                MessageSubscription.message_name == name, MessageSubscription.correlation_key == key)).all()
            waiting = list(dict.fromkeys(s.instance_id for s in subs))
            if may_reach is not None:
                for instance_id in waiting:
                    row = session.get(Instance, instance_id)
                    if row is not None and not may_reach(session, row):
                        raise Forbidden("A case waiting for this message is not one your teams work on")
            # What procedures make of the message first (e.g. a date it moves): their answer joins ours.
            answers: dict[str, Any] = {}
            rows = [r for r in (session.get(Instance, i) for i in waiting) if r is not None]
            for procedure in self.procedures:
                if any(procedure.owns(r.process_id) for r in rows):
                    answers.update(procedure.on_message(self, session, name, clean, rows, actor=actor) or {})
            delivered: list[str] = []
            for instance_id in waiting:
                self.deliver_message(session, instance_id, name, clean, actor=actor, keys=keys)
                delivered.append(instance_id)
            started: list[str] = []
            if not delivered and start:
                for version in self.library.processes_started_by(session, name):
                    # The keys name the case a later message must find: they join its data.
                    row = self.start_in(session, version.process_id, {**clean, **clean_keys}, actor=actor,
                                        start_message=name)
                    started.append(row.id)
            if not delivered and not started:
                raise NotFound(f"No instance is waiting for message '{name}' with these keys, and no process "
                               f"starts with it")
            answer = {"correlated": delivered, "started": started, **answers}
        # Committed: long work the message left to follow-ups goes on, each batch its own transaction.
        for procedure in self.procedures:
            answer = procedure.after_message(self, name, answer) or answer
        return answer

    # ---- moving dates a case waits for --------------------------------------------------------
    def reschedule_timers(self, session: Session, instance_id: str, due: dict[str, Any], *,
                          actor: str | None, cause: str, data: dict[str, Any] | None = None,
                          audit: list[dict[str, Any]] | None = None,
                          decide_again: dict[str, dict[str, str]] | None = None,
                          when_changed: Mapping[str, tuple[str, ...]] | None = None,
                          reason: str = "date moved") -> Rescheduled | None:
        """Move waiting timers of an instance to new due times, recorded, and take again the decisions that
        read the moved data (:mod:`workflows.rescheduling`)."""
        from .rescheduling import reschedule_timers

        return reschedule_timers(self, session, instance_id, due, actor=actor, cause=cause, data=data,
                                 audit=audit, decide_again=decide_again, when_changed=when_changed,
                                 reason=reason)

    # ---- long work in batches that each commit ------------------------------------------------
    def request_follow_up(self, session: Session, kind: str, subject: str) -> None:
        """Leave ``kind`` of work on ``subject`` to go on after this transaction (:mod:`workflows.follow_ups`)."""
        follow_ups.request(session, kind, subject)

    @staticmethod
    def pending_follow_up(session: Session, kind: str, subject: str) -> bool:
        """Whether ``kind`` of work on ``subject`` is still to go on (asked for and not finished)."""
        return follow_ups.pending(session, kind, subject)

    def run_follow_up(self, kind: str, subject: str, *, now: datetime | None = None) -> follow_ups.Progress:
        """Do a follow-up's batches now, each its own transaction (unless another run holds it)."""
        return follow_ups.run(self, kind, subject, batch=self.follow_up_batch, now=now)

    def run_due_follow_ups(self, *, now: datetime | None = None,
                           stop: Callable[[], bool] | None = None) -> list[follow_ups.Progress]:
        """Run every follow-up no one is running (the scheduler's job; after a restart, what was left)."""
        return follow_ups.run_due(self, batch=self.follow_up_batch, now=now, stop=stop)

    # ---- timers ----------------------------------------------------------------------------
    def due_timers(self, now: datetime | None = None, limit: int = 500) -> list[str]:
        now = now or utcnow()
        with self.db.reading() as session:
            return list(session.scalars(select(TimerRow.id).where(TimerRow.state == "waiting",
                                                                  TimerRow.due_at <= now, timer_not_held())
                                        .order_by(TimerRow.due_at).limit(limit)))

    def fire_timer(self, timer_id: str, now: datetime | None = None) -> bool:
        """Fire one due timer in its own transaction; False if someone else took it or it is gone."""
        from .timers import fire

        return fire(self, timer_id, now) is not None

    def fire_next_due_timer(self, now: datetime | None = None) -> str | None:
        """Claim the most overdue timer no other worker holds and fire it (one transaction)."""
        from .timers import fire

        return fire(self, None, now)

    def fire_due_timers(self, now: datetime | None = None, limit: int = 500) -> int:
        """Fire every timer due at ``now`` (the runtime's clock; tests move it forward)."""
        return sum(1 for timer_id in self.due_timers(now, limit) if self.fire_timer(timer_id, now))

    # ---- cases nothing can move on -----------------------------------------------------------
    def stalled_cases(self, limit: int = 500) -> list[dict[str, Any]]:
        """Cases running with nothing open, waiting or due (see :mod:`workflows.stalled`)."""
        with self.db.reading() as session:
            return stalled.stalled_cases(session, limit)

    def flag_stalled_cases(self, limit: int = 500) -> list[str]:
        """Open an incident on every stalled case, so operators see it (the scheduler runs this)."""
        with self.db.transaction() as session:
            return stalled.raise_incidents_for_stalled(session, limit=limit)

    # ---- reading the live workflow ---------------------------------------------------------
    def instance_data(self, instance_id: str) -> dict[str, Any]:
        with self.db.reading() as session:
            row, wf = self.load(session, instance_id)
            self.cache.put(row.id, row.version, wf)
            return casefile.case_data(wf)

    def task_form_values(self, task_id: str) -> dict[str, Any]:
        """What the task's form starts from: its own fields only (see :mod:`workflows.form_values`)."""
        from .form_values import task_form_values

        with self.db.reading() as session:
            task_row = session.get(TaskRow, task_id)
            if task_row is None:
                raise NotFound(f"No task {task_id}")
            if not task_row.form_key:
                return {}
            # The form as the case's version pinned it: a form deployed through the API is not on disk.
            fields = (self.library.task_form(session, task_id).schema.get("properties") or {}).keys()
            return task_form_values(session, task_row, fields)

    def task_data(self, task_id: str) -> dict[str, Any]:
        with self.db.reading() as session:
            task_row = session.get(TaskRow, task_id)
            if task_row is None:
                raise NotFound(f"No task {task_id}")
            row, wf = self.load(session, task_row.instance_id)
            self.cache.put(row.id, row.version, wf)
            task = find_task(wf, task_id)
            return dict(task.data) if task is not None else {}


class _CachingTransaction:
    """A transaction that, after commit, keeps the stepped workflows for the next step."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._cm: Any = None
        self.session: Session | None = None

    def __enter__(self) -> Session:
        self._cm = self.runtime.db.transaction()
        self.session = self._cm.__enter__()
        return self.session

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        session = self.session
        stepped = session.info.pop("careflow_cache", []) if session is not None else []
        versions: dict[str, int] = {}
        if exc_type is None and session is not None and session.info.get(_DEFER_FLUSH):
            try:  # the versions below are the ones the flush writes
                self.runtime.flush(session)
            except BaseException as error:  # rolled back like any failure in the block
                self._cm.__exit__(type(error), error, error.__traceback__)
                for row_id, _ in stepped:
                    self.runtime.cache.drop(row_id)
                raise
        if exc_type is None and session is not None:
            for row_id, _ in stepped:
                row = session.get(Instance, row_id)
                versions[row_id] = row.version if row is not None else -1
        result = self._cm.__exit__(exc_type, exc, tb)
        for row_id, wf in stepped:
            if exc_type is None:
                self.runtime.cache.put(row_id, versions[row_id], wf)
            else:
                self.runtime.cache.drop(row_id)
        return bool(result)


def _not_yours(row: TaskRow, user: Principal) -> CareflowError:
    """Why ``user`` may not work the task: a colleague took it first (409, a race), or it is another team's (403)."""
    if row.assignee and (row.candidate_group is None or row.candidate_group in user.group_names):
        return Conflict(f"This task is already claimed by {row.assignee}", assignee=row.assignee)
    if row.assignee:
        return Forbidden(f"This task is assigned to {row.assignee}")
    return Forbidden(f"This task is for group {row.candidate_group}, and you are not in it")
