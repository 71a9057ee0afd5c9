"""Every rule of every decision table the provider-failure processes call is reached by a real process run.

One database: the scenario flows (E1-E6) run first, then short incidents (one per remaining trigger event
or duty fact pattern) and short person cases (funding, urgency, capacity and advocacy facts) that reach
the rest. All through the API; the rules are read from the DecisionLog rows the runs wrote.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workflows.models import DecisionLog, ProcessVersion

from . import test_e1_care_home_closure as e1
from . import test_e3_home_care_72_hours as e3
from . import test_e4_cqc_cancels_registration as e4
from . import test_people_and_cycles as cycles
from .conftest import PF, day
from .people import listed, person, record

PROCESSES = ("provider_failure", "provider_failure_person", "provider_failure_dispute")
# ReviewScheduling (DMN-08) is shared with care and support planning (Process 2). Provider failure asks it
# only about a completed move (event MOVE_COMPLETED_PROVIDER_FAILURE, changeLevel NONE: rules 10 and 11);
# rules 1-9 answer Process 2 events and no provider-failure step can reach them.
NOT_PROVIDER_FAILURE = {("ReviewScheduling", n) for n in range(1, 10)}

# Incidents: (providerRef, eventType, verify-facts overrides, legal advice) -> the DMN-01a / DMN-01 rule hit.
INCIDENTS: list[tuple[str, str, dict[str, Any], bool | None]] = [
    ("PRV-T02", "RECEIVER_APPOINTED", {"isRegisteredCareProvider": False, "anyUrgentNeeds": True}, None),  # 01: 5
    ("PRV-T03", "ADMINISTRATIVE_RECEIVER_APPOINTED", {"activityIsRegulated": False, "anyUrgentNeeds": True},
     None),  # 01: 6
    ("PRV-T04", "CREDITORS_VOLUNTARY_WINDING_UP_RESOLUTION", {"isRegisteredCareProvider": False,
     "unableToCarryOn": False, "serviceStatus": "CONTINUING", "cqcLikelyFailureNotified": True}, None),  # 01: 9
    ("PRV-T05", "MEMBERS_VOLUNTARY_WINDING_UP", {}, None),
    ("PRV-T07", "PARTNERSHIP_JOINT_BANKRUPTCY_ORDER", {}, None),
    ("PRV-T08", "CHARITY_TRUSTEES_UNABLE_TO_PAY_DEBTS", {}, None),
    ("PRV-T09", "ALL_PARTNERS_ADJUDGED_BANKRUPT", {}, None),
    ("PRV-T10", "COMPANY_VOLUNTARY_ARRANGEMENT_APPROVED", {}, None),
    ("PRV-T11", "INDIVIDUAL_ADJUDGED_BANKRUPT", {}, None),
    ("PRV-T12", "INDIVIDUAL_VOLUNTARY_ARRANGEMENT", {}, None),
    ("PRV-T13", "INDIVIDUAL_OTHER_INSOLVENCY", {}, True),  # legal check, then s.48
    ("PRV-T14", "WINDING_UP_PETITION_ONLY", {}, None),
    ("PRV-T15", "CHARITY_DECOMMISSIONS_FOR_FINANCIAL_REASONS", {"anyUrgentNeeds": True}, False),
    ("PRV-T16", "CQC_LIKELY_FAILURE_NOTICE", {"unableToCarryOn": False, "serviceStatus": "CONTINUING",
                                              "cqcLikelyFailureNotified": True}, None),  # 01: 3
    ("PRV-T18", "CONTRACT_TERMINATION", {"unableToCarryOn": False, "serviceStatus": "CONTINUING"}, None),  # 01: 8
    ("PRV-T19", "FORCE_MAJEURE", {}, None),
]

APPROPRIATE = {"substantialDifficultyAny": True, "hasAppropriateCandidate": True, "candidateAbleAndAvailable": True,
               "candidatePaidOrProfessionalCarer": False, "candidateImplicatedInSafeguarding": False}
HOME = "CARE_HOME_RESIDENTIAL"
# Person cases on a closure 30 days out: (person, PP-06 answers).
PEOPLE: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (person("P01", "Pat One", "LCC_ARRANGED", HOME, "S18_EXISTING", riskToLife=True, complexNeeds=True,
            hasCarerOrRepresentative=True),
     {"substantialDifficultyAny": True, "hasAppropriateCandidate": True, "candidatePaidOrProfessionalCarer": True}),
    (person("P02", "Pat Two", "LCC_ARRANGED", HOME, "S18_EXISTING", providerArrangementSatisfactory=True),
     {"substantialDifficultyAny": False, "hasAppropriateCandidate": True, "candidateImplicatedInSafeguarding": True}),
    (person("P03", "Pat Three", "LCC_ARRANGED", "SUPPORTED_LIVING", "S18_EXISTING", terminallyIll=True),
     {"substantialDifficultyAny": False, "hasAppropriateCandidate": True, "candidateAbleAndAvailable": True,
      "personHasCapacityToChoose": True, "personConsentsToCandidate": False}),
    (person("P04", "Pat Four", "LCC_ARRANGED", "OTHER", "S18_EXISTING", significantWellbeingImpact=True),
     {"substantialDifficultyAny": False, "hasAppropriateCandidate": True, "candidateAbleAndAvailable": True,
      "personHasCapacityToChoose": False, "bestInterestsToUseCandidate": False}),
    (person("P05", "Pat Five", "S117_AFTERCARE", "HOMECARE", "S48", s117=True,
            s117ResponsibleAuthorityIsThisCouncil=True), {**APPROPRIATE, "nhsPlacementLikely": True}),
    (person("P06", "Pat Six", "S117_AFTERCARE", "HOMECARE", "S48", s117=True),
     {**APPROPRIATE, "materialDisagreementBothAgreeAdvocate": True}),
    (person("P07", "Pat Seven", "SCOTLAND_LA", HOME, "S48", placingAuthorityName="Comhairle Example (Scotland)"),
     APPROPRIATE),
    (person("P08", "Pat Eight", "NI_HSC_TRUST", HOME, "S48", placingAuthorityName="Example HSC Trust"), {}),
    (person("P09", "Pat Nine", "UNKNOWN", HOME, "S48"), {}),
]


def triaged(pf: PF, ref: str, event: str, facts: dict[str, Any], legal: bool | None) -> str:
    incident = pf.notify(ref, providerName=f"Provider {ref}", eventType=event)
    pf.triage(incident, providerName=f"Provider {ref}", eventType=event, **facts)
    if legal is not None:
        pf.complete(incident, "pf_legal_check", {"isBusinessFailure": legal, "notes": "Legal advice recorded"})
    return incident


def rules_of_called_tables(pf: PF) -> set[tuple[str, int]]:
    """(decision id, rule number) for every rule of every table the provider-failure versions call."""
    library = pf.services.library
    with pf.services.db.reading() as s:
        versions = s.scalars(select(ProcessVersion).where(ProcessVersion.process_id.in_(PROCESSES))).all()
        called = {(decision, digest) for v in versions for decision, digest in (v.dmn_hashes or {}).items()}
    assert {v for v in PROCESSES} == {v.process_id for v in versions}
    return {(decision, rule.index) for decision, digest in called
            for rule in library.decision_model(digest).decisions[decision].table.rules}


def test_every_rule_of_every_called_table_is_reached(pf: PF) -> None:
    # The scenarios, in one database (E1 first: it checks that nothing is left waiting at its end).
    e1.test_e1_forty_residents_each_worked_to_the_end(pf)
    cycles.test_e2_business_sold_ends_without_duty(pf)
    cycles.test_e5_strategic_exit_no_intervention(pf)
    cycles.test_e6_dispute_escalates_then_refers_and_reclassifies(pf)
    e3.test_e3_home_care_ceases_in_72_hours(pf)
    e4.test_e4_registration_cancelled_s19_power(pf)

    # The remaining trigger events and duty fact patterns, each its own incident.
    incidents = {ref: triaged(pf, ref, event, facts, legal) for ref, event, facts, legal in INCIDENTS}
    duty = {ref: pf.rules(i)["TemporaryDutyTrigger"] for ref, i in incidents.items()}
    assert (duty["PRV-T02"], duty["PRV-T03"], duty["PRV-T04"], duty["PRV-T16"], duty["PRV-T18"]) == (
        [5], [6], [9], [3], [8])
    assert [t["name"] for t in pf.tasks(incidents["PRV-T16"])] == ["pf_contingency"]

    # Person cases: a closure in 30 days with council in-house support to the provider (DMN-06 rule 3) ...
    closing = incidents["PRV-T07"]
    pf.open_closure(closing, day(30), provision="COUNCIL_IN_HOUSE")
    assert pf.rules(closing)["TemporaryDutyCharging"] == [3]
    assert pf.add_people(closing, [listed(p) for p, _ in PEOPLE]).status_code == 201
    cases = pf.children(closing)
    for p, involvement in PEOPLE:
        answers = {"pp_involve": involvement or {"substantialDifficultyAny": False, "hasAppropriateCandidate": False}}
        pf.work_person(cases[p["personRef"]].id, record(p), answers)
    ended = {ref: pf.instance(c.id).summary for ref, c in cases.items()}
    assert {ref: s["chargeTo"] for ref, s in ended.items() if ref in ("P05", "P06", "P07", "P08", "P09")} == {
        "P05": "NO_CHARGE_S117_JOINT_FUNDING", "P06": "RECHARGE_ARRANGING_AUTHORITY", "P07": "RECHARGE_SCOTTISH_LA",
        "P08": "RECHARGE_NI_HSC_TRUST", "P09": "PENDING_DETERMINATION"}
    assert (ended["P02"]["primaryAction"], ended["P02"]["endReason"]) == ("MONITOR_PROVIDER_ARRANGEMENT", "E6")
    assert ended["P03"]["primaryAction"] == "ARRANGE_SUPPORTED_LIVING_CARE"
    assert (ended["P04"]["primaryAction"], ended["P04"]["endReason"]) == ("INFORMATION_AND_ADVICE_ONLY", "E4")
    # ... and one whose care stops in two days (the s.19(3) incident): DMN-02 rule 5.
    soon = incidents["PRV-T02"]
    pf.open_closure(soon, day(2))
    quick = person("Q01", "Quinn Soon", "LCC_ARRANGED", "HOMECARE", "S18_EXISTING")
    assert pf.add_people(soon, [listed(quick)]).status_code == 201
    quick_case = pf.children(soon)["Q01"].id
    pf.work_person(quick_case, record(quick), {"pp_transfer": {"serviceStartDate": day(1)}})
    assert pf.rules(quick_case)["UrgencyOfNeeds"] == [5]

    with pf.services.db.reading() as s:
        reached = {(d.decision_id, m["index"]) for d in s.scalars(select(DecisionLog)) for m in d.matched_rules}
    expected = rules_of_called_tables(pf)
    assert len({d for d, _ in expected}) == 10  # DMN-01a, 01, 02, 05a, 05, 06, 08, 09, 09b, 10
    missing = sorted(expected - reached - NOT_PROVIDER_FAILURE)
    assert not missing, missing
    assert NOT_PROVIDER_FAILURE <= expected and not NOT_PROVIDER_FAILURE & reached
