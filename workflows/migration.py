"""Moving running cases to another version of their process, and moving them back.

A case's stored state names its version (``process@content-hash``) and each task names its
element. Moving a case re-points the state at the new version: tasks already done and tasks open
now must exist there (an open task whose step was removed blocks the move); steps merely predicted
ahead are dropped and predicted again from the new diagram. An open task whose form changed is
checked against the new form with what was typed so far. Each move is a case-history event and a
:class:`CaseMigration` row holding the state before, so it can be reverted while the case has not
moved on since.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import Conflict, NotFound, ValidationFailed
from .model_base import MAX_VERSION, RUNNING, audit, require_reason
from .modeller_tables import CaseMigration
from .models import Instance, ProcessVersion, TaskRow, utcnow
from .spiff_bridge import StepContext, spec_ref

PREDICTED = int(TaskState.FUTURE | TaskState.LIKELY | TaskState.MAYBE)
OPEN = int(TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR)


@dataclass
class Plan:
    """What moving one case would do: the open steps it keeps, what blocks it, the new state."""

    instance_id: str
    case_reference: str
    title: str | None
    from_version: int
    moves: list[str] = field(default_factory=list)
    blockers: list[dict[str, Any]] = field(default_factory=list)
    state: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"instanceId": self.instance_id, "caseReference": self.case_reference, "title": self.title,
                "fromVersion": self.from_version, "canMove": not self.blockers, "moves": self.moves,
                "blockers": self.blockers}


class Migrations:
    """Dry runs, migrations and reverts over a runtime (its library, forms and step machinery)."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.library = runtime.library

    def _target(self, session: Session, process_id: str, version: int) -> ProcessVersion:
        if not 0 < version < MAX_VERSION:  # no row has it, and the database could not compare it
            raise NotFound(f"No version {version} of process '{process_id}'")
        found = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                             ProcessVersion.version == version)).first()
        if found is None:
            raise NotFound(f"No version {version} of process '{process_id}'")
        return found

    def dry_run(self, process_id: str, version: int, instance_ids: list[str] | None = None) -> dict[str, Any]:
        """Case by case: what would move to ``version`` and what blocks it (nothing is changed)."""
        with self.runtime.db.reading() as session:
            target = self._target(session, process_id, version)
            query = select(Instance).where(Instance.process_id == process_id, Instance.status.in_(RUNNING),
                                           Instance.process_version_id != target.id)
            if instance_ids is not None:
                query = query.where(Instance.id.in_(instance_ids))
            rows = session.scalars(query.order_by(Instance.created_at)).all()
            plans = [self._plan(session, row, target).to_dict() for row in rows]
        return {"processId": process_id, "toVersion": version, "cases": plans,
                "movable": sum(1 for p in plans if p["canMove"])}

    def _plan(self, session: Session, row: Instance, target: ProcessVersion) -> Plan:
        old = session.get(ProcessVersion, row.process_version_id)
        plan = Plan(row.id, row.case_reference, row.title, old.version if old else 0)
        spec, subprocess_specs = self.library.specs(session, target)
        state = json.loads(row.state)
        names = set(spec.task_specs)
        sub_names: dict[str, set[str]] = {k: set(v.task_specs) for k, v in subprocess_specs.items()}
        old_props = self.library.element_properties(session, row.process_version_id)
        new_props = self.library.element_properties(session, target.id)
        self._check_tasks(plan, state["tasks"], names, old_props, new_props, session, target)
        for sub in state.get("subprocesses", {}).values():
            known = sub_names.get(sub.get("spec", ""))
            if known is None:
                plan.blockers.append({"element": sub.get("spec"), "message": f"The sub-process '{sub.get('spec')}' "
                                      "this case is in is not in the new version"})
                continue
            self._check_tasks(plan, sub["tasks"], known, old_props, new_props, session, target)
        state["spec_ref"] = spec_ref(target.process_id, target.content_hash)
        plan.state = state
        return plan

    def _check_tasks(self, plan: Plan, tasks: dict[str, Any], names: set[str], old_props: dict[str, Any],
                     new_props: dict[str, Any], session: Session, target: ProcessVersion) -> None:
        drop: set[str] = set()
        for task_id, task in tasks.items():
            name, state = task["task_spec"], int(task["state"])
            if name in names:
                if state & OPEN and not name.startswith(("Start", "End", "Root")):
                    plan.moves.append(name)
                    self._check_form(plan, session, task_id, name, old_props, new_props, target)
                continue
            if state & PREDICTED:
                drop.add(task_id)
            elif state & OPEN:
                plan.blockers.append({"element": name, "message": f"The case is at '{name}', which is not in "
                                      "the new version"})
            else:
                plan.blockers.append({"element": name, "message": f"The case has passed '{name}', which is not "
                                      "in the new version"})
        _prune(tasks, drop)

    def _check_form(self, plan: Plan, session: Session, task_id: str, name: str, old_props: dict[str, Any],
                    new_props: dict[str, Any], target: ProcessVersion) -> None:
        row = session.get(TaskRow, task_id)
        if row is None or row.state != "open":
            return
        new_key = (new_props.get(name) or {}).get("formKey")
        if not new_key or (new_key == (old_props.get(name) or {}).get("formKey") and not row.draft):
            return
        try:  # the form as the new version pinned it (one deployed through the API is not on disk)
            form = self.library.form_for(session, target.id, new_key)
        except NotFound:
            plan.blockers.append({"element": name, "message": f"The new version's form '{new_key}' does not exist"})
            return
        if row.draft:
            try:
                form.validate(row.draft)
            except ValidationFailed as exc:
                fields = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors[:5])
                plan.blockers.append({"element": name, "message": "What was typed so far does not fit the "
                                      f"new form ({fields})"})

    def migrate(self, process_id: str, version: int, instance_ids: list[str], actor: str,
                reason: Any) -> dict[str, Any]:
        """Move each chosen case (one transaction each); a blocked case is reported and left as it is."""
        why = require_reason(reason, "reason")
        if not isinstance(instance_ids, list) or not instance_ids or not all(isinstance(i, str) for i in instance_ids):
            raise ValidationFailed("Choose the cases to move", [{"field": "instanceIds",
                                                                "message": "Choose at least one case"}])
        results = []
        for instance_id in instance_ids:
            try:
                results.append(self._migrate_one(process_id, version, instance_id, actor, why))
            except (Conflict, NotFound) as exc:
                results.append({"instanceId": instance_id, "migrated": False, "blockers": [
                    {"element": None, "message": exc.message}]})
        return {"processId": process_id, "toVersion": version, "cases": results,
                "migrated": sum(1 for r in results if r["migrated"])}

    def _migrate_one(self, process_id: str, version: int, instance_id: str, actor: str, why: str) -> dict[str, Any]:
        with self.runtime.transaction() as session:
            row = session.get(Instance, instance_id, with_for_update=True)
            if row is None or row.process_id != process_id:
                raise NotFound(f"No running case {instance_id} of process '{process_id}'")
            if row.status not in RUNNING:
                raise Conflict(f"Case {row.case_reference} is {row.status}; only running cases move")
            target = self._target(session, process_id, version)
            if row.process_version_id == target.id:
                raise Conflict(f"Case {row.case_reference} is already on version {version}")
            plan = self._plan(session, row, target)
            if plan.blockers:
                return {**plan.to_dict(), "migrated": False}
            before, old_version_id = row.state, row.process_version_id
            self.runtime.cache.drop(row.id)
            wf = self.library.serializer.deserialize_json(json.dumps(plan.state))
            wf.script_engine = self.runtime.script_engine
            row.process_version_id = target.id
            ctx = StepContext(row.id, row.case_reference, actor)
            ctx.audit.append({"action": "case_migrated", "data": {
                "fromVersion": plan.from_version, "toVersion": version, "reason": why}})
            self.runtime.step(session, row, wf, ctx)
            self._refresh_open_tasks(session, row, target, wf)
            session.flush()
            session.add(CaseMigration(instance_id=row.id, from_version_id=old_version_id, to_version_id=target.id,
                                      state_before=before, row_version_after=row.version, actor=actor,
                                      reason=why))
            audit(session, actor, "migrated", "process", process_id, version, why,
                  {"instanceId": row.id, "caseReference": row.case_reference, "fromVersion": plan.from_version})
            return {**plan.to_dict(), "migrated": True}

    def _refresh_open_tasks(self, session: Session, row: Instance, target: ProcessVersion, wf: Any) -> None:
        """Open tasks show the new version's title and form."""
        props = self.library.element_properties(session, target.id)
        spec_names = {t.task_spec.bpmn_id: t.task_spec for t in wf.get_tasks(state=TaskState.READY)}
        for task in session.scalars(select(TaskRow).where(TaskRow.instance_id == row.id, TaskRow.state == "open")):
            mine = props.get(task.name) or {}
            spec = spec_names.get(task.name)
            task.title = mine.get("title") or (spec.bpmn_name if spec is not None and spec.bpmn_name else task.title)
            task.form_key = mine.get("formKey")

    def history(self, instance_id: str) -> list[dict[str, Any]]:
        with self.runtime.db.reading() as session:
            rows = session.scalars(select(CaseMigration).where(CaseMigration.instance_id == instance_id)
                                   .order_by(CaseMigration.id.desc())).all()
            return [migration_dict(session, m) for m in rows]

    def recent(self, process_id: str, limit: int = 50) -> list[dict[str, Any]]:
        with self.runtime.db.reading() as session:
            rows = session.scalars(select(CaseMigration).join(Instance, Instance.id == CaseMigration.instance_id)
                                   .where(Instance.process_id == process_id)
                                   .order_by(CaseMigration.id.desc()).limit(limit)).all()
            return [migration_dict(session, m) for m in rows]

    def revert(self, migration_id: int, actor: str, reason: Any) -> dict[str, Any]:
        """Put the case back as it was before the migration, if it has not moved on since."""
        why = require_reason(reason, "reason")
        with self.runtime.transaction() as session:
            found = session.get(CaseMigration, migration_id)
            if found is None:
                raise NotFound(f"No migration {migration_id}")
            if found.reverted_at is not None:
                raise Conflict("This migration was already reverted")
            row = session.get(Instance, found.instance_id, with_for_update=True)
            if row is None:
                raise NotFound("The case is gone")
            if row.version != found.row_version_after:
                raise Conflict(f"Case {row.case_reference} has moved on since it was migrated; it cannot go back")
            old = session.get(ProcessVersion, found.from_version_id)
            self.runtime.cache.drop(row.id)
            wf = self.library.serializer.deserialize_json(found.state_before)
            wf.script_engine = self.runtime.script_engine
            row.process_version_id = found.from_version_id
            ctx = StepContext(row.id, row.case_reference, actor)
            ctx.audit.append({"action": "migration_reverted", "data": {
                "toVersion": old.version if old else None, "reason": why}})
            self.runtime.step(session, row, wf, ctx)
            if old is not None:
                self._refresh_open_tasks(session, row, old, wf)
            found.reverted_at, found.reverted_by = utcnow(), actor
            audit(session, actor, "migration_reverted", "process", row.process_id, old.version if old else None,
                  why, {"instanceId": row.id, "caseReference": row.case_reference, "migration": migration_id})
            return {"instanceId": row.id, "reverted": True, "version": old.version if old else None}


def migration_dict(session: Session, m: CaseMigration) -> dict[str, Any]:
    versions = {v.id: v.version for v in session.scalars(select(ProcessVersion).where(
        ProcessVersion.id.in_([m.from_version_id, m.to_version_id])))}
    row = session.get(Instance, m.instance_id)
    return {"id": m.id, "instanceId": m.instance_id, "caseReference": row.case_reference if row else None,
            "fromVersion": versions.get(m.from_version_id), "toVersion": versions.get(m.to_version_id),
            "at": m.at.isoformat(), "actor": m.actor, "reason": m.reason,
            "revertedAt": m.reverted_at.isoformat() if m.reverted_at else None, "revertedBy": m.reverted_by}


def _prune(tasks: dict[str, Any], drop: set[str]) -> None:
    """Remove predicted tasks (and what hangs below them) from a serialized task tree."""
    todo = list(drop)
    while todo:
        task_id = todo.pop()
        task = tasks.pop(task_id, None)
        if task is None:
            continue
        todo.extend(task.get("children", []))
        parent = tasks.get(task.get("parent") or "")
        if parent is not None:
            parent["children"] = [c for c in parent["children"] if c != task_id]
