"""Notices and messages about one provider (issue 11): correlation keys as the README says them, further
notices recorded on the incident and decided again (B.2, PF-04), cancelling an incident opened by mistake."""
from __future__ import annotations

from .conftest import PF


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
    assert r.status_code == 200 and r.json["status"] == "terminated", r.json
    assert pf.tasks(incident) == []
    history = pf.api.get(f"/instances/{incident}").json["history"]
    [cancelled] = [h for h in history if h["action"] == "case_cancelled"]
    assert cancelled["actor"] == "quinn.lead" and "another county" in cancelled["data"]["reason"]
    assert pf.api.post(f"/instances/{incident}/cancel", json={"reason": "again"}).status_code == 409
    # Nothing waits for that provider any more: the next notice opens a fresh incident.
    again = pf.message("provider_failure_notified", {"providerRef": "PRV-OOPS"},
                       {"providerName": "Wrong Provider Ltd", "eventType": "ADMINISTRATOR_APPOINTED"})
    assert again["started"] and again["started"] != [incident]
