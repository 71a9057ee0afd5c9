"""A supported-living provider fails (issue 11 scenario, invented people): tenants placed by a Scottish
council, s.117 aftercare for which this council or another is responsible, a carer whose support the
provider gave, and a terminally ill self-funder. Worked end to end through the API, to PF-13 and PF-14."""
from __future__ import annotations

from collections import Counter
from typing import Any

from .conftest import PF, day
from .people import listed, person, record

SL = "SUPPORTED_LIVING"
SCOT = "Comhairle Enghreifftiche (invented Scottish council)"
EAST = "East Example Council"  # invented: responsible for Tomasz's s.117 aftercare
PEOPLE = [
    person("SC1", "Eilidh Example", "SCOTLAND_LA", SL, "PLACING_AUTHORITY_LEAD", placingAuthorityName=SCOT,
           placingAuthorityCanArrangeBeforeCessation=True, hasCarerOrRepresentative=True),
    person("SC2", "Callum Example", "SCOTLAND_LA", SL, "PLACING_AUTHORITY_LEAD", placingAuthorityName=SCOT,
           placingAuthorityCanArrangeBeforeCessation=True),
    person("MH1", "Priya Example", "S117_AFTERCARE", SL, "S18_EXISTING", s117=True,
           s117ResponsibleAuthorityIsThisCouncil=True),
    person("MH2", "Tomasz Example", "S117_AFTERCARE", SL, "S48", s117=True, s117ResponsibleAuthorityIsThisCouncil=False,
           placingAuthorityName=EAST),
    person("CR1", "Dana Example", "LCC_ARRANGED", SL, "S18_EXISTING", role="CARER", significantWellbeingImpact=True),
    person("TI1", "Harold Example", "SELF_FUNDED", SL, "S48", terminallyIll=True, hasCarerOrRepresentative=True),
]


def test_supported_living_failure_with_scottish_placements_s117_a_carer_and_a_terminally_ill_self_funder(
        pf: PF, users: Any) -> None:
    admin = users.make("ada.admin", "admin", ("admins",))
    assert admin.put(f"/recipients/{EAST}", json={"address": "aftercare@east.example.org"}).status_code == 200
    incident = pf.notify("PRV-HEATHER", providerName="Heather Lane Supported Living", eventType="WINDING_UP_ORDER",
                         notificationSource="administrator")
    pf.triage(incident, providerName="Heather Lane Supported Living", serviceType=SL, eventType="WINDING_UP_ORDER")
    pf.open_closure(incident, day(12))
    r = pf.add_people(incident, [listed(p) for p in PEOPLE])
    assert r.status_code == 201 and r.json["created"] == 6, r.json
    cases = pf.children(incident)
    for p in PEOPLE:
        answers = {}
        if p["personRef"] == "SC2":  # Scotland first says it can arrange, then cannot before the care stops
            answers = {"pp_coordinate": {"placingAuthorityTakesOver": False}}
        pf.work_person(cases[p["personRef"]].id, record(p), answers)

    ended = {ref: pf.instance(c.id).summary for ref, c in cases.items()}
    got = {ref: (s["primaryAction"], s["endReason"], s["chargeTo"]) for ref, s in ended.items()}
    assert got["SC1"] == ("COORDINATE_WITH_PLACING_AUTHORITY", "E2", "NO_CHARGE")
    assert got["SC2"] == ("ARRANGE_SUPPORTED_LIVING_CARE", "E1", "RECHARGE_SCOTTISH_LA")
    assert got["MH1"][:2] == got["MH2"][:2] == ("ARRANGE_SUPPORTED_LIVING_CARE", "E1")
    assert got["MH1"][2] != got["MH2"][2]  # s.117 costs follow the responsible authority (DMN-06)
    assert got["CR1"] == ("ARRANGE_SUPPORTED_LIVING_CARE", "E1", "EXISTING_COUNCIL_CHARGING")
    assert got["TI1"] == ("ARRANGE_SUPPORTED_LIVING_CARE", "E1", "PERSON_ACTUAL_COST")
    assert ended["TI1"]["urgency"] == "URGENT" and pf.rules(cases["TI1"].id)["UrgencyOfNeeds"] == [6]
    assert ended["CR1"]["role"] == "CARER" and ended["CR1"]["urgency"] == "URGENT"

    told = Counter((m.template, m.recipient) for m in pf.outbox([c.id for c in cases.values()]))
    assert told[("M3", "PLACING_SCOTTISH_COUNCIL")] == 2  # once each, though SC2's case decided twice
    assert told[("M1", "S117_HEALTH_TEAM")] == 2
    assert told[("M1", "S117_RESPONSIBLE_COUNCIL")] == 1  # only where another council is responsible
    assert told[("M16", "CARER_OR_REPRESENTATIVE")] == 2
    assert told[("M7", "GP")] == 0  # supported living: the tenancy stays, nobody moves

    counts = pf.counts(incident)
    assert (counts["open"], counts["closed"]) == (0, 6)
    pf.complete(incident, "pf_confirm_end", {"providerStatus": "CEASED", "confirmed": True})
    closed = pf.instance(incident)
    assert closed.status == "completed" and closed.summary["incidentStatus"] == "CLOSED", (pf.incidents(), got)
    finance = [(m.template, m.recipient) for m in pf.outbox([incident])
               if m.template in ("M12_RechargeInvoice", "person_charge")]
    assert ("M12_RechargeInvoice", SCOT) in finance and ("M12_RechargeInvoice", EAST) in finance
    assert ("person_charge", "finance") in finance
