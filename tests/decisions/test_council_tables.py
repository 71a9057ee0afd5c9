"""The council's decision tables (DOMAIN.md section D) against their unit vectors.

Every vector names the rule(s) it must match, so a vector fails when the right answer comes out of
the wrong rule. ``test_every_rule_is_reached`` then checks that the vectors together reach every
rule of every table. U1-U18 are DOMAIN.md E11 as written; U17 is the CPLI activation guard (C.6),
not a decision table, and is tested with the CPLI state machine, not here.

[CONFIG] values are read from ``dmn/council_config.json`` and passed in as the ``config`` input,
exactly as the process passes them; the tables refer to them as ``config.<name>``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from workflows.decisions import DecisionError, evaluate

DMN_DIR = Path(__file__).resolve().parents[2] / "dmn"
CONFIG: dict[str, Any] = json.loads((DMN_DIR / "council_config.json").read_text(encoding="utf-8"))

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMNDI_NS = "https://www.omg.org/spec/DMN/20191111/DMNDI/"
NS = {"dmn": DMN_NS, "dmndi": DMNDI_NS}

# decision id -> (file, hit policy, number of rules), as DOMAIN.md section D states them
TABLES: dict[str, tuple[str, str, int]] = {
    "ClassifyTriggerEvent": ("classify_trigger_event.dmn", "UNIQUE", 20),
    "TemporaryDutyTrigger": ("temporary_duty_trigger.dmn", "FIRST", 9),
    "UrgencyOfNeeds": ("urgency_of_needs.dmn", "FIRST", 9),
    "OutcomeNotAchieved": ("outcome_not_achieved.dmn", "FIRST", 5),
    "AdultEligibility": ("adult_eligibility.dmn", "UNIQUE", 4),
    "CarerOutcomeNotAchieved": ("carer_outcome_not_achieved.dmn", "FIRST", 4),
    "CarerEligibility": ("carer_eligibility.dmn", "UNIQUE", 6),
    "AppropriateIndividualTest": ("appropriate_individual_test.dmn", "FIRST", 6),
    "IndependentAdvocateRequired": ("independent_advocate_required.dmn", "FIRST", 6),
    "TemporaryDutyCharging": ("temporary_duty_charging.dmn", "FIRST", 13),
    "PlanBudgetApprovalRoute": ("plan_budget_approval_route.dmn", "FIRST", 7),
    "ReviewScheduling": ("review_scheduling.dmn", "COLLECT", 11),
    "ProviderFailurePersonAction": ("provider_failure_person_action.dmn", "FIRST", 9),
    "AllocateWorker": ("allocate_worker.dmn", "FIRST", 5),
    "PersonNotifications": ("person_notifications.dmn", "COLLECT", 13),
    "OrdinaryResidenceRouting": ("ordinary_residence_routing.dmn", "FIRST", 9),
    "PlanValidationRules": ("plan_validation_rules.dmn", "COLLECT", 28),
}


# decision id -> its number in DOMAIN.md section D; rule ids are "<number>-R<rule>", e.g. DMN-02-R5
REFS = {"ClassifyTriggerEvent": "DMN-01a", "TemporaryDutyTrigger": "DMN-01", "UrgencyOfNeeds": "DMN-02",
        "OutcomeNotAchieved": "DMN-03a", "AdultEligibility": "DMN-03", "CarerOutcomeNotAchieved": "DMN-04a",
        "CarerEligibility": "DMN-04", "AppropriateIndividualTest": "DMN-05a",
        "IndependentAdvocateRequired": "DMN-05", "TemporaryDutyCharging": "DMN-06",
        "PlanBudgetApprovalRoute": "DMN-07", "ReviewScheduling": "DMN-08",
        "ProviderFailurePersonAction": "DMN-09",
        "AllocateWorker": "DMN-09b", "PersonNotifications": "DMN-10", "OrdinaryResidenceRouting": "DMN-11",
        "PlanValidationRules": "CSP-14"}


def _path(decision: str) -> Path:
    return DMN_DIR / TABLES[decision][0]


def _tree(decision: str) -> Any:
    return etree.parse(str(_path(decision)))


def _input_data_names(decision: str) -> set[str]:
    return {el.get("name") for el in _tree(decision).getroot().iterfind("dmn:inputData", NS)}


def run(decision: str, inputs: dict[str, Any], config: dict[str, Any] | None = None) -> Any:
    """Evaluate as the process does: the case's inputs, plus the council config where the table uses it."""
    inputs = dict(inputs)
    if "config" in _input_data_names(decision):
        inputs["config"] = dict(CONFIG if config is None else config)
    return evaluate(str(_path(decision)), decision, inputs)


# --------------------------------------------------------------------------- vectors
@dataclass(frozen=True)
class Vector:
    id: str
    decision: str
    inputs: dict[str, Any]
    expected: Any  # single output: the value; several: dict (the keys given); COLLECT: list of those
    rules: tuple[int, ...]  # the rule numbers that must match, in order
    note: str = field(default="")


VECTORS: list[Vector] = []


def vector(vid: str, decision: str, inputs: dict[str, Any], expected: Any, *rules: int) -> None:
    VECTORS.append(Vector(vid, decision, inputs, expected, tuple(rules)))


# DMN-01a ClassifyTriggerEvent: every event type, U1-U3 among them ------------------------------
EVENT_EXPECTED = [
    # (eventType, rule, isBusinessFailure, eventClass)
    ("ADMINISTRATOR_APPOINTED", 1, True, "BUSINESS_FAILURE"),
    ("RECEIVER_APPOINTED", 2, True, "BUSINESS_FAILURE"),
    ("ADMINISTRATIVE_RECEIVER_APPOINTED", 3, True, "BUSINESS_FAILURE"),
    ("CREDITORS_VOLUNTARY_WINDING_UP_RESOLUTION", 4, True, "BUSINESS_FAILURE"),
    ("MEMBERS_VOLUNTARY_WINDING_UP", 5, False, "NOT_BUSINESS_FAILURE"),
    ("WINDING_UP_ORDER", 6, True, "BUSINESS_FAILURE"),
    ("PARTNERSHIP_JOINT_BANKRUPTCY_ORDER", 7, True, "BUSINESS_FAILURE"),
    ("CHARITY_TRUSTEES_UNABLE_TO_PAY_DEBTS", 8, True, "BUSINESS_FAILURE"),
    ("ALL_PARTNERS_ADJUDGED_BANKRUPT", 9, True, "BUSINESS_FAILURE"),
    ("COMPANY_VOLUNTARY_ARRANGEMENT_APPROVED", 10, True, "BUSINESS_FAILURE"),
    ("INDIVIDUAL_ADJUDGED_BANKRUPT", 11, True, "BUSINESS_FAILURE"),
    ("INDIVIDUAL_VOLUNTARY_ARRANGEMENT", 12, True, "BUSINESS_FAILURE"),
    ("INDIVIDUAL_OTHER_INSOLVENCY", 13, None, "LEGAL_REVIEW"),
    ("BANKRUPTCY_PETITION_OR_APPLICATION_ONLY", 14, False, "NOT_BUSINESS_FAILURE"),
    ("WINDING_UP_PETITION_ONLY", 14, False, "NOT_BUSINESS_FAILURE"),
    ("CHARITY_DECOMMISSIONS_FOR_FINANCIAL_REASONS", 15, None, "LEGAL_REVIEW"),
    ("CQC_LIKELY_FAILURE_NOTICE", 16, False, "PRE_FAILURE_WARNING"),
    ("CQC_DEREGISTRATION_OR_ENFORCEMENT", 17, False, "NOT_BUSINESS_FAILURE"),
    ("QUALITY_FAILURE", 17, False, "NOT_BUSINESS_FAILURE"),
    ("CONTRACT_TERMINATION", 18, False, "NOT_BUSINESS_FAILURE"),
    ("FORCE_MAJEURE", 19, False, "NOT_BUSINESS_FAILURE"),
    ("STRATEGIC_EXIT", 20, False, "NOT_BUSINESS_FAILURE"),
]
U_EVENTS = {"MEMBERS_VOLUNTARY_WINDING_UP": "U1", "BANKRUPTCY_PETITION_OR_APPLICATION_ONLY": "U2",
            "CHARITY_DECOMMISSIONS_FOR_FINANCIAL_REASONS": "U3"}
for _event, _rule, _bf, _class in EVENT_EXPECTED:
    _vid = f"{U_EVENTS[_event]}-" if _event in U_EVENTS else ""
    vector(f"{_vid}DMN-01a-{_event.lower()}", "ClassifyTriggerEvent", {"eventType": _event},
           {"isBusinessFailure": _bf, "eventClass": _class}, _rule)
vector("DMN-01a-u2-legal-ref-says-watch", "ClassifyTriggerEvent",
       {"eventType": "BANKRUPTCY_PETITION_OR_APPLICATION_ONLY"},
       {"legalRef": "Not listed in SI 2015/301 reg 2 (correction C2): watch for an order"}, 14)
vector("DMN-01a-administrator-legal-ref", "ClassifyTriggerEvent", {"eventType": "ADMINISTRATOR_APPOINTED"},
       {"legalRef": "SI 2015/301 reg 2(2)(a)"}, 1)


# DMN-01 TemporaryDutyTrigger -------------------------------------------------------------------
def duty(**kw: Any) -> dict[str, Any]:
    base = {"isRegisteredCareProvider": True, "activityIsRegulated": True, "isBusinessFailure": False,
            "unableToCarryOn": False, "cqcLikelyFailureNotified": False, "anyUrgentNeeds": False}
    return base | kw


vector("DMN-01-r1-registered-regulated-failure-ceases", "TemporaryDutyTrigger",
       duty(isBusinessFailure=True, unableToCarryOn=True), {"dutyBasis": "S48_TEMPORARY_DUTY"}, 1)
vector("DMN-01-r1-no-urgency-needed-for-s48", "TemporaryDutyTrigger",
       duty(isBusinessFailure=True, unableToCarryOn=True, anyUrgentNeeds=False,
            cqcLikelyFailureNotified=True),
       {"dutyBasis": "S48_TEMPORARY_DUTY"}, 1)
vector("DMN-01-r2-administrator-carries-on", "TemporaryDutyTrigger",
       duty(isBusinessFailure=True, unableToCarryOn=False), {"dutyBasis": "NO_DUTY_SERVICE_CONTINUES"}, 2)
vector("U4-DMN-01-cqc-notice-prepare-contingency", "TemporaryDutyTrigger",
       duty(isBusinessFailure=False, unableToCarryOn=False, cqcLikelyFailureNotified=True),
       {"dutyBasis": "PREPARE_CONTINGENCY"}, 3)
vector("DMN-01-r4-cqc-deregistration-urgent", "TemporaryDutyTrigger",
       duty(isBusinessFailure=False, unableToCarryOn=True, anyUrgentNeeds=True),
       {"dutyBasis": "S19_POWER_URGENT_NEEDS"}, 4)
vector("U5-DMN-01-unregistered-provider-urgent", "TemporaryDutyTrigger",
       duty(isRegisteredCareProvider=False, activityIsRegulated=False, unableToCarryOn=True,
            anyUrgentNeeds=True),
       {"dutyBasis": "S19_POWER_URGENT_NEEDS"}, 4)
vector("DMN-01-r5-unregistered-provider-in-administration", "TemporaryDutyTrigger",
       duty(isRegisteredCareProvider=False, isBusinessFailure=True, unableToCarryOn=True,
            anyUrgentNeeds=True),
       {"dutyBasis": "S19_POWER_URGENT_NEEDS"}, 5)
vector("DMN-01-r6-failed-activity-not-regulated", "TemporaryDutyTrigger",
       duty(activityIsRegulated=False, isBusinessFailure=True, unableToCarryOn=True, anyUrgentNeeds=True),
       {"dutyBasis": "S19_POWER_URGENT_NEEDS"}, 6)
vector("DMN-01-r7-strategic-exit-no-urgent-needs", "TemporaryDutyTrigger",
       duty(isBusinessFailure=False, unableToCarryOn=True, anyUrgentNeeds=False),
       {"dutyBasis": "NO_INTERVENTION_PROVIDER_RESPONSIBLE"}, 7)
vector("DMN-01-r7-unregistered-not-urgent", "TemporaryDutyTrigger",
       duty(isRegisteredCareProvider=False, isBusinessFailure=True, unableToCarryOn=True),
       {"dutyBasis": "NO_INTERVENTION_PROVIDER_RESPONSIBLE"}, 7)
vector("DMN-01-r8-business-as-usual", "TemporaryDutyTrigger", duty(),
       {"dutyBasis": "NO_INTERVENTION_PROVIDER_RESPONSIBLE"}, 8)
vector("DMN-01-r9-non-regulated-failure-continues-under-cqc-watch", "TemporaryDutyTrigger",
       duty(isRegisteredCareProvider=False, activityIsRegulated=False, isBusinessFailure=True,
            cqcLikelyFailureNotified=True),
       {"dutyBasis": "NO_INTERVENTION_PROVIDER_RESPONSIBLE"}, 9)
vector("DMN-01-r9-service-status-unknown", "TemporaryDutyTrigger",
       duty(isBusinessFailure=True, unableToCarryOn=None),
       {"dutyBasis": "NO_INTERVENTION_PROVIDER_RESPONSIBLE"}, 9)


# DMN-02 UrgencyOfNeeds ------------------------------------------------------------------------
def urgency(**kw: Any) -> dict[str, Any]:
    base = {"riskToLife": False, "immediateSignificantHealthRisk": False, "safeguardingRisk": False,
            "providerArrangementSatisfactory": False, "daysUntilCareStops": 30, "terminallyIll": False,
            "significantWellbeingImpact": False}
    return base | kw


def urg(level: str, is_urgent: bool, within: str, referral: bool = False) -> dict[str, Any]:
    return {"urgency": level, "isUrgent": is_urgent, "responseWithin": within,
            "safeguardingReferral": referral}


vector("DMN-02-r1-risk-to-life", "UrgencyOfNeeds", urgency(riskToLife=True,
                                                           providerArrangementSatisfactory=True),
       urg("CRITICAL", True, "PT4H"), 1)
vector("DMN-02-r2-health-risk", "UrgencyOfNeeds", urgency(immediateSignificantHealthRisk=True),
       urg("CRITICAL", True, "PT24H"), 2)
vector("DMN-02-r3-safeguarding-refers", "UrgencyOfNeeds",
       urgency(safeguardingRisk=True, providerArrangementSatisfactory=True), urg("URGENT", True, "PT24H",
                                                                                 True), 3)
vector("DMN-02-r4-sister-home-satisfactory", "UrgencyOfNeeds",
       urgency(providerArrangementSatisfactory=True, daysUntilCareStops=1), urg("NONE", False, "P7D"), 4)
vector("DMN-02-r5-care-already-stopped", "UrgencyOfNeeds", urgency(daysUntilCareStops=0),
       urg("CRITICAL", True, "PT24H"), 5)
vector("DMN-02-r5-two-days-boundary", "UrgencyOfNeeds", urgency(daysUntilCareStops=2, terminallyIll=True),
       urg("CRITICAL", True, "PT24H"), 5)
vector("DMN-02-r6-terminally-ill", "UrgencyOfNeeds", urgency(terminallyIll=True,
                                                             significantWellbeingImpact=True),
       urg("URGENT", True, "P2D"), 6)
vector("DMN-02-r7-wellbeing-care-stops-in-14-days", "UrgencyOfNeeds",
       urgency(daysUntilCareStops=14, significantWellbeingImpact=True), urg("URGENT", True, "P3D"), 7)
vector("DMN-02-r8-wellbeing-care-stops-later", "UrgencyOfNeeds",
       urgency(daysUntilCareStops=15, significantWellbeingImpact=True), urg("URGENT", True, "P7D"), 8)
vector("DMN-02-r9-three-days-no-other-factor", "UrgencyOfNeeds", urgency(daysUntilCareStops=3),
       urg("ROUTINE", False, "P14D"), 9)
vector("DMN-02-r9-days-unknown", "UrgencyOfNeeds", urgency(daysUntilCareStops=None),
       urg("ROUTINE", False, "P14D"), 9)


# DMN-03a OutcomeNotAchieved / DMN-03 AdultEligibility -----------------------------------------
def outcome(**kw: Any) -> dict[str, Any]:
    base = {"outcome": "NUTRITION", "canAchieveWithoutAssistance": True,
            "causesSignificantPainDistressAnxiety": False, "endangersHealthOrSafety": False,
            "takesSignificantlyLongerThanNormal": False}
    return base | kw


vector("DMN-03a-r1-cannot-without-assistance", "OutcomeNotAchieved",
       outcome(canAchieveWithoutAssistance=False), True, 1)
vector("DMN-03a-r2-pain-distress-anxiety", "OutcomeNotAchieved",
       outcome(outcome="PERSONAL_HYGIENE", causesSignificantPainDistressAnxiety=True), True, 2)
vector("DMN-03a-r3-endangers-health-or-safety", "OutcomeNotAchieved",
       outcome(outcome="HOME_SAFETY", endangersHealthOrSafety=True), True, 3)
vector("U7-DMN-03a-takes-significantly-longer", "OutcomeNotAchieved",
       outcome(outcome="APPROPRIATELY_CLOTHED", takesSignificantlyLongerThanNormal=True), True, 4)
vector("DMN-03a-r5-achieves-unaided", "OutcomeNotAchieved", outcome(outcome="CARING_FOR_CHILD"), False, 5)


def adult(impairment: bool, count: int | None, impact: bool) -> dict[str, Any]:
    return {"needsFromImpairmentOrIllness": impairment, "outcomesUnableCount": count,
            "significantImpactOnWellbeing": impact}


vector("DMN-03-r1-circumstantial-needs-only", "AdultEligibility", adult(False, 5, True),
       {"eligible": False, "failedCondition": "CONDITION_1_NO_IMPAIRMENT_OR_ILLNESS"}, 1)
vector("U6-DMN-03-one-outcome-not-enough", "AdultEligibility", adult(True, 1, True),
       {"eligible": False, "failedCondition": "CONDITION_2_FEWER_THAN_TWO_OUTCOMES"}, 2)
vector("DMN-03-r2-no-outcomes", "AdultEligibility", adult(True, 0, False),
       {"eligible": False, "failedCondition": "CONDITION_2_FEWER_THAN_TWO_OUTCOMES"}, 2)
vector("DMN-03-r3-no-significant-impact", "AdultEligibility", adult(True, 2, False),
       {"eligible": False, "failedCondition": "CONDITION_3_NO_SIGNIFICANT_IMPACT"}, 3)
vector("DMN-03-r4-two-outcomes-eligible", "AdultEligibility", adult(True, 2, True),
       {"eligible": True, "failedCondition": None}, 4)
vector("DMN-03-r4-all-ten-outcomes", "AdultEligibility", adult(True, 10, True),
       {"eligible": True, "failedCondition": None}, 4)


# DMN-04a CarerOutcomeNotAchieved / DMN-04 CarerEligibility ------------------------------------
def carer_outcome(**kw: Any) -> dict[str, Any]:
    base = {"carerOutcome": "NUTRITION", "canAchieveWithoutAssistance": True,
            "significantPainDistressAnxiety": False, "endangersHealthOrSafety": False}
    return base | kw


vector("DMN-04a-r1-cannot-without-assistance", "CarerOutcomeNotAchieved",
       carer_outcome(carerOutcome="CARING_FOR_OTHERS", canAchieveWithoutAssistance=False), True, 1)
vector("DMN-04a-r2-pain-distress-anxiety", "CarerOutcomeNotAchieved",
       carer_outcome(carerOutcome="RECREATION", significantPainDistressAnxiety=True), True, 2)
vector("DMN-04a-r3-endangers-health-or-safety", "CarerOutcomeNotAchieved",
       carer_outcome(carerOutcome="HABITABLE_HOME", endangersHealthOrSafety=True), True, 3)
# U9: the carer does it alone but takes significantly longer; the table has no such circumstance,
# so the extra fact the caller may hold changes nothing.
vector("U9-DMN-04a-takes-longer-is-not-a-carer-circumstance", "CarerOutcomeNotAchieved",
       carer_outcome(carerOutcome="WORK_TRAINING_EDUCATION_VOLUNTEERING",
                     takesSignificantlyLongerThanNormal=True),
       False, 4)


def carer(necessary: bool, deteriorating: bool, count: int, impact: bool) -> dict[str, Any]:
    return {"needsArisingFromProvidingNecessaryCare": necessary, "healthDeterioratingOrAtRisk": deteriorating,
            "carerOutcomesUnableCount": count, "significantImpactOnWellbeing": impact}


vector("DMN-04-r1-care-not-necessary", "CarerEligibility", carer(False, True, 3, True),
       {"eligible": False, "failedCondition": "CONDITION_1_NOT_NECESSARY_CARE"}, 1)
vector("DMN-04-r2-no-health-risk-no-outcome", "CarerEligibility", carer(True, False, 0, True),
       {"eligible": False, "failedCondition": "CONDITION_2_NO_HEALTH_RISK_AND_NO_OUTCOME"}, 2)
vector("DMN-04-r3-health-risk-no-impact", "CarerEligibility", carer(True, True, 0, False),
       {"eligible": False, "failedCondition": "CONDITION_3_NO_SIGNIFICANT_IMPACT"}, 3)
vector("DMN-04-r4-outcome-no-impact", "CarerEligibility", carer(True, False, 2, False),
       {"eligible": False, "failedCondition": "CONDITION_3_NO_SIGNIFICANT_IMPACT"}, 4)
vector("DMN-04-r5-health-deteriorating", "CarerEligibility", carer(True, True, 0, True),
       {"eligible": True, "failedCondition": None}, 5)
vector("U8-DMN-04-one-outcome-is-enough-for-carers", "CarerEligibility", carer(True, False, 1, True),
       {"eligible": True, "failedCondition": None}, 6)


# DMN-05a AppropriateIndividualTest -----------------------------------------------------------
def candidate(**kw: Any) -> dict[str, Any]:
    base = {"candidatePaidOrProfessionalCarer": False, "candidateImplicatedInSafeguarding": False,
            "candidateAbleAndAvailable": True, "personHasCapacityToChoose": True,
            "personConsentsToCandidate": True, "bestInterestsToUseCandidate": None}
    return base | kw


vector("U11-DMN-05a-paid-personal-assistant", "AppropriateIndividualTest",
       candidate(candidatePaidOrProfessionalCarer=True), {"appropriate": False}, 1)
vector("DMN-05a-r2-implicated-in-safeguarding", "AppropriateIndividualTest",
       candidate(candidateImplicatedInSafeguarding=True), {"appropriate": False}, 2)
vector("DMN-05a-r3-not-available", "AppropriateIndividualTest",
       candidate(candidateAbleAndAvailable=False), {"appropriate": False}, 3)
vector("DMN-05a-r4-person-refuses", "AppropriateIndividualTest",
       candidate(personConsentsToCandidate=False), {"appropriate": False}, 4)
vector("DMN-05a-r5-not-in-best-interests", "AppropriateIndividualTest",
       candidate(personHasCapacityToChoose=False, personConsentsToCandidate=None,
                 bestInterestsToUseCandidate=False),
       {"appropriate": False, "reason": "Not in the best interests of a person lacking capacity"}, 5)
vector("DMN-05a-r6-daughter-agreed", "AppropriateIndividualTest", candidate(),
       {"appropriate": True, "reason": "Appropriate"}, 6)
vector("DMN-05a-r6-best-interests-for-person-lacking-capacity", "AppropriateIndividualTest",
       candidate(personHasCapacityToChoose=False, personConsentsToCandidate=None,
                 bestInterestsToUseCandidate=True),
       {"appropriate": True}, 6)


# DMN-05 IndependentAdvocateRequired ----------------------------------------------------------
def advocate(**kw: Any) -> dict[str, Any]:
    base = {"process": "CARE_SUPPORT_PLANNING", "substantialDifficultyAny": False,
            "appropriateIndividualAvailable": False, "nhsPlacementLikely": False,
            "materialDisagreementBothAgreeAdvocate": False, "lacksCapacityForAccommodationDecision": False,
            "onlyPaidCarersToConsult": False}
    return base | kw


vector("U10-DMN-05-no-substantial-difficulty", "IndependentAdvocateRequired", advocate(),
       {"advocateRequired": False, "considerIMCA": False}, 1)
vector("DMN-05-r2-no-one-and-lacks-capacity-consider-imca", "IndependentAdvocateRequired",
       advocate(process="PROVIDER_FAILURE_ARRANGEMENTS", substantialDifficultyAny=True,
                lacksCapacityForAccommodationDecision=True, onlyPaidCarersToConsult=True),
       {"advocateRequired": True, "considerIMCA": True}, 2)
vector("DMN-05-r3-no-appropriate-individual", "IndependentAdvocateRequired",
       advocate(process="NEEDS_ASSESSMENT", substantialDifficultyAny=True,
                lacksCapacityForAccommodationDecision=True),
       {"advocateRequired": True, "considerIMCA": False,
        "basis": "s.67(2)/(4) no appropriate individual"}, 3)
vector("DMN-05-r4-nhs-placement-exception", "IndependentAdvocateRequired",
       advocate(process="PLAN_REVIEW_REVISION", substantialDifficultyAny=True,
                appropriateIndividualAvailable=True,
                nhsPlacementLikely=True, materialDisagreementBothAgreeAdvocate=True),
       {"advocateRequired": True, "considerIMCA": False}, 4)
vector("DMN-05-r5-disagreement-exception", "IndependentAdvocateRequired",
       advocate(process="SAFEGUARDING_ENQUIRY", substantialDifficultyAny=True,
                appropriateIndividualAvailable=True,
                materialDisagreementBothAgreeAdvocate=True),
       {"advocateRequired": True, "considerIMCA": False}, 5)
vector("DMN-05-r6-appropriate-individual-facilitates", "IndependentAdvocateRequired",
       advocate(process="SAR", substantialDifficultyAny=True, appropriateIndividualAvailable=True),
       {"advocateRequired": False, "considerIMCA": False,
        "basis": "Appropriate individual facilitates involvement"}, 6)


# DMN-06 TemporaryDutyCharging ----------------------------------------------------------------
def charging(support: str, funding: str, s117_here: bool | None = None) -> dict[str, Any]:
    return {"supportType": support, "fundingCategory": funding,
            "s117ResponsibleAuthorityIsThisCouncil": s117_here}


vector("U12-DMN-06-information-advice-for-placed-person", "TemporaryDutyCharging",
       charging("INFORMATION_ADVICE", "OTHER_ENGLISH_LA_ARRANGED"), {"chargeTo": "NO_CHARGE"}, 1)
vector("DMN-06-r2-advocacy-free-to-self-funder", "TemporaryDutyCharging",
       charging("ADVOCACY", "SELF_FUNDED"), {"chargeTo": "NO_CHARGE", "financialAssessment": False}, 2)
vector("DMN-06-r2-review-free", "TemporaryDutyCharging",
       charging("ASSESSMENT_OR_REVIEW", "WALES_LA"), {"chargeTo": "NO_CHARGE"}, 2)
vector("DMN-06-r3-support-to-failing-provider", "TemporaryDutyCharging",
       charging("PROVIDER_SUPPORT_DURING_CLOSURE", "LCC_ARRANGED"), {"chargeTo": "FAILING_PROVIDER"}, 3)
vector("DMN-06-r4-chc", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "NHS_CHC"), {"chargeTo": "NO_LA_CHARGE_ICB_ARRANGES"}, 4)
vector("DMN-06-r5-s117-this-council", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "S117_AFTERCARE", True),
       {"chargeTo": "NO_CHARGE_S117_JOINT_FUNDING"}, 5)
vector("DMN-06-r6-s117-other-council", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "S117_AFTERCARE", False),
       {"chargeTo": "RECHARGE_ARRANGING_AUTHORITY", "financialAssessment": False}, 6)
vector("DMN-06-r7-other-english-la-dp", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "OTHER_ENGLISH_LA_DP"),
       {"chargeTo": "RECHARGE_ARRANGING_AUTHORITY"}, 7)
vector("DMN-06-r8-wales", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "WALES_LA"), {"chargeTo": "RECHARGE_WELSH_LA"}, 8)
vector("DMN-06-r9-scotland", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "SCOTLAND_LA"), {"chargeTo": "RECHARGE_SCOTTISH_LA"}, 9)
vector("DMN-06-r10-northern-ireland", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "NI_HSC_TRUST"), {"chargeTo": "RECHARGE_NI_HSC_TRUST"}, 10)
vector("DMN-06-r11-council-direct-payment", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "LCC_DIRECT_PAYMENT"),
       {"chargeTo": "EXISTING_COUNCIL_CHARGING", "financialAssessment": False}, 11)
vector("U13-DMN-06-self-funder-moved-in-of-own-accord", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "SELF_FUNDED"),
       {"chargeTo": "PERSON_ACTUAL_COST", "financialAssessment": True}, 12)
vector("DMN-06-r13-funding-unknown", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "UNKNOWN"), {"chargeTo": "PENDING_DETERMINATION"}, 13)


# DMN-07 PlanBudgetApprovalRoute --------------------------------------------------------------
def budget(costed: float, indicative: float | None, *, self_delegation: bool = False,
           limit: float | None = 500,
           novel: bool = False) -> dict[str, Any]:
    variance = None if indicative is None else (costed - indicative) / indicative * 100
    return {"uniqueOrNovel": novel, "costedWeekly": costed, "indicativeWeekly": indicative,
            "variancePct": variance, "workerHasSelfDelegation": self_delegation, "workerLimitWeekly": limit}


def route(name: str, rationale: bool) -> dict[str, Any]:
    return {"approvalRoute": name, "rationaleRequired": rationale}


vector("DMN-07-r1-pooled-budget-novel", "PlanBudgetApprovalRoute", budget(200, 400, novel=True,
                                                                          self_delegation=True),
       route("GOVERNANCE_PANEL", True), 1)
vector("U15-DMN-07-large-package", "PlanBudgetApprovalRoute", budget(1600, 1600), route("GOVERNANCE_PANEL",
                                                                                        True), 2)
vector("DMN-07-r2-exactly-at-threshold", "PlanBudgetApprovalRoute", budget(1500, None),
       route("GOVERNANCE_PANEL", True), 2)
vector("DMN-07-r3-no-indicative-budget", "PlanBudgetApprovalRoute", budget(300, None, self_delegation=True),
       route("TEAM_MANAGER", True), 3)
vector("DMN-07-r4-self-authorise-within-limit", "PlanBudgetApprovalRoute",
       budget(300, 420, self_delegation=True, limit=500), route("SELF_AUTHORISE", False), 4)
vector("DMN-07-r4-costed-equals-indicative", "PlanBudgetApprovalRoute",
       budget(420, 420, self_delegation=True, limit=420), route("SELF_AUTHORISE", False), 4)
# U14: finalPB = costed (300) is enforced by the process, outside the table (DOMAIN.md DMN-07).
vector("U14-DMN-07-under-indicative-no-self-delegation", "PlanBudgetApprovalRoute",
       budget(300, 420, self_delegation=False), route("TEAM_MANAGER", False), 5)
vector("DMN-07-r5-over-worker-limit", "PlanBudgetApprovalRoute",
       budget(600, 700, self_delegation=True, limit=500), route("TEAM_MANAGER", False), 5)
vector("DMN-07-r6-within-tolerance", "PlanBudgetApprovalRoute", budget(420, 400), route("TEAM_MANAGER",
                                                                                        True), 6)
vector("DMN-07-r6-tolerance-boundary-10pct", "PlanBudgetApprovalRoute", budget(440, 400.0),
       route("TEAM_MANAGER", True), 6)
vector("DMN-07-r7-beyond-tolerance", "PlanBudgetApprovalRoute", budget(500, 420, self_delegation=True),
       route("SENIOR_MANAGER", True), 7)


# DMN-08 ReviewScheduling (COLLECT) -----------------------------------------------------------
def review(event: str, change: str = "NONE", complex_: bool = False, s117: bool = False) -> dict[str, Any]:
    return {"event": event, "changeLevel": change, "complexOrHighRisk": complex_, "s117": s117}


def sched(review_type: str, earliest: str | None, due: str | None, anchor: str) -> dict[str, Any]:
    return {"reviewType": review_type, "earliest": earliest, "due": due, "anchor": anchor}


LIGHT_TOUCH = sched("LIGHT_TOUCH", "P6W", "P8W", "PLAN_SIGNED_OFF")
vector("DMN-08-r1-plan-signed-off", "ReviewScheduling", review("PLAN_SIGNED_OFF"), [LIGHT_TOUCH], 1)
vector("DMN-08-r1-r2-r3-complex-s117-plan", "ReviewScheduling",
       review("PLAN_SIGNED_OFF", complex_=True, s117=True),
       [LIGHT_TOUCH, sched("INTERIM", None, "P3M", "PLAN_SIGNED_OFF"),
        sched("S117_CPA_REVIEW", None, None, "CPA_WITH_HEALTH")], 1, 2, 3)
vector("DMN-08-r4-first-dp-payment", "ReviewScheduling", review("FIRST_DP_PAYMENT"),
       [sched("DP_REVIEW", None, "P6M", "FIRST_DP_PAYMENT")], 4)
vector("DMN-08-r5-dp-review-done", "ReviewScheduling", review("DP_REVIEW_DONE"),
       [sched("DP_REVIEW", None, "P12M", "REVIEW_DATE")], 5)
vector("DMN-08-r6-light-touch-no-change", "ReviewScheduling", review("LIGHT_TOUCH_DONE"),
       [sched("ANNUAL", None, "P12M", "LIGHT_TOUCH_DATE")], 6)
vector("DMN-08-r6-light-touch-minor-change", "ReviewScheduling", review("LIGHT_TOUCH_DONE",
                                                                        "MINOR_WITHIN_PB"),
       [sched("ANNUAL", None, "P12M", "LIGHT_TOUCH_DATE")], 6)
vector("DMN-08-r7-annual-done", "ReviewScheduling", review("ANNUAL_DONE", "MINOR_WITHIN_PB"),
       [sched("ANNUAL", None, "P12M", "REVIEW_DATE")], 7)
vector("U16-DMN-08-light-touch-significant-change", "ReviewScheduling", review("LIGHT_TOUCH_DONE",
                                                                               "SIGNIFICANT"),
       [sched("REASSESSMENT", None, "P10D", "NOW")], 8)
vector("DMN-08-r9-review-requested", "ReviewScheduling", review("REVIEW_REQUESTED"),
       [sched("UNPLANNED", None, "P10D", "REQUEST_DATE")], 9)
vector("DMN-08-r8-r9-significant-change-reported", "ReviewScheduling", review("CHANGE_REPORTED",
                                                                              "SIGNIFICANT"),
       [sched("REASSESSMENT", None, "P10D", "NOW"), sched("UNPLANNED", None, "P10D", "REQUEST_DATE")], 8, 9)
vector("DMN-08-r10-r11-move-completed", "ReviewScheduling", review("MOVE_COMPLETED_PROVIDER_FAILURE"),
       [sched("POST_MOVE_CHECK", None, "P3D", "MOVE_DATE"), sched("LIGHT_TOUCH", "P6W", "P8W", "MOVE_DATE")],
       10, 11)


# DMN-09 ProviderFailurePersonAction ----------------------------------------------------------
def person(**kw: Any) -> dict[str, Any]:
    base = {"fundingCategory": "LCC_ARRANGED", "serviceType": "CARE_HOME_RESIDENTIAL", "urgency": "ROUTINE",
            "providerArrangementSatisfactory": False, "personArrangesOwn": False,
            "placingAuthorityCanArrangeBeforeCessation": False}
    return base | kw


vector("DMN-09-r1-chc", "ProviderFailurePersonAction",
       person(fundingCategory="NHS_CHC", serviceType="CARE_HOME_NURSING", urgency="CRITICAL"),
       "ALERT_ICB_CHC", 1)
vector("DMN-09-r2-provider-sister-home", "ProviderFailurePersonAction",
       person(urgency="URGENT", providerArrangementSatisfactory=True), "MONITOR_PROVIDER_ARRANGEMENT", 2)
vector("DMN-09-r3-welsh-placement", "ProviderFailurePersonAction",
       person(fundingCategory="WALES_LA", urgency="URGENT", placingAuthorityCanArrangeBeforeCessation=True),
       "COORDINATE_WITH_PLACING_AUTHORITY", 3)
vector("DMN-09-r4-self-funder-arranges-own", "ProviderFailurePersonAction",
       person(fundingCategory="SELF_FUNDED", serviceType="HOMECARE", urgency="NONE", personArrangesOwn=True),
       "INFORMATION_AND_ADVICE_ONLY", 4)
vector("DMN-09-r5-critical-placed-person-nursing", "ProviderFailurePersonAction",
       person(fundingCategory="OTHER_ENGLISH_LA_ARRANGED", serviceType="CARE_HOME_NURSING",
              urgency="CRITICAL",
              providerArrangementSatisfactory=True, placingAuthorityCanArrangeBeforeCessation=True),
       "ARRANGE_NURSING_HOME", 5)
vector("DMN-09-r6-council-funded-residential", "ProviderFailurePersonAction", person(),
       "ARRANGE_CARE_HOME", 6)
vector("DMN-09-r7-self-funder-asks-council-homecare", "ProviderFailurePersonAction",
       person(fundingCategory="SELF_FUNDED", serviceType="HOMECARE"), "ARRANGE_HOMECARE_FRAMEWORK", 7)
vector("DMN-09-r8-supported-living-placing-authority-cannot-act", "ProviderFailurePersonAction",
       person(fundingCategory="SCOTLAND_LA", serviceType="SUPPORTED_LIVING", urgency="URGENT"),
       "ARRANGE_SUPPORTED_LIVING_CARE", 8)
vector("DMN-09-r9-other-service", "ProviderFailurePersonAction", person(serviceType="OTHER"),
       "INFORMATION_AND_ADVICE_ONLY", 9)


# DMN-09b AllocateWorker -----------------------------------------------------------------------
def allocation(action: str = "ARRANGE_CARE_HOME", **kw: Any) -> dict[str, Any]:
    return {"primaryAction": action, "lacksCapacity": False, "safeguardingRisk": False,
            "complexNeeds": False} | kw


vector("DMN-09b-r1-chc-liaison", "AllocateWorker", allocation("ALERT_ICB_CHC", complexNeeds=True),
       "LIAISON_ONLY_QISW", 1)
vector("DMN-09b-r2-placed-person-lacks-capacity", "AllocateWorker",
       allocation("COORDINATE_WITH_PLACING_AUTHORITY", lacksCapacity=True), "SOCIAL_WORKER", 2)
vector("DMN-09b-r3-safeguarding", "AllocateWorker", allocation(safeguardingRisk=True), "SOCIAL_WORKER", 3)
vector("DMN-09b-r4-complex", "AllocateWorker", allocation("ARRANGE_NURSING_HOME", complexNeeds=True),
       "SOCIAL_WORKER", 4)
vector("DMN-09b-r5-straightforward-move", "AllocateWorker", allocation("ARRANGE_HOMECARE_FRAMEWORK"),
       "SCSO", 5)


# DMN-10 PersonNotifications (COLLECT) --------------------------------------------------------
def notify(funding: str = "LCC_ARRANGED", **kw: Any) -> dict[str, Any]:
    base = {"fundingCategory": funding, "nursingHomeOrFNC": False, "receivesCommunityNursing": False,
            "advocateRequired": False, "safeguardingRisk": False, "s117": False,
            "hasCarerOrRepresentative": False, "moving": False}
    return base | kw


def msg(recipient: str, message: str, timing: str) -> dict[str, Any]:
    return {"recipient": recipient, "message": message, "timing": timing}


vector("DMN-10-r1-placing-english-council", "PersonNotifications", notify("OTHER_ENGLISH_LA_DP"),
       [msg("PLACING_ENGLISH_COUNCIL", "M3", "SAME_DAY")], 1)
vector("DMN-10-r2-welsh-council", "PersonNotifications", notify("WALES_LA"),
       [msg("PLACING_WELSH_COUNCIL", "M3", "SAME_DAY")], 2)
vector("DMN-10-r3-scottish-council", "PersonNotifications", notify("SCOTLAND_LA"),
       [msg("PLACING_SCOTTISH_COUNCIL", "M3", "SAME_DAY")], 3)
vector("DMN-10-r4-ni-trust", "PersonNotifications", notify("NI_HSC_TRUST"),
       [msg("PLACING_NI_HSC_TRUST", "M3", "SAME_DAY")], 4)
vector("U18-DMN-10-chc-moving", "PersonNotifications", notify("NHS_CHC", moving=True),
       [msg("ICB_CHC_TEAM", "M11", "SAME_DAY"), msg("GP", "M7", "BEFORE_MOVE")], 5, 8)
vector("DMN-10-r6-to-r12-council-funded-everything", "PersonNotifications",
       notify(nursingHomeOrFNC=True, receivesCommunityNursing=True, advocateRequired=True,
              safeguardingRisk=True,
              s117=True, hasCarerOrRepresentative=True, moving=True),
       [msg("ICB_NURSING_COMMISSIONER", "M1/M8", "SAME_DAY"), msg("ICB_DISTRICT_NURSING", "M8",
                                                                  "BEFORE_MOVE"),
        msg("GP", "M7", "BEFORE_MOVE"), msg("ADVOCACY_SERVICE", "M9", "SAME_DAY"),
        msg("SAFEGUARDING_ENQUIRY_SERVICE", "M10", "IMMEDIATELY"), msg("S117_HEALTH_TEAM", "M1", "SAME_DAY"),
        msg("CARER_OR_REPRESENTATIVE", "M16", "SAME_DAY")], 6, 7, 8, 9, 10, 11, 12)
vector("DMN-10-self-funder-staying-nothing-to-send", "PersonNotifications", notify("SELF_FUNDED"), None)
vector("DMN-10-r11-s117-other-council-told-too", "PersonNotifications",
       notify(s117=True, s117ResponsibleAuthorityIsThisCouncil=False),
       [msg("S117_HEALTH_TEAM", "M1", "SAME_DAY"), msg("S117_RESPONSIBLE_COUNCIL", "M1", "SAME_DAY")], 11, 13)
vector("DMN-10-r11-s117-this-council-health-team-only", "PersonNotifications",
       notify(s117=True, s117ResponsibleAuthorityIsThisCouncil=True), [msg("S117_HEALTH_TEAM", "M1", "SAME_DAY")], 11)


# DMN-11 OrdinaryResidenceRouting -------------------------------------------------------------
def residence(**kw: Any) -> dict[str, Any]:
    base = {"s117": False, "s117ORImmediatelyBeforeDetention": None, "placedByOtherAuthority": "NONE",
            "orDetermined": "THIS_COUNCIL", "councilCurrentlyMeetingNeeds": False, "needsAppearUrgent": False}
    return base | kw


vector("DMN-11-r1-s117-here", "OrdinaryResidenceRouting",
       residence(s117=True, s117ORImmediatelyBeforeDetention="THIS_COUNCIL", orDetermined="OTHER_ENGLISH_LA"),
       "PROCEED_S117", 1)
vector("DMN-11-r2-s117-elsewhere", "OrdinaryResidenceRouting",
       residence(s117=True, s117ORImmediatelyBeforeDetention="OTHER", placedByOtherAuthority="ENGLISH_LA"),
       "REFER_S117_RESPONSIBLE_COUNCIL", 2)
vector("DMN-11-r3-s39-deeming", "OrdinaryResidenceRouting",
       residence(placedByOtherAuthority="ENGLISH_LA", orDetermined=None), "REFER_PLACING_AUTHORITY", 3)
vector("DMN-11-r4-cross-border-scotland", "OrdinaryResidenceRouting",
       residence(placedByOtherAuthority="SCOTLAND", needsAppearUrgent=True),
       "REFER_PLACING_AUTHORITY_CROSS_BORDER", 4)
vector("DMN-11-r5-ordinarily-resident-here", "OrdinaryResidenceRouting", residence(), "PROCEED", 5)
vector("DMN-11-r5-no-settled-residence", "OrdinaryResidenceRouting",
       residence(orDetermined="NO_SETTLED_RESIDENCE_PRESENT_HERE"), "PROCEED", 5)
vector("DMN-11-r6-dispute-already-meeting", "OrdinaryResidenceRouting",
       residence(orDetermined="DISPUTED", councilCurrentlyMeetingNeeds=True),
       "PROCEED_AS_LEAD_AUTHORITY_DISPUTE", 6)
vector("DMN-11-r7-dispute-present-here", "OrdinaryResidenceRouting",
       residence(orDetermined="DISPUTED"), "PROCEED_AS_LEAD_AUTHORITY_DISPUTE", 7)
vector("DMN-11-r8-other-council-urgent", "OrdinaryResidenceRouting",
       residence(orDetermined="OTHER_ENGLISH_LA", needsAppearUrgent=True),
       "MEET_URGENT_NEEDS_S19_3_AND_NOTIFY", 8)
vector("DMN-11-r9-other-council-not-urgent", "OrdinaryResidenceRouting",
       residence(orDetermined="OTHER_ENGLISH_LA"), "NOTIFY_OR_AUTHORITY", 9)


# DOMAIN.md E1-E10: the single-decision expectations of the end-to-end scenarios -------------
vector("E1-DMN-01-administration-closure", "TemporaryDutyTrigger",
       duty(isBusinessFailure=True, unableToCarryOn=True), {"dutyBasis": "S48_TEMPORARY_DUTY"}, 1)
vector("E1-DMN-09-chc-resident", "ProviderFailurePersonAction", person(fundingCategory="NHS_CHC"),
       "ALERT_ICB_CHC", 1)
vector("E1-DMN-10-chc-resident", "PersonNotifications", notify("NHS_CHC"),
       [msg("ICB_CHC_TEAM", "M11", "SAME_DAY")], 5)
vector("E1-DMN-06-chc-resident", "TemporaryDutyCharging", charging("ARRANGED_CARE_SUPPORT", "NHS_CHC"),
       {"chargeTo": "NO_LA_CHARGE_ICB_ARRANGES"}, 4)
vector("E1-DMN-09-welsh-resident-w1-arranges", "ProviderFailurePersonAction",
       person(fundingCategory="WALES_LA", placingAuthorityCanArrangeBeforeCessation=True),
       "COORDINATE_WITH_PLACING_AUTHORITY", 3)
vector("E1-DMN-09-welsh-resident-w1-cannot", "ProviderFailurePersonAction",
       person(fundingCategory="WALES_LA"), "ARRANGE_CARE_HOME", 6)
vector("E1-DMN-06-welsh-resident-recharged", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "WALES_LA"), {"chargeTo": "RECHARGE_WELSH_LA"}, 8)
vector("E1-DMN-02-self-funder-family-ready", "UrgencyOfNeeds", urgency(daysUntilCareStops=21),
       urg("ROUTINE", False, "P14D"), 9)
vector("E1-DMN-09-self-funder-arranges-own", "ProviderFailurePersonAction",
       person(fundingCategory="SELF_FUNDED", personArrangesOwn=True), "INFORMATION_AND_ADVICE_ONLY", 4)
vector("E1-DMN-06-self-funder-information", "TemporaryDutyCharging",
       charging("INFORMATION_ADVICE", "SELF_FUNDED"), {"chargeTo": "NO_CHARGE"}, 1)
vector("E1-DMN-09-self-funder-asks-council", "ProviderFailurePersonAction",
       person(fundingCategory="SELF_FUNDED"), "ARRANGE_CARE_HOME", 6)
vector("E1-DMN-06-self-funder-asks-council", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "SELF_FUNDED"),
       {"chargeTo": "PERSON_ACTUAL_COST", "financialAssessment": True}, 12)
vector("E1-DMN-05-mr-a-no-one-lacks-capacity", "IndependentAdvocateRequired",
       advocate(process="PROVIDER_FAILURE_ARRANGEMENTS", substantialDifficultyAny=True,
                lacksCapacityForAccommodationDecision=True, onlyPaidCarersToConsult=True),
       {"advocateRequired": True, "considerIMCA": True}, 2)
vector("E1-DMN-09b-mr-a", "AllocateWorker", allocation(lacksCapacity=True), "SOCIAL_WORKER", 2)
vector("E1-DMN-06-mr-a-existing-charging", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "LCC_ARRANGED"), {"chargeTo": "EXISTING_COUNCIL_CHARGING"}, 11)
vector("E1-DMN-09b-council-funded-mostly-scso", "AllocateWorker", allocation(), "SCSO", 5)
vector("E1-DMN-08-move-completed", "ReviewScheduling", review("MOVE_COMPLETED_PROVIDER_FAILURE"),
       [sched("POST_MOVE_CHECK", None, "P3D", "MOVE_DATE"), sched("LIGHT_TOUCH", "P6W", "P8W", "MOVE_DATE")],
       10, 11)
vector("E2-DMN-01-administrator-carries-on", "TemporaryDutyTrigger",
       duty(isBusinessFailure=True, unableToCarryOn=False), {"dutyBasis": "NO_DUTY_SERVICE_CONTINUES"}, 2)
vector("E2b-DMN-01-administrator-gives-notice", "TemporaryDutyTrigger",
       duty(isBusinessFailure=True, unableToCarryOn=True), {"dutyBasis": "S48_TEMPORARY_DUTY"}, 1)
vector("E3-DMN-01a-winding-up-order", "ClassifyTriggerEvent", {"eventType": "WINDING_UP_ORDER"},
       {"isBusinessFailure": True}, 6)
vector("E3-DMN-02-insulin-risk", "UrgencyOfNeeds",
       urgency(immediateSignificantHealthRisk=True, daysUntilCareStops=3, significantWellbeingImpact=True),
       urg("CRITICAL", True, "PT24H"), 2)
vector("E3-DMN-02-wellbeing-72h", "UrgencyOfNeeds",
       urgency(daysUntilCareStops=3, significantWellbeingImpact=True), urg("URGENT", True, "P3D"), 7)
vector("E3-DMN-09-council-homecare", "ProviderFailurePersonAction",
       person(serviceType="HOMECARE", urgency="URGENT"), "ARRANGE_HOMECARE_FRAMEWORK", 7)
vector("E3-DMN-09-blackburn-can-arrange", "ProviderFailurePersonAction",
       person(fundingCategory="OTHER_ENGLISH_LA_ARRANGED", serviceType="HOMECARE", urgency="URGENT",
              placingAuthorityCanArrangeBeforeCessation=True), "COORDINATE_WITH_PLACING_AUTHORITY", 3)
vector("E3-DMN-09-blackburn-cannot", "ProviderFailurePersonAction",
       person(fundingCategory="OTHER_ENGLISH_LA_ARRANGED", serviceType="HOMECARE", urgency="URGENT"),
       "ARRANGE_HOMECARE_FRAMEWORK", 7)
vector("E3-DMN-06-blackburn-recharge", "TemporaryDutyCharging",
       charging("ARRANGED_CARE_SUPPORT", "OTHER_ENGLISH_LA_ARRANGED"),
       {"chargeTo": "RECHARGE_ARRANGING_AUTHORITY"}, 7)
vector("E3-DMN-10-district-nursing-no-gp", "PersonNotifications", notify(receivesCommunityNursing=True),
       [msg("ICB_DISTRICT_NURSING", "M8", "BEFORE_MOVE")], 7)
vector("E4-DMN-01a-cqc-cancels-registration", "ClassifyTriggerEvent",
       {"eventType": "CQC_DEREGISTRATION_OR_ENFORCEMENT"}, {"isBusinessFailure": False}, 17)
vector("E4-DMN-01-s19-power-not-s48", "TemporaryDutyTrigger",
       duty(unableToCarryOn=True, anyUrgentNeeds=True), {"dutyBasis": "S19_POWER_URGENT_NEEDS"}, 4)
vector("E4-DMN-02-safeguarding", "UrgencyOfNeeds", urgency(safeguardingRisk=True),
       urg("URGENT", True, "PT24H", True), 3)
vector("E4-DMN-09-council-funded-nursing", "ProviderFailurePersonAction",
       person(serviceType="CARE_HOME_NURSING", urgency="URGENT"), "ARRANGE_NURSING_HOME", 5)
vector("E4-DMN-10-fnc-and-safeguarding", "PersonNotifications",
       notify(nursingHomeOrFNC=True, safeguardingRisk=True),
       [msg("ICB_NURSING_COMMISSIONER", "M1/M8", "SAME_DAY"),
        msg("SAFEGUARDING_ENQUIRY_SERVICE", "M10", "IMMEDIATELY")], 6, 10)
vector("E5-DMN-01a-strategic-exit", "ClassifyTriggerEvent", {"eventType": "STRATEGIC_EXIT"},
       {"eventClass": "NOT_BUSINESS_FAILURE"}, 20)
vector("E5-DMN-02-sister-home", "UrgencyOfNeeds",
       urgency(providerArrangementSatisfactory=True, daysUntilCareStops=84), urg("NONE", False, "P7D"), 4)
vector("E5-DMN-01-no-intervention", "TemporaryDutyTrigger", duty(unableToCarryOn=True),
       {"dutyBasis": "NO_INTERVENTION_PROVIDER_RESPONSIBLE"}, 7)
vector("E6-DMN-09-council-x-refuses", "ProviderFailurePersonAction",
       person(fundingCategory="OTHER_ENGLISH_LA_ARRANGED"), "ARRANGE_CARE_HOME", 6)
vector("E7-DMN-03-four-outcomes", "AdultEligibility", adult(True, 4, True), {"eligible": True}, 4)
vector("E7-DMN-04-mother-health-deteriorating", "CarerEligibility", carer(True, True, 1, True),
       {"eligible": True}, 5)
vector("E7-DMN-11-proceed", "OrdinaryResidenceRouting", residence(), "PROCEED", 5)
vector("E7-DMN-05-no-advocate", "IndependentAdvocateRequired", advocate(), {"advocateRequired": False}, 1)
vector("E7-DMN-07-self-authorise-395", "PlanBudgetApprovalRoute",
       budget(395, 420, self_delegation=True, limit=500), route("SELF_AUTHORISE", False), 4)
vector("E7-DMN-08-first-dp-payment", "ReviewScheduling", review("FIRST_DP_PAYMENT"),
       [sched("DP_REVIEW", None, "P6M", "FIRST_DP_PAYMENT")], 4)
vector("E8-DMN-05a-daughter", "AppropriateIndividualTest", candidate(), {"appropriate": True}, 6)
vector("E8-DMN-05-disagreement", "IndependentAdvocateRequired",
       advocate(substantialDifficultyAny=True, appropriateIndividualAvailable=True,
                materialDisagreementBothAgreeAdvocate=True), {"advocateRequired": True}, 5)
vector("E8-DMN-07-variance-23.7pct", "PlanBudgetApprovalRoute", budget(470, 380, self_delegation=True),
       route("SENIOR_MANAGER", True), 7)
vector("E9-DMN-11-s117-here", "OrdinaryResidenceRouting",
       residence(s117=True, s117ORImmediatelyBeforeDetention="THIS_COUNCIL"), "PROCEED_S117", 1)
vector("E9-DMN-07-variance-9.1pct", "PlanBudgetApprovalRoute", budget(1200, 1100),
       route("TEAM_MANAGER", True), 6)
vector("E9-DMN-08-light-touch-and-cpa", "ReviewScheduling", review("PLAN_SIGNED_OFF", s117=True),
       [LIGHT_TOUCH, sched("S117_CPA_REVIEW", None, None, "CPA_WITH_HEALTH")], 1, 3)
vector("E10-DMN-05-no-family-lacks-capacity", "IndependentAdvocateRequired",
       advocate(substantialDifficultyAny=True, lacksCapacityForAccommodationDecision=True,
                onlyPaidCarersToConsult=True), {"advocateRequired": True, "considerIMCA": True}, 2)
vector("E10-DMN-07-specialist-out-of-area", "PlanBudgetApprovalRoute", budget(1900, 1300, novel=True),
       route("GOVERNANCE_PANEL", True), 1)
vector("E10-DMN-08-complex-plan", "ReviewScheduling", review("PLAN_SIGNED_OFF", complex_=True),
       [LIGHT_TOUCH, sched("INTERIM", None, "P3M", "PLAN_SIGNED_OFF")], 1, 2)
vector("E10b-DMN-05-advocate-re-involved", "IndependentAdvocateRequired",
       advocate(process="PLAN_REVIEW_REVISION", substantialDifficultyAny=True,
                lacksCapacityForAccommodationDecision=True, onlyPaidCarersToConsult=True),
       {"advocateRequired": True}, 2)


# CSP-14 PlanValidationRules (C.5): a complete plan fails nothing; each rule fails on its own --------
# (rule, fact, severity, condition that makes the rule apply); rule n is V<n>.
PLAN_RULES = [
    ("V01", "needsRecorded", "ERROR", None), ("V02", "eligibilityRecorded", "ERROR", None),
    ("V03", "needsMetHowRecorded", "ERROR", None), ("V04", "outcomesMeasured", "ERROR", None),
    ("V05", "budgetBreakdownRecorded", "ERROR", None), ("V06", "informationAdviceRecorded", "ERROR", None),
    ("V07", "dpDetailsRecorded", "ERROR", "hasDirectPayment"), ("V08", "strengthsRecorded", "ERROR", None),
    ("V09", "risksRecorded", "ERROR", None), ("V10", "contingencyContactsRecorded", "ERROR", None),
    ("V11", "optionsConsideredRecorded", "ERROR", None), ("V12", "otherServicesRecorded", "WARN", None),
    ("V13", "budgetOptionRecorded", "ERROR", None), ("V14", "carerWishesRecorded", "ERROR", "isCarerPlan"),
    ("V15", "contributionsRecorded", "WARN", None), ("V16", "changeNotificationRecorded", "WARN", None),
    ("V17", "controlMechanismRecorded", "WARN", None), ("V18", "reviewArrangementsRecorded", "ERROR", None),
    ("V19", "progressionRecorded", "WARN", None), ("V20", "carerRespiteIncluded", "ERROR", "carerRespiteFlagged"),
    ("V21", "savingContingencyRecorded", "WARN", "savingFlagged"), ("V22", "noProhibitedItems", "ERROR", None),
    ("V23", "withinIndicative", "INFO", "overIndicative"), ("V24", "statutoryObligationsRecorded", "WARN", None),
    ("V25", "chargingDiscussionRecorded", "ERROR", None),
    ("V26", "storageLocationRecorded", "ERROR", "storedExternally"), ("V27", "s117Compliant", "ERROR", "s117"),
    ("V28", "capacityAdvocacyRecorded", "ERROR", "capacityOrAdvocacyApplies"),
]


def complete_plan(**kw: Any) -> dict[str, Any]:
    """Facts of a plan that meets every rule, with every conditional rule in force."""
    facts = {fact: True for _rule, fact, _sev, _cond in PLAN_RULES}
    facts.update({cond: True for *_rest, cond in PLAN_RULES if cond})
    facts["withinIndicative"] = True  # V23 is informative: it matches when over the indicative budget
    facts["overIndicative"] = False
    return facts | kw


# COLLECT with no rule matched gives null (no failed rule), as the process reads it.
vector("CSP-14-complete-plan-fails-nothing", "PlanValidationRules", complete_plan(), None)
for number, (rule, fact, severity, cond) in enumerate(PLAN_RULES, 1):
    if rule == "V23":
        vector("CSP-14-V23-over-indicative-routes-to-DMN-07", "PlanValidationRules",
               complete_plan(overIndicative=True, withinIndicative=False),
               [{"ruleId": rule, "severity": severity}], number)
        continue
    vector(f"CSP-14-{rule}-fails", "PlanValidationRules", complete_plan(**{fact: False}),
           [{"ruleId": rule, "severity": severity}], number)
    if cond:
        vector(f"CSP-14-{rule}-does-not-apply", "PlanValidationRules",
               complete_plan(**{fact: False, cond: False}), None)
vector("E7-CSP-14-first-draft-lacks-contacts-and-dp-on-costs", "PlanValidationRules",
       complete_plan(contingencyContactsRecorded=False, dpDetailsRecorded=False),
       [{"ruleId": "V07", "severity": "ERROR"}, {"ruleId": "V10", "severity": "ERROR"}], 7, 10)

# --------------------------------------------------------------------------- evaluation tests
def _shape(value: Any, expected: Any) -> Any:
    """Cut a result down to the keys the vector states (prose outputs are left to the rule check)."""
    if isinstance(expected, dict) and isinstance(value, dict):
        return {k: value.get(k, "<missing>") for k in expected}
    if isinstance(expected, list) and isinstance(value, list):
        return [_shape(v, e) for v, e in zip(value, expected, strict=False)] + value[len(expected):]
    return value


@pytest.mark.parametrize("v", VECTORS, ids=[v.id for v in VECTORS])
def test_vector(v: Vector) -> None:
    result = run(v.decision, v.inputs)
    assert [r.index for r in result.matched_rules] == list(v.rules)
    assert _shape(result.value, v.expected) == v.expected
    for r in result.matched_rules:
        assert r.rule_id == f"{REFS[v.decision]}-R{r.index}"
        assert r.annotation, f"rule {r.rule_id} has no description"


@pytest.mark.parametrize("decision", list(TABLES))
def test_outputs_are_named_as_the_table_declares(decision: str) -> None:
    """A multi-output table returns a dict keyed by exactly its output names."""
    outputs = [o.get("name") for o in _tree(decision).getroot().iterfind(".//dmn:output", NS)]
    for v in (v for v in VECTORS if v.decision == decision and v.rules):
        value = run(decision, v.inputs).value
        items = value if TABLES[decision][1] == "COLLECT" else [value]
        for item in items:
            if len(outputs) > 1:
                assert isinstance(item, dict) and set(item) == set(outputs)
        return


@pytest.mark.parametrize("decision", list(TABLES))
def test_every_rule_is_reached(decision: str) -> None:
    reached: set[int] = set()
    for v in VECTORS:
        if v.decision == decision:
            reached.update(r.index for r in run(decision, v.inputs).matched_rules)
    rule_count = len(_tree(decision).getroot().findall(".//dmn:decisionTable/dmn:rule", NS))
    assert sorted(set(range(1, rule_count + 1)) - reached) == []


# -- configuration is read, not baked in -------------------------------------------------------
def test_urgency_thresholds_and_response_times_follow_config() -> None:
    config = CONFIG | {"urgencyDaysCareStopsCritical": 5, "urgencyResponseCareStopsCritical": "PT12H"}
    result = run("UrgencyOfNeeds", urgency(daysUntilCareStops=4), config)
    assert [r.index for r in result.matched_rules] == [5]
    assert result.value["responseWithin"] == "PT12H"


def test_budget_thresholds_follow_config() -> None:
    config = CONFIG | {"budgetLargePackageWeekly": 2000, "budgetTolerancePct": 25}
    assert run("PlanBudgetApprovalRoute", budget(1600, 1600), config).value["approvalRoute"] == "TEAM_MANAGER"
    assert run("PlanBudgetApprovalRoute", budget(500, 420), config).value["approvalRoute"] == "TEAM_MANAGER"


def test_light_touch_anchor_follows_config() -> None:
    config = CONFIG | {"lightTouchReviewAnchor": "SERVICE_START"}
    value = run("ReviewScheduling", review("PLAN_SIGNED_OFF"), config).value
    assert value == [sched("LIGHT_TOUCH", "P6W", "P8W", "SERVICE_START")]


def test_notification_timing_follows_config() -> None:
    config = CONFIG | {"notifyTimingGp": "SAME_DAY"}
    assert run("PersonNotifications", notify(moving=True), config).value == [msg("GP", "M7", "SAME_DAY")]


# -- chains: what the process does between decisions ---------------------------------------------
def test_incident_is_business_failure_if_any_event_is() -> None:
    """DMN-01a per event, some(events, e.isBusinessFailure = true), then DMN-01 (E1 after a warning)."""
    events = ["CQC_LIKELY_FAILURE_NOTICE", "ADMINISTRATOR_APPOINTED"]
    classes = [run("ClassifyTriggerEvent", {"eventType": e}).value for e in events]
    is_business_failure = any(c["isBusinessFailure"] is True for c in classes)
    result = run("TemporaryDutyTrigger", duty(isBusinessFailure=is_business_failure, unableToCarryOn=True))
    assert result.value["dutyBasis"] == "S48_TEMPORARY_DUTY"


def test_legal_review_event_counts_as_not_business_failure_meanwhile() -> None:
    """LEGAL_REVIEW gives null; meanwhile the incident is not business failure, and s.19(3) is considered."""
    event = {"eventType": "CHARITY_DECOMMISSIONS_FOR_FINANCIAL_REASONS"}
    classes = [run("ClassifyTriggerEvent", event).value]
    assert classes[0]["eventClass"] == "LEGAL_REVIEW"
    is_business_failure = any(c["isBusinessFailure"] is True for c in classes)
    inputs = duty(isBusinessFailure=is_business_failure, unableToCarryOn=True, anyUrgentNeeds=True)
    assert run("TemporaryDutyTrigger", inputs).value["dutyBasis"] == "S19_POWER_URGENT_NEEDS"


def test_e7_adult_eligibility_from_ten_outcomes() -> None:
    unable = {"NUTRITION", "PERSONAL_HYGIENE", "APPROPRIATELY_CLOTHED",
              "WORK_TRAINING_EDUCATION_VOLUNTEERING"}
    outcomes = ["NUTRITION", "PERSONAL_HYGIENE", "TOILET_NEEDS", "APPROPRIATELY_CLOTHED", "HOME_SAFETY",
                "HABITABLE_HOME", "RELATIONSHIPS", "WORK_TRAINING_EDUCATION_VOLUNTEERING",
                "COMMUNITY_FACILITIES", "CARING_FOR_CHILD"]
    count = sum(run("OutcomeNotAchieved", outcome(outcome=o,
                                                  canAchieveWithoutAssistance=o not in unable)).value
                for o in outcomes)
    assert count == 4
    assert run("AdultEligibility", adult(True, count, True)).value == {"eligible": True,
                                                                       "failedCondition": None}


def test_e7_carer_eligibility_from_eight_outcomes() -> None:
    outcomes = ["CARING_FOR_CHILD", "CARING_FOR_OTHERS", "HABITABLE_HOME", "NUTRITION", "RELATIONSHIPS",
                "WORK_TRAINING_EDUCATION_VOLUNTEERING", "COMMUNITY_FACILITIES", "RECREATION"]
    count = sum(run("CarerOutcomeNotAchieved",
                    carer_outcome(carerOutcome=o, canAchieveWithoutAssistance=o != "RECREATION")).value
                for o in outcomes)
    assert count == 1
    result = run("CarerEligibility", carer(True, True, count, True))
    assert result.value["eligible"] is True and [r.index for r in result.matched_rules] == [5]


def test_e1_mr_a_no_appropriate_individual_to_advocacy_referral() -> None:
    """DMN-05a per candidate (only paid carers), DMN-05, then M9 (DMN-10) and a social worker (DMN-09b)."""
    candidates = [candidate(candidatePaidOrProfessionalCarer=True, personHasCapacityToChoose=False,
                            personConsentsToCandidate=None, bestInterestsToUseCandidate=True)]
    available = any(run("AppropriateIndividualTest", c).value["appropriate"] for c in candidates)
    advocacy = run("IndependentAdvocateRequired", advocate(
        process="PROVIDER_FAILURE_ARRANGEMENTS", substantialDifficultyAny=True,
        appropriateIndividualAvailable=available, lacksCapacityForAccommodationDecision=True,
        onlyPaidCarersToConsult=True)).value
    assert advocacy["advocateRequired"] is True and advocacy["considerIMCA"] is True
    sent = run("PersonNotifications", notify(advocateRequired=advocacy["advocateRequired"],
                                             moving=True)).value
    assert [m["message"] for m in sent] == ["M7", "M9"]
    action = run("ProviderFailurePersonAction", person()).value
    assert run("AllocateWorker", allocation(action, lacksCapacity=True)).value == "SOCIAL_WORKER"


def test_e3_urgency_feeds_person_action() -> None:
    """A CRITICAL placed person is arranged by the council even though the placing authority could act."""
    inputs = urgency(immediateSignificantHealthRisk=True, daysUntilCareStops=3)
    level = run("UrgencyOfNeeds", inputs).value["urgency"]
    action = run("ProviderFailurePersonAction", person(
        fundingCategory="OTHER_ENGLISH_LA_ARRANGED", serviceType="HOMECARE", urgency=level,
        placingAuthorityCanArrangeBeforeCessation=True)).value
    assert (level, action) == ("CRITICAL", "ARRANGE_HOMECARE_FRAMEWORK")


# -- inputs outside the declared inputValues are refused ---------------------------------------
OUT_OF_RANGE = [
    ("ClassifyTriggerEvent", {"eventType": "BANKRUPTCY_APPLICATION"}),
    ("OutcomeNotAchieved", outcome(outcome="DRIVING")),
    ("AdultEligibility", adult(True, 11, True)),
    ("CarerOutcomeNotAchieved", carer_outcome(carerOutcome="PERSONAL_HYGIENE")),
    ("CarerEligibility", carer(True, False, 9, True)),
    ("IndependentAdvocateRequired", advocate(process="HOUSING_ASSESSMENT")),
    ("TemporaryDutyCharging", charging("ARRANGED_CARE_SUPPORT", "CCG_FUNDED")),
    ("TemporaryDutyCharging", charging("EQUIPMENT", "SELF_FUNDED")),
    ("ReviewScheduling", review("PLAN_AGREED")),
    ("ReviewScheduling", review("ANNUAL_DONE", "MAJOR")),
    ("ProviderFailurePersonAction", person(urgency="HIGH")),
    ("ProviderFailurePersonAction", person(serviceType="DAY_CARE")),
    ("AllocateWorker", allocation("ARRANGE_DAY_CARE")),
    ("PersonNotifications", notify("CCG")),
    ("OrdinaryResidenceRouting", residence(placedByOtherAuthority="IRELAND")),
    ("OrdinaryResidenceRouting", residence(orDetermined="UNKNOWN")),
]


@pytest.mark.parametrize(("decision", "inputs"), OUT_OF_RANGE,
                         ids=[f"{d}-{i}" for i, (d, _) in enumerate(OUT_OF_RANGE, 1)])
def test_value_outside_input_values_is_a_decision_error(decision: str, inputs: dict[str, Any]) -> None:
    with pytest.raises(DecisionError, match="allowed values"):
        run(decision, inputs)


# --------------------------------------------------------------------------- static checks
def _schema() -> Any:
    import SpiffWorkflow.dmn.parser as spiff_dmn_parser

    xsd = Path(spiff_dmn_parser.__file__).parent / "schema" / "DMN13.xsd"
    return etree.XMLSchema(etree.parse(str(xsd)))


def test_every_file_in_dmn_is_a_known_table() -> None:
    files = {p.name for p in DMN_DIR.glob("*.dmn") if not p.name.startswith("demo_")}
    assert files == {f for f, _, _ in TABLES.values()}


@pytest.mark.parametrize("decision", list(TABLES))
def test_file_is_valid_dmn_13(decision: str) -> None:
    schema = _schema()
    tree = _tree(decision)
    assert schema.validate(tree), schema.error_log
    root = tree.getroot()
    assert etree.QName(root).namespace == DMN_NS
    decisions = root.findall("dmn:decision", NS)
    assert [d.get("id") for d in decisions] == [decision]


@pytest.mark.parametrize("decision", list(TABLES))
def test_table_shape(decision: str) -> None:
    _file, hit_policy, rule_count = TABLES[decision]
    root = _tree(decision).getroot()
    table = root.find("dmn:decision/dmn:decisionTable", NS)
    assert table.get("hitPolicy") == hit_policy
    rules = table.findall("dmn:rule", NS)
    assert len(rules) == rule_count
    assert [r.get("id") for r in rules] == [f"{REFS[decision]}-R{i}" for i in range(1, rule_count + 1)]
    for r in rules:
        assert (r.findtext("dmn:description", namespaces=NS) or "").strip(), r.get("id")
    input_data = {el.get("name"): el for el in root.findall("dmn:inputData", NS)}
    for el in input_data.values():
        assert el.find("dmn:variable", NS).get("typeRef"), el.get("name")
    for inp in table.findall("dmn:input", NS):
        expr = inp.find("dmn:inputExpression", NS)
        assert expr.get("typeRef") and expr.findtext("dmn:text", namespaces=NS) in input_data
    for out in table.findall("dmn:output", NS):
        assert out.get("typeRef") and out.get("name")


@pytest.mark.parametrize("decision", list(TABLES))
def test_diagram_shows_every_element(decision: str) -> None:
    root = _tree(decision).getroot()
    shapes = {s.get("dmnElementRef") for s in root.iter(f"{{{DMNDI_NS}}}DMNShape")}
    edges = {e.get("dmnElementRef") for e in root.iter(f"{{{DMNDI_NS}}}DMNEdge")}
    assert decision in shapes
    assert {el.get("id") for el in root.findall("dmn:inputData", NS)} <= shapes
    assert {el.get("id") for el in root.iter(f"{{{DMN_NS}}}informationRequirement")} <= edges


def test_config_keys_used_by_the_tables_exist_and_none_are_stale() -> None:
    used: set[str] = set()
    for decision in TABLES:
        root = _tree(decision).getroot()
        for cell in root.iter(f"{{{DMN_NS}}}text"):
            used.update(re.findall(r"\bconfig\.([A-Za-z_][A-Za-z0-9_]*)", cell.text or ""))
    assert used == set(CONFIG)


def test_config_defaults_are_domain_defaults() -> None:
    """The defaults of DOMAIN.md D and G; a council changes them in council_config.json, not here."""
    assert CONFIG["urgencyResponseRiskToLife"] == "PT4H"
    assert CONFIG["urgencyResponseRoutine"] == "P14D"
    assert (CONFIG["urgencyDaysCareStopsCritical"], CONFIG["urgencyDaysCareStopsSoon"]) == (2, 14)
    assert (CONFIG["budgetTolerancePct"], CONFIG["budgetLargePackageWeekly"]) == (10, 1500)
    assert (CONFIG["interimReviewDue"], CONFIG["unplannedReviewDue"], CONFIG["postMoveCheckDue"]) == (
        "P3M", "P10D", "P3D")
    assert CONFIG["lightTouchReviewAnchor"] == "PLAN_SIGNED_OFF"


def test_vector_ids_are_unique() -> None:
    ids = [v.id for v in VECTORS]
    assert len(ids) == len(set(ids))
