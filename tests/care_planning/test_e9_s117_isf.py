"""E9 (DOMAIN.md): s.117 aftercare with an ISF. Mr E was ordinarily resident here before detention:
DMN-11 rule 1, the support is free, and the health liaison (CSP-13) comes before any commissioning.
The first submission goes before the ICB agrees (V27 fails, and nothing can be activated); the
team manager first rejects the plan, then approves it (DMN-07 rule 6, rationale); reviews follow
DMN-08 rules 1 and 3."""
from __future__ import annotations

from datetime import date, datetime

from workflows.timeutil import LONDON, add_working_days

from .conftest import CP, complete_plan

MR_E = {"personRef": "P-E9-E", "personName": "Mr E (invented)", "assessmentFinalised": True,
        "indicativeWeekly": 1100, "s117": True, "s117ORImmediatelyBeforeDetention": "THIS_COUNCIL",
        "placedByOtherAuthority": "NONE", "needsFromImpairmentOrIllness": True,
        "outcomesUnable": ["NUTRITION", "HABITABLE_HOME"], "significantImpactOnWellbeing": True}
ISF = {"description": "Supported living (ISF)", "budgetOption": "ISF", "weeklyCost": 1200,
       "provider": "Supported living provider (invented)", "frequency": "24-hour support"}
OPTIONS = [{"description": "Supported living through an ISF", "weeklyCost": 1200, "chosen": True,
            "rationale": "His choice of provider; meets his aftercare needs"},
           {"description": "Residential care", "weeklyCost": 1050, "chosen": False,
            "rationale": "Does not meet his outcome of living in the community"}]


def test_e9_s117_aftercare_with_an_isf(cp: CP) -> None:
    case = cp.start(MR_E)
    assert cp.rules(case)["OrdinaryResidenceRouting"] == [[1]]
    data = cp.data(case)
    assert data["orRoute"] == "PROCEED_S117" and data["chargeable"] is False and data["healthLiaisonRequired"]
    cp.complete(case, "csp_explain", {"dutyExplained": True, "chargingDiscussed": True,
                                      "chargingNotes": "s.117 aftercare: free"})
    cp.complete(case, "csp_participants", {"substantialDifficultyAny": False, "hasAppropriateCandidate": False,
                                           "lacksCapacityToPlan": False})
    cp.complete(case, "csp_share_budget", {"indicativeBudgetShared": True, "factsheets": ["CARE_AT_HOME"]})
    cp.complete(case, "csp_budget_option", {"budgetOption": "ISF", "planningMode": "SUPPORTED_ORGANISATION"})
    cp.complete(case, "csp_combine", {"carerIdentified": False, "combinedWith": "CPA care plan"})
    plan_id = cp.write_plan(case, complete_plan(options=OPTIONS), [ISF])

    # Round 1: the ICB has not agreed yet -> V27 fails; nothing can be activated.
    cp.submit(plan_id)
    assert ("mc3_health_liaison_request", "icb_s117_team") in cp.sent(case)
    cp.complete(case, "csp_health_liaison", {"healthAgreementRecorded": False, "icbContact": "ICB s.117 lead"})
    assert [f["ruleId"] for f in cp.data(case)["validationBlocking"]] == ["V27"]
    line = cp.plan(case)["lineItems"][0]
    early = cp.activate(plan_id, line["id"])
    assert early.status_code == 409 and "not approved" in early.json["message"]
    # Round 2: agreement recorded; V27 passes (charge £0).
    cp.submit(plan_id)
    cp.complete(case, "csp_health_liaison", {"healthAgreementRecorded": True,
                                             "fundingSplit": "50/50 (local agreement)"})
    assert cp.data(case)["planValid"] is True
    assert cp.rules(case)["PlanValidationRules"][-1] == [23]  # over the indicative budget: routing only

    # DMN-07 rule 6 (9.1%): team manager; rejected first, then approved with a rationale.
    cp.complete(case, "csp_agreement", {"agreed": True})
    assert cp.rules(case)["PlanBudgetApprovalRoute"] == [[6]] and cp.data(case)["variancePct"] == 9.1
    cp.complete(case, "csp_approve_manager", {"approvalDecision": "REJECTED", "rejectionReasons":
                                              "Show the ICB's share in the plan"}, api=cp.manager)
    assert cp.plan(case)["lineItems"][0]["approval"] == "REJECTED"
    assert cp.open_names(case) == ["csp_draft"]
    cp.write_plan(case, complete_plan(options=OPTIONS, howNeedsMet="ISF; the ICB pays half"), [ISF])
    cp.submit(plan_id)  # the agreement is recorded now: no further liaison request
    assert [t for t, _ in cp.sent(case)].count("mc3_health_liaison_request") == 2
    cp.complete(case, "csp_agreement", {"agreed": True})
    cp.complete(case, "csp_approve_manager", {"approvalDecision": "APPROVED", "rationale":
                                              "Meets his aftercare needs; ICB shares the cost"}, api=cp.manager)
    plan = cp.plan(case)
    assert plan["status"] == "SIGNED_OFF" and plan["councilWeekly"] == 1200.0 and plan["personContributionWeekly"] == 0

    # Activation: the ISF line is provisioned; ContrOCC is told the client contribution is £0.
    line = plan["lineItems"][0]
    assert cp.activate(plan_id, line["id"]).json["status"] == "PROVISIONED"
    cp.complete(case, "csp_activate", {"servicesActivated": True})
    assert cp.rules(case)["ReviewScheduling"] == [[1, 3]]
    schedules = [s["reviewType"] for s in cp.data(case)["reviewSchedules"]]
    assert schedules == ["LIGHT_TOUCH", "S117_CPA_REVIEW"]

    # The light-touch review finds a significant change: reassessment (DMN-08 rule 8), then plan version 2.
    assert cp.fire(43) == 1
    cp.complete(case, "csp_review", {"reviewOutcome": "SIGNIFICANT_CHANGE", "reviewNotes": "Moving to his own flat"})
    assert cp.rules(case)["ReviewScheduling"][-1] == [8]
    assert cp.open_names(case) == ["csp_reassess"]
    due = datetime.fromisoformat(cp.task(case, "csp_reassess")["dueAt"]).astimezone(LONDON).date()
    assert due == add_working_days(date.today(), 10)  # P10D in working days [CONFIG]
    cp.complete(case, "csp_reassess", {"assessmentFinalised": True, "reassessmentNotes": "Needs fewer hours"})
    assert cp.open_names(case) == ["csp_draft"]
    assert [(v["version"], v["status"]) for v in cp.plan(case)["versions"]] == [(1, "SIGNED_OFF"), (2, "DRAFT")]
    assert not cp.incidents()
