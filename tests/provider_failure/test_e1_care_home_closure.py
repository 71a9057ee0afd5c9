"""E1: a 40-bed care home closes after administration (mixed funding), worked end to end."""
from __future__ import annotations

from collections import Counter

from tests.timers.servers import SmtpSink

from .conftest import PF, at_day, day
from .delivery import deliver_everything, failed_deliveries, smtp_server  # noqa: F401  (the smtp fixture)

HOME = "CARE_HOME_RESIDENTIAL"
W1 = "Cyngor Sir Enghraifft (W1)"


def person(ref: str, name: str, funding: str, **facts: object) -> dict:
    return {"personRef": ref, "personName": name, "role": "ADULT", "fundingCategory": funding, "serviceType": HOME,
            **facts}


def record(p: dict, **extra: object) -> dict:
    base = {k: p[k] for k in ("personName", "role", "fundingCategory", "serviceType")}
    flags = ("riskToLife", "immediateSignificantHealthRisk", "safeguardingRisk", "significantWellbeingImpact",
             "providerArrangementSatisfactory", "personArrangesOwn", "placingAuthorityCanArrangeBeforeCessation",
             "lacksCapacity", "complexNeeds")
    basis = {"NHS_CHC": "NHS", "LCC_ARRANGED": "S18_EXISTING", "WALES_LA": "PLACING_AUTHORITY_LEAD"}
    out = {**base, **{f: bool(p.get(f, False)) for f in flags},
           "personLegalBasis": basis.get(p["fundingCategory"], "S48")}
    if p.get("placingAuthorityName"):
        out["placingAuthorityName"] = p["placingAuthorityName"]
    return {**out, **extra}


def residents() -> list[dict]:
    people = [person(f"SF{i}", f"Self Funder {i}", "SELF_FUNDED", personArrangesOwn=i <= 4) for i in range(1, 7)]
    people += [person(f"WL{i}", f"Welsh Resident {i}", "WALES_LA", placingAuthorityName=W1,
                      placingAuthorityCanArrangeBeforeCessation=i <= 2) for i in range(1, 4)]
    people += [person(f"CHC{i}", f"Health Funded {i}", "NHS_CHC") for i in range(1, 3)]
    people += [person("MRA", "Arthur Example", "LCC_ARRANGED", lacksCapacity=True)]
    people += [person(f"LCC{i:02d}", f"Council Resident {i}", "LCC_ARRANGED") for i in range(1, 29)]
    return people


def test_e1_forty_residents_each_worked_to_the_end(pf: PF) -> None:
    incident = pf.notify("PRV-OAK", providerName="Oakfield House Ltd", eventType="ADMINISTRATOR_APPOINTED",
                         notificationSource="administrator")
    pf.triage(incident)
    decisions = pf.rules(incident)
    assert decisions["ClassifyTriggerEvent"] == [1] and decisions["TemporaryDutyTrigger"] == [1]
    assert pf.instance(incident).summary["dutyBasis"] == "S48_TEMPORARY_DUTY"
    pf.open_closure(incident, day(21))
    sent = Counter(m.template for m in pf.outbox([incident]))
    assert sent["M1_ProviderFailureAlert"] == 1 and sent["M2_ProviderFailureNotice"] == 1

    people = residents()
    r = pf.add_people(incident, people)
    assert r.status_code == 201 and r.json["created"] == 40, r.json
    cases = pf.children(incident)
    assert len(cases) == 40 and pf.counts(incident)["open"] == 40

    mr_a_involvement = {"substantialDifficultyAny": True, "hasAppropriateCandidate": False,
                        "lacksCapacityForAccommodationDecision": True, "onlyPaidCarersToConsult": True}
    for p in people:
        answers = {"pp_involve": mr_a_involvement} if p["personRef"] == "MRA" else {}
        pf.work_person(cases[p["personRef"]].id, record(p), answers)

    ended = {ref: pf.instance(c.id).summary for ref, c in cases.items()}
    by_ref = {ref: (s["primaryAction"], s["endReason"], s["chargeTo"]) for ref, s in ended.items()}
    for i in range(1, 5):
        assert by_ref[f"SF{i}"] == ("INFORMATION_AND_ADVICE_ONLY", "E4", "NO_CHARGE")
    for i in (5, 6):
        assert by_ref[f"SF{i}"] == ("ARRANGE_CARE_HOME", "E1", "PERSON_ACTUAL_COST")
    assert by_ref["WL1"] == by_ref["WL2"] == ("COORDINATE_WITH_PLACING_AUTHORITY", "E2", "NO_CHARGE")
    assert by_ref["WL3"] == ("ARRANGE_CARE_HOME", "E1", "RECHARGE_WELSH_LA")
    assert by_ref["CHC1"] == by_ref["CHC2"] == ("ALERT_ICB_CHC", "E3", "NO_LA_CHARGE_ICB_ARRANGES")
    assert by_ref["MRA"] == ("ARRANGE_CARE_HOME", "E1", "EXISTING_COUNCIL_CHARGING")
    assert all(by_ref[f"LCC{i:02d}"] == ("ARRANGE_CARE_HOME", "E1", "EXISTING_COUNCIL_CHARGING") for i in range(1, 29))
    assert all(s["urgency"] == "ROUTINE" for s in ended.values())
    assert ended["MRA"]["allocatedRole"] == "SOCIAL_WORKER" and ended["MRA"]["advocateRequired"] is True
    assert Counter(s["allocatedRole"] for s in ended.values())["SCSO"] >= 28

    mr_a = pf.rules(cases["MRA"].id)
    assert mr_a["AppropriateIndividualTest"] == [3] and mr_a["IndependentAdvocateRequired"] == [2]
    assert mr_a["AllocateWorker"] == [2] and mr_a["TemporaryDutyCharging"] == [11]
    assert mr_a["ReviewScheduling"] == [10, 11]
    assert pf.data(cases["MRA"].id)["considerIMCA"] is True
    wl3 = pf.rules(cases["WL3"].id)
    assert wl3["ProviderFailurePersonAction"] == [6] and wl3["TemporaryDutyCharging"] == [8]
    assert pf.rules(cases["CHC1"].id)["TemporaryDutyCharging"] == [4]

    messages = pf.outbox([c.id for c in cases.values()])
    told = Counter((m.template, m.recipient) for m in messages)
    assert told[("M3", "PLACING_WELSH_COUNCIL")] == 3
    assert told[("M11", "ICB_CHC_TEAM")] == 2
    assert told[("M9", "ADVOCACY_SERVICE")] == 1
    movers = sum(1 for s in ended.values() if s["primaryAction"] == "ARRANGE_CARE_HOME")
    assert movers == 2 + 1 + 1 + 28 and told[("M7", "GP")] == movers
    assert Counter(m.template for m in messages)["care_navigation_request"] == movers
    assert Counter(m.template for m in messages)["M16_PersonInformationPack"] == 4

    # PF-13 .. PF-15: the last person case closing tells the incident; then the end and the invoices.
    counts = pf.counts(incident)
    assert counts["open"] == 0 and counts["closed"] == 40
    assert counts["byEndReason"] == {"E1": 32, "E2": 2, "E3": 2, "E4": 4}
    pf.complete(incident, "pf_confirm_end", {"providerStatus": "CEASED", "confirmed": True})
    closed = pf.instance(incident)
    assert closed.status == "completed" and closed.summary["incidentStatus"] == "CLOSED"
    last = max(s["personDutyEndedAt"] for s in ended.values())
    assert closed.summary["dutyEndedAt"] == last
    finance = [m for m in pf.outbox([incident]) if m.template in ("M12_RechargeInvoice", "person_charge")]
    assert [(m.template, m.recipient) for m in finance if m.template == "M12_RechargeInvoice"] == [
        ("M12_RechargeInvoice", W1)]
    assert finance[0].payload["people"] == ["WL3"]
    assert sorted(m.payload["personRef"] for m in finance if m.template == "person_charge") == ["SF5", "SF6"]
    assert pf.runtime.fire_due_timers(now=at_day(60)) == 0  # nothing left waiting


def test_e1_every_message_of_the_closure_is_delivered(pf: PF, smtp: SmtpSink) -> None:
    """The same closure, then its outbox: e-mail through the SMTP server, every record rendered, none failed."""
    test_e1_forty_residents_each_worked_to_the_end(pf)
    delivered = deliver_everything(pf, smtp)
    assert failed_deliveries(delivered) == []
    assert len(smtp.messages) == sum(1 for m in delivered if m.channel == "email") > 50
