"""DMN-07 sees the figures the plan really has: an indicative budget of £0, and the new RAS figure a
reassessment gives (DOMAIN.md D, DMN-07; C.4 CSP-23). People are invented."""
from __future__ import annotations

from typing import Any

from .conftest import CP, complete_plan

PERSON = {"personRef": "P-DA-1", "personName": "Ms G (invented)", "assessmentFinalised": True,
          "needsFromImpairmentOrIllness": True, "significantImpactOnWellbeing": True, "indicativeWeekly": 420,
          "outcomesUnable": ["NUTRITION", "PERSONAL_HYGIENE"], "s117": False, "placedByOtherAuthority": "NONE",
          "orDetermined": "THIS_COUNCIL"}
CARE = {"description": "Home care calls", "budgetOption": "COUNCIL_MANAGED", "weeklyCost": 300,
        "frequency": "daily"}


def _planned(cp: CP, facts: dict[str, Any]) -> tuple[str, int]:
    case = cp.start(facts)
    cp.set_up(case)
    return case, cp.write_plan(case, complete_plan(), [CARE])


def test_a_plan_over_an_indicative_budget_of_nothing_goes_to_the_senior_manager(cp: CP) -> None:
    """Costed £300 over an indicative £0: every pound is over the tolerance, DMN-07 rule 7."""
    case, plan_id = _planned(cp, dict(PERSON, indicativeWeekly=0))
    assert cp.submit(plan_id)["valid"] is True
    cp.complete(case, "csp_agreement", {"agreed": True})
    assert cp.rules(case)["PlanBudgetApprovalRoute"] == [[7]]
    assert cp.data(case)["approvalRoute"] == "SENIOR_MANAGER"
    assert cp.open_names(case) == ["csp_approve_senior"]


def test_a_plan_of_nothing_over_an_indicative_budget_of_nothing_is_within_it(cp: CP) -> None:
    case, plan_id = _planned(cp, dict(PERSON, indicativeWeekly=0))
    cp.write_plan(case, complete_plan(), [dict(CARE, weeklyCost=0)])
    cp.submit(plan_id)
    cp.complete(case, "csp_agreement", {"agreed": True})
    assert cp.rules(case)["PlanBudgetApprovalRoute"] == [[5]]


def test_the_new_version_after_a_reassessment_carries_the_new_indicative_budget(cp: CP) -> None:
    """A significant change, reassessed at £250 a week: version 2 is compared with £250, not the old £420."""
    case, plan_id = _planned(cp, PERSON)
    cp.submit(plan_id)
    cp.complete(case, "csp_agreement", {"agreed": True})
    cp.complete(case, "csp_approve_manager", {"approvalDecision": "APPROVED"}, api=cp.manager)
    line = cp.plan(case)["lineItems"][0]
    assert cp.activate(plan_id, line["id"]).status_code == 200
    cp.complete(case, "csp_activate", {"servicesActivated": True})
    assert cp.fire(43) == 1
    cp.complete(case, "csp_review", {"reviewOutcome": "SIGNIFICANT_CHANGE"})
    cp.complete(case, "csp_reassess", {"assessmentFinalised": True, "indicativeWeekly": 250})
    second = cp.plan(case)
    assert second["version"] == 2 and second["indicativeWeekly"] == 250.0
    result = cp.submit(second["id"])
    assert result["valid"] is True
    cp.complete(case, "csp_agreement", {"agreed": True})
    assert cp.rules(case)["PlanBudgetApprovalRoute"][-1] == [7]  # £300 is 20% over £250
    assert cp.data(case)["approvalRoute"] == "SENIOR_MANAGER"


def test_unanswered_questions_about_the_candidate_are_asked_not_taken_as_answered(cp: CP) -> None:
    """With substantial difficulty and a candidate, DMN-05a needs the answers: an unanswered 'is the
    candidate implicated in safeguarding?' or 'does the person agree?' is not a 'No' or a 'Yes' that
    makes the candidate appropriate and the advocate unnecessary (CSP-07)."""
    case = cp.start(PERSON)
    cp.complete(case, "csp_explain", {"dutyExplained": True, "chargingDiscussed": True})
    base = {"substantialDifficultyAny": True, "hasAppropriateCandidate": True, "lacksCapacityToPlan": False}
    r = cp.try_complete(case, "csp_participants", dict(base, candidateAbleAndAvailable=True))
    assert r.status_code == 422
    missing = {e["field"] for e in r.json["errors"]}
    assert {"candidatePaidOrProfessionalCarer", "candidateImplicatedInSafeguarding",
            "personConsentsToCandidate"} <= missing
    assert cp.open_names(case) == ["csp_participants"]
    # A person lacking capacity to choose: whether the candidate is in their best interests must be answered.
    lacks = dict(base, candidateAbleAndAvailable=True, candidatePaidOrProfessionalCarer=False,
                 candidateImplicatedInSafeguarding=False, personHasCapacityToChoose=False)
    r = cp.try_complete(case, "csp_participants", lacks)
    assert r.status_code == 422 and {e["field"] for e in r.json["errors"]} == {"bestInterestsToUseCandidate"}
    cp.complete(case, "csp_participants", dict(lacks, bestInterestsToUseCandidate=False))
    assert cp.data(case)["advocateRequired"] is True  # DMN-05a rule 5, then DMN-05 rule 3


def test_no_substantial_difficulty_needs_no_questions_about_a_candidate(cp: CP) -> None:
    case = cp.start(PERSON)
    cp.complete(case, "csp_explain", {"dutyExplained": True, "chargingDiscussed": True})
    cp.complete(case, "csp_participants", {"substantialDifficultyAny": False, "hasAppropriateCandidate": True,
                                           "lacksCapacityToPlan": False})
    assert cp.data(case)["advocateRequired"] is False
