"""Generate the Managing Provider Failure diagrams (DOMAIN.md section B) and their forms.

    .venv/bin/python scripts/gen_provider_failure.py

writes bpmn/provider_failure.bpmn (the incident, PF-01..PF-15), bpmn/provider_failure_person.bpmn
(a case per affected person, PP-01..PP-16), bpmn/provider_failure_dispute.bpmn (PF-12, B.8) and
bpmn/forms/pf_*.schema.json. Long-running cycles are loops in their own parallel branch, ended by
a terminate end event; the monitoring cycle continues in a fresh instance every few rounds
(DESIGN.md decision 8).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bpmn_builder import Diagram, form  # noqa: E402

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
