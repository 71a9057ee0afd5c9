"""E8 (DOMAIN.md): over budget, with a dispute. Mr D's daughter disagrees with the £470 plan; an advocate
is referred on the disagreement (DMN-05 rule 5); two revisits (CSP-16a) do not settle it; the worker
and a different manager declare all reasonable steps taken (CSP-16b); complaints information goes out,
interim services are arranged, and a senior manager approves (DMN-07 rule 7). A complaint outcome
later reopens the plan as a new version, the signed-off one staying readable."""
from __future__ import annotations

from .conftest import CP, complete_plan

MR_D = {"personRef": "P-E8-D", "personName": "Mr D (invented)", "assessmentFinalised": True,
        "needsFromImpairmentOrIllness": True, "significantImpactOnWellbeing": True, "indicativeWeekly": 380,
        "outcomesUnable": ["NUTRITION", "PERSONAL_HYGIENE", "HOME_SAFETY"],
        "s117": False, "placedByOtherAuthority": "NONE", "orDetermined": "THIS_COUNCIL"}
DAUGHTER = {"substantialDifficultyAny": True, "hasAppropriateCandidate": True, "candidateAbleAndAvailable": True,
            "candidatePaidOrProfessionalCarer": False, "candidateImplicatedInSafeguarding": False,
            "personHasCapacityToChoose": True, "personConsentsToCandidate": True, "lacksCapacityToPlan": False}
CALLS = {"description": "Home care, four calls a day", "budgetOption": "COUNCIL_MANAGED", "weeklyCost": 350,
         "provider": "Framework agency (invented)", "frequency": "28 calls a week"}
DAY_CENTRE = {"description": "Day centre, two days", "budgetOption": "COUNCIL_MANAGED", "weeklyCost": 120,
              "frequency": "2 days a week"}
OPTIONS = [{"description": "Live-in care", "weeklyCost": 950, "chosen": False,
            "rationale": "Wanted by Mr D and his daughter; needs can be met at lower cost"},
           {"description": "Four calls a day and a day centre", "weeklyCost": 470, "chosen": True,
            "rationale": "Meets the eligible needs; best value (SG 10.27)"}]
ISF = {"description": "ISF with a live-in provider", "weeklyCost": 900, "chosen": False,
       "rationale": "Costed on the first revisit; still above what meets the needs"}
PEOPLE = [{"name": "Mr D (invented)", "relationship": "PERSON", "format": "LARGE_PRINT"},
          {"name": "His daughter (invented)", "relationship": "DAUGHTER", "recipient": "daughter@example.invalid",
           "consentToShare": True}]
ADVOCATE = {"name": "Advocate (invented)", "relationship": "ADVOCATE", "recipient": "advocacy_service"}
NOT_AGREED = {"agreed": False, "objections": "The daughter wants live-in care",
              "materialDisagreementBothAgreeAdvocate": True}


def test_e8_dispute_signed_off_with_reasons(cp: CP) -> None:
    case = cp.start(MR_D)
    cp.set_up(case, participants=DAUGHTER)
    assert cp.rules(case)["AppropriateIndividualTest"] == [[6]]
    assert cp.rules(case)["IndependentAdvocateRequired"] == [[6]]
    plan_id = cp.write_plan(case, complete_plan(options=OPTIONS, copyRecipients=PEOPLE), [CALLS, DAY_CENTRE])
    result = cp.submit(plan_id)
    assert result["valid"] is True and [f["ruleId"] for f in result["failures"]] == ["V23"]  # over: routing only

    # Not agreed: the disagreement brings an advocate (M-C1); revisit, twice round the loop.
    cp.complete(case, "csp_agreement", dict(NOT_AGREED, disputeNextStep="REVISIT"))
    assert cp.rules(case)["IndependentAdvocateRequired"][-1] == [5]
    assert [r for t, r in cp.sent(case) if t == "mc1_advocacy_referral"] == ["advocacy_service"]
    cp.complete(case, "csp_revisit", {"partiesViews": "Daughter, advocate and the agency consulted"})
    with_advocate = complete_plan(options=[*OPTIONS, ISF], copyRecipients=[*PEOPLE, ADVOCATE])
    cp.write_plan(case, with_advocate, [CALLS, DAY_CENTRE])
    assert cp.submit(plan_id)["valid"] is True
    cp.complete(case, "csp_agreement", dict(NOT_AGREED, disputeNextStep="REVISIT"))
    cp.complete(case, "csp_revisit", {"partiesViews": "ISF costed; still not agreed"})
    assert cp.data(case)["revisits"] == 2
    assert cp.submit(plan_id)["valid"] is True
    cp.complete(case, "csp_agreement", dict(NOT_AGREED, disputeNextStep="DECLARE_ALL_STEPS_TAKEN"))
    assert [t for t, _ in cp.sent(case)].count("mc1_advocacy_referral") == 1  # referred once

    # CSP-16b: the worker declares, a manager confirms; complaints information; interim services.
    cp.complete(case, "csp_declare_worker", {"allReasonableStepsTaken": True,
                                             "disputeReasons": "Family want live-in care at £950 a week"})
    cp.complete(case, "csp_declare_manager", {"stepsConfirmed": True}, api=cp.manager)
    assert ("mc5_complaints_information", "person") in cp.sent(case)
    assert cp.open_names(case) == ["csp_interim"]
    cp.complete(case, "csp_interim", {"interimServicesArranged": True, "interimServices": "Current calls continue"},
                api=cp.navigator)

    # CSP-17/18: 23.7% over the indicative budget -> senior manager, with a rationale.
    assert cp.rules(case)["PlanBudgetApprovalRoute"] == [[7]]
    assert cp.data(case)["variancePct"] == 23.7
    no_reason = cp.try_complete(case, "csp_approve_senior", {"approvalDecision": "APPROVED"}, api=cp.senior)
    assert no_reason.status_code == 409 and "rationale" in no_reason.json["message"]
    cp.complete(case, "csp_approve_senior", {"approvalDecision": "APPROVED", "rationale":
                                             "Meets the eligible needs; best value (SG 10.27)"}, api=cp.senior)
    plan = cp.plan(case)
    assert plan["status"] == "SIGNED_OFF_WITH_DISPUTE" and plan["personalBudgetWeekly"] == 470.0
    assert plan["approvedBy"] == "sara.senior"

    # Interim services: the council-managed line items are activated (no FIN107 needed).
    for line in plan["lineItems"]:
        assert cp.activate(plan_id, line["id"]).json["status"] == "PROVISIONED"
    cp.complete(case, "csp_activate", {"servicesActivated": True})
    copies = [r for t, r in cp.sent(case) if t == "mc8_plan_copy"]
    assert copies == ["person", "daughter@example.invalid", "advocacy_service"]
    assert cp.rules(case)["ReviewScheduling"] == [[1]]
    assert cp.data(case)["reviewPlan"]["nextReviewType"] == "LIGHT_TOUCH"

    # CSP-25: the complaint outcome reopens the plan; version 1 stays readable.
    cp.worker.post("/messages", json={"name": "complaint_outcome", "correlationKeys": {
        "caseReference": cp.instance(case).case_reference}, "payload": {"complaintReference": "CMP-1 (invented)"}})
    cp.complete(case, "csp_complaint_review", {"complaintUpheld": True, "reviseThePlan": True})
    assert cp.open_names(case) == ["csp_draft"]
    revised = cp.plan(case)
    assert revised["version"] == 2 and revised["status"] == "DRAFT"
    assert [(v["version"], v["status"]) for v in revised["versions"]] == [
        (1, "SIGNED_OFF_WITH_DISPUTE"), (2, "DRAFT")]
    old = cp.worker.get(f"/care-plans/{plan_id}").json
    assert old["status"] == "SIGNED_OFF_WITH_DISPUTE" and len(old["lineItems"]) == 2
    assert not cp.incidents()
