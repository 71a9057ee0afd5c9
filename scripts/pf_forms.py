"""The provider-failure forms (bpmn/forms/pf_*.schema.json); written by ``scripts/gen_provider_failure.py``."""
from __future__ import annotations

from bpmn_builder import form


# ---- forms --------------------------------------------------------------------------------
def b(title: str, message: str | None = None) -> dict:
    return {"type": "boolean", "title": title, "errorMessage": message or f"Select yes if {title[0].lower()}{title[1:]}"}


def s(title: str, max_length: int = 2000) -> dict:
    return {"type": "string", "title": title, "maxLength": max_length}


def e(title: str, values: list[str]) -> dict:
    return {"type": "string", "title": title, "enum": values,
            "errorMessage": {"required": f"Select {title[0].lower()}{title[1:]}",
                             "enum": f"Select {title[0].lower()}{title[1:]}"}}


def dt(title: str) -> dict:
    return {"type": "string", "format": "date", "title": title,
            "errorMessage": {"format": f"{title} must be a real date, like 2026-03-31",
                             "required": f"Enter {title[0].lower()}{title[1:]}"}}


FUNDING = ["SELF_FUNDED", "LCC_ARRANGED", "LCC_DIRECT_PAYMENT", "OTHER_ENGLISH_LA_ARRANGED", "OTHER_ENGLISH_LA_DP",
           "WALES_LA", "SCOTLAND_LA", "NI_HSC_TRUST", "NHS_CHC", "S117_AFTERCARE", "UNKNOWN"]
SERVICE = ["CARE_HOME_RESIDENTIAL", "CARE_HOME_NURSING", "HOMECARE", "SUPPORTED_LIVING", "OTHER"]
EVENTS = ["ADMINISTRATOR_APPOINTED", "RECEIVER_APPOINTED", "ADMINISTRATIVE_RECEIVER_APPOINTED",
          "CREDITORS_VOLUNTARY_WINDING_UP_RESOLUTION", "MEMBERS_VOLUNTARY_WINDING_UP", "WINDING_UP_ORDER",
          "PARTNERSHIP_JOINT_BANKRUPTCY_ORDER", "CHARITY_TRUSTEES_UNABLE_TO_PAY_DEBTS", "ALL_PARTNERS_ADJUDGED_BANKRUPT",
          "COMPANY_VOLUNTARY_ARRANGEMENT_APPROVED", "INDIVIDUAL_ADJUDGED_BANKRUPT", "INDIVIDUAL_VOLUNTARY_ARRANGEMENT",
          "INDIVIDUAL_OTHER_INSOLVENCY", "BANKRUPTCY_PETITION_OR_APPLICATION_ONLY", "WINDING_UP_PETITION_ONLY",
          "CHARITY_DECOMMISSIONS_FOR_FINANCIAL_REASONS", "CQC_LIKELY_FAILURE_NOTICE",
          "CQC_DEREGISTRATION_OR_ENFORCEMENT", "QUALITY_FAILURE", "CONTRACT_TERMINATION", "FORCE_MAJEURE",
          "STRATEGIC_EXIT"]
LEGAL_BASIS = ["S48", "S18_EXISTING", "S19_3", "NHS", "PLACING_AUTHORITY_LEAD"]
END_REASONS = ["E1", "E2", "E3", "E4", "E5", "E6", "E7"]
OUTCOMES = ["OTHER_AUTHORITY_LIABLE", "PERSON_SELF_FUNDED", "WITHDRAWN"]

FORMS = {
    "pf_verify_facts": form("Verify facts", {
        "providerName": {**s("Provider name", 200), "minLength": 1},
        "cqcProviderId": s("CQC provider ID", 40),
        "isRegisteredCareProvider": b("The provider is registered with the CQC for the affected activity"),
        "activityIsRegulated": b("The affected activity is a regulated activity"),
        "serviceType": e("Service type", SERVICE),
        "eventType": e("What happened", EVENTS),
        "serviceStatus": e("Service status", ["CONTINUING", "CEASING", "CEASED"]),
        "unableToCarryOn": b("The provider has stopped, or will stop, carrying on the activity here"),
        "cqcLikelyFailureNotified": b("The CQC has given notice that failure is likely"),
        "cqcMarketOversight": b("The provider is in CQC market oversight"),
        "anyUrgentNeeds": b("Any affected person's needs appear urgent"),
        "expectedCessationDate": dt("Expected cessation date"),
        "approximatePeople": {"type": "integer", "minimum": 0, "title": "Approximate number of people affected"},
        "providerContactEmail": {"type": "string", "format": "email", "title": "Provider's contact email"},
        "bcpStatus": e("Business continuity plan", ["ACTIVATED", "AVAILABLE", "NOT_AVAILABLE", "UNKNOWN"]),
    }, ["providerName", "isRegisteredCareProvider", "activityIsRegulated", "serviceType", "eventType",
        "serviceStatus", "unableToCarryOn", "cqcLikelyFailureNotified", "anyUrgentNeeds"]),
    "pf_provider_response": form("Record the provider's response", {
        "informationReceived": b("The provider has sent the information"),
        "peopleReported": {"type": "integer", "minimum": 0, "title": "Number of people on the provider's list"},
        "notes": s("Notes"),
    }, ["informationReceived"]),
    "pf_legal_check": form("Legal check of business-failure status", {
        "isBusinessFailure": b("Legal advice confirms a business failure under SI 2015/301 reg 2"),
        "notes": s("Legal advice"),
    }, ["isBusinessFailure"]),
    "pf_contingency": form("Contingency preparation", {
        "peopleMapped": b("The affected people and alternative capacity are mapped"),
        "communicationsDrafted": b("Communications are drafted"),
        "notes": s("Notes"),
    }, ["peopleMapped", "communicationsDrafted"]),
    "pf_no_intervention": form("Record the decision; give information and advice", {
        "rationale": {**s("Why the council is not intervening"), "minLength": 1},
        "councilFundedHandedToWorkers": b("People the council funds are handed to their workers"),
    }, ["rationale", "councilFundedHandedToWorkers"]),
    "pf_planning_meeting": form("Multi-agency planning meeting", {
        "meetingDate": dt("Meeting date"),
        "attendees": {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 50,
                      "title": "Who attended"},
        "risks": s("Risks and safeguarding"),
        "communicationsPlan": s("Communications plan"),
    }, ["meetingDate"]),
    "pf_notice_period": form("Agree the notice period", {
        "closureDate": dt("Closure date"),
        "noticeAgreed": b("The notice period is agreed with the provider"),
        "conditions": s("Conditions"),
    }, ["closureDate", "noticeAgreed"]),
    "pf_additional_provision": form("Additional provision during closure", {
        "extraProvisionBy": e("Who provides extra staff", ["PROVIDER", "COUNCIL_IN_HOUSE", "NONE_NEEDED"]),
        "icbNursingSecured": b("The ICB has secured any nursing needed"),
        "movesCompleted": {"type": "integer", "minimum": 0, "maximum": 100000,
                           "title": "People moved so far (provider-led and council-arranged)"},
        "inHouseCost": {"type": "number", "minimum": 0, "maximum": 10000000,
                        "title": "Cost of the council's in-house support since the last round (£)"},
        "notes": s("Notes"),
    }, ["extraProvisionBy"]),
    "pf_safeguarding_concern": form("Respond to the safeguarding concern", {
        "enquiryRequested": b("A safeguarding enquiry (s.42) is requested from the Safeguarding Enquiry Service"),
        "immediateActions": s("Immediate actions to keep people safe"),
        "peopleAtRisk": {"type": "integer", "minimum": 0, "maximum": 100000, "title": "Number of people at risk"},
        "notes": s("Notes"),
    }, ["enquiryRequested"]),
    "pf_incident_end": form("Confirm the end of the temporary duty", {
        "providerStatus": e("Provider status", ["CEASED", "TRANSFERRED", "STABILISED"]),
        "confirmed": {"type": "boolean", "const": True, "title": "All person cases are closed",
                      "errorMessage": "Confirm that every person case is closed"},
        "lessonsLearned": s("Lessons learned"),
    }, ["providerStatus", "confirmed"]),
    "pf_person_record": form("Establish the person record", {
        "personName": {**s("Person's name", 200), "minLength": 1},
        "role": e("Adult or carer", ["ADULT", "CARER"]),
        "fundingCategory": e("Funding", FUNDING),
        "serviceType": e("Service type", SERVICE),
        "placingAuthorityName": s("Placing authority", 200),
        "personLegalBasis": e("Legal basis", LEGAL_BASIS),
        "riskToLife": b("Stopping the care would endanger the person's life"),
        "immediateSignificantHealthRisk": b("There is an immediate significant risk to health"),
        "safeguardingRisk": b("There is a safeguarding risk"),
        "terminallyIll": b("The person is terminally ill"),
        "significantWellbeingImpact": b("Interrupting the care would significantly affect wellbeing"),
        "providerArrangementSatisfactory": b("The provider's own arrangement is adequate"),
        "personArrangesOwn": b("The person will arrange their own care"),
        "placingAuthorityCanArrangeBeforeCessation": b("The placing authority can arrange before the care stops"),
        "lacksCapacity": b("The person lacks capacity for the decision"),
        "complexNeeds": b("The person has complex needs"),
        "receivesCommunityNursing": b("The person receives community nursing"),
        "nursingHomeOrFNC": b("The person is in a nursing home or receives FNC"),
        "s117": b("The person receives s.117 aftercare"),
        "s117ResponsibleAuthorityIsThisCouncil": b("This council is the s.117 responsible authority"),
        "hasCarerOrRepresentative": b("The person has a carer or representative to tell"),
    }, ["fundingCategory", "serviceType", "personLegalBasis", "riskToLife", "immediateSignificantHealthRisk",
        "safeguardingRisk", "significantWellbeingImpact", "providerArrangementSatisfactory", "personArrangesOwn"]),
    "pf_involvement": form("Who to involve; capacity", {
        "substantialDifficultyAny": b("The person would have substantial difficulty being involved"),
        "hasAppropriateCandidate": b("There is someone who could be the appropriate individual"),
        "candidatePaidOrProfessionalCarer": b("The candidate is a paid or professional carer"),
        "candidateImplicatedInSafeguarding": b("The candidate is implicated in a safeguarding enquiry"),
        "candidateAbleAndAvailable": b("The candidate is able and available"),
        "personHasCapacityToChoose": b("The person has capacity to choose"),
        "personConsentsToCandidate": b("The person agrees to the candidate"),
        "bestInterestsToUseCandidate": b("It is in the person's best interests to use the candidate"),
        "nhsPlacementLikely": b("An NHS placement of 28 days in hospital or 8 weeks in a care home is likely"),
        "materialDisagreementBothAgreeAdvocate": b("There is a material disagreement and both agree an advocate"),
        "lacksCapacityForAccommodationDecision": b("The person lacks capacity for the accommodation decision"),
        "onlyPaidCarersToConsult": b("There are only paid carers to consult"),
        "involvement": s("Who is involved"),
    }, ["substantialDifficultyAny", "hasAppropriateCandidate"]),
    "pf_provider_arrangement": form("The provider's arrangement", {
        "arrangementSatisfied": b("The council is satisfied the arrangement meets the person's needs"),
        "reason": {**s("Why"), "minLength": 1},
        "moveDate": dt("Move date"),
    }, ["arrangementSatisfied", "reason"]),
    "pf_own_arrangements": form("Own arrangements", {
        "madeOwnArrangements": b("The person has made their own arrangements"),
        "notes": s("Notes"),
    }, ["madeOwnArrangements"]),
    "pf_placing_authority": form("Coordinate with the placing authority", {
        "placingAuthorityTakesOver": b("The placing authority takes over the arrangements"),
        "contact": s("Contact at the placing authority", 200),
        "notes": s("Notes"),
    }, ["placingAuthorityTakesOver"]),
    "pf_agree_arrangements": form("Agree the arrangements", {
        "agreed": b("The person (or representative) agrees the arrangement"),
        "newProvider": s("New provider or home", 200),
        "personViews": s("The person's views"),
        "complaintsRouteGiven": b("The complaints route was given"),
    }, ["agreed"]),
    "pf_transfer": form("Transfer or start of the new service", {
        "serviceStartDate": dt("Date the new service starts"),
        "moveDate": dt("Move date"),
        "medicationTransferred": b("Medication was transferred"),
        "recordsTransferred": b("Records and belongings were transferred"),
        "gpReregistered": b("The GP registration was changed"),
    }, ["serviceStartDate"]),
    "pf_post_move_check": form("Post-move welfare check", {
        "welfareOk": b("The person is settled and safe"),
        "issues": s("Issues"),
    }, ["welfareOk"]),
    "pf_end_of_duty": form("Confirm the end of the duty for this person", {
        "confirmed": {"type": "boolean", "const": True, "title": "The duty for this person has ended",
                      "errorMessage": "Confirm that the duty for this person has ended"},
        "endReasonOverride": e("End reason, if not the one proposed", END_REASONS),
        "notes": s("Notes"),
    }, ["confirmed"]),
    "pf_duty_review": form("Duty review", {
        "dutyStillNecessary": b("The temporary duty is still necessary"),
        "notes": s("Notes"),
    }, ["dutyStillNecessary"]),
    "pf_dispute_negotiation": form("Inter-authority dispute", {
        "resolved": b("The dispute is resolved"),
        "outcome": e("Outcome", OUTCOMES),
        "stepsTaken": s("Steps taken"),
    }, ["resolved"]),
}
