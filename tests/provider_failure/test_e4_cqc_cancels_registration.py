"""E4: the CQC cancels a nursing home's registration. Not a business failure: the council uses the s.19(3)
power for urgent needs; all 22 resident cases worked end to end through the API."""
from __future__ import annotations

from collections import Counter

from .conftest import PF, day
from .people import listed, person, record

NURSING = "CARE_HOME_NURSING"


def residents() -> list[dict]:
    def one(ref: str, name: str, funding: str, basis: str, **facts: object) -> dict:
        return person(ref, name, funding, NURSING, basis, safeguardingRisk=True, **facts)

    people = [one(f"LCC{i:02d}", f"Council Resident {i}", "LCC_ARRANGED", "S18_EXISTING", nursingHomeOrFNC=True)
              for i in range(1, 15)]
    people += [one(f"SF{i}", f"Self Funder {i}", "SELF_FUNDED", "S19_3") for i in range(1, 6)]
    people += [one(f"CHC{i}", f"Health Funded {i}", "NHS_CHC", "NHS") for i in range(1, 4)]
    return people


def test_e4_registration_cancelled_s19_power(pf: PF) -> None:
    incident = pf.notify("PRV-MEADOW", providerName="Meadow View Care Ltd",
                         eventType="CQC_DEREGISTRATION_OR_ENFORCEMENT", notificationSource="CQC")
    pf.triage(incident, providerName="Meadow View Care Ltd", serviceType=NURSING,
              eventType="CQC_DEREGISTRATION_OR_ENFORCEMENT", anyUrgentNeeds=True, approximatePeople=22)
    rules = pf.rules(incident)
    assert rules["ClassifyTriggerEvent"] == [17] and rules["TemporaryDutyTrigger"] == [4]
    data = pf.data(incident)
    assert data["isBusinessFailure"] is False and data["eventClass"] == "NOT_BUSINESS_FAILURE"
    summary = pf.instance(incident).summary
    assert summary["dutyBasis"] == "S19_POWER_URGENT_NEEDS"
    assert "s.19(3) power" in summary["dutyRationale"] and "not the s.48 temporary duty" in summary["dutyRationale"]

    pf.open_closure(incident, day(14))
    sent = Counter((m.template, m.recipient) for m in pf.outbox([incident]))
    assert sent[("M1_ProviderFailureAlert", "icb")] == 1 and sent[("M2_ProviderFailureNotice", "cqc")] == 1
    # Contracts suspend new business and issue a Contract Default Notice (DOC-PF 2.1.4).
    assert sent[("contract_default_notice", "contracts_and_commissioning")] == 1
    assert sent[("suspend_new_business", "contracts_and_commissioning")] == 1

    people = residents()
    r = pf.add_people(incident, [listed(p) for p in people])
    assert r.status_code == 201 and r.json["created"] == 22, r.json
    cases = pf.children(incident)
    assert all(pf.data(c.id)["dutyBasis"] == "S19_POWER_URGENT_NEEDS" for c in cases.values())
    for p in people:
        pf.work_person(cases[p["personRef"]].id, record(p))

    ended = {ref: pf.instance(c.id).summary for ref, c in cases.items()}
    by_ref = {ref: (s["primaryAction"], s["endReason"], s["chargeTo"], s["personLegalBasis"])
              for ref, s in ended.items()}
    assert all(by_ref[f"LCC{i:02d}"] == ("ARRANGE_NURSING_HOME", "E1", "EXISTING_COUNCIL_CHARGING", "S18_EXISTING")
               for i in range(1, 15))
    assert all(by_ref[f"SF{i}"] == ("ARRANGE_NURSING_HOME", "E1", "PERSON_ACTUAL_COST", "S19_3") for i in range(1, 6))
    assert all(by_ref[f"CHC{i}"] == ("ALERT_ICB_CHC", "E3", "NO_LA_CHARGE_ICB_ARRANGES", "NHS") for i in range(1, 4))

    # DMN-02 rule 3 for everyone: URGENT, with a safeguarding referral (M10) each.
    for ref, case in cases.items():
        rules = pf.rules(case.id)
        assert rules["UrgencyOfNeeds"] == [3], ref
        assert pf.data(case.id)["safeguardingReferral"] is True
        assert rules["ProviderFailurePersonAction"] == ([1] if ref.startswith("CHC") else [5])
        assert rules["AllocateWorker"] == [3]  # a safeguarding risk: a social worker
    assert all(s["urgency"] == "URGENT" and s["allocatedRole"] == "SOCIAL_WORKER" for s in ended.values())
    assert pf.rules(cases["SF3"].id)["TemporaryDutyCharging"] == [12]
    assert pf.rules(cases["LCC07"].id)["TemporaryDutyCharging"] == [11]
    assert pf.rules(cases["LCC07"].id)["ReviewScheduling"] == [10, 11]
    assert "ReviewScheduling" not in pf.rules(cases["SF3"].id)  # only people the council keeps funding

    messages = pf.outbox([c.id for c in cases.values()])
    told = Counter((m.template, m.recipient) for m in messages)
    assert told[("M10", "SAFEGUARDING_ENQUIRY_SERVICE")] == 22
    assert told[("M1/M8", "ICB_NURSING_COMMISSIONER")] == 14  # FNC residents
    assert told[("M11", "ICB_CHC_TEAM")] == 3
    assert told[("M7", "GP")] == 19  # everyone who moves
    assert Counter(m.payload["kind"] for m in messages if m.template == "care_navigation_request") == {
        "ARRANGE_NURSING_HOME": 19}
    charging = {m.payload["personRef"]: m.payload for m in messages if m.template == "charging_record"}
    assert {ref: c["legalBasis"] for ref, c in charging.items() if ref.startswith("SF")} == {
        f"SF{i}": "S19_3" for i in range(1, 6)}
    assert all(charging[f"SF{i}"]["financialAssessment"] is True for i in range(1, 6))

    counts = pf.counts(incident)
    assert (counts["open"], counts["closed"], counts["byEndReason"]) == (0, 22, {"E1": 19, "E3": 3})
    pf.complete(incident, "pf_confirm_end", {"providerStatus": "CEASED", "confirmed": True})
    closed = pf.instance(incident)
    assert closed.status == "completed" and closed.summary["incidentStatus"] == "CLOSED"
    finance = pf.outbox([incident])
    assert not [m for m in finance if m.template == "M12_RechargeInvoice"]  # nobody placed by another authority
    assert sorted(m.payload["personRef"] for m in finance if m.template == "person_charge") == [
        f"SF{i}" for i in range(1, 6)]
