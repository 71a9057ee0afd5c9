"""Urgency reaches the work (issue 11): a CRITICAL person (respond within PT24H, DMN-02) gets tasks due at a
date and time a day away, the inbox shows that time, and the overdue escalation follows it."""
from __future__ import annotations

from datetime import datetime, timedelta

from workflows.timers import escalate_overdue_tasks

from .conftest import PF, day
from .test_unknown_facts import web_worker

RECORD = {"role": "ADULT", "fundingCategory": "LCC_ARRANGED", "serviceType": "HOMECARE",
          "personLegalBasis": "S18_EXISTING", "riskToLife": False, "safeguardingRisk": False,
          "significantWellbeingImpact": False, "providerArrangementSatisfactory": False, "personArrangesOwn": False}


def test_a_critical_person_gets_work_due_within_a_day_and_escalated_after(pf: PF) -> None:
    incident = pf.notify("PRV-URGENT", providerName="Swiftcare Ltd", eventType="WINDING_UP_ORDER")
    pf.triage(incident, providerName="Swiftcare Ltd", serviceType="HOMECARE", eventType="WINDING_UP_ORDER")
    pf.open_closure(incident, day(10))
    pf.add_people(incident, [
        {"personRef": "INS1", "personName": "Ivy Example", "role": "ADULT", "fundingCategory": "LCC_ARRANGED",
         "serviceType": "HOMECARE", "immediateSignificantHealthRisk": True},
        {"personRef": "RT1", "personName": "Rex Example", "role": "ADULT", "fundingCategory": "LCC_ARRANGED",
         "serviceType": "HOMECARE"}])
    cases = pf.children(incident)
    critical, routine = cases["INS1"].id, cases["RT1"].id
    before = datetime.now().astimezone()
    pf.complete(critical, "pp_record", {**RECORD, "immediateSignificantHealthRisk": True})
    pf.complete(routine, "pp_record", {**RECORD, "immediateSignificantHealthRisk": False})
    assert pf.instance(critical).summary["urgency"] == "CRITICAL"
    [involve] = pf.tasks(critical)
    due = datetime.fromisoformat(involve["dueAt"])
    assert timedelta(hours=23, minutes=50) < due - before < timedelta(hours=24, minutes=10)  # PT24H, to the minute
    [routine_task] = pf.tasks(routine)
    assert timedelta(days=13) < datetime.fromisoformat(routine_task["dueAt"]) - before <= timedelta(days=14, hours=1)
    inbox = web_worker(pf).get("/").text
    assert "Ivy Example" in inbox and ("am" in inbox or "pm" in inbox)  # the inbox shows the time it is due
    assert escalate_overdue_tasks(pf.runtime, now=due + timedelta(minutes=1)) == 1  # only the critical one
    # Later work for the critical person is due as fast.
    pf.complete(critical, "pp_involve", {"substantialDifficultyAny": False, "hasAppropriateCandidate": True})
    [agree] = pf.tasks(critical)
    assert agree["name"] == "pp_agree"
    assert datetime.fromisoformat(agree["dueAt"]) - datetime.now().astimezone() < timedelta(hours=24, minutes=5)
