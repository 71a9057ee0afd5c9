"""Messages to a role need an address (issue 11): the recipient directory an admin keeps; a message with no
address is an incident on its step at once, and retrying it after the address is added sends it."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workflows.models import Incident
from workflows.outbox import OutboxDispatcher

from .conftest import PF, day, seed_directory

RECORD = {"personName": "Sean Example", "role": "ADULT", "fundingCategory": "LCC_ARRANGED",
          "serviceType": "SUPPORTED_LIVING", "personLegalBasis": "S18_EXISTING", "riskToLife": False,
          "immediateSignificantHealthRisk": False, "safeguardingRisk": False, "significantWellbeingImpact": False,
          "providerArrangementSatisfactory": False, "personArrangesOwn": False, "s117": True,
          "s117ResponsibleAuthorityIsThisCouncil": False}


def test_no_address_is_an_incident_at_once_and_a_retry_sends_it(pf: PF, users: Any) -> None:
    with pf.services.db.transaction() as s:  # this council has no address for the responsible council yet
        from workflows.recipients import remove_entry
        remove_entry(s, "S117_RESPONSIBLE_COUNCIL")
    admin = users.make("ada.admin", "admin", ("admins",))
    incident = pf.notify("PRV-S117", providerName="Heather Lane Supported Living", eventType="WINDING_UP_ORDER")
    pf.triage(incident, providerName="Heather Lane Supported Living", serviceType="SUPPORTED_LIVING",
              eventType="WINDING_UP_ORDER")
    pf.open_closure(incident, day(20))
    pf.add_people(incident, [{"personRef": "S117A", "personName": "Sean Example", "role": "ADULT",
                              "fundingCategory": "LCC_ARRANGED", "serviceType": "SUPPORTED_LIVING", "s117": True}])
    case = pf.children(incident)["S117A"].id
    pf.complete(case, "pp_record", RECORD)
    pf.complete(case, "pp_involve", {"substantialDifficultyAny": False, "hasAppropriateCandidate": True})
    assert pf.instance(case).status == "incident"
    listed = admin.get("/incidents").json["incidents"]
    [found] = [i for i in listed if i["instanceId"] == case]
    assert "No address for 'S117_RESPONSIBLE_COUNCIL'" in found["message"]
    # The health team's message went; nothing was queued for the council without an address.
    assert [(m.template, m.recipient) for m in pf.outbox([case])] == [("M1", "S117_HEALTH_TEAM")]

    assert admin.put("/recipients/S117_RESPONSIBLE_COUNCIL", json={"address": "not an address"}).status_code == 422
    assert pf.api.put("/recipients/S117_RESPONSIBLE_COUNCIL",
                      json={"address": "aftercare@east-example.example.org"}).status_code == 403
    r = admin.put("/recipients/S117_RESPONSIBLE_COUNCIL", json={"address": "aftercare@east-example.example.org",
                                                               "note": "Invented council responsible under s.117"})
    assert r.status_code == 200 and r.json["updatedBy"] == "ada.admin"
    assert admin.post(f"/incidents/{found['id']}/retry", json={}).json["status"] == "running"
    assert [(m.template, m.recipient) for m in pf.outbox([case]) if m.template == "M1"] == [
        ("M1", "S117_HEALTH_TEAM"), ("M1", "S117_RESPONSIBLE_COUNCIL")]
    assert [t["name"] for t in pf.tasks(case)] == ["pp_agree"]  # the case moved on
    # Delivery looks the address up in the directory as it is now.
    dispatcher = OutboxDispatcher(pf.services.db, {})
    deliveries = [dispatcher.claim() for _ in range(len(pf.outbox()))]
    assert {d.recipient: d.recipients for d in deliveries if d.instance_id == case and d.template == "M1"} == {
        "S117_HEALTH_TEAM": ("s117.aftercare@icb.example.org",),
        "S117_RESPONSIBLE_COUNCIL": ("aftercare@east-example.example.org",)}
    with pf.services.db.reading() as s:
        assert [i.state for i in s.scalars(select(Incident).where(Incident.instance_id == case))] == ["resolved"]
    assert {e["name"] for e in admin.get("/recipients").json["recipients"]} >= {"S117_HEALTH_TEAM", "GP"}
    assert admin.client.delete("/api/v1/recipients/Nobody%20Here",
                               headers={"Authorization": f"Bearer {admin.token}"}).status_code == 404


def test_demo_seed_keeps_an_admins_change(pf: PF, users: Any) -> None:
    admin = users.make("ada.admin", "admin", ("admins",))
    admin.put("/recipients/GP", json={"address": "practice.manager@surgery.example.org"})
    seed_directory(pf.app)
    [gp] = [e for e in admin.get("/recipients").json["recipients"] if e["name"] == "GP"]
    assert gp["address"] == "practice.manager@surgery.example.org"
