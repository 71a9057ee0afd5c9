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

