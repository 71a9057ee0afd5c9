"""Generate the Managing Provider Failure diagrams (DOMAIN.md section B) and their forms.

    .venv/bin/python scripts/gen_provider_failure.py

writes bpmn/provider_failure.bpmn (the incident, PF-01..PF-15; this module), bpmn/provider_failure_person.bpmn
(a case per affected person, PP-01..PP-16) and bpmn/provider_failure_dispute.bpmn (PF-12, B.8) from
scripts/pf_cases.py, and bpmn/forms/pf_*.schema.json from scripts/pf_forms.py. Long-running cycles are loops in
their own parallel branch, ended by a terminate end event; the monitoring cycle continues in a fresh instance every
few rounds (DESIGN.md decision 8); PF-09's rounds are sibling branches of one cycle timer, sharing a data object.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bpmn_builder import Diagram  # noqa: E402
from pf_cases import dispute, person  # noqa: E402
from pf_forms import FORMS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONFIG = {"configData": "provider_failure.config.json"}


def incident() -> Diagram:
    d = Diagram("provider_failure", "Managing provider failure (incident)",
                ["Customer Access Service", "QISS", "SQIP", "Finance"],
                "A provider failure or service interruption: triage, the duty decision (DMN-01a, DMN-01), "
                "monitoring, the closure project and one person case per affected person (DESIGN.md decision 2).",
                {**CONFIG, "caseTitle": "providerName", "summaryFields":
                 "providerRef,providerName,serviceType,dutyBasis,incidentStatus,closureDate,eventType,eventClass,"
                 "dutyStartedAt,dutyEndedAt,monitorRounds,dutyRationale"})
    C, Q, S, F = d.lanes
    d.start("pf_start_inbox", "Quality lead opens a case", C, 0, 0)
    d.start("pf_start_message", "Provider failure notified (T1-T9)", C, 0, 1, message="provider_failure_notified")
    d.gateway("pf_started", "", C, 1)
    d.script("pf_open", "Open the incident (PF-01)", C, 2, script="""
resuming = resumeAt == 'MONITORING'
resumeAt = None
roundsHere = 0
continueCase = False
incidentStatus = 'MONITORING' if resuming else 'TRIAGE'
providerRef = providerRef or caseReference
dutyStartedAt = dutyStartedAt or now().isoformat()
if not triggerEvents:
    triggerEvents = [{'type': eventType, 'date': now().isoformat(), 'source': notificationSource}]
""")
    d.gateway("pf_split_listen", "", C, 3, kind="parallel")
    d.chain("pf_start_inbox", "pf_started")
    d.flow("pf_start_message", "pf_started")
    d.chain("pf_started", "pf_open", "pf_split_listen")
    # Further notifications about the same provider join this incident (a loop in its own branch).
    d.gateway("pf_listen_join", "", C, 4, 1)
    d.message("pf_further_notice", "Further notification about this provider", C, 5, 1,
              message="provider_failure_notified", correlation="providerRef")
    d.script("pf_record_notice", "Record the notification", C, 6, 1, script="""
triggerEvents = triggerEvents + [{'type': eventType, 'date': now().isoformat(), 'source': notificationSource}]
""")
    d.notify("pf_tell_qiss", "Tell QISS about the notification", C, 7, 1, template="'further_notification'",
             recipient="'qiss'", channel="'record'",
             data="{'caseReference': caseReference, 'providerName': providerName, 'eventType': eventType}")
    d.flow("pf_split_listen", "pf_listen_join")
    d.chain("pf_listen_join", "pf_further_notice", "pf_record_notice", "pf_tell_qiss")
    d.flow("pf_tell_qiss", "pf_listen_join")
    # A safeguarding concern about the provider, at any time (B.5, M10; DOC-PF 3.9): each concern is referred at
    # once with its own text and opens a QISS task; the listener loops at once (a concern never waits for a task).
    d.data_object("safeguardingOpen", "Safeguarding concerns awaiting QISS")
    d.gateway("pf_sg_join", "", C, 4, 2)
    d.message("pf_sg_concern", "Safeguarding concern about the provider", C, 5, 2, message="safeguarding_concern",
              correlation="caseReference")
    d.script("pf_sg_record", "Record the concern", C, 6, 2, script="""
safeguardingConcerns = (safeguardingConcerns or 0) + 1
safeguardingOpen = (safeguardingOpen or 0) + 1
safeguardingReferral = {'number': safeguardingConcerns, 'concern': concern, 'risk': risk,
                        'peopleAffected': peopleAffected, 'raisedBy': raisedBy, 'receivedAt': now().isoformat()}
concern = None
risk = None
peopleAffected = None
raisedBy = None
""")
    d.uses("pf_sg_record", "safeguardingOpen", write=True)
    d.notify("pf_sg_refer", "Safeguarding referral (M10)", C, 7, 2, template="'M10_SafeguardingReferral'",
             recipient="'safeguarding_enquiry_service'",
             data="{'caseReference': caseReference, 'providerRef': providerRef, 'providerName': providerName, "
                  "**safeguardingReferral}")
    d.gateway("pf_sg_fork", "", C, 8, 2, kind="parallel")
    d.user("pf_sg_review", "Respond to the safeguarding concern (M10)", Q, 8, 5, form="pf_safeguarding_concern",
           due="P1D")
    d.script("pf_sg_reviewed", "Concern responded to", Q, 9, 5,
             script="safeguardingOpen = max(0, (safeguardingOpen or 0) - 1)")
    d.uses("pf_sg_reviewed", "safeguardingOpen", write=True)
    d.end("pf_sg_review_end", "", Q, 10, 5)
    d.flow("pf_split_listen", "pf_sg_join")
    d.chain("pf_sg_join", "pf_sg_concern", "pf_sg_record", "pf_sg_refer", "pf_sg_fork")
    d.flow("pf_sg_fork", "pf_sg_join")
    d.chain("pf_sg_fork", "pf_sg_review", "pf_sg_reviewed", "pf_sg_review_end")
    # Main path
    d.gateway("pf_resume", "Continuing a monitored case?", Q, 4, default="flow_pf_resume_to_pf_verify")
    d.flow("pf_split_listen", "pf_resume")
    d.user("pf_verify", "Verify facts (PF-02)", Q, 5, form="pf_verify_facts", due="PT4H")
    d.flow("pf_resume", "pf_verify", id="flow_pf_resume_to_pf_verify")
    d.notify("pf_request_info", "Request information from the provider (PF-03, M5)", Q, 6,
             template="'M5_InformationRequest'", recipient="providerContactEmail or 'provider'",
             data="{'caseReference': caseReference, 'providerName': providerName, 'dueIn': infoDueIn}")
    d.user("pf_provider_response", "Record the provider's response (PF-03)", Q, 7, form="pf_provider_response")
    d.timer("pf_info_due", "Information due (PF-T1)", Q, 7, 0, duration="infoDueIn",
            attached_to="pf_provider_response", interrupting=False)
    d.notify("pf_info_overdue", "Escalate to SQIP and ask the CQC", S, 7, 1, template="'information_overdue'",
             recipient="'sqip'", channel="'record'",
             data="{'caseReference': caseReference, 'providerName': providerName, 'askCqc': True}")
    d.end("pf_info_overdue_end", "Escalated", S, 8, 1)
    d.chain("pf_verify", "pf_request_info", "pf_provider_response")
    d.chain("pf_info_due", "pf_info_overdue", "pf_info_overdue_end")
    d.gateway("pf_decide_join", "", Q, 8)
    d.rule("pf_classify", "Classify the trigger event (DMN-01a)", Q, 9, decision="ClassifyTriggerEvent",
           result="triggerClassification")
    d.script("pf_classified", "Record the classification", Q, 10, script="""
eventClass = triggerClassification['eventClass'] if triggerClassification else 'LEGAL_REVIEW'
isBusinessFailure = triggerClassification['isBusinessFailure'] if triggerClassification else None
legalRef = triggerClassification['legalRef'] if triggerClassification else None
""")
    d.gateway("pf_legal_gw", "Legal review needed?", Q, 11, default="flow_pf_legal_gw_to_pf_legal_join")
    d.user("pf_legal_check", "Legal check of business-failure status", S, 11, form="pf_legal_check")
    d.gateway("pf_legal_join", "", Q, 12)
    d.rule("pf_duty", "Decide the legal basis (DMN-01)", Q, 13, decision="TemporaryDutyTrigger")
    d.gateway("pf_duty_gw", "Duty basis (PF-05)", Q, 14, default="flow_pf_duty_gw_to_pf_act")
    d.chain("pf_provider_response", "pf_decide_join", "pf_classify", "pf_classified", "pf_legal_gw")
    d.flow("pf_legal_gw", "pf_legal_check", "Legal review", "eventClass == 'LEGAL_REVIEW'")
    d.flow("pf_legal_gw", "pf_legal_join", id="flow_pf_legal_gw_to_pf_legal_join")
    d.flow("pf_legal_check", "pf_legal_join")
    # PF-04: the reasons are recorded in words, so the case says which power is used and why (B.1, DMN-01 notes).
    d.script("pf_duty_reason", "Record the decision and its reasons", Q, 13, 1, script="""
if dutyBasis == 'S48_TEMPORARY_DUTY':
    dutyRationale = 'Care Act s.48 temporary duty: business failure (' + str(legalRef) + '). ' + nextStep
elif dutyBasis == 'S19_POWER_URGENT_NEEDS':
    dutyRationale = ('Care Act s.19(3) power to meet urgent needs; not the s.48 temporary duty, as the '
                     'interruption is not a business failure under SI 2015/301 (' + str(eventClass) + ', '
                     + str(eventType) + '). ' + nextStep)
else:
    dutyRationale = str(dutyBasis) + ': ' + nextStep
""")
    d.chain("pf_legal_join", "pf_duty", "pf_duty_reason", "pf_duty_gw")
    # PF-05a: the service continues; monitor every 7 days, continue in a fresh instance every few rounds.
    d.script("pf_monitoring", "Monitor and cooperate (PF-05a)", Q, 15, 1, script="incidentStatus = 'MONITORING'")
    d.gateway("pf_mon_join", "", Q, 16, 1)
    d.receive("pf_mon_wait", "Monitor and cooperate until the service ceases", Q, 17, 1,
              message="provider_service_ceasing", correlation="providerRef")
    d.timer("pf_mon_timer", "Monitoring cycle (PF-T2)", Q, 17, 0, duration="monitorCycle", attached_to="pf_mon_wait")
    d.script("pf_mon_check", "Record the check-in", Q, 18, 2, script="""
monitorRounds = (monitorRounds or 0) + 1
roundsHere = (roundsHere or 0) + 1
""")
    d.gateway("pf_mon_fresh", "Fresh instance due?", Q, 19, 2, default="flow_pf_mon_fresh_to_pf_mon_join")
    d.script("pf_mon_continue", "Carry the case over", Q, 20, 2, script="""
resumeAt = 'MONITORING'
continueCase = True
""")
    d.end("pf_mon_continued", "Continued in a fresh instance", Q, 21, 2, terminate=True)
    d.script("pf_ceasing_record", "Record the notice of ceasing", Q, 18, 1, script="""
unableToCarryOn = True
serviceStatus = serviceStatus if serviceStatus in ('CEASING', 'CEASED') else 'CEASING'
dutyStartedAt = now().isoformat()
triggerEvents = triggerEvents + [{'type': eventType, 'date': dutyStartedAt, 'source': 'service ceasing'}]
""")
    d.message("pf_stabilised", "Business sold or stabilised", Q, 17, 1, message="provider_business_stabilised",
              correlation="providerRef", attached_to="pf_mon_wait")
    d.script("pf_stable_close", "Close: no duty", Q, 18, 3, script="""
incidentStatus = 'CLOSED'
dutyEndedAt = now().isoformat()
""")
    d.end("pf_end_stable", "PF_End_Closed (service continued)", Q, 19, 3, terminate=True)
    d.flow("pf_duty_gw", "pf_monitoring", "NO_DUTY_SERVICE_CONTINUES", "dutyBasis == 'NO_DUTY_SERVICE_CONTINUES'")
    d.flow("pf_resume", "pf_mon_join", "Resume monitoring", "resuming == True")
    d.chain("pf_monitoring", "pf_mon_join", "pf_mon_wait")
    d.chain("pf_mon_timer", "pf_mon_check", "pf_mon_fresh")
    # Not while a safeguarding concern awaits QISS: a fresh instance would drop the open task (a round later).
    d.flow("pf_mon_fresh", "pf_mon_continue", "Every few rounds",
           "roundsHere >= monitorRoundsPerInstance and not safeguardingOpen")
    d.flow("pf_mon_continue", "pf_mon_continued")
    d.flow("pf_mon_fresh", "pf_mon_join", id="flow_pf_mon_fresh_to_pf_mon_join")
    d.chain("pf_mon_wait", "pf_ceasing_record")
    d.flow("pf_ceasing_record", "pf_decide_join")
    d.chain("pf_stabilised", "pf_stable_close", "pf_end_stable")
    # PF-05b: contingency
    d.script("pf_contingency_open", "Contingency (PF-05b)", S, 15, 0, script="incidentStatus = 'CONTINGENCY'")
    d.user("pf_contingency", "Contingency preparation (PF-05b)", S, 16, 0, form="pf_contingency")
    d.receive("pf_cont_wait", "Await the event", S, 17, 0, message="provider_service_ceasing",
              correlation="providerRef")
    d.message("pf_cont_withdrawn", "Risk withdrawn", S, 17, 1, message="provider_business_stabilised",
              correlation="providerRef", attached_to="pf_cont_wait")
    d.script("pf_cont_close", "Close: risk withdrawn", S, 18, 1, script="incidentStatus = 'CLOSED'")
    d.end("pf_end_withdrawn", "Risk withdrawn", S, 19, 1, terminate=True)
    d.flow("pf_duty_gw", "pf_contingency_open", "PREPARE_CONTINGENCY", "dutyBasis == 'PREPARE_CONTINGENCY'")
    d.chain("pf_contingency_open", "pf_contingency", "pf_cont_wait")
    d.flow("pf_cont_wait", "pf_ceasing_record")
    d.chain("pf_cont_withdrawn", "pf_cont_close", "pf_end_withdrawn")
    # PF-05c: no intervention
    d.user("pf_no_intervention", "Record decision; give information and advice (PF-05c)", Q, 15, 4,
           form="pf_no_intervention")
    d.script("pf_no_int_close", "Close: no intervention", Q, 16, 4, script="""
incidentStatus = 'NO_INTERVENTION'
dutyEndedAt = now().isoformat()
""")
    d.notify("pf_no_int_record", "Record the decision", Q, 17, 4, template="'no_intervention_decision'",
             recipient="'qiss'", channel="'record'",
             data="{'caseReference': caseReference, 'dutyBasis': dutyBasis, 'rationale': rationale}")
    d.end("pf_end_no_intervention", "PF_End_NoIntervention", Q, 18, 4, terminate=True)
    d.flow("pf_duty_gw", "pf_no_intervention", "NO_INTERVENTION_PROVIDER_RESPONSIBLE",
           "dutyBasis == 'NO_INTERVENTION_PROVIDER_RESPONSIBLE'")
    d.chain("pf_no_intervention", "pf_no_int_close", "pf_no_int_record", "pf_end_no_intervention")
    # PF-05d..PF-15: the closure project
    # T4 quality collapse or CQC enforcement: Contracts suspend new business and issue a Contract Default
    # Notice (DOC-PF 2.1.4); a business failure needs neither.
    d.script("pf_act", "Act under the duty or power (PF-05d)", S, 15, 2, script="""
incidentStatus = 'ACTIVE_CLOSURE'
contractActions = [{'template': t, 'data': {'caseReference': caseReference, 'providerName': providerName,
                                            'eventType': eventType}}
                   for t in ('contract_default_notice', 'suspend_new_business')
                   if eventType in ('CQC_DEREGISTRATION_OR_ENFORCEMENT', 'QUALITY_FAILURE')]
""")
    d.flow("pf_duty_gw", "pf_act", id="flow_pf_duty_gw_to_pf_act")
    d.user("pf_meeting", "Convene multi-agency planning meeting (PF-06)", S, 16, 2, form="pf_planning_meeting",
           due="P1D")
    d.notify("pf_alert_icb", "Alert the ICB (PF-07, M1)", S, 17, 2, template="'M1_ProviderFailureAlert'",
             recipient="'icb'", data="{'caseReference': caseReference, 'providerName': providerName, "
                                     "'serviceType': serviceType, 'dutyBasis': dutyBasis}")
    d.notify("pf_notify_cqc", "Notify the CQC (PF-07, M2)", S, 18, 2, template="'M2_ProviderFailureNotice'",
             recipient="'cqc'", data="{'caseReference': caseReference, 'providerName': providerName, "
                                     "'cqcProviderId': cqcProviderId, 'eventType': eventType, 'dutyBasis': dutyBasis}")
    d.notify("pf_notify_neighbours", "Alert neighbouring councils (PF-07, M4)", S, 19, 2,
             template="'M4_NeighbourAuthorityAlert'", recipient="council", each="neighbouringCouncils",
             item="council", data="{'caseReference': caseReference, 'providerName': providerName}")
    d.notify("pf_contracts", "Contracts: suspend new business; Contract Default Notice", S, 20, 2,
             template="contractAction['template']", recipient="'contracts_and_commissioning'",
             channel="'record'", each="contractActions", item="contractAction", data="contractAction['data']")
    d.user("pf_notice", "Agree notice period (PF-08)", Q, 20, 2, form="pf_notice_period")
    d.user("pf_provision", "Decide additional provision during closure (PF-09)", S, 21, 2,
           form="pf_additional_provision")
    d.gateway("pf_inhouse_gw", "Council in-house support?", S, 22, 2, default="flow_pf_inhouse_gw_to_pf_inhouse_join")
    d.script("pf_inhouse_item", "Support item: provider support", S, 22, 3,
             script="supportType = 'PROVIDER_SUPPORT_DURING_CLOSURE'")
    d.rule("pf_inhouse_charge", "Charge for in-house support (DMN-06)", F, 23, 0, decision="TemporaryDutyCharging",
           result="providerCharge")
    d.gateway("pf_inhouse_join", "", S, 24, 2)
    # PF-09 repeats until closure: round 1 here, the others from a cycle timer on the wait for the person cases
    # (each round its own short branch beside the others, so the tree does not deepen with the rounds). Branches
    # share no task data: every round writes to the incident's provision log (a data object) for PF-14.
    d.data_object("provisionLog", "Additional provision rounds (PF-09)")
    d.script("pf_provision_record", "Record the provision round", S, 24, 3, script="""
provisionRound = 1
provisionLog = [{'round': 1, 'openedAt': now().isoformat(), 'recordedAt': now().isoformat(),
                 'extraProvisionBy': extraProvisionBy,
                 'chargeTo': (providerCharge or {}).get('chargeTo') if extraProvisionBy == 'COUNCIL_IN_HOUSE' else None,
                 'inHouseCost': inHouseCost or 0, 'movesCompleted': movesCompleted, 'notes': notes}]
""")
    d.uses("pf_provision_record", "provisionLog", write=True)
    d.script("pf_closure_timers", "Set the closure timers (PF-T3, PF-T4)", S, 25, 2, script="""
closing = parse_datetime(closureDate + 'T17:00:00+00:00') if len(closureDate) == 10 else parse_datetime(closureDate)
warnSqipAt = (closing - parse_duration(closureWarningSqip)).isoformat()
warnHeadAt = (closing - parse_duration(closureWarningHead)).isoformat()
closureAt = closing.isoformat()
incidentStatus = 'ACTIVE_CLOSURE'
provisionRoundsDue = max(0, int((closing - now()) / parse_duration(provisionReviewEvery)))
provisionCycle = 'R' + str(max(1, provisionRoundsDue)) + '/' + provisionReviewEvery
""")
    d.gateway("pf_closure_split", "", S, 26, 2, kind="parallel")
    d.chain("pf_act", "pf_meeting", "pf_alert_icb", "pf_notify_cqc", "pf_notify_neighbours", "pf_contracts",
            "pf_notice",
            "pf_provision", "pf_inhouse_gw")
    d.flow("pf_inhouse_gw", "pf_inhouse_item", "In-house support", "extraProvisionBy == 'COUNCIL_IN_HOUSE'")
    d.chain("pf_inhouse_item", "pf_inhouse_charge", "pf_inhouse_join")
    d.flow("pf_inhouse_gw", "pf_inhouse_join", id="flow_pf_inhouse_gw_to_pf_inhouse_join")
    d.chain("pf_inhouse_join", "pf_provision_record", "pf_closure_timers", "pf_closure_split")
    # PF-10: the person cases run as their own instances; this waits until the last one closes.
    d.receive("pf_person_cases", "Person cases (PF-10)", S, 27, 2, message="person_cases_all_closed",
              correlation="caseReference")
    d.timer("pf_warn_sqip", "Closure warning to SQIP (PF-T4)", S, 27, 0, date="warnSqipAt",
            attached_to="pf_person_cases", interrupting=False)
    d.timer("pf_warn_head", "Closure warning to Head of Service (PF-T4)", S, 27, 1, date="warnHeadAt",
            attached_to="pf_person_cases", interrupting=False)
    d.timer("pf_closure_date", "Closure date (PF-T3)", S, 27, 2, date="closureAt",
            attached_to="pf_person_cases", interrupting=False)
    d.notify("pf_warn_sqip_send", "Escalate unplaced people to SQIP", S, 28, 3, template="'closure_warning'",
             recipient="'sqip'", data="{'caseReference': caseReference, 'closureDate': closureDate, 'level': 'SQIP'}")
    d.notify("pf_warn_head_send", "Escalate unplaced people to Head of Service", S, 29, 3,
             template="'closure_warning'", recipient="'head_of_service'",
             data="{'caseReference': caseReference, 'closureDate': closureDate, 'level': 'HEAD_OF_SERVICE'}")
    d.script("pf_closed_provider", "Provider has ceased", S, 30, 3, script="serviceStatus = 'CEASED'")
    d.end("pf_warn_sqip_end", "", S, 28, 4)
    d.end("pf_warn_head_end", "", S, 29, 4)
    d.end("pf_closure_end", "", S, 30, 4)
    d.flow("pf_closure_split", "pf_person_cases")
    d.chain("pf_warn_sqip", "pf_warn_sqip_send", "pf_warn_sqip_end")
    d.chain("pf_warn_head", "pf_warn_head_send", "pf_warn_head_end")
    d.chain("pf_closure_date", "pf_closed_provider", "pf_closure_end")
    # PF-09 rounds 2..: every provisionReviewEvery until the closure date (the cycle's count) or until the person
    # cases have all closed (the wait ends and takes its timers with it).
    d.timer("pf_provision_cycle", "Additional provision review due (PF-09)", S, 27, 3, cycle="provisionCycle",
            attached_to="pf_person_cases", interrupting=False)
    d.script("pf_round_open", "Open the provision round", S, 28, 5, script="""
provisionRound = len(provisionLog or []) + 1
roundDue = provisionRound <= provisionRoundsDue + 1
extraProvisionBy = None
providerCharge = None
inHouseCost = None
movesCompleted = None
notes = None
if roundDue:
    provisionLog = (provisionLog or []) + [{'round': provisionRound, 'openedAt': now().isoformat(), 'recordedAt': None,
                                            'extraProvisionBy': None, 'chargeTo': None, 'inHouseCost': 0,
                                            'movesCompleted': None, 'notes': None}]
""")
    d.uses("pf_round_open", "provisionLog", write=True)
    d.gateway("pf_round_due", "Before closure?", S, 29, 5, default="flow_pf_round_due_to_pf_round_skip")
    d.end("pf_round_skip", "", S, 30, 6)
    d.user("pf_round", "Review additional provision and provider-led moves (PF-09)", S, 30, 5,
           form="pf_additional_provision", due="P1D")
    d.gateway("pf_round_inhouse_gw", "Council in-house support?", S, 31, 5,
              default="flow_pf_round_inhouse_gw_to_pf_round_inhouse_join")
    d.script("pf_round_item", "Support item: provider support", S, 32, 6,
             script="supportType = 'PROVIDER_SUPPORT_DURING_CLOSURE'")
    d.rule("pf_round_charge", "Charge for in-house support (DMN-06)", F, 33, 2, decision="TemporaryDutyCharging",
           result="providerCharge")
    d.gateway("pf_round_inhouse_join", "", S, 34, 5)
    d.script("pf_round_record", "Record the provision round", S, 35, 5, script="""
outcome = {'recordedAt': now().isoformat(), 'extraProvisionBy': extraProvisionBy,
           'chargeTo': (providerCharge or {}).get('chargeTo') if extraProvisionBy == 'COUNCIL_IN_HOUSE' else None,
           'inHouseCost': inHouseCost or 0, 'movesCompleted': movesCompleted, 'notes': notes}
provisionLog = [{**r, **outcome} if r['round'] == provisionRound else r for r in (provisionLog or [])]
""")
    d.uses("pf_round_record", "provisionLog", write=True)
    d.end("pf_round_end", "", S, 36, 5)
    d.chain("pf_provision_cycle", "pf_round_open", "pf_round_due")
    d.flow("pf_round_due", "pf_round", "Round due", "roundDue == True")
    d.flow("pf_round_due", "pf_round_skip", id="flow_pf_round_due_to_pf_round_skip")
    d.chain("pf_round", "pf_round_inhouse_gw")
    d.flow("pf_round_inhouse_gw", "pf_round_item", "In-house support", "extraProvisionBy == 'COUNCIL_IN_HOUSE'")
    d.chain("pf_round_item", "pf_round_charge", "pf_round_inhouse_join")
    d.flow("pf_round_inhouse_gw", "pf_round_inhouse_join", id="flow_pf_round_inhouse_gw_to_pf_round_inhouse_join")
    d.chain("pf_round_inhouse_join", "pf_round_record", "pf_round_end")
    # PF-11: daily sitrep, bounded (the branch ends when the incident ends, or after sitrepMax days).
    d.gateway("pf_sitrep_join", "", F, 27, 1)
    d.timer("pf_sitrep_timer", "Daily sitrep (PF-T5)", F, 28, 1, duration="sitrepEvery")
    d.notify("pf_sitrep", "Send the sitrep (PF-11)", F, 29, 1, template="'daily_sitrep'", recipient="'sqip'",
             channel="'record'", data="{'caseReference': caseReference, 'providerName': providerName}")
    d.script("pf_sitrep_count", "Count sitreps", F, 30, 1, script="sitrepCount = (sitrepCount or 0) + 1")
    d.gateway("pf_sitrep_more", "More?", F, 31, 1, default="flow_pf_sitrep_more_to_pf_sitrep_stop")
    d.end("pf_sitrep_stop", "", F, 32, 1)
    d.flow("pf_closure_split", "pf_sitrep_join")
    d.chain("pf_sitrep_join", "pf_sitrep_timer", "pf_sitrep", "pf_sitrep_count", "pf_sitrep_more")
    d.flow("pf_sitrep_more", "pf_sitrep_join", "Closure continues", "sitrepCount < sitrepMax")
    d.flow("pf_sitrep_more", "pf_sitrep_stop", id="flow_pf_sitrep_more_to_pf_sitrep_stop")
    # PF-13..PF-15
    d.user("pf_confirm_end", "Confirm end of temporary duty (PF-13)", S, 28, 2, form="pf_incident_end")
    d.script("pf_close", "Close the incident", S, 29, 2, script="""
dutyEndedAt = lastPersonDutyEndedAt or now().isoformat()
incidentStatus = 'CLOSED'
financeActions = [{'recipient': r['authority'], 'template': 'M12_RechargeInvoice',
                   'data': {'chargeTo': r['chargeTo'], 'people': r['people'], 'caseReference': caseReference}}
                  for r in (recharges or [])]
financeActions = financeActions + [{'recipient': 'finance', 'template': 'person_charge',
                                    'data': {'personRef': p, 'chargeTo': 'PERSON_ACTUAL_COST',
                                             'financialAssessment': True, 'caseReference': caseReference}}
                                   for p in (personCharges or [])]
provisionRounds = len(provisionLog or [])
inHouseRounds = [r for r in (provisionLog or []) if r['chargeTo'] == 'FAILING_PROVIDER']
if inHouseRounds:
    financeActions = financeActions + [{'recipient': providerContactEmail or 'provider',
                                        'template': 'M13_ProviderCharge',
                                        'data': {'chargeTo': 'FAILING_PROVIDER', 'caseReference': caseReference,
                                                 'rounds': [r['round'] for r in inHouseRounds],
                                                 'amount': sum([r['inHouseCost'] for r in inHouseRounds])}}]
""")
    d.uses("pf_close", "provisionLog")
    d.notify("pf_reconcile", "Cost recovery and charging reconciliation (PF-14)", F, 30, 0,
             template="action['template']", recipient="action['recipient']", each="financeActions", item="action",
             data="action['data']")
    d.end("pf_end_closed", "PF_End_Closed (PF-15)", F, 31, 0, terminate=True)
    d.chain("pf_person_cases", "pf_confirm_end", "pf_close", "pf_reconcile", "pf_end_closed")
    for node in d.nodes.values():  # make room for the Contracts step after PF-07
        if node.col >= 20 and node.id != "pf_contracts":
            node.col += 1
    return d


# PP-01 yes/no facts the tables read, which the provider's list may already hold.

def main() -> None:
    for diagram, name in ((incident(), "provider_failure"), (person(), "provider_failure_person"),
                          (dispute(), "provider_failure_dispute")):
        (ROOT / "bpmn" / f"{name}.bpmn").write_text(diagram.xml(), encoding="utf-8")
    for key, schema in FORMS.items():
        (ROOT / "bpmn" / "forms" / f"{key}.schema.json").write_text(json.dumps(schema, indent=2) + "\n",
                                                                   encoding="utf-8")
    print(f"wrote 3 diagrams and {len(FORMS)} forms")


if __name__ == "__main__":
    main()
