"""The notice period moves (PF-08, B.7 PF-T3/PF-T4): a further notice or QISS changes the closure date.

The incident's closure timers (PF-T3 closure date, PF-T4 warnings) move to the new date, and so do
the dates its open person cases hold (``closureDate``, the days until care stops that DMN-02 reads,
and the PP-10b check before closure); closed person cases keep theirs. Every move is an entry in the
chronology of the incident and of each case it reaches: old date -> new date, and who or what moved it.

Two ways in: a further notice (``provider_failure_notified`` with ``closureDate``), applied before
the notice is delivered so the message's answer can say whether anything changed; and any step of the
incident that leaves it with another date than it last recorded (PF-08 agreed by QISS), caught after
the step. Either way, person cases holding another date than their incident are brought to it: one
batch in the step's own transaction, the rest in batches that each commit (a follow-up, so a kill
mid-way loses nothing and a later date, read afresh by every batch, wins). A person case whose
urgency was decided (DMN-02, PP-03) has it decided again with the new days until care stops, and its
action (DMN-09, PP-09) too when that urgency changed.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflows.batches import Batch
from workflows.casefile import case_data
from workflows.errors import ValidationFailed
from workflows.models import Instance, TaskRow
from workflows.rescheduling import date_changed
from workflows.timeutil import parse_duration

from .checks import LONDON
from .person_cases import INCIDENT, PERSON

if TYPE_CHECKING:
    from workflows.runtime import Runtime

NOTICE = "provider_failure_notified"
LABEL = "Closure date"
CLOSED_STATUSES = ("CLOSED", "NO_INTERVENTION")
HELD = ("completed", "suspended", "terminated")  # person cases whose dates stay as they are
# The incident's closure timers, as pf_closure_timers sets them (PF-T3, PF-T4).
CLOSURE_TIMER, WARN_SQIP, WARN_HEAD = "pf_closure_date", "pf_warn_sqip", "pf_warn_head"
AGREE_NOTICE = "pf_notice_period"  # PF-08's form
INFO_CHECK = "pp_info_timer"  # PP-10b: the closure date less infoCheckBeforeClosure
MOVE_PERSON_CASES = "provider_failure_move_person_cases"  # follow-up work, on an incident's case reference
# PP-03's DMN-02 reads daysUntilCareStops: a decided urgency is decided again when the date moves, and
# PP-09's DMN-09, which reads the urgency, when that changed (a CRITICAL urgency changes the action).
DECIDE_AGAIN = {"pp_urgency": {"urgency": "Urgency"}, "pp_action": {"primaryAction": "Action"}}
WHEN_CHANGED = {"pp_action": ("urgency",)}


def closure_date_of(value: Any) -> str:
    """A closure date from a message: a real date, ``YYYY-MM-DD`` (else a 422)."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ValidationFailed("The closure date must be a real date", [
        {"field": "payload.closureDate", "message": "Closure date must be a real date, like 2026-03-31"}])


def closing_moment(closure: str) -> datetime:
    """When the provider closes: a date alone closes at 17:00, as the diagram's PF-T3 reads it."""
    if len(closure) == 10:
        return datetime.fromisoformat(closure + "T17:00:00+00:00")
    moment = datetime.fromisoformat(closure)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _incident_dates(data: dict[str, Any], closure: str) -> tuple[dict[str, datetime], dict[str, Any]]:
    """The closure timers' new due times, and the data they are read from (set once PF-09 is done)."""
    if not data.get("closureAt"):
        return {}, {}  # PF-06 to PF-09: pf_closure_timers will read the new date when it runs
    closing = closing_moment(closure)
    due = {CLOSURE_TIMER: closing,
           WARN_SQIP: closing - parse_duration(data.get("closureWarningSqip") or "P14D"),
           WARN_HEAD: closing - parse_duration(data.get("closureWarningHead") or "P3D")}
    every = parse_duration(data["provisionReviewEvery"]) if data.get("provisionReviewEvery") else None
    fields: dict[str, Any] = {"closureAt": due[CLOSURE_TIMER].isoformat(), "warnSqipAt": due[WARN_SQIP].isoformat(),
                              "warnHeadAt": due[WARN_HEAD].isoformat()}
    if isinstance(every, timedelta):  # PF-09 rounds stop at the closure date (pf_round_due)
        fields["provisionRoundsDue"] = max(0, int((closing - datetime.now(timezone.utc)) / every))
    return due, fields


def incident_closed(session: Session, row: Instance, data: dict[str, Any]) -> bool:
    """Closed, or past its person cases (PF-13 confirming the end): its notice period is over."""
    if row.status in ("completed", "terminated") or data.get("incidentStatus") in CLOSED_STATUSES:
        return True
    return session.scalar(select(TaskRow.id).where(TaskRow.instance_id == row.id, TaskRow.state == "open",
                                                   TaskRow.name == "pf_confirm_end").limit(1)) is not None


def change_closure_date(runtime: Runtime, session: Session, incident: Instance, closure: str, *,
                        actor: str | None, cause: str) -> dict[str, Any]:
    """Move the incident's closure date to ``closure`` (its timers and open person cases follow).

    Returns ``changed`` with ``from``, ``to`` and, when nothing changed, the ``reason``; a date that is
    already the incident's, or an incident already closed, changes nothing and records nothing.
    """
    _, wf = runtime.load(session, incident.id)
    data = case_data(wf)
    held = data.get("closureDate")
    answer: dict[str, Any] = {"changed": False, "from": held, "to": closure, "incidentId": incident.id,
                              "caseReference": incident.case_reference}
    if incident_closed(session, incident, data):
        return {**answer, "reason": f"Incident {incident.case_reference} is closed: its closure date stays "
                                    f"{held or 'unset'}"}
    if held == closure:
        return {**answer, "reason": f"The closure date is already {closure}: nothing changed"}
    entry = {"from": held, "to": closure, "at": datetime.now(timezone.utc).isoformat(), "cause": cause, "by": actor}
    due, fields = _incident_dates(data, closure)
    done = runtime.reschedule_timers(
        session, incident.id, due, actor=actor, cause=cause,
        data={"closureDate": closure, **fields, "closureDateChanges": [*(data.get("closureDateChanges") or []), entry]},
        audit=[date_changed(LABEL, held, closure, cause=cause, by=actor)])
    # The step above brought the open person cases to the new date, a batch of them (on_incident_step's report).
    reports = done.reports if done is not None else {}
    return {**answer, "changed": True, "timersMoved": [m.as_dict() for m in done.timers] if done else [],
            "personCasesMoved": reports.get(MOVED, 0), "personCasesToMove": reports.get(TO_MOVE, 0)}


MOVED, TO_MOVE = "personCasesMoved", "personCasesToMove"  # what a step of the incident reports


def on_notice(runtime: Runtime, session: Session, payload: dict[str, Any], waiting: list[Instance], *,
              actor: str | None) -> dict[str, Any] | None:
    """A further notice naming a closure date, before it is delivered: the incidents it reaches move."""
    if payload.get("closureDate") in (None, ""):
        return None
    closure = closure_date_of(payload["closureDate"])
    source = payload.get("notificationSource") or "a further notice"
    cause = f"Further notice ({payload.get('eventType') or 'notice'}) from {source}"
    answers = [change_closure_date(runtime, session, row, closure, actor=actor, cause=cause)
               for row in waiting if row.process_id == INCIDENT]
    if not answers:
        return None
    first = answers[0]
    return {"closureDate": first if len(answers) == 1 else {**first, "incidents": answers,
                                                            "changed": any(a["changed"] for a in answers)}}


def on_incident_step(runtime: Runtime, session: Session, row: Instance, data: dict[str, Any]) -> dict[str, int] | None:
    """After a step of the incident: record a date a task changed, then bring the open person cases to it.
    Returns how many person cases it moved and how many are still to move."""
    closure = data.get("closureDate")
    if not closure or row.status in ("completed", "terminated"):
        return None
    changes = data.get("closureDateChanges") or []
    held = changes[-1]["to"] if changes else None
    task = _last_completed(session, row.id) if held is not None and held != closure else None
    if task is not None and task.form_key == AGREE_NOTICE and task.completed_at == row.updated_at:
        # QISS agreed another date at PF-08 in this step than the one last recorded.
        who = task.completed_by
        cause = f"{task.title} (QISS)"
        entry = {"from": held, "to": str(closure), "at": datetime.now(timezone.utc).isoformat(), "cause": cause,
                 "by": who}
        due, fields = _incident_dates(data, str(closure))
        done = runtime.reschedule_timers(session, row.id, due, actor=who, cause=cause,
                                         data={**fields, "closureDateChanges": [*changes, entry]},
                                         audit=[date_changed(LABEL, held, str(closure), cause=cause, by=who)])
        return done.reports if done is not None else None  # that step came back here and moved the cases
    if runtime.pending_follow_up(session, MOVE_PERSON_CASES, row.case_reference):
        # A follow-up is moving them already (asked for by this transaction or an earlier one): it goes
        # on with them, so a transaction moves at most one batch, whatever steps the incident takes.
        return {MOVED: 0, TO_MOVE: stale_count(session, row.case_reference, str(closure))}
    # One batch in this transaction; what is left goes on after it commits (a follow-up, written now).
    moved, remaining = move_person_cases(runtime, session, row, str(closure), changes[-1] if changes else None,
                                         limit=runtime.follow_up_batch)
    if remaining:
        runtime.request_follow_up(session, MOVE_PERSON_CASES, row.case_reference)
    return {MOVED: moved, TO_MOVE: remaining}


def move_person_cases_batch(runtime: Runtime, session: Session, case_reference: str, limit: int) -> Batch:
    """One batch of the follow-up: the person cases of the incident still holding another date than it
    holds now (read afresh, under its lock, so a newer date wins), up to ``limit`` of them."""
    incident = session.scalars(select(Instance).where(
        Instance.case_reference == case_reference, Instance.process_id == INCIDENT,
        Instance.status.not_in(("completed", "terminated"))).order_by(Instance.created_at.desc())).first()
    if incident is None:
        return Batch(0, 0)  # closed: its open person cases were closed before it (PF-13)
    _, wf = runtime.load(session, incident.id, lock=True)  # one batch at a time beside a date change
    data = case_data(wf)
    closure = data.get("closureDate")
    if not closure:
        return Batch(0, 0)
    changes = data.get("closureDateChanges") or []
    moved, remaining = move_person_cases(runtime, session, incident, str(closure), changes[-1] if changes else None,
                                         limit=limit)
    return Batch(moved, remaining)


def after_notice(runtime: Runtime, answer: dict[str, Any]) -> dict[str, Any] | None:
    """The notice committed: the person cases its first transaction left are moved now, in batches that
    each commit, and the answer says how many were moved and how many are still to move."""
    closure = answer.get("closureDate")
    if not isinstance(closure, dict):
        return None
    parts = closure.get("incidents") or [closure]
    for part in parts:
        if part.get("personCasesToMove"):
            _go_on(runtime, part)
    if closure.get("incidents"):
        closure = {**closure, **{k: parts[0][k] for k in ("personCasesMoved", "personCasesToMove", "personCaseBatches",
                                                          "supersededBy", "note") if k in parts[0]}}
    return {**answer, "closureDate": closure}


def _go_on(runtime: Runtime, part: dict[str, Any]) -> None:
    progress = runtime.run_follow_up(MOVE_PERSON_CASES, part["caseReference"])
    part["personCasesMoved"] = part.get("personCasesMoved", 0) + progress.done
    part["personCaseBatches"] = {"batches": 1 + len(progress.batch_seconds),
                                 "seconds": [round(t, 3) for t in progress.batch_seconds]}
    with runtime.db.reading() as session:
        incident = session.scalars(select(Instance).where(
            Instance.case_reference == part["caseReference"], Instance.process_id == INCIDENT)
            .order_by(Instance.created_at.desc())).first()
        now = (incident.summary or {}).get("closureDate") if incident is not None else None
        part["personCasesToMove"] = 0 if progress.finished else (
            stale_count(session, part["caseReference"], str(now)) if now else 0)
    if now and now != part["to"]:
        part["supersededBy"] = now  # a later change arrived meanwhile: the cases go to its date
    if progress.held:
        part["note"] = "Another run is moving the rest of the person cases, in batches"
    elif progress.error:
        part["note"] = "The rest of the person cases will be moved by the worker, in batches"


def _last_completed(session: Session, instance_id: str) -> TaskRow | None:
    return session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id, TaskRow.state == "completed")
                           .order_by(TaskRow.completed_at.desc()).limit(1)).first()


def _stale(case_reference: str, closure: str) -> tuple[Any, ...]:
    """Open person cases of the incident holding another closure date than ``closure``."""
    held_date = Instance.summary["closureDate"].as_string()
    return (Instance.parent_case_reference == case_reference, Instance.process_id == PERSON,
            Instance.status.not_in(HELD), or_(held_date.is_(None), held_date != closure))


def stale_count(session: Session, case_reference: str, closure: str) -> int:
    return session.scalar(select(func.count()).select_from(Instance).where(*_stale(case_reference, closure))) or 0


def move_person_cases(runtime: Runtime, session: Session, incident: Instance, closure: str,
                      change: dict[str, Any] | None, *, limit: int) -> tuple[int, int]:
    """Bring up to ``limit`` open person cases of the incident that hold another closure date to
    ``closure``; returns how many moved and how many are still to move."""
    total = stale_count(session, incident.case_reference, closure)
    if not total or limit <= 0:
        return 0, total
    held_date = Instance.summary["closureDate"].as_string()
    stale = session.execute(select(Instance.id, held_date).where(*_stale(incident.case_reference, closure))
                            .order_by(Instance.created_at).limit(limit)).all()
    if change is not None and change.get("to") == closure:
        cause, by = f"Incident {incident.case_reference}: {change['cause']}", change.get("by")
    else:
        cause, by = f"Incident {incident.case_reference}: closure date agreed (PF-08)", None
    days = max(0, (date.fromisoformat(closure[:10]) - datetime.now(LONDON).date()).days)
    check_base = datetime.fromisoformat(closure[:10] + "T09:00:00+00:00")

    def info_check_at(task_data: dict[str, Any]) -> datetime:
        lead = parse_duration(task_data.get("infoCheckBeforeClosure") or "P7D")
        return max(check_base - lead, datetime.now(timezone.utc))

    for instance_id, was in stale:
        stepped = runtime.reschedule_timers(session, instance_id, {INFO_CHECK: info_check_at}, actor=by,
                                            cause=cause, data={"closureDate": closure, "daysUntilCareStops": days},
                                            audit=[date_changed(LABEL, was, closure, cause=cause, by=by)],
                                            decide_again=DECIDE_AGAIN, when_changed=WHEN_CHANGED,
                                            reason="closure date moved")
        if stepped is None:  # it held the date already, only not in its summary (an older diagram)
            row = session.get(Instance, instance_id)
            if row is not None:
                row.summary = {**(row.summary or {}), "closureDate": closure}
    return len(stale), total - len(stale)
