"""The affected-people upload (JSON and CSV), idempotent retries, counts; E2/E2b monitoring (bounded);
E5 no intervention; E6 dispute escalation and statutory referral."""
from __future__ import annotations

from sqlalchemy import func, select

from workflows.models import Instance

from .conftest import PF, at_day, day

GOOD = [{"personRef": "A1", "personName": "Ada Example", "role": "ADULT", "fundingCategory": "SELF_FUNDED",
         "serviceType": "HOMECARE"},
        {"personRef": "A2", "personName": "Ben Example", "role": "CARER", "fundingCategory": "LCC_ARRANGED",
         "serviceType": "HOMECARE"}]


def closing_incident(pf: PF, ref: str = "PRV-SWIFT") -> str:
    incident = pf.notify(ref, providerName="Swiftcare Ltd", eventType="WINDING_UP_ORDER")
    pf.triage(incident, providerName="Swiftcare Ltd", serviceType="HOMECARE", eventType="WINDING_UP_ORDER")
    pf.open_closure(incident, day(3))
    return incident


def test_people_are_refused_before_the_duty_decision(pf: PF) -> None:
    incident = pf.notify("PRV-EARLY", providerName="Early Ltd")
    r = pf.add_people(incident, GOOD)
    assert r.status_code == 409 and "not opening person cases" in r.json["message"]


def test_every_bad_row_is_reported_and_nothing_is_added(pf: PF) -> None:
    incident = closing_incident(pf)
    bad = GOOD + [{"personRef": "A3", "personName": "", "role": "CHILD", "fundingCategory": "SELF_FUNDED",
                   "serviceType": "HOMECARE"},
                  {"personRef": "A1", "personName": "Dup Example", "role": "ADULT", "fundingCategory": "X",
                   "serviceType": "HOMECARE", "riskToLife": "perhaps"}]
    r = pf.add_people(incident, bad)
    assert r.status_code == 422
    problems = {(e["line"], e["field"]) for e in r.json["errors"]}
    assert problems == {(3, "personName"), (3, "role"), (4, "fundingCategory"), (4, "personRef"), (4, "riskToLife")}
    assert "nothing was added" in r.json["message"]
    assert pf.counts(incident)["total"] == 0
    partial = pf.add_people(incident, bad, query_string={"partial": "true"})
    assert partial.status_code == 201 and partial.json["created"] == 2 and len(partial.json["rejected"]) == 5


def test_csv_upload_retry_creates_no_duplicates_and_counts(pf: PF) -> None:
    incident = closing_incident(pf)
    csv = ("personRef,personName,role,fundingCategory,serviceType,receivesCommunityNursing\n"
           "C1,Cara Example,ADULT,LCC_ARRANGED,HOMECARE,yes\n"
           "C2,Dan Example,ADULT,SELF_FUNDED,HOMECARE,no\n")
    post = lambda body: pf.api.client.post(  # noqa: E731
        f"/api/v1/instances/{incident}/affected-people", data=body,
        headers={"Authorization": f"Bearer {pf.api.token}", "Content-Type": "text/csv"})
    first = post(csv)
    assert first.status_code == 201 and first.json["created"] == 2
    again = post(csv + "C3,Eve Example,CARER,WALES_LA,HOMECARE,\n")
    assert again.status_code == 201 and again.json["created"] == 1 and again.json["alreadyOpen"] == 2
    broken = post("personRef,personName,role,fundingCategory,serviceType,shoeSize\nC9,X,ADULT,UNKNOWN,OTHER,9\n")
    assert broken.status_code == 422 and broken.json["errors"][0]["field"] == "shoeSize"
    bad_row = post("personRef,personName,role,fundingCategory,serviceType\n"
                   "C9,X,ADULT,UNKNOWN,OTHER\nC10,,ADULT,,OTHER\n")
    assert bad_row.status_code == 422
    assert {(e["line"], e["field"]) for e in bad_row.json["errors"]} == {(3, "personName"), (3, "fundingCategory")}
    upload = pf.api.client.post(f"/api/v1/instances/{incident}/affected-people",
                                data={"file": (__import__("io").BytesIO(csv.encode()), "people.csv")},
                                headers={"Authorization": f"Bearer {pf.api.token}"},
                                content_type="multipart/form-data")
    assert upload.status_code == 200 and upload.json["created"] == 0 and upload.json["alreadyOpen"] == 2
    counts = pf.counts(incident)
    assert (counts["total"], counts["open"], counts["closed"]) == (3, 3, 0)
    assert set(pf.children(incident)) == {"C1", "C2", "C3"}


def test_e2_monitoring_runs_200_cycles_bounded_then_e2b_ceasing_gives_s48(pf: PF) -> None:
    incident = pf.notify("PRV-BRIGHT", providerName="Brightcare Ltd", eventType="ADMINISTRATOR_APPOINTED")
    pf.triage(incident, providerName="Brightcare Ltd", serviceType="HOMECARE", serviceStatus="CONTINUING",
              unableToCarryOn=False)
    assert pf.rules(incident)["TemporaryDutyTrigger"] == [2]
    assert pf.instance(incident).summary["incidentStatus"] == "MONITORING"
    for week in range(1, 201):
        assert pf.runtime.fire_due_timers(now=at_day(7 * week + 1)) >= 1
    current = pf.current(incident)
    assert current.summary["monitorRounds"] == 200 and current.status == "running"
    with pf.services.db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Instance).where(
            Instance.case_reference == current.case_reference)) == 11  # a fresh instance every 20 rounds
    with pf.services.db.reading() as s:  # the state does not grow with the rounds
        assert len(s.get(Instance, current.id).state) < 400_000
    assert pf.counts(incident)["total"] == 0  # no person cases, nobody moved
    # E2b: the administrator gives notice of ceasing: back to the duty decision, now s.48.
    result = pf.message("provider_service_ceasing", {"providerRef": "PRV-BRIGHT"}, {"serviceStatus": "CEASING"})
    assert result["correlated"] == [current.id]
    assert pf.rules(current.id)["TemporaryDutyTrigger"][-1] == 1
    assert pf.instance(current.id).summary["dutyBasis"] == "S48_TEMPORARY_DUTY"
    assert [t["name"] for t in pf.tasks(current.id)] == ["pf_meeting"]


def test_e2_business_sold_ends_without_duty(pf: PF) -> None:
    incident = pf.notify("PRV-SOLD", providerName="Brightcare Ltd", eventType="ADMINISTRATOR_APPOINTED")
    pf.triage(incident, serviceStatus="CONTINUING", unableToCarryOn=False)
    pf.runtime.fire_due_timers(now=at_day(8))
    pf.message("provider_business_stabilised", {"providerRef": "PRV-SOLD"}, {"soldAs": "going concern"})
    row = pf.instance(incident)
    assert row.status == "completed" and row.summary["dutyBasis"] == "NO_DUTY_SERVICE_CONTINUES"
    assert not [m for m in pf.outbox([incident]) if m.template.startswith(("M12", "M13"))]


def test_e5_strategic_exit_no_intervention(pf: PF) -> None:
    incident = pf.notify("PRV-WILLOW", providerName="Willow Lodge", eventType="STRATEGIC_EXIT")
    pf.triage(incident, providerName="Willow Lodge", eventType="STRATEGIC_EXIT", anyUrgentNeeds=False)
    rules = pf.rules(incident)
    assert rules["ClassifyTriggerEvent"] == [20] and rules["TemporaryDutyTrigger"] == [7]
    pf.complete(incident, "pf_no_intervention", {"rationale": "Provider moves residents to its sister home",
                                                 "councilFundedHandedToWorkers": True})
    row = pf.instance(incident)
    assert row.status == "completed" and row.summary["incidentStatus"] == "NO_INTERVENTION"
    assert pf.counts(incident)["total"] == 0


def test_e6_dispute_escalates_then_refers_and_reclassifies(pf: PF) -> None:
    started = pf.message("placing_authority_dispute", {}, {
        "incidentCaseReference": "CF-E6", "personCaseReference": "CF-E6-P00001", "authorityName": "Council X",
        "issue": "Refuses to pay: says Mrs B became a self-funder", "disputeArisenOn": day(0)})
    dispute = started["started"][0]
    assert [t["name"] for t in pf.tasks(dispute)] == ["pd_negotiate"]
    pf.runtime.fire_due_timers(now=at_day(15))  # PF-T8: the operational window passes
    assert [t["name"] for t in pf.tasks(dispute)] == ["pd_head"]
    assert [m.template for m in pf.outbox([dispute])] == ["M14_DisputeEscalation"]
    pf.runtime.fire_due_timers(now=at_day(125))  # PF-T9: four months after the dispute arose
    assert [m.template for m in pf.outbox([dispute])][-1] == "M15_DisputeDeterminationRequest"
    pf.complete(dispute, "pd_determination", {"resolved": True, "outcome": "PERSON_SELF_FUNDED"})
    assert pf.rules(dispute)["TemporaryDutyCharging"] == [12]
    charge = pf.outbox([dispute])[-1]
    assert (charge.template, charge.payload["chargeTo"], charge.payload["financialAssessment"]) == (
        "person_charge", "PERSON_ACTUAL_COST", True)
    assert pf.instance(dispute).status == "completed"
