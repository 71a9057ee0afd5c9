"""How a plan starts and where it can end early: a worker starting one by hand (the preconditions loop,
twice round), not eligible (CSP_End_NotEligible), another council responsible (M-C4,
CSP_End_ORTransferred), urgent needs met meanwhile (s.19(3)), the person declining (CSP_End_Withdrawn),
and the guards holding on the generic task API too."""
from __future__ import annotations

from typing import Any

from .conftest import CP, complete_plan

BASE = {"personRef": "P-R1", "personName": "Mx R (invented)", "assessmentFinalised": True, "indicativeWeekly": 250,
        "needsFromImpairmentOrIllness": True, "significantImpactOnWellbeing": True,
        "outcomesUnable": ["NUTRITION", "HOME_SAFETY"], "s117": False, "placedByOtherAuthority": "NONE",
        "orDetermined": "THIS_COUNCIL"}


def test_a_worker_starts_by_hand_and_the_preconditions_loop(cp: CP) -> None:
    r = cp.worker.post("/care-plans", json={"data": {"personName": "Mx H (invented)"}})
    assert r.status_code == 201, r.json
    case = r.json["id"]
    assert cp.task(case, "csp_record_assessment")["assignee"] == "wendy.worker"
    cp.complete(case, "csp_record_assessment", {"personName": "Mx H (invented)", "assessmentFinalised": False,
                                                "needsFromImpairmentOrIllness": True,
                                                "outcomesUnable": ["NUTRITION", "PERSONAL_HYGIENE"],
                                                "significantImpactOnWellbeing": True, "s117": False})
    assert cp.data(case)["preconditionFailure"] == "P1"
    cp.complete(case, "csp_complete_preconditions", {"assessmentFinalised": False, "note": "Awaiting sign-off"})
    assert cp.open_names(case) == ["csp_complete_preconditions"]  # round two: still not finalised
    cp.complete(case, "csp_complete_preconditions", {"assessmentFinalised": True})
    assert cp.data(case)["preconditionFailure"] == "P3"  # no RAS figure yet
    cp.complete(case, "csp_complete_preconditions", {"assessmentFinalised": True, "indicativeWeekly": 240})
    assert cp.open_names(case) == ["csp_or_facts"]  # residence not known: the worker establishes it
    cp.complete(case, "csp_or_facts", {"placedByOtherAuthority": "NONE", "orDetermined": "THIS_COUNCIL"})
    assert cp.open_names(case) == ["csp_explain"]
    assert cp.rules(case)["AdultEligibility"] == [[4]] * 4
    assert cp.rules(case)["OrdinaryResidenceRouting"] == [[5]]


def test_not_eligible_ends_with_reasons(cp: CP) -> None:
    case = cp.start(dict(BASE, outcomesUnable=["NUTRITION"]))
    assert cp.rules(case)["AdultEligibility"] == [[2]]
    assert cp.instance(case).status == "completed" and cp.open_names(case) == []


def test_another_council_is_responsible(cp: CP) -> None:
    case = cp.start(dict(BASE, placedByOtherAuthority="ENGLISH_LA", orDetermined=None,
                         responsibleAuthorityName="Council Y (invented)"))
    assert cp.rules(case)["OrdinaryResidenceRouting"] == [[3]]
    assert cp.sent(case) == [("mc4_or_notification", "responsible_authority")]
    assert cp.instance(case).status == "completed"


def test_urgent_needs_are_met_while_another_council_is_told(cp: CP) -> None:
    case = cp.start(dict(BASE, orDetermined="OTHER_ENGLISH_LA", needsAppearUrgent=True))
    assert cp.rules(case)["OrdinaryResidenceRouting"] == [[8]]
    assert cp.sent(case) == [("mc4_or_notification", "responsible_authority")]
    assert cp.open_names(case) == ["csp_explain"]


def _to_agreement(cp: CP) -> tuple[str, int]:
    case = cp.start(BASE)
    cp.set_up(case)
    plan_id = cp.write_plan(case, complete_plan(), [{"description": "Home care", "budgetOption": "COUNCIL_MANAGED",
                                                     "weeklyCost": 200, "frequency": "daily"}])
    assert cp.submit(plan_id)["valid"] is True
    return case, plan_id


def test_the_person_declines(cp: CP) -> None:
    case, _plan = _to_agreement(cp)
    cp.complete(case, "csp_agreement", {"agreed": False, "personDeclines": True})
    assert cp.instance(case).status == "completed" and cp.open_names(case) == []


def test_guards_hold_on_the_generic_task_api(cp: CP) -> None:
    from .test_guards import to_approval

    case, _plan = to_approval(cp, cp.manager, "tom.manager")  # a manager drafts as the allocated worker
    cp.complete(case, "csp_agreement", {"agreed": True}, api=cp.manager)
    task = cp.task(case, "csp_approve_manager")
    own: Any = cp.manager.post(f"/tasks/{task['id']}/complete", json={"data": {"approvalDecision": "APPROVED"}})
    assert own.status_code == 403 and "drafted this plan" in own.json["message"]
    done = cp.deputy.post(f"/tasks/{task['id']}/complete", json={"data": {"approvalDecision": "APPROVED"}})
    assert done.status_code == 200
    activate = cp.task(case, "csp_activate")
    early = cp.manager.post(f"/tasks/{activate['id']}/complete", json={"data": {"servicesActivated": True}})
    assert early.status_code == 409 and "not activated yet" in early.json["message"]
