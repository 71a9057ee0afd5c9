"""The provider-failure person case (PP-01..PP-16) and inter-authority dispute (PF-12, B.8) diagrams;
written by ``scripts/gen_provider_failure.py``."""
from __future__ import annotations

from bpmn_builder import Diagram

CONFIG = {"configData": "provider_failure.config.json"}


RECORD_FACTS = ("riskToLife", "immediateSignificantHealthRisk", "safeguardingRisk", "terminallyIll",
                "significantWellbeingImpact", "providerArrangementSatisfactory", "personArrangesOwn",
                "placingAuthorityCanArrangeBeforeCessation", "lacksCapacity", "complexNeeds",
                "receivesCommunityNursing", "nursingHomeOrFNC", "s117", "s117ResponsibleAuthorityIsThisCouncil",
                "hasCarerOrRepresentative")


def person() -> Diagram:
    d = Diagram("provider_failure_person", "Provider failure: person case",
                ["QISS", "Allocated worker", "SQIP", "Care Navigation", "Finance"],
                "The temporary duty (or power) for one affected adult or carer: urgency, involvement and "
                "advocacy, the action and allocation, the arrangements, the end of the duty and charging.",
                {**CONFIG, "caseTitle": "personName", "summaryFields":
                 "personRef,role,fundingCategory,placingAuthorityName,urgency,primaryAction,allocatedRole,"
                 "advocateRequired,endReason,personDutyEndedAt,chargeTo,personCaseStatus,personLegalBasis"})
    Q, W, S, N, F = d.lanes
    d.start("pp_start", "Person case opened (PF-10)", Q, 0)
    d.script("pp_open", "Open the person case", Q, 1, script="""
personCaseStatus = 'OPEN'
daysUntilCareStops = max(0, (parse_date(closureDate) - today()).days) if closureDate else 0
listedFacts = {""" + ", ".join(f"'{f}': {f}" for f in RECORD_FACTS) + """}
""")
    d.gateway("pp_split", "", Q, 2, kind="parallel")
    d.chain("pp_start", "pp_open", "pp_split")
    # Duty review (PF-T6) and safeguarding (M10) loop in their own branches until the case ends.
    d.gateway("pp_review_join", "", W, 2, 3)
    d.timer("pp_review_timer", "Duty review due (PF-T6)", W, 3, 3, duration="personDutyReview")
    d.user("pp_review", "Review: is the temporary duty still necessary?", W, 4, 3, form="pf_duty_review")
    d.flow("pp_split", "pp_review_join")
    d.chain("pp_review_join", "pp_review_timer", "pp_review")
    d.flow("pp_review", "pp_review_join")
    d.gateway("pp_sg_join", "", S, 2, 1)
    d.message("pp_sg_concern", "Safeguarding concern", S, 3, 1, message="safeguarding_concern",
              correlation="caseReference")
    d.notify("pp_sg_refer", "Safeguarding referral (M10)", S, 4, 1, template="'M10_SafeguardingReferral'",
             recipient="'safeguarding_enquiry_service'",
             data="{'caseReference': caseReference, 'personRef': personRef, 'concern': concern}")
    d.flow("pp_split", "pp_sg_join")
    d.chain("pp_sg_join", "pp_sg_concern", "pp_sg_refer")
    d.flow("pp_sg_refer", "pp_sg_join")
    # PP-01..PP-09
    d.user("pp_record", "Establish person record (PP-01)", Q, 3, form="pf_person_record", due="P1D")
    d.gateway("pp_urgency_join", "", Q, 4)
    d.rule("pp_urgency", "Urgency of needs (DMN-02)", Q, 5, decision="UrgencyOfNeeds")
    d.gateway("pp_action_join", "", Q, 6)
    d.rule("pp_action", "Action for the person (DMN-09)", Q, 7, decision="ProviderFailurePersonAction")
    d.rule("pp_allocate", "Allocate a worker (DMN-09b)", S, 8, 0, decision="AllocateWorker")
    d.gateway("pp_is_chc", "NHS CHC?", S, 9, 0, default="flow_pp_is_chc_to_pp_involve")
    d.flow("pp_split", "pp_record")
    # An optional yes/no left empty on the form arrives as None (and would hide the provider's answer from
    # the tables, which match no rule on None): keep the provider's list value, else no.
    d.script("pp_record_facts", "Complete the record's facts", Q, 4, script="\n".join(
        f"{f} = {f} if {f} is not None else listedFacts.get('{f}') == True" for f in RECORD_FACTS))
    d.chain("pp_record", "pp_record_facts", "pp_urgency_join", "pp_urgency", "pp_action_join", "pp_action",
            "pp_allocate", "pp_is_chc")
    d.script("pp_chc_defaults", "ICB arranges: no involvement step", S, 10, 2, script="""
advocateRequired = False
considerIMCA = False
moving = False
""")
    d.user("pp_involve", "Identify who to involve; capacity (PP-06)", W, 10, form="pf_involvement")
    # Unanswered (None) questions: no, except capacity, consent and best interests, which are presumed
    # (MCA 2005 s.1(2)) until the worker records otherwise. DMN-05a/05 match no rule on None.
    d.script("pp_candidate", "Candidate facts", W, 11, script="""
process = 'PROVIDER_FAILURE_ARRANGEMENTS'
candidateAbleAndAvailable = hasAppropriateCandidate == True and candidateAbleAndAvailable == True
candidatePaidOrProfessionalCarer = candidatePaidOrProfessionalCarer == True
candidateImplicatedInSafeguarding = candidateImplicatedInSafeguarding == True
personHasCapacityToChoose = personHasCapacityToChoose != False
personConsentsToCandidate = personConsentsToCandidate != False
bestInterestsToUseCandidate = bestInterestsToUseCandidate != False
nhsPlacementLikely = nhsPlacementLikely == True
materialDisagreementBothAgreeAdvocate = materialDisagreementBothAgreeAdvocate == True
lacksCapacityForAccommodationDecision = lacksCapacityForAccommodationDecision == True
onlyPaidCarersToConsult = onlyPaidCarersToConsult == True
""")
    d.rule("pp_appropriate", "Appropriate individual (DMN-05a)", W, 12, decision="AppropriateIndividualTest",
           result="appropriateIndividual")
    d.script("pp_candidate_result", "Record the test", W, 13,
             script="appropriateIndividualAvailable = bool(appropriateIndividual and appropriateIndividual['appropriate'])")
    d.rule("pp_advocate", "Independent advocate (DMN-05)", W, 14, decision="IndependentAdvocateRequired",
           result="advocateDecision")
    d.script("pp_advocate_result", "Record the advocacy decision", W, 15, script="""
advocateRequired = bool(advocateDecision and advocateDecision['advocateRequired'])
considerIMCA = bool(advocateDecision and advocateDecision['considerIMCA'])
moving = primaryAction in ('ARRANGE_CARE_HOME', 'ARRANGE_NURSING_HOME')
""")
    d.flow("pp_is_chc", "pp_chc_defaults", "ALERT_ICB_CHC", "primaryAction == 'ALERT_ICB_CHC'")
    d.flow("pp_is_chc", "pp_involve", id="flow_pp_is_chc_to_pp_involve")
    d.chain("pp_involve", "pp_candidate", "pp_appropriate", "pp_candidate_result", "pp_advocate",
            "pp_advocate_result")
    d.gateway("pp_notify_join", "", W, 16)
    d.rule("pp_notifications", "Who is told (DMN-10)", W, 17, decision="PersonNotifications",
           result="personNotifications")
    d.notify("pp_send_notifications", "Send the notifications (PP-02)", W, 18, template="note['message']",
             recipient="note['recipient']", each="personNotifications", item="note",
             data="{'caseReference': caseReference, 'personRef': personRef, 'personName': personName, "
                  "'incidentCaseReference': incidentCaseReference, 'providerName': providerName, "
                  "'closureDate': closureDate, 'timing': note['timing'], 'primaryAction': primaryAction, "
                  "'placingAuthorityName': placingAuthorityName}")
    d.script("pp_notify_list", "Messages to send", W, 17, 1,
             script="personNotifications = personNotifications or []")
    d.gateway("pp_route", "Action (PP-10)", W, 19, default="flow_pp_route_to_pp_commission")
    d.flow("pp_chc_defaults", "pp_notify_join")
    d.flow("pp_advocate_result", "pp_notify_join")
    d.chain("pp_notify_join", "pp_notifications", "pp_notify_list", "pp_send_notifications", "pp_route")
    d.gateway("pp_end_join", "", W, 27)
    # PP-05: NHS CHC
    d.receive("pp_chc_wait", "ICB confirms CHC arrangement (PP-05, M11)", W, 20, 4,
              message="chc_arrangement_confirmed", correlation="caseReference")
    d.timer("pp_chc_overdue", "ICB confirmation due", W, 20, 0, duration="icbConfirmWithin",
            attached_to="pp_chc_wait", interrupting=False)
    d.notify("pp_chc_escalate", "Escalate to SQIP", S, 21, 2, template="'icb_confirmation_overdue'",
             recipient="'sqip'", channel="'record'", data="{'caseReference': caseReference, 'personRef': personRef}")
    d.end("pp_chc_escalated", "", S, 22, 2)
    d.script("pp_chc_done", "ICB arranged", W, 21, 4, script="""
proposedEndReason = 'E3'
supportType = 'ARRANGED_CARE_SUPPORT'
""")
    d.flow("pp_route", "pp_chc_wait", "ALERT_ICB_CHC", "primaryAction == 'ALERT_ICB_CHC'")
    d.chain("pp_chc_overdue", "pp_chc_escalate", "pp_chc_escalated")
    d.chain("pp_chc_wait", "pp_chc_done", "pp_end_join")
    # PP-10a: provider's own arrangement
    d.user("pp_monitor", "Confirm the provider's arrangement meets needs (PP-10a)", W, 20, 1,
           form="pf_provider_arrangement")
    d.gateway("pp_monitor_gw", "Satisfied?", W, 21, 1, default="flow_pp_monitor_gw_to_pp_not_satisfied")
    d.script("pp_satisfied", "Provider arrangement confirmed", W, 22, 1, script="""
proposedEndReason = 'E6'
supportType = 'ASSESSMENT_OR_REVIEW'
""")
    d.script("pp_not_satisfied", "Not satisfactory: decide again", W, 22, 2,
             script="providerArrangementSatisfactory = False")
    d.flow("pp_route", "pp_monitor", "MONITOR_PROVIDER_ARRANGEMENT", "primaryAction == 'MONITOR_PROVIDER_ARRANGEMENT'")
    d.chain("pp_monitor", "pp_monitor_gw")
    d.flow("pp_monitor_gw", "pp_satisfied", "Satisfied", "arrangementSatisfied == True")
    d.flow("pp_monitor_gw", "pp_not_satisfied", id="flow_pp_monitor_gw_to_pp_not_satisfied")
    d.flow("pp_satisfied", "pp_end_join")
    d.flow("pp_not_satisfied", "pp_urgency_join")
    # PP-10b: information and advice only
    d.notify("pp_info_pack", "Send the information pack (M16)", N, 20, 0, template="'M16_PersonInformationPack'",
             recipient="'person_or_representative'",
             data="{'caseReference': caseReference, 'personRef': personRef, 'personName': personName, "
                  "'careNavigation': True, 'charging': 'NO_CHARGE'}")
    d.script("pp_info_when", "When to check", N, 21, 0, script="""
checkBase = parse_datetime(closureDate + 'T09:00:00+00:00') if closureDate else now()
infoCheckAt = max(checkBase - parse_duration(infoCheckBeforeClosure), now()).isoformat()
""")
    d.timer("pp_info_timer", "Closure date less 7 days", N, 22, 0, date="infoCheckAt")
    d.user("pp_info_check", "Check the person has made their own arrangements (PP-10b)", N, 23, 0,
           form="pf_own_arrangements")
    d.gateway("pp_info_gw", "Arranged?", N, 24, 0, default="flow_pp_info_gw_to_pp_info_redo")
    d.script("pp_info_done", "Own arrangements made", N, 25, 0, script="""
proposedEndReason = 'E4'
supportType = 'INFORMATION_ADVICE'
""")
    d.script("pp_info_redo", "Not arranged: decide again", N, 25, 1, script="personArrangesOwn = False")
    d.flow("pp_route", "pp_info_pack", "INFORMATION_AND_ADVICE_ONLY", "primaryAction == 'INFORMATION_AND_ADVICE_ONLY'")
    d.chain("pp_info_pack", "pp_info_when", "pp_info_timer", "pp_info_check", "pp_info_gw")
    d.flow("pp_info_gw", "pp_info_done", "Arranged", "madeOwnArrangements == True")
    d.flow("pp_info_gw", "pp_info_redo", id="flow_pp_info_gw_to_pp_info_redo")
    d.flow("pp_info_done", "pp_end_join")
    d.flow("pp_info_redo", "pp_action_join")
    # PP-10f: placing authority
    d.user("pp_coordinate", "Coordinate with the placing authority (PP-10f)", W, 20, 2, form="pf_placing_authority")
    d.gateway("pp_coord_gw", "Takes over?", W, 21, 2, default="flow_pp_coord_gw_to_pp_coord_no")
    d.script("pp_coord_yes", "Placing authority takes over", W, 22, 3, script="""
proposedEndReason = 'E2'
supportType = 'ASSESSMENT_OR_REVIEW'
""")
    d.script("pp_coord_no", "The council arranges", W, 23, 2,
             script="placingAuthorityCanArrangeBeforeCessation = False")
    d.flow("pp_route", "pp_coordinate", "COORDINATE_WITH_PLACING_AUTHORITY",
           "primaryAction == 'COORDINATE_WITH_PLACING_AUTHORITY'")
    d.chain("pp_coordinate", "pp_coord_gw")
    d.flow("pp_coord_gw", "pp_coord_yes", "Takes over", "placingAuthorityTakesOver == True")
    d.flow("pp_coord_gw", "pp_coord_no", id="flow_pp_coord_gw_to_pp_coord_no")
    d.flow("pp_coord_yes", "pp_end_join")
    d.flow("pp_coord_no", "pp_action_join")
    # PP-10c/d/e, PP-11..PP-13: the council arranges
    d.gateway("pp_commission_join", "", N, 20, 2)
    d.notify("pp_commission", "Raise the commissioning request (PP-10c-e)", N, 21, 2,
             template="'commissioning_request'", recipient="'care_navigation'", channel="'record'",
             data="{'caseReference': caseReference, 'personRef': personRef, 'kind': primaryAction, "
                  "'serviceType': serviceType, 'urgency': urgency, 'neededBy': closureDate, "
                  "'fundingCategory': fundingCategory}")
    d.user("pp_agree", "Agree arrangements with the person (PP-11)", W, 22, 4, form="pf_agree_arrangements")
    d.gateway("pp_agree_gw", "Agreed?", W, 23, 4, default="flow_pp_agree_gw_to_pp_commission_join")
    d.user("pp_transfer", "Transfer or start of the new service (PP-12)", W, 24, 4, form="pf_transfer")
    d.script("pp_transfer_done", "Record the transfer", W, 25, 4, script="""
slaBreach = bool(closureDate and serviceStartDate > closureDate[:10])
postMoveCheckAt = (parse_datetime((moveDate or serviceStartDate) + 'T09:00:00+00:00') + parse_duration(postMoveCheckDue)).isoformat()
proposedEndReason = 'E1'
supportType = 'ARRANGED_CARE_SUPPORT'
""")
    d.gateway("pp_sla_gw", "Gap in care?", W, 26, 4, default="flow_pp_sla_gw_to_pp_moving_gw")
    d.notify("pp_sla_breach", "Report the SLA breach", S, 26, 3, template="'sla_breach'", recipient="'sqip'",
             channel="'record'", data="{'caseReference': caseReference, 'personRef': personRef, "
                                      "'serviceStartDate': serviceStartDate, 'closureDate': closureDate}")
    d.gateway("pp_moving_gw", "Moving?", W, 27, 4, default="flow_pp_moving_gw_to_pp_end_join")
    d.timer("pp_postmove_timer", "Post-move check due (PF-T7)", W, 28, 4, date="postMoveCheckAt")
    d.user("pp_postmove", "Post-move welfare check (PP-13)", W, 29, 4, form="pf_post_move_check")
    d.gateway("pp_postmove_gw", "Welfare OK?", W, 30, 4, default="flow_pp_postmove_gw_to_pp_action_join")
    d.flow("pp_route", "pp_commission_join", id="flow_pp_route_to_pp_commission")
    d.chain("pp_commission_join", "pp_commission", "pp_agree", "pp_agree_gw")
    d.flow("pp_agree_gw", "pp_transfer", "Agreed", "agreed == True")
    d.flow("pp_agree_gw", "pp_commission_join", id="flow_pp_agree_gw_to_pp_commission_join")
    d.chain("pp_transfer", "pp_transfer_done", "pp_sla_gw")
    d.flow("pp_sla_gw", "pp_sla_breach", "Started after closure", "slaBreach == True")
    d.flow("pp_sla_breach", "pp_moving_gw")
    d.flow("pp_sla_gw", "pp_moving_gw", id="flow_pp_sla_gw_to_pp_moving_gw")
    d.flow("pp_moving_gw", "pp_postmove_timer", "Moved", "moving == True")
    d.flow("pp_moving_gw", "pp_end_join", id="flow_pp_moving_gw_to_pp_end_join")
    d.chain("pp_postmove_timer", "pp_postmove", "pp_postmove_gw")
    d.flow("pp_postmove_gw", "pp_end_join", "OK", "welfareOk == True")
    d.flow("pp_postmove_gw", "pp_action_join", id="flow_pp_postmove_gw_to_pp_action_join")
    # PP-14..PP-16
    d.user("pp_confirm_end", "Confirm end of duty for the person (PP-14)", W, 28, 1, form="pf_end_of_duty")
    d.script("pp_ended", "Record the end of duty", W, 29, 1, script="""
endReason = endReasonOverride or proposedEndReason
personDutyEndedAt = now().isoformat()
personCaseStatus = 'CLOSED'
""")
    d.rule("pp_charging", "Charging (DMN-06, PP-15)", F, 30, 0, decision="TemporaryDutyCharging",
           result="chargingRecord")
    d.script("pp_charge_to", "Record the charge", F, 31, 0, script="""
chargeTo = chargingRecord['chargeTo'] if chargingRecord else 'PENDING_DETERMINATION'
financialAssessmentNeeded = bool(chargingRecord and chargingRecord['financialAssessment'])
councilReviews = fundingCategory in ('LCC_ARRANGED', 'LCC_DIRECT_PAYMENT') and endReason == 'E1'
""")
    d.notify("pp_finance", "Send the charging record to Finance", F, 32, 0, template="'charging_record'",
             recipient="'finance'", channel="'record'",
             data="{'caseReference': caseReference, 'incidentCaseReference': incidentCaseReference, "
                  "'personRef': personRef, 'supportType': supportType, 'fundingCategory': fundingCategory, "
                  "'chargeTo': chargeTo, 'financialAssessment': financialAssessmentNeeded, "
                  "'placingAuthorityName': placingAuthorityName, 'legalBasis': personLegalBasis}")
    d.gateway("pp_reviews_gw", "Council-funded and moved?", W, 33, 1, default="flow_pp_reviews_gw_to_pp_reviews_join")
    d.script("pp_review_event", "Review event", W, 33, 2, script="""
event = 'MOVE_COMPLETED_PROVIDER_FAILURE'
changeLevel = 'NONE'
""")
    d.rule("pp_reviews", "Schedule reviews (DMN-08)", W, 34, 2, decision="ReviewScheduling", result="reviewSchedule")
    d.gateway("pp_reviews_join", "", W, 35, 1)
    d.notify("pp_handover", "Hand over (PP-16)", W, 36, 1, template="'person_case_handover'",
             recipient="placingAuthorityName or 'allocated_worker'", channel="'record'",
             data="{'caseReference': caseReference, 'personRef': personRef, 'endReason': endReason, "
                  "'fundingCategory': fundingCategory, 'reviews': reviewSchedule}")
    d.end("pp_end", "Person's duty ended", W, 37, 1, terminate=True)
    d.chain("pp_end_join", "pp_confirm_end", "pp_ended", "pp_charging", "pp_charge_to", "pp_finance",
            "pp_reviews_gw")
    d.flow("pp_reviews_gw", "pp_review_event", "Council-funded mover", "councilReviews == True and moving == True")
    d.chain("pp_review_event", "pp_reviews", "pp_reviews_join")
    d.flow("pp_reviews_gw", "pp_reviews_join", id="flow_pp_reviews_gw_to_pp_reviews_join")
    d.chain("pp_reviews_join", "pp_handover", "pp_end")
    for node in d.nodes.values():  # make room for completing the record's facts after PP-01
        if node.col >= 4 and node.id != "pp_record_facts":
            node.col += 1
    return d


def dispute() -> Diagram:
    d = Diagram("provider_failure_dispute", "Provider failure: inter-authority dispute (PF-12)",
                ["Allocated worker", "Head of Service", "Finance"],
                "B.8: negotiate; after the operational window escalate to Head of Service (M14); unresolved "
                "four months after the dispute arose, refer for determination (M15). Needs stay met throughout.",
                {**CONFIG, "caseTitle": "authorityName", "summaryFields":
                 "incidentCaseReference,personCaseReference,authorityName,disputeArisenOn,disputeStatus,outcome"})
    W, H, F = d.lanes
    d.start("pd_start", "Dispute raised", W, 0, message="placing_authority_dispute")
    d.script("pd_open", "Record the dispute", W, 1, script="""
disputeArisenOn = disputeArisenOn or today().isoformat()
months = parse_date(disputeArisenOn).month - 1 + disputeReferralMonths
referralDueAt = (date(parse_date(disputeArisenOn).year + months // 12, months % 12 + 1,
                      min(parse_date(disputeArisenOn).day, 28)).isoformat() + 'T09:00:00+00:00')
disputeStatus = 'NEGOTIATING'
""")
    d.user("pd_negotiate", "Negotiate with the other authority (B.8)", W, 2, form="pf_dispute_negotiation")
    d.timer("pd_window", "Operational window ends (PF-T8)", W, 2, duration="disputeOperationalWindow",
            attached_to="pd_negotiate")
    d.gateway("pd_neg_gw", "Resolved?", W, 3, default="flow_pd_neg_gw_to_pd_escalate_join")
    d.gateway("pd_escalate_join", "", H, 3)
    d.notify("pd_escalate", "Escalate to Head of Service (M14)", H, 4, template="'M14_DisputeEscalation'",
             recipient="'head_of_service'", data="{'caseReference': caseReference, 'authorityName': authorityName, "
                                                 "'issue': issue, 'disputeArisenOn': disputeArisenOn}")
    d.user("pd_head", "Head of Service: negotiation and legal options", H, 5, form="pf_dispute_negotiation")
    d.timer("pd_four_months", "Four months since the dispute arose (PF-T9)", H, 5, date="referralDueAt",
            attached_to="pd_head")
    d.gateway("pd_head_gw", "Resolved?", H, 6, default="flow_pd_head_gw_to_pd_refer_join")
    d.gateway("pd_refer_join", "", H, 7, 1)
    d.notify("pd_refer", "Refer for determination (M15)", H, 8, 1, template="'M15_DisputeDeterminationRequest'",
             recipient="'dhsc_determinations'", data="{'caseReference': caseReference, "
                                                     "'authorityName': authorityName, 'issue': issue, "
                                                     "'disputeArisenOn': disputeArisenOn, 'regulations': 'SI 2014/2829'}")
    d.user("pd_determination", "Record the determination", H, 9, 1, form="pf_dispute_negotiation")
    d.gateway("pd_outcome_join", "", W, 10)
    d.gateway("pd_outcome", "Outcome", W, 11, default="flow_pd_outcome_to_pd_closed")
    d.notify("pd_reinstate", "Reinstate the invoice (M12)", F, 12, 0, template="'M12_RechargeInvoice'",
             recipient="authorityName", data="{'caseReference': caseReference, 'personCaseReference': "
                                             "personCaseReference, 'reinstated': True}")
    d.script("pd_reclassify", "Reclassify as self-funded", F, 12, 1, script="""
fundingCategory = 'SELF_FUNDED'
supportType = 'ARRANGED_CARE_SUPPORT'
""")
    d.rule("pd_charge", "Charge the person (DMN-06)", F, 13, 1, decision="TemporaryDutyCharging",
           result="chargingRecord")
    d.notify("pd_charge_person", "Charge the person", F, 14, 1, template="'person_charge'", recipient="'finance'",
             channel="'record'", data="{'caseReference': caseReference, 'personCaseReference': personCaseReference, "
                                      "'chargeTo': chargingRecord['chargeTo'], "
                                      "'financialAssessment': chargingRecord['financialAssessment']}")
    d.gateway("pd_closed", "", W, 15)
    d.script("pd_close", "Close the dispute", W, 16, script="disputeStatus = 'RESOLVED'")
    d.end("pd_end", "Dispute closed", W, 17)
    d.chain("pd_start", "pd_open", "pd_negotiate", "pd_neg_gw")
    d.flow("pd_neg_gw", "pd_outcome_join", "Resolved", "resolved == True")
    d.flow("pd_neg_gw", "pd_escalate_join", id="flow_pd_neg_gw_to_pd_escalate_join")
    d.flow("pd_window", "pd_escalate_join")
    d.chain("pd_escalate_join", "pd_escalate", "pd_head", "pd_head_gw")
    d.flow("pd_head_gw", "pd_outcome_join", "Resolved", "resolved == True")
    d.flow("pd_head_gw", "pd_refer_join", id="flow_pd_head_gw_to_pd_refer_join")
    d.flow("pd_four_months", "pd_refer_join")
    d.chain("pd_refer_join", "pd_refer", "pd_determination", "pd_outcome_join", "pd_outcome")
    d.flow("pd_outcome", "pd_reinstate", "Other authority liable", "outcome == 'OTHER_AUTHORITY_LIABLE'")
    d.flow("pd_outcome", "pd_reclassify", "Person is self-funded", "outcome == 'PERSON_SELF_FUNDED'")
    d.flow("pd_outcome", "pd_closed", id="flow_pd_outcome_to_pd_closed")
    d.flow("pd_reinstate", "pd_closed")
    d.chain("pd_reclassify", "pd_charge", "pd_charge_person", "pd_closed")
    d.chain("pd_closed", "pd_close", "pd_end")
    return d
