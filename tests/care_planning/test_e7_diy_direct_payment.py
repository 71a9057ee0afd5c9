"""E7 (DOMAIN.md): a plan within budget. Ms C plans herself (DIY), takes a direct payment, and short
breaks for her mother (an eligible carer) are in her plan (V20). The first drafts fail validation
(V07, V10), the worker self-authorises under delegation (DMN-07 rule 4), the direct payment waits
for the FIN107, and the reviews follow DMN-08."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from workflows.procedures.care_planning.review_dates import add_period

from .conftest import CP, at, complete_plan

MS_C = {"personRef": "P-E7-C", "personName": "Ms C (invented)", "assessmentFinalised": True,
        "needsFromImpairmentOrIllness": True, "significantImpactOnWellbeing": True, "indicativeWeekly": 420,
        "outcomesUnable": ["NUTRITION", "PERSONAL_HYGIENE", "APPROPRIATELY_CLOTHED",
                           "WORK_TRAINING_EDUCATION_VOLUNTEERING"],
        "s117": False, "placedByOtherAuthority": "NONE", "orDetermined": "THIS_COUNCIL"}
MOTHER = {"carerIdentified": True, "carerName": "Her mother (invented)", "carerProvidesNecessaryCare": True,
          "carerHealthDeteriorating": True, "carerOutcomesUnable": ["RECREATION"], "carerSignificantImpact": True}
PA = {"description": "Personal assistant hours", "budgetOption": "DIRECT_PAYMENT", "weeklyCost": 330,
      "frequency": "20 hours a week"}
BREAKS = {"description": "Short breaks for her mother", "budgetOption": "DIRECT_PAYMENT", "weeklyCost": 65,
          "frequency": "one night a fortnight", "carerRespite": True}


def test_e7_care_plan_within_budget(cp: CP) -> None:
    case = cp.start(MS_C)
    cp.delegate("wendy.worker", True, 500)
    cp.set_up(case, option="DIRECT_PAYMENT", mode="DIY", combine=MOTHER)
    rules = cp.rules(case)
    assert rules["AdultEligibility"] == [[4]] and rules["OrdinaryResidenceRouting"] == [[5]]
    assert rules["IndependentAdvocateRequired"] == [[1]] and rules["CarerEligibility"] == [[5]]
    assert ("mc2_dp_advice_referral", "direct_payments_advice") in cp.sent(case)
    assert "mc1_advocacy_referral" not in [t for t, _ in cp.sent(case)]
    # Her mother, an eligible carer, has her own support plan as a linked case.
    carer_cases = cp.admin.get(f"/instances?parentCaseReference={cp.instance(case).case_reference}").json["instances"]
    assert [c["title"] for c in carer_cases] == ["Her mother (invented)"]
    carer_case = carer_cases[0]["id"]
    assert cp.task(carer_case, "csp_record_assessment")["assignee"] == "wendy.worker"
    assert cp.plan(carer_case)["planFor"] == "CARER"

    # CSP-11/14, round 1: no emergency contacts, no DP on-costs or spending breakdown.
    first = complete_plan(risks=[{"risk": "PA does not arrive", "management": "Agency cover",
                                  "contingency": "Ring the agency"}],
                          copyRecipients=[{"name": "Ms C (invented)", "relationship": "PERSON"},
                                          {"name": "Her mother (invented)", "relationship": "CARER",
                                           "recipient": "mother@example.invalid", "consentToShare": True}])
    plan_id = cp.write_plan(case, first, [PA, BREAKS])
    target = datetime.fromisoformat(cp.task(case, "csp_draft")["dueAt"]) - at(0)
    assert timedelta(days=27) < target <= timedelta(days=28)  # plan completion target, P28D [CONFIG]
    result = cp.submit(plan_id)
    assert result["valid"] is False
    assert sorted(f["ruleId"] for f in result["blocking"]) == ["V07", "V10"]
    assert cp.open_names(case) == ["csp_draft"]
    # Round 2: the contact is added, the DP details are still missing.
    second = dict(first, risks=complete_plan()["risks"])
    cp.write_plan(case, second, [PA, BREAKS])
    assert [f["ruleId"] for f in cp.submit(plan_id)["blocking"]] == ["V07"]
    # Round 3: DP on-costs, frequency and the spending breakdown.
    third = dict(second, dpSpendingBreakdown="PA wages, employer's insurance, payroll service")
    cp.write_plan(case, third, [dict(PA, dpOnCostsWeekly=25), dict(BREAKS, dpOnCostsWeekly=0)])
    assert cp.submit(plan_id)["valid"] is True
    validations = cp.rules(case)["PlanValidationRules"]
    assert validations == [[7, 10], [7], []]

    # CSP-15 to CSP-19: agreed; DMN-07 rule 4, self-authorised within the worker's delegation.
    cp.complete(case, "csp_agreement", {"agreed": True})
    assert cp.rules(case)["PlanBudgetApprovalRoute"] == [[4]]
    assert cp.task(case, "csp_self_authorise")["assignee"] == "wendy.worker"
    cp.complete(case, "csp_self_authorise", {"approvalDecision": "APPROVED"})
    data = cp.data(case)
    assert data["finalPB"] == 395 and data["planStatus"] == "SIGNED_OFF"
    plan = cp.plan(case)
    assert plan["status"] == "SIGNED_OFF" and plan["personalBudgetWeekly"] == 395.0
    assert [li["approval"] for li in plan["lineItems"]] == ["APPROVED", "APPROVED"]

    # CSP-20: the DP lines are blocked until the FIN107 is signed and stored, then PROVISIONED.
    activation = cp.task(case, "csp_activate")
    assert activation["assignee"] == "wendy.worker"
    lines = plan["lineItems"]
    refused = cp.activate(plan_id, lines[0]["id"])
    assert refused.status_code == 409 and "FIN107 outstanding" in refused.json["message"]
    early = cp.try_complete(case, "csp_activate", {"servicesActivated": True})
    assert early.status_code == 409 and "not activated yet" in early.json["message"]
    assert cp.upload(plan_id).status_code == 201
    for line in lines:
        assert cp.activate(plan_id, line["id"]).json["status"] == "PROVISIONED"
    assert [t for t, _ in cp.sent(case)].count("mc7_controcc_notified") == 2
    cp.complete(case, "csp_activate", {"servicesActivated": True})

    # CSP-21: copies to Ms C and, at her request, her mother.
    copies = [r for t, r in cp.sent(case) if t == "mc8_plan_copy"]
    assert copies == ["person", "mother@example.invalid"]
    # CSP-22: DMN-08 rule 1 at sign-off; Finance records the first payment five days on (rule 4).
    signed = datetime.fromisoformat(cp.data(case)["signedOffAt"])
    first_payment = (date.today() + timedelta(days=5)).isoformat()
    cp.complete(case, "csp_first_payment", {"firstPaymentDate": first_payment}, api=cp.finance)
    assert cp.rules(case)["ReviewScheduling"] == [[1], [4]]
    pending = {p["reviewType"]: p for p in cp.data(case)["reviewPlan"]["pending"]}
    light = pending["LIGHT_TOUCH"]
    assert datetime.fromisoformat(light["at"]) - signed == timedelta(weeks=6)
    assert datetime.fromisoformat(light["dueAt"]) - signed == timedelta(weeks=8)
    paid = datetime.fromisoformat(first_payment + "T09:00:00+00:00")
    assert datetime.fromisoformat(pending["DP_REVIEW"]["dueAt"]) == add_period(paid, "P6M")  # within 6 months

    # The review loop, twice round: light touch (no change) -> annual scheduled; then the DP review.
    assert cp.fire(41) == 0 and cp.open_names(case) == []
    assert cp.fire(43) == 1
    assert cp.task(case, "csp_review")["assignee"] == "wendy.worker"
    cp.complete(case, "csp_review", {"reviewOutcome": "NO_CHANGE"})
    assert cp.rules(case)["ReviewScheduling"][-1] == [6]
    after_light = cp.data(case)["reviewPlan"]
    assert after_light["nextReviewType"] == "DP_REVIEW"
    assert {p["reviewType"] for p in after_light["pending"]} == {"DP_REVIEW", "ANNUAL"}
    due = datetime.fromisoformat(after_light["nextReviewAt"])
    assert cp.runtime.fire_due_timers(now=due + timedelta(minutes=1)) == 1
    cp.complete(case, "csp_review", {"reviewOutcome": "NO_CHANGE", "passToReviewTeam": True})
    assert cp.rules(case)["ReviewScheduling"][-1] == [5]
    annual = cp.data(case)["reviewPlan"]
    assert annual["nextReviewType"] == "ANNUAL"
    # CSP-24: the case was passed to the review team, which gets the annual review.
    assert cp.runtime.fire_due_timers(now=datetime.fromisoformat(annual["nextReviewAt"]) + timedelta(minutes=1)) == 1
    review = cp.task(case, "csp_review")
    assert review["assignee"] is None and review["candidateGroup"] == "review_team"
    assert cp.instance(case).status == "running" and not cp.incidents()
    assert at(0) < due
