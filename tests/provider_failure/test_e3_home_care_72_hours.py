"""E3: a home care provider in liquidation ceases with 72 hours' notice (mixed funding, a neighbouring
council's clients), all 120 client cases worked end to end through the API."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from .conftest import PF, day
from .people import listed, person, record

HOMECARE = "HOMECARE"
BWD = "Blackburn with Darwen Borough Council"
NEIGHBOURS = [BWD, "Blackpool Council"]
HEALTH_RISK = {"LCC01", "LCC02", "LCC03", "DP01", "SF19"}  # insulin or nutrition risk
DISTRICT_NURSING = {"LCC04", "LCC05", "LCC06", "LCC07", "DP02", "BWD01", "BWD06", "SF01"}


def clients() -> list[dict]:
    def one(ref: str, name: str, funding: str, basis: str, **facts: object) -> dict:
        return person(ref, name, funding, HOMECARE, basis, immediateSignificantHealthRisk=ref in HEALTH_RISK,
                      receivesCommunityNursing=ref in DISTRICT_NURSING, **facts)

    people = [one(f"LCC{i:02d}", f"Council Client {i}", "LCC_ARRANGED", "S18_EXISTING",
                  significantWellbeingImpact=True) for i in range(1, 69)]
    people += [one(f"DP{i:02d}", f"Direct Payment Client {i}", "LCC_DIRECT_PAYMENT", "S18_EXISTING",
                   significantWellbeingImpact=True) for i in range(1, 11)]
    # 18 self-funders have family to help and arrange their own care; 12 ask the council.
    people += [one(f"SF{i:02d}", f"Self Funder {i}", "SELF_FUNDED", "S48", personArrangesOwn=i <= 18,
                   significantWellbeingImpact=i > 18) for i in range(1, 31)]
    # Blackburn with Darwen can arrange for 5 of its 12 clients within 72 hours.
    people += [one(f"BWD{i:02d}", f"Neighbour Client {i}", "OTHER_ENGLISH_LA_ARRANGED",
                   "PLACING_AUTHORITY_LEAD" if i <= 5 else "S48", placingAuthorityName=BWD,
                   placingAuthorityCanArrangeBeforeCessation=i <= 5, significantWellbeingImpact=True)
               for i in range(1, 13)]
    return people


def test_e3_home_care_ceases_in_72_hours(pf: PF) -> None:
    incident = pf.notify("PRV-SWIFT", providerName="Swiftcare Ltd", eventType="WINDING_UP_ORDER",
                         notificationSource="liquidator")
    pf.triage(incident, providerName="Swiftcare Ltd", serviceType=HOMECARE, eventType="WINDING_UP_ORDER",
              approximatePeople=120)
    rules = pf.rules(incident)
    assert rules["ClassifyTriggerEvent"] == [6] and rules["TemporaryDutyTrigger"] == [1]
    summary = pf.instance(incident).summary
    assert summary["dutyBasis"] == "S48_TEMPORARY_DUTY" and summary["dutyRationale"].startswith("Care Act s.48")

    pf.open_closure(incident, day(3))  # the service stops at +72h
    sent = [(m.template, m.recipient) for m in pf.outbox([incident])]
    assert ("M1_ProviderFailureAlert", "icb") in sent and ("M2_ProviderFailureNotice", "cqc") in sent
    assert sorted(r for t, r in sent if t == "M4_NeighbourAuthorityAlert") == sorted(NEIGHBOURS)
    # PF-T4: both closure warnings are due on day 0 (closure - P14D is long past; closure - P3D is today).
    data = pf.data(incident)
    now = datetime.now(timezone.utc)
    assert datetime.fromisoformat(data["warnSqipAt"]) < now
    assert datetime.fromisoformat(data["warnHeadAt"]) - now < timedelta(days=1)
    pf.runtime.fire_due_timers(now=max(datetime.now(timezone.utc), datetime.fromisoformat(data["warnHeadAt"])))
    warnings = [m.payload["level"] for m in pf.outbox([incident]) if m.template == "closure_warning"]
    assert sorted(warnings) == ["HEAD_OF_SERVICE", "SQIP"]

    people = clients()
    r = pf.add_people(incident, [listed(p) for p in people])
    assert r.status_code == 201 and r.json["created"] == 120, r.json
    cases = pf.children(incident)
    answers = {"pp_transfer": {"serviceStartDate": day(2)},  # framework care starts before the +72h stop
               "pp_coordinate": {"placingAuthorityTakesOver": True, "contact": "Duty team, " + BWD}}
    for p in people:
        pf.work_person(cases[p["personRef"]].id, record(p), answers)

    ended = {ref: pf.instance(c.id).summary for ref, c in cases.items()}
    by_ref = {ref: (s["primaryAction"], s["endReason"], s["chargeTo"]) for ref, s in ended.items()}
    framework = ("ARRANGE_HOMECARE_FRAMEWORK", "E1")
    assert all(by_ref[f"LCC{i:02d}"] == (*framework, "EXISTING_COUNCIL_CHARGING") for i in range(1, 69))
    assert all(by_ref[f"DP{i:02d}"] == (*framework, "EXISTING_COUNCIL_CHARGING") for i in range(1, 11))
    assert all(by_ref[f"BWD{i:02d}"] == ("COORDINATE_WITH_PLACING_AUTHORITY", "E2", "NO_CHARGE") for i in range(1, 6))
    assert all(by_ref[f"BWD{i:02d}"] == (*framework, "RECHARGE_ARRANGING_AUTHORITY") for i in range(6, 13))
    assert all(by_ref[f"SF{i:02d}"] == ("INFORMATION_AND_ADVICE_ONLY", "E4", "NO_CHARGE") for i in range(1, 19))
    assert all(by_ref[f"SF{i:02d}"] == (*framework, "PERSON_ACTUAL_COST") for i in range(19, 31))
    assert all(s["personLegalBasis"] == "S18_EXISTING" for r, s in ended.items() if r.startswith(("LCC", "DP")))

    # DMN-02: five CRITICAL by rule 2 (PT24H); the rest with a wellbeing impact URGENT by rule 7 (P3D).
    urgency = {ref: pf.rules(c.id)["UrgencyOfNeeds"] for ref, c in cases.items()}
    assert {ref for ref, rules in urgency.items() if rules == [2]} == HEALTH_RISK
    assert all(ended[ref]["urgency"] == "CRITICAL" for ref in HEALTH_RISK)
    wellbeing = [ref for ref, p in ((p["personRef"], p) for p in people)
                 if p.get("significantWellbeingImpact") and ref not in HEALTH_RISK]
    assert len(wellbeing) == 97 and all(urgency[ref] == [7] for ref in wellbeing)
    assert all(pf.data(cases[ref].id)["responseWithin"] == "P3D" for ref in ("LCC10", "BWD06", "SF20"))
    assert Counter(s["urgency"] for s in ended.values()) == {"URGENT": 97, "CRITICAL": 5, "ROUTINE": 18}
    action_rules = Counter(pf.rules(c.id)["ProviderFailurePersonAction"][-1] for c in cases.values())
    assert action_rules == {7: 97, 3: 5, 4: 18}
    assert pf.rules(cases["BWD06"].id)["TemporaryDutyCharging"] == [7]
    assert pf.rules(cases["SF25"].id)["TemporaryDutyCharging"] == [12]
    assert Counter(s["allocatedRole"] for s in ended.values()) == {"SCSO": 115, "LIAISON_ONLY_QISW": 5}

    # Who is told: M3 for the 12 neighbour clients, M8 for the 8 on district nursing, no GP message (nobody moves).
    messages = pf.outbox([c.id for c in cases.values()])
    told = Counter((m.template, m.recipient) for m in messages)
    assert told[("M3", "PLACING_ENGLISH_COUNCIL")] == 12
    assert {m.payload["personRef"] for m in messages if m.template == "M8"} == DISTRICT_NURSING
    assert told[("M8", "ICB_DISTRICT_NURSING")] == 8
    assert not [m for m in messages if m.template == "M7"]
    assert Counter(m.template for m in messages)["care_navigation_request"] == 97
    assert Counter(m.template for m in messages)["M16_PersonInformationPack"] == 18
    assert not [m for m in messages if m.template == "sla_breach"]  # every new service starts by +72h
    charging = {m.payload["personRef"]: m.payload for m in messages if m.template == "charging_record"}
    assert charging["DP05"]["legalBasis"] == "S18_EXISTING" and charging["SF25"]["financialAssessment"] is True

    # PF-13..PF-15: one recharge to Blackburn with Darwen for 7 people, 12 self-funder charges.
    counts = pf.counts(incident)
    assert (counts["open"], counts["closed"]) == (0, 120)
    assert counts["byEndReason"] == {"E1": 97, "E2": 5, "E4": 18}
    pf.complete(incident, "pf_confirm_end", {"providerStatus": "CEASED", "confirmed": True})
    closed = pf.instance(incident)
    assert closed.status == "completed" and closed.summary["incidentStatus"] == "CLOSED"
    finance = pf.outbox([incident])
    invoices = [m for m in finance if m.template == "M12_RechargeInvoice"]
    assert [(m.recipient, m.payload["chargeTo"]) for m in invoices] == [(BWD, "RECHARGE_ARRANGING_AUTHORITY")]
    assert sorted(invoices[0].payload["people"]) == [f"BWD{i:02d}" for i in range(6, 13)]
    assert sorted(m.payload["personRef"] for m in finance if m.template == "person_charge") == [
        f"SF{i:02d}" for i in range(19, 31)]
