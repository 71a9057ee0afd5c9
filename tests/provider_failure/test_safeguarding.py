"""Safeguarding concerns at any time (B.5, M10): on a person case and on the incident itself. Every concern is
referred with its own text (a message's payload wins over older values of the same name)."""
from __future__ import annotations

from .conftest import PF, at_day, day
from .people import listed, person

HOME = "CARE_HOME_RESIDENTIAL"


def referrals(pf: PF, instance_id: str) -> list[dict]:
    return [m.payload for m in pf.outbox([instance_id]) if m.template == "M10_SafeguardingReferral"]


def test_person_case_referral_carries_its_concern(pf: PF) -> None:
    incident = pf.notify("PRV-SG-P", providerName="Birchwood Care Ltd")
    pf.triage(incident, providerName="Birchwood Care Ltd")
    pf.open_closure(incident, day(21))
    resident = person("R1", "Rowan Example", "LCC_ARRANGED", HOME, "S18_EXISTING")
    assert pf.add_people(incident, [listed(resident)]).status_code == 201
    case = pf.children(incident)["R1"]
    for text in ("Unexplained bruising on both arms", "Medication not given for two days"):
        result = pf.message("safeguarding_concern", {"caseReference": case.case_reference}, {"concern": text})
        assert result["correlated"] == [case.id]
    sent = referrals(pf, case.id)
    assert [r["concern"] for r in sent] == ["Unexplained bruising on both arms", "Medication not given for two days"]
    assert all(r["personRef"] == "R1" and r["caseReference"] == case.case_reference for r in sent)


def test_incident_concerns_each_refer_their_own_text_and_open_a_qiss_task(pf: PF) -> None:
    incident = pf.notify("PRV-SG-I", providerName="Larch House Ltd")
    pf.triage(incident, providerName="Larch House Ltd")
    case = pf.instance(incident).case_reference
    first = pf.message("safeguarding_concern", {"caseReference": case},
                       {"concern": "Night staffing below safe levels", "risk": "HIGH", "peopleAffected": 14,
                        "raisedBy": "CQC inspector"})
    assert first["correlated"] == [incident] and first["started"] == []
    second = pf.message("safeguarding_concern", {"caseReference": case},
                        {"concern": "Residents' money held without records"})
    assert second["correlated"] == [incident]
    sent = referrals(pf, incident)
    assert [(r["number"], r["concern"], r["risk"], r["peopleAffected"], r["raisedBy"]) for r in sent] == [
        (1, "Night staffing below safe levels", "HIGH", 14, "CQC inspector"),
        (2, "Residents' money held without records", None, None, None)]  # nothing carried over from the first
    assert all(r["caseReference"] == case and r["providerRef"] == "PRV-SG-I" for r in sent)
    [recipient] = {m.recipient for m in pf.outbox([incident]) if m.template == "M10_SafeguardingReferral"}
    assert recipient == "safeguarding_enquiry_service"
    reviews = [t for t in pf.tasks(incident) if t["name"] == "pf_sg_review"]
    assert len(reviews) == 2 and {t["candidateGroup"] for t in reviews} == {"qiss"}
    texts = sorted(pf.runtime.task_data(t["id"])["safeguardingReferral"]["concern"] for t in reviews)
    assert texts == ["Night staffing below safe levels", "Residents' money held without records"]
    bad = pf.api.post(f"/tasks/{reviews[0]['id']}/complete", json={"data": {"enquiryRequested": "maybe"}})
    assert bad.status_code == 422
    for task in reviews:
        r = pf.api.post(f"/tasks/{task['id']}/complete", json={"data": {"enquiryRequested": True,
                                                                     "immediateActions": "Agency nurses booked"}})
        assert r.status_code == 200, r.json
    # The main path went on regardless: the closure project is next.
    assert [t["name"] for t in pf.tasks(incident)] == ["pf_meeting"]
    unknown = pf.api.post("/messages", json={"name": "safeguarding_concern", "correlationKeys": {
        "caseReference": "CF-NOPE"}, "payload": {"concern": "x"}})
    assert unknown.status_code == 404


def test_a_monitored_incident_keeps_an_open_concern_across_its_fresh_instance(pf: PF) -> None:
    incident = pf.notify("PRV-SG-M", providerName="Hazel Homecare", eventType="ADMINISTRATOR_APPOINTED",
                         monitorRoundsPerInstance=2)
    pf.triage(incident, providerName="Hazel Homecare", serviceType="HOMECARE", serviceStatus="CONTINUING",
              unableToCarryOn=False)
    case = pf.instance(incident).case_reference
    pf.message("safeguarding_concern", {"caseReference": case}, {"concern": "Missed insulin visits"})
    for week in range(1, 5):  # rounds 2 and 4 would continue in a fresh instance: not while QISS has the concern
        pf.runtime.fire_due_timers(now=at_day(7 * week + 1))
    assert pf.current(incident).id == incident
    [review] = [t for t in pf.tasks(incident) if t["name"] == "pf_sg_review"]
    pf.complete(incident, "pf_sg_review", {"enquiryRequested": False, "notes": "Provider retrained staff"})
    pf.runtime.fire_due_timers(now=at_day(7 * 5 + 1))
    fresh = pf.current(incident)
    assert fresh.id != incident and fresh.status == "running" and fresh.summary["monitorRounds"] == 5
    pf.message("safeguarding_concern", {"caseReference": case}, {"concern": "Carer arrived intoxicated"})
    assert [r["concern"] for r in referrals(pf, fresh.id)] == ["Carer arrived intoxicated"]
    assert review["id"] not in {t["id"] for t in pf.tasks(fresh.id)}
