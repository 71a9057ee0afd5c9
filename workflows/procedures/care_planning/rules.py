"""What the plan says, as the facts the validation table (CSP-14, V01-V28) and the approval route
(DMN-07) read, and the line-item state machine of C.6.

The facts are derived here, in one place, from the structured record; the rules themselves stay in
``dmn/plan_validation_rules.dmn`` where a process owner can read and change them. A few facts come
from the case's own tasks (charging discussed, capacity, s.117 health agreement) and are completed
by a script in the diagram just before the table runs.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.errors import Conflict

from .models import CarePlan, LineItem, PlanDocument, WorkerDelegation
from .money import pounds
from .plans import totals

DP_OPTIONS = ("DIRECT_PAYMENT", "DP_MANAGED_ACCOUNT")
RECORD_FACTS = ("needsRecorded", "eligibilityRecorded", "needsMetHowRecorded", "outcomesMeasured",
                "budgetBreakdownRecorded", "informationAdviceRecorded", "dpDetailsRecorded", "strengthsRecorded",
                "risksRecorded", "contingencyContactsRecorded", "optionsConsideredRecorded", "otherServicesRecorded",
                "budgetOptionRecorded", "carerWishesRecorded", "contributionsRecorded", "changeNotificationRecorded",
                "controlMechanismRecorded", "reviewArrangementsRecorded", "progressionRecorded",
                "carerRespiteIncluded", "savingContingencyRecorded", "noProhibitedItems", "withinIndicative",
                "statutoryObligationsRecorded", "storageLocationRecorded")


def plan_facts(plan: CarePlan, data: dict[str, Any]) -> dict[str, Any]:
    """Booleans for V01-V28 (C.5) plus the costing figures, from the plan and the case's data."""
    lines = [li for li in plan.line_items if li.status != "ENDED"]
    eligible = [n for n in plan.needs if n.eligible]
    dp_lines = [li for li in lines if li.budget_option in DP_OPTIONS]
    rejected = [o for o in plan.options if not o.chosen]
    t = totals(plan)
    indicative = plan.indicative_weekly_pence
    contacts = [r for r in plan.risks if r.contact_name and (r.contact_phone or r.contact_email)]
    facts: dict[str, Any] = {
        "needsRecorded": bool(plan.needs),
        "eligibilityRecorded": bool(plan.needs) and all(n.eligible is not None for n in plan.needs),
        "needsMetHowRecorded": bool(eligible) and all(n.how_met for n in eligible),
        "outcomesMeasured": bool(plan.outcomes) and all(o.measure and o.timescale for o in plan.outcomes),
        "budgetBreakdownRecorded": bool(lines) and indicative is not None
        and plan.person_contribution_weekly_pence is not None,
        "informationAdviceRecorded": bool(plan.information_advice),
        "hasDirectPayment": bool(dp_lines),
        "dpDetailsRecorded": bool(dp_lines) and bool(plan.dp_spending_breakdown) and all(
            li.frequency and li.dp_on_costs_weekly_pence is not None for li in dp_lines),
        "strengthsRecorded": bool(plan.strengths),
        "risksRecorded": bool(plan.risks) and all(r.management and r.contingency for r in plan.risks),
        "contingencyContactsRecorded": bool(contacts),
        "optionsConsideredRecorded": len(plan.options) >= 2 and bool(rejected) and all(
            o.weekly_cost_pence is not None and o.rationale for o in plan.options),
        "otherServicesRecorded": bool(plan.other_services),
        "budgetOptionRecorded": bool(lines) and all(li.budget_option for li in lines),
        "isCarerPlan": plan.plan_for == "CARER",
        "carerWishesRecorded": bool(plan.carer_wishes),
        "contributionsRecorded": bool(plan.contributions),
        "changeNotificationRecorded": bool(plan.change_notification),
        "controlMechanismRecorded": bool(plan.control_mechanism),
        "reviewArrangementsRecorded": bool(plan.review_arrangements),
        "progressionRecorded": bool(plan.progression),
        "carerRespiteFlagged": data.get("carerRespiteFlagged") is True,
        "carerRespiteIncluded": any(li.carer_respite for li in lines),
        "savingFlagged": bool(plan.saving_purpose),
        "savingContingencyRecorded": bool(plan.saving_purpose) and any(r.contingency for r in plan.risks),
        "noProhibitedItems": not any(li.nhs_responsibility for li in lines),
        "overIndicative": indicative is not None and t["costedWeeklyPence"] > indicative,
        "withinIndicative": indicative is None or t["costedWeeklyPence"] <= indicative,
        "statutoryObligationsRecorded": bool(plan.statutory_obligations),
        "storedExternally": plan.stored_externally is True,
        "storageLocationRecorded": bool(plan.storage_location),
        "advocateInvolved": any((r.get("relationship") or "") == "ADVOCATE" for r in plan.copy_recipients or []),
        "uniqueOrNovel": plan.unique_or_novel is True,
        "brokered": any(li.brokered for li in lines),
        "costedWeekly": pounds(t["costedWeeklyPence"]),
        "indicativeWeekly": pounds(indicative),
        "personContributionWeekly": pounds(plan.person_contribution_weekly_pence),
        "planVersion": plan.version,
    }
    return facts


def copy_recipients(plan: CarePlan, data: dict[str, Any]) -> list[dict[str, Any]]:
    """M-C8: the person, anyone they asked for (with their consent to share recorded) and their advocate."""
    out = [{"recipient": "person", "name": plan.person_name or "the person", "relationship": "PERSON",
            "format": next((r["format"] for r in plan.copy_recipients or [] if r.get("relationship") == "PERSON"),
                           "STANDARD")}]
    for r in plan.copy_recipients or []:
        if r.get("relationship") == "PERSON":
            continue
        if r.get("relationship") == "ADVOCATE" or r.get("consentToShare") is True:
            out.append({"recipient": r.get("recipient") or r["name"], "name": r["name"],
                        "relationship": r.get("relationship") or "OTHER", "format": r.get("format") or "STANDARD"})
    return out


def delegation_facts(session: Session, username: str | None) -> dict[str, Any]:
    """DMN-07's delegation inputs for the allocated worker, from careflow's delegation record."""
    found = session.get(WorkerDelegation, username) if username else None
    return {"workerHasSelfDelegation": bool(found and found.self_delegation),
            "workerLimitWeekly": pounds(found.weekly_limit_pence) if found else 0}


# ---- C.6 line-item state machine -------------------------------------------------------------
def fin107_stored(session: Session, case_reference: str) -> bool:
    return session.scalar(select(PlanDocument.id).where(
        PlanDocument.case_reference == case_reference, PlanDocument.kind == "FIN107",
        PlanDocument.signed.is_(True)).limit(1)) is not None


def approve_lines(plan: CarePlan, decision: str) -> None:
    """CSP-18: the approver's decision on every line still waiting for one."""
    target = {"APPROVED": "APPROVED", "REJECTED": "REJECTED"}.get(decision)
    if target is None:
        return
    for line in plan.line_items:
        if line.status == "PROPOSED" and line.approval == "PENDING":
            line.approval = target


def activate(session: Session, plan: CarePlan, line: LineItem, data: dict[str, Any], actor: str,
             now: datetime) -> None:
    """PROPOSED(APPROVED) -> PROVISIONED, or a 409 that says what is missing (never skipped silently)."""
    if line.status == "PROVISIONED":
        raise Conflict(f"Line item '{line.description}' is already activated", lineItemId=line.id)
    if line.status != "PROPOSED":
        raise Conflict(f"Line item '{line.description}' has ended and cannot be activated", lineItemId=line.id)
    if line.approval != "APPROVED":
        raise Conflict(f"Line item '{line.description}' is not approved yet (approval {line.approval.lower()}); it "
                       f"can be activated once the plan is approved (CSP-18)", lineItemId=line.id)
    if line.budget_option in DP_OPTIONS and not fin107_stored(session, plan.case_reference):
        raise Conflict(f"FIN107 outstanding: line item '{line.description}' is a direct payment, and cannot be "
                       f"activated until the signed FIN107 is stored on the case", lineItemId=line.id,
                       reason="FIN107_OUTSTANDING")
    if data.get("s117") is True and data.get("healthAgreementRecorded") is not True:
        raise Conflict(f"Health agreement outstanding: line item '{line.description}' is s.117 aftercare, and "
                       f"services cannot be commissioned before the health agreement is recorded (CSP-13)",
                       lineItemId=line.id, reason="HEALTH_AGREEMENT_OUTSTANDING")
    line.status = "PROVISIONED"
    line.activated_by = actor
    line.activated_at = now


def end_line(line: LineItem, now: datetime) -> None:
    if line.status != "PROVISIONED":
        raise Conflict(f"Only an active line item can end; '{line.description}' is {line.status.lower()}")
    line.status = "ENDED"
    line.ended_at = now


def not_activated(plan: CarePlan) -> list[LineItem]:
    return [li for li in plan.line_items if li.approval == "APPROVED" and li.status == "PROPOSED"]
