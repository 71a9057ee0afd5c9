"""careflow's use cases: each public method is one database transaction.

Views and the scheduler call these; they never touch SpiffWorkflow or write SQL themselves.
"""
from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from . import provider_failure_hooks as case_hooks
from .data import normalise
from .db import Database
from .engine import (
    Projector,
    StepFailed,
    WorkflowCache,
    call_service,
    correlation_key_from_request,
    open_incident,
    run_engine,
    tasks_in,
)
from .errors import CareflowError, Conflict, Forbidden, NotFound
from .forms import FormLibrary
from .identity import Principal
from .incidents import IncidentUseCases
from .library import ProcessLibrary
from .models import AuditEvent, Incident, Instance, MessageSubscription, TaskRow, TimerRow, User, utcnow
from .spiff_bridge import StepContext, current_step, deliver_message, serializer, spec_ref

MANAGER_ROLES = frozenset({"manager", "admin"})


def build_script_engine() -> Any:
    from .expressions import make_script_engine
    from .timeutil import TIME_FUNCTIONS

    engine = make_script_engine(functions=TIME_FUNCTIONS)  # working days and timer dates in diagrams
    engine.call_service = functools.partial(call_service, engine)  # type: ignore[method-assign]
    return engine


def may_work(user: Principal, task: TaskRow) -> bool:
    """A user may work a task assigned to them, or an unassigned one offered to their group."""
    if task.assignee:
        return task.assignee == user.username
    return task.candidate_group is None or task.candidate_group in user.group_names


class Runtime(IncidentUseCases):
    def __init__(self, db: Database, library: ProcessLibrary, forms: FormLibrary,
                 case_prefix: str = "CF") -> None:
        self.db = db
        self.library = library
        self.forms = forms
        self.case_prefix = case_prefix
        self.cache = WorkflowCache()
        self.script_engine = build_script_engine()

    # ---- the step machinery ----------------------------------------------------------------
    def _load(self, session: Session, instance_id: str, *, lock: bool = False) -> tuple[Instance, BpmnWorkflow]:
        row = session.get(Instance, instance_id, with_for_update=lock or None)
        if row is None:
            raise NotFound(f"No instance {instance_id}")
        wf = self.cache.get(instance_id, row.version)
        if wf is None:
            wf = self.library.serializer.deserialize_json(row.state)
        wf.script_engine = self.script_engine
        return row, wf

    def _step(self, session: Session, row: Instance, wf: BpmnWorkflow, ctx: StepContext,
              act: Callable[[], None] | None = None) -> Instance:
        token = current_step.set(ctx)
        try:
            failure: StepFailed | None = None
            if act is not None:
                try:
                    act()
                except CareflowError:
                    raise
                except Exception as exc:  # noqa: BLE001  a post-script failing on completion
                    errored = tasks_in(wf, TaskState.ERROR)
                    if not errored:
                        raise
                    failure = StepFailed(exc, getattr(exc, "task", None) or errored[0])
            if failure is None:
                failure = run_engine(wf)
        finally:
            current_step.reset(token)
        self._save(session, row, wf, ctx, failure)
        case_hooks.after_step(self, session, row, wf)  # continue a case; close a parent
        return row

    def _save(self, session: Session, row: Instance, wf: BpmnWorkflow, ctx: StepContext,
              failure: StepFailed | None = None) -> None:
        row.state = serializer().serialize_json(wf)
        row.updated_at = ctx.now
        new_instance = row not in session
        if new_instance:  # inserted once, with its first state
            session.add(row)
            session.flush()
        if failure is not None:
            open_incident(session, row, failure, ctx)
        properties = self.library.element_properties(session, row.process_version_id)
        title_expression = properties.get(row.process_id, {}).get("caseTitle")
        title = _case_title(title_expression, _current_data(wf)) if title_expression else None
        if title and title != row.title:
            row.title = title
            session.query(TaskRow).filter_by(instance_id=row.id, state="open").update(
                {"subject": title}, synchronize_session="fetch")
        case_hooks.summarise(row, properties.get(row.process_id, {}), wf)
        with session.no_autoflush:  # one flush for the whole projection, not one per query
            Projector(session, row, properties, new_instance=new_instance).project(wf, ctx)
        if failure is not None or row.status == "incident":
            session.flush()
            open_incidents = session.scalar(select(func.count()).select_from(Incident).where(
                Incident.instance_id == row.id, Incident.state == "open"))
        else:
            open_incidents = 0  # an instance without an incident gains one only through a failure
        if open_incidents:
            row.status = "incident"
        elif wf.is_completed():
            row.status = "completed"
            row.completed_at = row.completed_at or ctx.now
        else:
            row.status = "running"
        try:
            session.flush()
        except StaleDataError:
            self.cache.drop(row.id)
            raise Conflict("The case was changed by someone else meanwhile; reload and try again") from None
        session.info.setdefault("careflow_cache", []).append((row.id, wf))

    def _transaction(self) -> Any:
        return _CachingTransaction(self)

    # ---- starting --------------------------------------------------------------------------
    def start(self, process_id: str, data: Any = None, *, actor: str | None = None,
              case_reference: str | None = None, parent_case_reference: str | None = None,
              business_key: str | None = None, title: str | None = None,
              start_message: str | None = None) -> Instance:
        """Start an instance on the newest deployed version; a known ``business_key`` returns the
        existing instance instead (so a retried start creates nothing twice)."""
        clean = normalise(data)
        with self._transaction() as session:
            if business_key:
                existing = session.scalars(select(Instance).where(Instance.business_key == business_key)).first()
                if existing is not None:
                    return existing
            return self._start_in(session, process_id, clean, actor=actor, case_reference=case_reference,
                                  parent_case_reference=parent_case_reference, business_key=business_key,
                                  title=title, start_message=start_message)

    def _start_in(self, session: Session, process_id: str, clean: dict[str, Any], *, actor: str | None,
                  case_reference: str | None = None, parent_case_reference: str | None = None,
                  business_key: str | None = None, title: str | None = None,
                  start_message: str | None = None) -> Instance:
        version = self.library.latest(session, process_id)
        spec, subprocess_specs = self.library.specs(session, version)
        clean = {**self.library.config_data(session, version), **clean}  # the version's configuration
        instance_id = str(uuid.uuid4())
        case_reference = case_reference or self._next_case_reference(session)
        clean.setdefault("caseReference", case_reference)
        wf = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
        wf.careflow_spec_ref = spec_ref(version.process_id, version.content_hash)  # state names its version
        wf.task_tree.set_data(**clean)
        now = utcnow()
        row = Instance(id=instance_id, process_id=process_id, process_version_id=version.id,
                       case_reference=case_reference, parent_case_reference=parent_case_reference,
                       business_key=business_key, title=title or clean.get("caseTitle") or version.name,
                       status="running", state="", started_by=actor, created_at=now, updated_at=now)
        ctx = StepContext(instance_id, case_reference, actor, now=now)
        ctx.audit.append({"action": "instance_started", "data": {"process": process_id,
                                                                 "version": version.version, "data": clean}})

        def act() -> None:
            if start_message:
                case_hooks.prepare_message_start(wf)
                wf.do_engine_steps()
                deliver_message(wf, start_message, clean)

        return self._step(session, row, wf, ctx, act)

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
        with self._transaction() as session:
            task_row = self._open_task(session, task_id)
            if not may_work(user, task_row):
                raise Forbidden(_not_yours(task_row))
            clean = self.library.task_form(session, task_id).validate(data)  # the case's own version
            row, wf = self._load(session, task_row.instance_id)
            if expected_version is not None and expected_version != row.version:
                raise Conflict("The case was changed by someone else meanwhile; reload and try again",
                               current_version=row.version)
            task = wf.get_task_from_id(uuid.UUID(task_id))
            if task is None or task.state != TaskState.READY:
                raise Conflict("This task can no longer be completed")
            task_row.completed_by = user.username
            task_row.draft = None
            ctx = StepContext(row.id, row.case_reference, user.username)
            ctx.audit.append({"action": "task_completed", "task_id": task_id, "element_id": task_row.name,
                              "element_name": task_row.title, "data": clean})

            def act() -> None:
                task.set_data(**clean)
                task.run()

            return self._step(session, row, wf, ctx, act)

    def claim(self, task_id: str, user: Principal) -> TaskRow:
        with self.db.transaction() as session:
            row = self._open_task(session, task_id)
            if row.assignee == user.username:
                return row
            if row.assignee:
                raise Conflict(f"This task is already claimed by {row.assignee}", assignee=row.assignee)
            if not may_work(user, row):
                raise Forbidden(_not_yours(row))
            row.assignee = user.username
            self._audit(session, row, user.username, "task_claimed")
            return row

    def unclaim(self, task_id: str, user: Principal) -> TaskRow:
        with self.db.transaction() as session:
            row = self._open_task(session, task_id)
            if row.assignee != user.username and user.role not in MANAGER_ROLES:
                raise Forbidden("Only the person working this task or a manager can release it")
            row.assignee = None
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
                raise Forbidden(_not_yours(row))
            row.draft = normalise(data)
            return row

    def _audit(self, session: Session, row: TaskRow, actor: str, action: str, data: Any = None) -> None:
        session.add(AuditEvent(instance_id=row.instance_id, actor=actor, action=action, task_id=row.id,
                               element_id=row.name, element_name=row.title, data=data))

    # ---- messages --------------------------------------------------------------------------
    def correlate_message(self, name: str, keys: dict[str, Any] | None, payload: Any, *,
                          actor: str | None = None, start: bool = True) -> dict[str, list[str]]:
        """Deliver a message to every instance waiting for it under these keys; if none waits,
        start the processes that a message of this name starts."""
        clean = normalise(payload)
        key = correlation_key_from_request(normalise(keys or {}, source="correlationKeys"))
        with self._transaction() as session:
            subs = session.scalars(select(MessageSubscription).where(
                MessageSubscription.message_name == name, MessageSubscription.correlation_key == key)).all()
            delivered: list[str] = []
            for instance_id in dict.fromkeys(s.instance_id for s in subs):
                row, wf = self._load(session, instance_id, lock=True)
                ctx = StepContext(row.id, row.case_reference, actor)
                ctx.audit.append({"action": "message_received", "data": {"message": name, "keys": keys or {},
                                                                        "payload": clean}})
                self._step(session, row, wf, ctx, functools.partial(deliver_message, wf, name, clean))
                delivered.append(row.id)
            started: list[str] = []
            if not delivered and start:
                for version in self.library.processes_started_by(session, name):
                    row = self._start_in(session, version.process_id, dict(clean), actor=actor,
                                         start_message=name)
                    started.append(row.id)
            if not delivered and not started:
                raise NotFound(f"No instance is waiting for message '{name}' with these keys, and no process "
                               f"starts with it")
            return {"correlated": delivered, "started": started}

    # ---- timers ----------------------------------------------------------------------------
    def due_timers(self, now: datetime | None = None, limit: int = 500) -> list[str]:
        now = now or utcnow()
        with self.db.reading() as session:
            return list(session.scalars(select(TimerRow.id).where(TimerRow.state == "waiting",
                                                                  TimerRow.due_at <= now)
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

    # ---- reading the live workflow ---------------------------------------------------------
    def instance_data(self, instance_id: str) -> dict[str, Any]:
        with self.db.reading() as session:
            row, wf = self._load(session, instance_id)
            self.cache.put(row.id, row.version, wf)
            return _current_data(wf)

    def task_data(self, task_id: str) -> dict[str, Any]:
        with self.db.reading() as session:
            task_row = session.get(TaskRow, task_id)
            if task_row is None:
                raise NotFound(f"No task {task_id}")
            row, wf = self._load(session, task_row.instance_id)
            self.cache.put(row.id, row.version, wf)
            task = wf.get_task_from_id(uuid.UUID(task_id))
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


def _current_data(wf: BpmnWorkflow) -> dict[str, Any]:
    """The instance's data as people think of it: that of its open work, or where it ended."""
    for state in (TaskState.READY, TaskState.WAITING, TaskState.ERROR):
        found = tasks_in(wf, state)
        if found:
            return dict(found[-1].data)
    if wf.last_task is not None:
        return dict(wf.last_task.data)
    return dict(wf.data)


def _case_title(expression: str, data: dict[str, Any]) -> str | None:
    """The case's title from the process's ``caseTitle`` expression (e.g. the person's name)."""
    from .expressions import evaluate_expression

    try:
        value = evaluate_expression(expression, dict(data))
    except Exception:  # noqa: BLE001  data not there yet: keep the title as it is
        return None
    return str(value)[:300] if value not in (None, "") else None


def _not_yours(row: TaskRow) -> str:
    if row.assignee:
        return f"This task is assigned to {row.assignee}"
    return f"This task is for group {row.candidate_group}, and you are not in it"
