"""Every "decide again" loop of the person case, each taken at least twice, for people already notified.

Issue 11: the PP-02 notification step (a multi-instance task) kept its results list from the first pass,
and SpiffWorkflow refused the second pass, so a placing authority declining after first saying it could
arrange (PP-10f, scenario E6) left the case stuck and the incident never closed.
"""
from __future__ import annotations

from collections import Counter

from .conftest import PF, day

SCOTTISH = "Comhairle Enghreifftiche (invented Scottish council)"


def closing(pf: PF, ref: str, service: str = "SUPPORTED_LIVING") -> str:
    incident = pf.notify(ref, providerName="Heather Lane Supported Living", eventType="ADMINISTRATOR_APPOINTED")
    pf.triage(incident, providerName="Heather Lane Supported Living", serviceType=service)
    pf.open_closure(incident, day(20))
    return incident


def test_placing_authority_declines_then_every_loop_twice_round(pf: PF) -> None:
    incident = closing(pf, "PRV-LOOP1")
    r = pf.add_people(incident, [{"personRef": "S1", "personName": "Morag Example", "role": "ADULT",
                                  "fundingCategory": "SCOTLAND_LA", "serviceType": "SUPPORTED_LIVING",
                                  "placingAuthorityName": SCOTTISH, "hasCarerOrRepresentative": True,
                                  "placingAuthorityCanArrangeBeforeCessation": True}])
    assert r.status_code == 201, r.json
    case = pf.children(incident)["S1"].id
    record = {"personName": "Morag Example", "role": "ADULT", "fundingCategory": "SCOTLAND_LA",
              "serviceType": "SUPPORTED_LIVING", "personLegalBasis": "PLACING_AUTHORITY_LEAD",
              "placingAuthorityName": SCOTTISH, "riskToLife": False, "immediateSignificantHealthRisk": False,
              "safeguardingRisk": False, "significantWellbeingImpact": False,
              "providerArrangementSatisfactory": False, "personArrangesOwn": False,
              "placingAuthorityCanArrangeBeforeCessation": True}
    row = pf.work_person(case, record, {
        "pp_coordinate": {"placingAuthorityTakesOver": False},  # said it could arrange, then declines (PP-10f)
        "pp_agree": [{"agreed": False}, {"agreed": False}, {"agreed": True, "newProvider": "Thistle Support"}],
    })
    assert row.status == "completed"
    rules = pf.rules(case)
    # DMN-09: coordinate (rule 3), then the council arranges supported living care (rule 8) after the decline;
    # the person declines the offer twice (PP-11 loops to PP-10e), the tenancy stays, so no move and no GP message.
    assert rules["ProviderFailurePersonAction"] == [3, 8]
    assert Counter(m.template for m in pf.outbox([case]))["care_navigation_request"] == 3
    # Each pass through PP-02 sends only what was not sent before: the placing council hears once.
    sent = Counter((m.template, m.recipient) for m in pf.outbox([case]) if m.template.startswith("M"))
    assert sent[("M3", "PLACING_SCOTTISH_COUNCIL")] == 1
    assert sent[("M16", "CARER_OR_REPRESENTATIVE")] == 1
    assert row.summary["endReason"] == "E1"


def test_monitor_and_information_loops_reach_a_decision_again(pf: PF) -> None:
    incident = closing(pf, "PRV-LOOP2", "CARE_HOME_RESIDENTIAL")
    people = [{"personRef": "M1", "personName": "Iris Example", "role": "ADULT", "fundingCategory": "LCC_ARRANGED",
               "serviceType": "CARE_HOME_RESIDENTIAL", "providerArrangementSatisfactory": True,
               "hasCarerOrRepresentative": True},
              {"personRef": "I1", "personName": "Owen Example", "role": "ADULT", "fundingCategory": "SELF_FUNDED",
               "serviceType": "CARE_HOME_RESIDENTIAL", "personArrangesOwn": True, "hasCarerOrRepresentative": True}]
    assert pf.add_people(incident, people).status_code == 201
    cases = pf.children(incident)
    base = {"role": "ADULT", "serviceType": "CARE_HOME_RESIDENTIAL", "riskToLife": False,
            "immediateSignificantHealthRisk": False, "safeguardingRisk": False, "significantWellbeingImpact": False}
    monitored = pf.work_person(cases["M1"].id, {**base, "personName": "Iris Example", "fundingCategory": "LCC_ARRANGED",
                                                "personLegalBasis": "S18_EXISTING",
                                                "providerArrangementSatisfactory": True, "personArrangesOwn": False},
                               {"pp_monitor": {"arrangementSatisfied": False, "reason": "Iris refuses the sister home"},
                                "pp_postmove": [{"welfareOk": False}, {"welfareOk": True}]})
    informed = pf.work_person(cases["I1"].id, {**base, "personName": "Owen Example", "fundingCategory": "SELF_FUNDED",
                                               "personLegalBasis": "S48", "providerArrangementSatisfactory": False,
                                               "personArrangesOwn": True},
                              {"pp_info_check": {"madeOwnArrangements": False},
                               "pp_postmove": [{"welfareOk": False}, {"welfareOk": True}]})
    assert monitored.status == informed.status == "completed"
    assert pf.rules(cases["M1"].id)["ProviderFailurePersonAction"] == [2, 6, 6]
    assert pf.rules(cases["I1"].id)["ProviderFailurePersonAction"] == [4, 6, 6]
    # The incident hears that its last person case closed and asks for PF-13.
    assert "pf_confirm_end" in [t["name"] for t in pf.tasks(pf.current(incident).id)]
