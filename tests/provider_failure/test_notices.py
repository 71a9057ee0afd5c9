"""Notices and messages about one provider (issue 11): correlation keys as the README says them, further
notices recorded on the incident and decided again (B.2, PF-04), cancelling an incident opened by mistake."""
from __future__ import annotations

from .conftest import PF, day
from .test_unknown_facts import web_worker


def test_correlation_keys_alone_join_the_open_incident(pf: PF) -> None:
    """Following the README: the provider reference is sent as a correlation key, not in the payload."""
    first = pf.message("provider_failure_notified", {"providerRef": "PRV-KEYS"},
                       {"providerName": "Rowan Court Ltd", "eventType": "WINDING_UP_PETITION_ONLY",
                        "notificationSource": "Companies House watch"})
    [incident] = first["started"]
    assert pf.instance(incident).summary["providerRef"] == "PRV-KEYS"
    second = pf.message("provider_failure_notified", {"providerRef": "PRV-KEYS"},
                        {"eventType": "WINDING_UP_ORDER", "notificationSource": "administrator"})
    assert second == {"correlated": [incident], "started": []}


def test_an_incident_opened_by_mistake_is_cancelled_with_a_reason_and_audited(pf: PF, users) -> None:  # type: ignore[no-untyped-def]
    caseworker = users.make("casey.worker", "caseworker", ("qiss",))
    [incident] = pf.message("provider_failure_notified", {"providerRef": "PRV-OOPS"},
                            {"providerName": "Wrong Provider Ltd", "eventType": "ADMINISTRATOR_APPOINTED"})["started"]
    assert caseworker.post(f"/instances/{incident}/cancel", json={"reason": "wrong provider"}).status_code == 403
    r = pf.api.post(f"/instances/{incident}/cancel", json={"reason": "  "})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "reason"
    r = pf.api.post(f"/instances/{incident}/cancel",
                    json={"reason": "Opened by mistake: the notice was about a provider in another county"})
    assert r.status_code == 200, r.json
    assert pf.instance(incident).status == "terminated" and pf.tasks(incident) == []
    history = pf.api.get(f"/instances/{incident}").json["history"]
    [cancelled] = [h for h in history if h["action"] == "instance_cancelled"]
    assert cancelled["actor"] == "quinn.lead" and "another county" in cancelled["data"]["reason"]
    assert pf.api.post(f"/instances/{incident}/cancel", json={"reason": "again"}).status_code == 409
    # Nothing waits for that provider any more: the next notice opens a fresh incident.
    again = pf.message("provider_failure_notified", {"providerRef": "PRV-OOPS"},
                       {"providerName": "Wrong Provider Ltd", "eventType": "ADMINISTRATOR_APPOINTED"})
    assert again["started"] and again["started"] != [incident]


def test_a_three_notice_storm_is_recorded_on_the_incident_and_decided_again(pf: PF) -> None:
    """A petition (no business failure, service continues: no intervention), then another council's notice
    of a winding-up order with the service ceasing (business failure: s.48), then the administrator."""
    incident = pf.notify("PRV-STORM", providerName="Larch Care Group", eventType="WINDING_UP_PETITION_ONLY",
                         notificationSource="Companies House watch")
    pf.triage(incident, providerName="Larch Care Group", eventType="WINDING_UP_PETITION_ONLY",
              serviceStatus="CONTINUING", unableToCarryOn=False)
    assert pf.rules(incident)["TemporaryDutyTrigger"] == [8]
    assert [t["name"] for t in pf.tasks(incident)] == ["pf_no_intervention"]
    second = pf.message("provider_failure_notified", {"providerRef": "PRV-STORM"},
                        {"eventType": "WINDING_UP_ORDER", "serviceStatus": "CEASING",
                         "notificationSource": "Blackpool Council"})
    assert second == {"correlated": [incident], "started": []}
    assert pf.rules(incident)["ClassifyTriggerEvent"] == [14, 6]  # DMN-01a again, on the stronger trigger
    assert pf.rules(incident)["TemporaryDutyTrigger"] == [8, 1]  # and DMN-01: now the s.48 duty
    assert [t["name"] for t in pf.tasks(incident)] == ["pf_meeting"]
    third = pf.message("provider_failure_notified", {"providerRef": "PRV-STORM"},
                       {"eventType": "ADMINISTRATOR_APPOINTED", "notificationSource": "administrator"})
    assert third["correlated"] == [incident]
    # During the set-up tasks (PF-06 to PF-09) decided again too (issue 10): still the s.48 duty, so no change.
    assert pf.rules(incident)["TemporaryDutyTrigger"] == [8, 1, 1]
    case = pf.api.get(f"/instances/{incident}").json
    data = case["data"]
    # Every further notice is in the incident's own data, as the API shows it.
    assert [(n["type"], n["source"]) for n in data["noticeLog"]] == [
        ("WINDING_UP_ORDER", "Blackpool Council"), ("ADMINISTRATOR_APPOINTED", "administrator")]
    # The change of duty basis is recorded with its reason and shown on the case.
    [change] = data["dutyBasisChanges"]
    assert (change["from"], change["to"], change["trigger"]) == (
        "NO_INTERVENTION_PROVIDER_RESPONSIBLE", "S48_TEMPORARY_DUTY", "WINDING_UP_ORDER")
    assert "s.48" in change["reason"]
    assert case["summary"]["dutyBasis"] == "S48_TEMPORARY_DUTY"
    assert case["summary"]["dutyBasisChanges"] == data["dutyBasisChanges"]
    assert [t["name"] for t in pf.tasks(incident)] == ["pf_meeting"]  # the third notice changed nothing
    page = web_worker(pf).get(f"/cases/{incident}").text  # the case page shows the change and its reason
    assert "From: No intervention provider responsible, To: s.48 temporary duty" in page
    assert "Trigger: Winding up order, Reason: Care Act s.48" in page


def test_during_closure_a_further_notice_is_decided_again_and_a_change_recorded(pf: PF) -> None:
    """E4-like: the CQC cancels the registration (s.19(3) power); during the closure an administrator is
    appointed and the service is ceasing: now a business failure, so the s.48 duty (the work goes on)."""
    incident = pf.notify("PRV-MEADOW", providerName="Meadow View", eventType="CQC_DEREGISTRATION_OR_ENFORCEMENT")
    pf.triage(incident, providerName="Meadow View", serviceType="CARE_HOME_NURSING",
              eventType="CQC_DEREGISTRATION_OR_ENFORCEMENT", anyUrgentNeeds=True)
    pf.open_closure(incident, day(21))
    assert pf.instance(incident).summary["dutyBasis"] == "S19_POWER_URGENT_NEEDS"
    pf.message("provider_failure_notified", {"providerRef": "PRV-MEADOW"},
               {"eventType": "ADMINISTRATOR_APPOINTED", "serviceStatus": "CEASING",
                "notificationSource": "administrator"})
    rules = pf.rules(incident)
    assert rules["ClassifyTriggerEvent"] == [17, 1] and rules["TemporaryDutyTrigger"] == [4, 1]
    data = pf.data(incident)
    [change] = data["dutyBasisChanges"]
    assert (change["from"], change["to"], change["trigger"]) == (
        "S19_POWER_URGENT_NEEDS", "S48_TEMPORARY_DUTY", "ADMINISTRATOR_APPOINTED")
    assert "reg 2(2)(a)" in change["reason"] and "work continues" in change["reason"]
    assert [n["type"] for n in data["noticeLog"]] == ["ADMINISTRATOR_APPOINTED"]
    assert "pf_confirm_end" not in [t["name"] for t in pf.tasks(incident)]  # the closure goes on
    assert pf.waits_for(incident, "person_cases_all_closed")
