"""When the last person case of an incident closes, the incident hears it with the closed totals.

The incident waits for message ``person_cases_all_closed`` (keyed by its case reference); the
payload says how the person cases ended, who ended last, and what to recover from whom (PF-13/14).
"""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.engine import correlation_key_from_request
from workflows.models import Instance, MessageSubscription

if TYPE_CHECKING:
    from workflows.runtime import Runtime

ALL_CLOSED = "person_cases_all_closed"
RECHARGES = ("RECHARGE_ARRANGING_AUTHORITY", "RECHARGE_WELSH_LA", "RECHARGE_SCOTTISH_LA", "RECHARGE_NI_HSC_TRUST")


def close_parent_when_last(runtime: Runtime, session: Session, row: Instance) -> None:
    """If ``row`` was the last open child case of its kind, tell the parent that waits for it."""
    parent = row.parent_case_reference
    if parent is None:
        return
    still_open = session.scalar(select(func.count()).select_from(Instance).where(
        Instance.parent_case_reference == parent, Instance.process_id == row.process_id,
        Instance.status != "completed"))
    if still_open:
        return
    key = correlation_key_from_request({"caseReference": parent})
    waiting = session.scalars(select(MessageSubscription.instance_id).where(
        MessageSubscription.message_name == ALL_CLOSED, MessageSubscription.correlation_key == key)).all()
    if not waiting:
        return
    payload = closed_totals(session, parent, row.process_id)
    shown = {k: v for k, v in payload.items() if k != "personCharges"}
    for instance_id in dict.fromkeys(waiting):
        runtime.deliver_message(session, instance_id, ALL_CLOSED, payload, actor="system",
                                keys={"caseReference": parent}, audit_payload=shown)


def closed_totals(session: Session, parent: str, process_id: str) -> dict[str, Any]:
    """What the incident needs from its closed person cases: end reasons, last end, what to recover."""
    reasons: Counter[str] = Counter()
    recharges: dict[tuple[str, str], list[str | None]] = {}
    person_charges: list[str | None] = []  # a person reference, or None where a case had none
    last_end = None
    summaries = session.scalars(select(Instance.summary).where(
        Instance.parent_case_reference == parent, Instance.process_id == process_id)).all()
    for summary in summaries:
        summary = summary or {}
        reasons[str(summary.get("endReason"))] += 1
        ended = summary.get("personDutyEndedAt")
        if ended and (last_end is None or ended > last_end):
            last_end = ended
        charge = summary.get("chargeTo")
        if charge in RECHARGES:
            authority = summary.get("placingAuthorityName") or "unknown authority"
            recharges.setdefault((authority, charge), []).append(summary.get("personRef"))
        elif charge == "PERSON_ACTUAL_COST":
            person_charges.append(summary.get("personRef"))
    return {"personCasesClosed": len(summaries), "endReasons": dict(reasons), "lastPersonDutyEndedAt": last_end,
            "recharges": [{"authority": a, "chargeTo": c, "people": p} for (a, c), p in sorted(recharges.items())],
            "personCharges": person_charges}
