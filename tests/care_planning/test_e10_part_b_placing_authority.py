"""E10 part B (DOMAIN.md, B.12): seven months after Ms F's out-of-area placement (part A), the
provider in council Y's area ceases with 10 days' notice and Y sends M3. This council, as placing
authority, agrees with Y that it arranges the new placement while Y covers the interim under its own
s.48 duty; the plan is revised for the new placement with the advocate re-involved (DMN-05 with
process PLAN_REVIEW_REVISION); the move schedules DMN-08 rules 10-11; Y's recharge is accepted.

The two procedures meet only through messages: M3 starts the placing-authority case, which asks the
person's care-planning case (by person reference) for a revision, and is told when the new placement
is in place."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from workflows.models import DecisionLog

from .conftest import CP, complete_plan
from .test_e10_capacity_out_of_area import ADVOCATE, MS_F, MS_F_COPY, NO_FAMILY, OPTIONS, PLACEMENT

HOST = "Council Y (invented)"
NEW_PLACEMENT = {"description": "Specialist residential placement (new provider)", "budgetOption": "COUNCIL_MANAGED",
                 "weeklyCost": 1950, "provider": "Second specialist provider (invented)", "frequency": "weekly"}


def _part_a(cp: CP) -> tuple[str, int]:
    case = cp.start(MS_F)
    cp.set_up(case, participants=NO_FAMILY)
    content = complete_plan(options=OPTIONS, uniqueOrNovel=True, copyRecipients=[MS_F_COPY, ADVOCATE])
    plan_id = cp.write_plan(case, content, [PLACEMENT])
    assert cp.submit(plan_id)["valid"] is True
    cp.complete(case, "csp_agreement", {"agreed": True})
    cp.complete(case, "csp_approve_panel", {"approvalDecision": "APPROVED", "rationale": "Only suitable placement"},
                api=cp.panel)
    line = cp.plan(case)["lineItems"][0]
    assert cp.activate(plan_id, line["id"]).json["status"] == "PROVISIONED"
    cp.complete(case, "csp_activate", {"servicesActivated": True})
    return case, plan_id


def _task(cp: CP, instance_id: str, name: str) -> dict[str, Any]:
    found = [t for t in cp.tasks(instance_id) if t["name"] == name]
    assert found, (name, cp.open_names(instance_id), cp.incidents())
    return found[0]


def _m3(cp: CP) -> str:
    closure = (date.today() + timedelta(days=10)).isoformat()
    r = cp.worker.post("/messages", json={"name": "placed_person_affected", "payload": {
        "personRef": "P-E10-F", "personName": "Ms F (invented)", "hostAuthority": HOST,
        "providerName": "Specialist provider in council Y (invented)", "closureDate": closure,
        "proposedInterimAction": "Y meets her needs under s.48 until the move; actual costs recovered"}})
    assert r.status_code == 200, r.json
    return str(r.json["started"][0])


def test_e10_part_b_the_council_as_placing_authority(cp: CP) -> None:
    case, plan_id = _part_a(cp)
    referrals_before = [t for t, _ in cp.sent(case)].count("mc1_advocacy_referral")

    placed = _m3(cp)  # RP-01
    data = cp.data(placed)
    assert data["role"] == "PLACED_OUT" and data["personLegalBasis"] == "PLACING_AUTHORITY_LEAD"
    rp02 = _task(cp, placed, "rp_agree")
    assert rp02["candidateGroup"] == "allocated_worker"
    refused = cp.worker.post(f"/tasks/{rp02['id']}/complete", json={"data": {"councilArranges": True}})
    assert refused.status_code == 422  # who agreed, and the interim cover, must be recorded
    r = cp.worker.post(f"/tasks/{rp02['id']}/complete", json={"data": {
        "councilArranges": True, "hostCoversInterim": True, "agreedWith": "Y's placements manager (invented)"}})
    assert r.status_code == 200, r.json  # RP-02

    # RP-03: the person's plan is revised for the new placement; the advocate is re-involved.
    assert cp.rules(case)["IndependentAdvocateRequired"][-1] == [2]
    with cp.services.db.reading() as s:
        last = s.scalars(select(DecisionLog).where(DecisionLog.instance_id == case,
                                                   DecisionLog.decision_id == "IndependentAdvocateRequired")
                         .order_by(DecisionLog.id.desc())).first()
        assert last is not None and last.inputs["Process"] == "PLAN_REVIEW_REVISION"
    assert [t for t, _ in cp.sent(case)].count("mc1_advocacy_referral") == referrals_before + 1
    assert cp.open_names(case) == ["csp_draft"]
    assert cp.open_names(placed) == []  # waiting for the new placement
    content = complete_plan(options=[*OPTIONS, {"description": "Second specialist provider", "weeklyCost": 1950,
                                                 "chosen": True, "rationale": "Nearest home able to meet her needs"}],
                            uniqueOrNovel=True, copyRecipients=[MS_F_COPY, ADVOCATE])
    cp.write_plan(case, content, [NEW_PLACEMENT])
    version_2 = cp.plan(case)
    assert cp.submit(version_2["id"])["valid"] is True
    cp.complete(case, "csp_agreement", {"agreed": True})
    cp.complete(case, "csp_approve_panel", {"approvalDecision": "APPROVED", "rationale": "New specialist placement"},
                api=cp.panel)
    line = cp.plan(case)["lineItems"][0]
    assert cp.activate(version_2["id"], line["id"]).json["status"] == "PROVISIONED"
    cp.complete(case, "csp_activate", {"servicesActivated": True})
    assert [(v["version"], v["status"]) for v in cp.plan(case)["versions"]] == [(1, "SUPERSEDED"), (2, "SIGNED_OFF")]

    # RP-05: the move schedules a post-move check and a light-touch review from the move (DMN-08 rules 10-11).
    assert cp.rules(case)["ReviewScheduling"][-1] == [10, 11]
    pending = [p["reviewType"] for p in cp.data(case)["reviewPlan"]["pending"]]
    assert pending == ["POST_MOVE_CHECK", "LIGHT_TOUCH"]
    data = cp.data(placed)
    assert data["placedOutStatus"] == "AWAITING_HOST_RECHARGE" and data["endReason"] == "E1"
    assert [r["reviewType"] for r in data["reviewsScheduled"]] == ["POST_MOVE_CHECK", "LIGHT_TOUCH"]
    assert data["planCaseReference"] == cp.instance(case).case_reference

    # RP-04: Y's recharge for its interim provision is accepted by Finance.
    ref = cp.instance(placed).case_reference
    r = cp.worker.post("/messages", json={"name": "host_recharge", "correlationKeys": {"caseReference": ref},
                                          "payload": {"rechargeAmount": 2714.29, "rechargePeriod": "10 days"}})
    assert r.status_code == 200 and r.json["correlated"] == [placed], r.json
    decision = _task(cp, placed, "rp_recharge_decision")
    assert decision["candidateGroup"] == "finance"
    r = cp.finance.post(f"/tasks/{decision['id']}/complete", json={"data": {"hostRechargeAccepted": True}})
    assert r.status_code == 200, r.json
    assert cp.instance(placed).status == "completed"
    assert cp.data(placed)["placedOutStatus"] == "CLOSED"
    assert not cp.incidents()


def test_m3_for_a_person_with_no_plan_here_is_an_incident_not_lost(cp: CP) -> None:
    """A placed-out person careflow holds no plan for: the revision request is an incident on the case
    (nothing is silently dropped); the worker sees it and can act."""
    r = cp.worker.post("/messages", json={"name": "placed_person_affected", "payload": {
        "personRef": "P-NO-PLAN", "personName": "Mr G (invented)", "hostAuthority": HOST,
        "providerName": "A provider in council Y (invented)", "closureDate": date.today().isoformat()}})
    assert r.status_code == 200, r.json
    placed = str(r.json["started"][0])
    task = _task(cp, placed, "rp_agree")
    cp.worker.post(f"/tasks/{task['id']}/complete", json={"data": {
        "councilArranges": True, "hostCoversInterim": True, "agreedWith": "Y (invented)"}})
    assert any(element == "rp_revise" for element, _ in cp.incidents())
