"""Reading and editing the plan record: sections, line items, totals and versions.

Editing is allowed while a plan version is not yet signed off; changing a line item puts its
approval back to PENDING (C.6 ``edit``). Every text has a length limit and every list a size limit.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.errors import Conflict, NotFound, ValidationFailed
from workflows.models import Instance, utcnow

from .models import (
    BUDGET_OPTIONS,
    CarePlan,
    LineItem,
    PlanNeed,
    PlanOption,
    PlanOutcome,
    PlanRisk,
)
from .money import pounds, to_pence

EDITABLE = ("DRAFT", "SUBMITTED", "VALIDATED")
MAX_ROWS = 200
TEXT_FIELDS = {  # API name -> column
    "writtenBy": "written_by", "howNeedsMet": "how_needs_met", "informationAdvice": "information_advice",
    "strengths": "strengths", "otherServices": "other_services", "contributions": "contributions",
    "changeNotification": "change_notification", "controlMechanism": "control_mechanism",
    "reviewArrangements": "review_arrangements", "progression": "progression", "carerWishes": "carer_wishes",
    "savingPurpose": "saving_purpose", "statutoryObligations": "statutory_obligations",
    "dpSpendingBreakdown": "dp_spending_breakdown", "dpFrequency": "dp_frequency",
    "storageLocation": "storage_location",
}
BOOL_FIELDS = {"storedExternally": "stored_externally", "uniqueOrNovel": "unique_or_novel"}
SECTIONS: dict[str, tuple[type, dict[str, str], str]] = {  # API name -> (model, fields, required field)
    "needs": (PlanNeed, {"description": "text", "eligible": "bool", "howMet": "text"}, "description"),
    "outcomes": (PlanOutcome, {"outcome": "text", "measure": "text", "timescale": "short"}, "outcome"),
    "risks": (PlanRisk, {"risk": "text", "management": "text", "contingency": "text", "contactName": "short",
                         "contactPhone": "short", "contactEmail": "short"}, "risk"),
    "options": (PlanOption, {"description": "text", "weeklyCost": "money", "chosen": "bool", "rationale": "text"},
                "description"),
}
RECIPIENT_FORMATS = ("STANDARD", "EASY_READ", "LARGE_PRINT", "BRAILLE", "AUDIO")


def snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [{"field": field, "message": message}])


def _text(value: Any, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(field, f"{field} must be text")
    value = value.strip()
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):  # PostgreSQL cannot store a NUL
        raise _fail(field, f"{field} has a control character in it; type or paste it again as plain text")
    if len(value) > limit:
        raise _fail(field, f"{field} is too long: at most {limit} characters")
    return value or None


def _bool(value: Any, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise _fail(field, f"{field} must be true or false")


def plan_for_case(session: Session, case_reference: str, *, lock: bool = False) -> CarePlan | None:
    """The newest plan version of a case."""
    query = select(CarePlan).where(CarePlan.case_reference == case_reference).order_by(CarePlan.version.desc())
    if lock:
        query = query.with_for_update()
    return session.scalars(query.limit(1)).first()


def get_plan(session: Session, plan_id: int) -> CarePlan:
    plan = session.get(CarePlan, plan_id)
    if plan is None:
        raise NotFound(f"No care plan {plan_id}")
    return plan


def open_plan(session: Session, instance: Instance, data: dict[str, Any]) -> CarePlan:
    """The case's current plan, made (version 1, DRAFT) the first time anyone needs it."""
    plan = plan_for_case(session, instance.case_reference)
    if plan is None:
        plan = CarePlan(case_reference=instance.case_reference, version=1, instance_id=instance.id, status="DRAFT",
                        plan_for="CARER" if data.get("planFor") == "CARER" else "ADULT",
                        person_ref=data.get("personRef"), person_name=data.get("personName") or instance.title,
                        indicative_weekly_pence=to_pence(data.get("indicativeWeekly"), "indicativeWeekly",
                                                         required=False))
        session.add(plan)
        session.flush()
    elif plan.instance_id != instance.id:
        plan.instance_id = instance.id
    return plan


def new_version(session: Session, plan: CarePlan, data: dict[str, Any] | None = None) -> CarePlan:
    """A revision: a new DRAFT version with the old one's content; the old one stays readable. The
    indicative budget is the case's own (a reassessment may have given a new RAS figure)."""
    indicative = plan.indicative_weekly_pence
    if data and data.get("indicativeWeekly") is not None:
        indicative = to_pence(data["indicativeWeekly"], "indicativeWeekly", required=False)
    fresh = CarePlan(case_reference=plan.case_reference, version=plan.version + 1, instance_id=plan.instance_id,
                     status="DRAFT", person_ref=plan.person_ref, person_name=plan.person_name,
                     plan_for=plan.plan_for, written_by=plan.written_by,
                     indicative_weekly_pence=indicative,
                     person_contribution_weekly_pence=plan.person_contribution_weekly_pence,
                     copy_recipients=list(plan.copy_recipients or []))
    for column in list(TEXT_FIELDS.values()) + list(BOOL_FIELDS.values()):
        setattr(fresh, column, getattr(plan, column))
    for name, (model, fields, _required) in SECTIONS.items():
        copies = [model(**{snake(f) if fields[f] != "money" else "weekly_cost_pence":
                           getattr(row, snake(f) if fields[f] != "money" else "weekly_cost_pence") for f in fields})
                  for row in getattr(plan, name)]
        setattr(fresh, name, copies)
    fresh.line_items = [LineItem(description=li.description, budget_option=li.budget_option, provider=li.provider,
                                 weekly_cost_pence=li.weekly_cost_pence, frequency=li.frequency,
                                 dp_on_costs_weekly_pence=li.dp_on_costs_weekly_pence,
                                 carer_respite=li.carer_respite, brokered=li.brokered,
                                 nhs_responsibility=li.nhs_responsibility)
                        for li in plan.line_items if li.status != "ENDED"]
    session.add(fresh)
    session.flush()
    return fresh


def stamp(plan: CarePlan) -> str:
    """What a reader saw: the plan's last change, to send back with an edit (If-Match, a form field)."""
    return plan.updated_at.isoformat(timespec="microseconds")


def check_unchanged(plan: CarePlan, seen: str | None) -> None:
    """409 when the plan changed after the editor read it, so nobody's change is silently written over."""
    if seen and seen.strip().strip('"') != stamp(plan):
        raise Conflict("Someone else changed this plan after you opened it, so your change is not saved over "
                       "theirs. Look at the plan as it is now and make your change again.", planUpdatedAt=stamp(plan))


def require_editable(plan: CarePlan) -> None:
    if plan.status not in EDITABLE:
        raise Conflict(f"Version {plan.version} of this plan is {plan.status.replace('_', ' ').lower()} and can no "
                       f"longer be changed; a review opens a new version")


def update_plan(plan: CarePlan, data: dict[str, Any]) -> None:
    """Change the plan's narrative fields and replace any section given (needs, outcomes, risks, options)."""
    require_editable(plan)
    for name, column in TEXT_FIELDS.items():
        if name in data:
            setattr(plan, column, _text(data[name], name, 300 if column in ("storage_location",) else 8000))
    for name, column in BOOL_FIELDS.items():
        if name in data:
            setattr(plan, column, _bool(data[name], name))
    if "planFor" in data:
        if data["planFor"] not in ("ADULT", "CARER"):
            raise _fail("planFor", "planFor must be ADULT or CARER")
        plan.plan_for = data["planFor"]
    if "indicativeWeekly" in data:
        plan.indicative_weekly_pence = to_pence(data["indicativeWeekly"], "indicativeWeekly", required=False)
    if "personContributionWeekly" in data:
        plan.person_contribution_weekly_pence = to_pence(data["personContributionWeekly"],
                                                         "personContributionWeekly", required=False)
    if "copyRecipients" in data:
        plan.copy_recipients = _recipients(data["copyRecipients"])
    for name, (model, fields, required) in SECTIONS.items():
        if name in data:
            setattr(plan, name, [_row(model, fields, required, item, f"{name}[{i}]")
                                 for i, item in enumerate(_rows(data[name], name))])
    plan.updated_at = utcnow()


def _rows(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(name, f"{name} must be a list")
    if len(value) > MAX_ROWS:
        raise _fail(name, f"{name} can hold at most {MAX_ROWS} entries")
    return value


def _row(model: type, fields: dict[str, str], required: str, item: Any, where: str) -> Any:
    if not isinstance(item, dict):
        raise _fail(where, f"{where} must be an object")
    unknown = sorted(set(item) - set(fields) - {"id"})
    if unknown:
        raise _fail(where, f"{where} has unknown fields: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, kind in fields.items():
        raw = item.get(name)
        if kind == "money":
            values["weekly_cost_pence"] = to_pence(raw, f"{where}.{name}", required=False)
        elif kind == "bool":
            values[snake(name)] = _bool(raw, f"{where}.{name}")
        else:
            values[snake(name)] = _text(raw, f"{where}.{name}", 200 if kind == "short" else 8000)
    if not values.get(snake(required)):
        raise _fail(f"{where}.{required}", f"Enter the {required} in {where}")
    if "chosen" in values and values["chosen"] is None:
        values["chosen"] = False
    return model(**values)


def _recipients(value: Any) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(_rows(value, "copyRecipients")):
        where = f"copyRecipients[{i}]"
        if not isinstance(item, dict):
            raise _fail(where, f"{where} must be an object")
        name = _text(item.get("name"), f"{where}.name", 200)
        if not name:
            raise _fail(f"{where}.name", f"Enter the name in {where}")
        fmt = item.get("format") or "STANDARD"
        if fmt not in RECIPIENT_FORMATS:
            raise _fail(f"{where}.format", f"format must be one of {', '.join(RECIPIENT_FORMATS)}")
        relationship = _text(item.get("relationship"), f"{where}.relationship", 80) or "OTHER"
        consent = _bool(item.get("consentToShare"), f"{where}.consentToShare")
        out.append({"name": name, "relationship": relationship.upper(), "format": fmt,
                    "recipient": _text(item.get("recipient"), f"{where}.recipient", 200) or name,
                    "consentToShare": consent})
    return out


def line_values(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """A line item's fields from the API or a form; 422 with one message per field."""
    out: dict[str, Any] = {}
    if not partial or "description" in data:
        description = _text(data.get("description"), "description", 300)
        if not description:
            raise _fail("description", "Enter what the line item is for")
        out["description"] = description
    if not partial or "budgetOption" in data:
        if data.get("budgetOption") not in BUDGET_OPTIONS:
            raise _fail("budgetOption", f"Choose how this line is paid: {', '.join(BUDGET_OPTIONS)}")
        out["budget_option"] = data["budgetOption"]
    if not partial or "weeklyCost" in data:
        out["weekly_cost_pence"] = to_pence(data.get("weeklyCost"), "weeklyCost")
    if "dpOnCostsWeekly" in data:
        out["dp_on_costs_weekly_pence"] = to_pence(data["dpOnCostsWeekly"], "dpOnCostsWeekly", required=False)
    for name in ("provider", "frequency"):
        if name in data:
            out[name] = _text(data[name], name, 200)
    for name, column in (("carerRespite", "carer_respite"), ("brokered", "brokered"),
                         ("nhsResponsibility", "nhs_responsibility")):
        if name in data:
            out[column] = bool(_bool(data[name], name))
    return out


def add_line(plan: CarePlan, data: dict[str, Any]) -> LineItem:
    require_editable(plan)
    if len(plan.line_items) >= MAX_ROWS:
        raise _fail("lineItems", f"A plan can hold at most {MAX_ROWS} line items")
    line = LineItem(**line_values(data))
    plan.line_items.append(line)
    plan.updated_at = utcnow()
    return line


def find_line(plan: CarePlan, line_id: int) -> LineItem:
    for line in plan.line_items:
        if line.id == line_id:
            return line
    raise NotFound(f"No line item {line_id} in this plan")


def change_line(plan: CarePlan, line_id: int, data: dict[str, Any]) -> LineItem:
    require_editable(plan)
    line = find_line(plan, line_id)
    for column, value in line_values(data, partial=True).items():
        setattr(line, column, value)
    line.approval = "PENDING"  # C.6: an edited line is approved again
    plan.updated_at = utcnow()
    return line


def remove_line(plan: CarePlan, line_id: int) -> None:
    require_editable(plan)
    plan.line_items.remove(find_line(plan, line_id))
    plan.updated_at = utcnow()


def totals(plan: CarePlan) -> dict[str, Any]:
    """Weekly totals: the costed plan, the personal budget (the costed amount: lower than the
    indicative one when the plan costs less, never capped at it, SG 10.27) and who pays."""
    live = [li for li in plan.line_items if li.status != "ENDED"]
    costed = sum(li.weekly_cost_pence for li in live)
    by_option: dict[str, int] = {}
    for li in live:
        by_option[li.budget_option] = by_option.get(li.budget_option, 0) + li.weekly_cost_pence
    contribution = plan.person_contribution_weekly_pence
    council = None if contribution is None else max(costed - contribution, 0)
    return {"costedWeeklyPence": costed, "personalBudgetWeeklyPence": costed,
            "indicativeWeeklyPence": plan.indicative_weekly_pence, "personContributionWeeklyPence": contribution,
            "councilWeeklyPence": council, "byBudgetOption": by_option,
            "underIndicative": plan.indicative_weekly_pence is not None and costed < plan.indicative_weekly_pence}


def line_dict(li: LineItem) -> dict[str, Any]:
    return {"id": li.id, "description": li.description, "budgetOption": li.budget_option, "provider": li.provider,
            "weeklyCost": pounds(li.weekly_cost_pence), "dpOnCostsWeekly": pounds(li.dp_on_costs_weekly_pence),
            "frequency": li.frequency, "carerRespite": li.carer_respite, "brokered": li.brokered,
            "nhsResponsibility": li.nhs_responsibility, "status": li.status, "approval": li.approval,
            "activatedBy": li.activated_by, "activatedAt": li.activated_at.isoformat() if li.activated_at else None}


def plan_dict(plan: CarePlan) -> dict[str, Any]:
    t = totals(plan)
    out: dict[str, Any] = {
        "id": plan.id, "caseReference": plan.case_reference, "version": plan.version, "instanceId": plan.instance_id,
        "updatedAt": stamp(plan),
        "status": plan.status, "personRef": plan.person_ref, "personName": plan.person_name, "planFor": plan.plan_for,
        "draftedBy": plan.drafted_by, "approvedBy": plan.approved_by,
        "indicativeWeekly": pounds(plan.indicative_weekly_pence),
        "personContributionWeekly": pounds(plan.person_contribution_weekly_pence),
        "costedWeekly": pounds(t["costedWeeklyPence"]), "personalBudgetWeekly": pounds(t["personalBudgetWeeklyPence"]),
        "councilWeekly": pounds(t["councilWeeklyPence"]),
        "byBudgetOption": {k: pounds(v) for k, v in t["byBudgetOption"].items()},
        "storedExternally": plan.stored_externally, "uniqueOrNovel": plan.unique_or_novel,
        "copyRecipients": plan.copy_recipients or [],
        "signedOffAt": plan.signed_off_at.isoformat() if plan.signed_off_at else None,
        "lineItems": [line_dict(li) for li in plan.line_items],
        "overrides": [{"ruleId": o.rule_id, "note": o.note, "by": o.by, "at": o.at.isoformat()}
                      for o in plan.overrides],
    }
    out.update({name: getattr(plan, column) for name, column in TEXT_FIELDS.items()})
    for name, (_model, fields, _required) in SECTIONS.items():
        out[name] = [{"id": row.id, **{f: (pounds(row.weekly_cost_pence) if kind == "money" else getattr(row, snake(f)))
                                       for f, kind in fields.items()}} for row in getattr(plan, name)]
    return out
