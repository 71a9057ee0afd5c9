"""The notice period moves (issue 10): a further notice or QISS changes the closure date, and the incident's
closure timers and its open person cases follow, each move in the chronology; a date that changes nothing
says so and records nothing (B.7 PF-T3/PF-T4, PF-06 to PF-09, PP-10b)."""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from workflows.models import AuditEvent, TimerRow

from .conftest import PF, at_day, day
from .test_unknown_facts import web_worker

PERSON = {"role": "ADULT", "fundingCategory": "SELF_FUNDED", "serviceType": "CARE_HOME_RESIDENTIAL"}
RECORD = {"role": "ADULT", "fundingCategory": "LCC_ARRANGED", "serviceType": "CARE_HOME_RESIDENTIAL",
          "personLegalBasis": "S18_EXISTING", "riskToLife": False, "safeguardingRisk": False,
          "immediateSignificantHealthRisk": False,
          "significantWellbeingImpact": False, "providerArrangementSatisfactory": False, "personArrangesOwn": False}


def closing(n: int) -> datetime:
    """PF-T3: the closure date at 17:00 (UTC), as the diagram sets it."""
    return datetime.fromisoformat(day(n) + "T17:00:00+00:00")


def timers(pf: PF, instance_id: str) -> dict[str, list[TimerRow]]:
    with pf.services.db.reading() as s:
        rows = s.scalars(select(TimerRow).where(TimerRow.instance_id == instance_id)).all()
        for r in rows:
            s.expunge(r)
    out: dict[str, list[TimerRow]] = {}
    for r in rows:
        out.setdefault(r.element_id, []).append(r)
    return out


def due(pf: PF, instance_id: str, element: str) -> datetime:
    [row] = timers(pf, instance_id)[element]
    return row.due_at if row.due_at.tzinfo else row.due_at.replace(tzinfo=timezone.utc)


def date_changes(pf: PF, instance_id: str) -> list[dict[str, Any]]:
    with pf.services.db.reading() as s:
        return [e.data for e in s.scalars(select(AuditEvent).where(
            AuditEvent.instance_id == instance_id, AuditEvent.action == "case_date_changed").order_by(AuditEvent.id))]


def notice(pf: PF, ref: str, closure: str, **more: Any) -> dict[str, Any]:
    return pf.message("provider_failure_notified", {"providerRef": ref},
                      {"eventType": "ADMINISTRATOR_APPOINTED", "notificationSource": "administrator",
                       "closureDate": closure, **more})


def active_incident(pf: PF, ref: str, closure: int, people: int = 2) -> tuple[str, dict[str, str]]:
    incident = pf.notify(ref, providerName="Hollybank Care Ltd", eventType="ADMINISTRATOR_APPOINTED")
    pf.triage(incident, providerName="Hollybank Care Ltd")
    pf.open_closure(incident, day(closure))
    r = pf.add_people(incident, [{"personRef": f"{ref}-{i}", "personName": f"Person {i} Example", **PERSON}
                                 for i in range(people)])
    assert r.status_code in (201, 202), r.json
    if r.status_code == 202:  # a long list: its cases open in the background, as a worker would open them
        pf.runtime.run_due_follow_ups()
    return incident, {k: v.id for k, v in pf.children(incident).items()}


def test_brought_forward_the_timers_fire_at_the_new_date_only_and_person_cases_follow(pf: PF) -> None:
    incident, cases = active_incident(pf, "PRV-FWD", 40)
    before = timers(pf, incident)
    assert due(pf, incident, "pf_closure_date") == closing(40)
    answer = notice(pf, "PRV-FWD", day(20))
    assert answer["correlated"] == [incident]
    moved = answer["closureDate"]
    assert (moved["changed"], moved["from"], moved["to"], moved["personCasesMoved"]) == (True, day(40), day(20), 2)
    assert {t["elementId"] for t in moved["timersMoved"]} == {"pf_closure_date", "pf_warn_sqip", "pf_warn_head"}
    after = timers(pf, incident)
    # The same durable rows, moved: none added, none left at the old time.
    assert {k: [r.id for r in v] for k, v in after.items()} == {k: [r.id for r in v] for k, v in before.items()}
    assert due(pf, incident, "pf_closure_date") == closing(20)
    assert due(pf, incident, "pf_warn_sqip") == closing(20) - timedelta(days=14)
    assert due(pf, incident, "pf_warn_head") == closing(20) - timedelta(days=3)
    assert pf.instance(incident).summary["closureDate"] == day(20)
    # The open person cases hold the new date, and DMN-02 reads the new days until care stops.
    for case in cases.values():
        assert pf.instance(case).summary["closureDate"] == day(20)
        assert pf.data(case)["daysUntilCareStops"] == 20
        [change] = date_changes(pf, case)
        assert (change["from"], change["to"]) == (day(40), day(20)) and "administrator" in change["cause"]
    # The clock: nothing at day 5; the SQIP warning at day 6 (20 - 14); the closure at day 20, not day 40.
    pf.runtime.fire_due_timers(now=at_day(5.5) - timedelta(hours=12))
    assert timers(pf, incident)["pf_warn_sqip"][0].state == "waiting"
    pf.runtime.fire_due_timers(now=closing(20) - timedelta(minutes=1))
    assert [r.state for r in timers(pf, incident)["pf_warn_sqip"]] == ["fired"]
    assert [r.state for r in timers(pf, incident)["pf_closure_date"]] == ["waiting"]
    pf.runtime.fire_due_timers(now=closing(20) + timedelta(minutes=1))
    assert [r.state for r in timers(pf, incident)["pf_closure_date"]] == ["fired"]
    pf.runtime.fire_due_timers(now=closing(40) + timedelta(minutes=1))  # the old date: nothing more fires
    fired = [h["elementId"] for h in pf.api.get(f"/instances/{incident}").json["history"]
             if h["action"] == "timer_fired" and h["elementId"].startswith(("pf_closure", "pf_warn"))]
    assert sorted(fired) == ["pf_closure_date", "pf_warn_head", "pf_warn_sqip"]
    # The incident's chronology: the date, old -> new, who moved it; and each timer moved.
    [change] = date_changes(pf, incident)
    assert (change["from"], change["to"], change["by"]) == (day(40), day(20), "quinn.lead")
    page = web_worker(pf).get(f"/cases/{incident}/chronology").text
    old, new = date.fromisoformat(day(40)), date.fromisoformat(day(20))
    assert f"Closure date changed: {old.day} {old:%B %Y} → {new.day} {new:%B %Y}" in page
    assert "Date moved: PF-T3 Closure date" in page and "Further notice (ADMINISTRATOR_APPOINTED)" in page
    assert pf.data(incident)["closureDateChanges"][-1]["to"] == day(20)


def test_pushed_back_the_old_date_no_longer_fires(pf: PF) -> None:
    incident, cases = active_incident(pf, "PRV-BACK", 20)
    answer = notice(pf, "PRV-BACK", day(45))["closureDate"]
    assert answer["changed"] and (answer["from"], answer["to"]) == (day(20), day(45))
    assert due(pf, incident, "pf_closure_date") == closing(45)
    pf.runtime.fire_due_timers(now=closing(20) + timedelta(hours=1))  # the old closure moment
    assert [r.state for r in timers(pf, incident)["pf_closure_date"]] == ["waiting"]
    assert [r.state for r in timers(pf, incident)["pf_warn_head"]] == ["waiting"]  # now day 42
    pf.runtime.fire_due_timers(now=closing(45) + timedelta(minutes=1))
    assert [r.state for r in timers(pf, incident)["pf_closure_date"]] == ["fired"]
    for case in cases.values():
        assert pf.instance(case).summary["closureDate"] == day(45)


def test_a_notice_with_the_same_date_changes_nothing_and_says_so(pf: PF) -> None:
    incident, cases = active_incident(pf, "PRV-SAME", 30)
    before = {k: [(r.id, r.due_at) for r in v] for k, v in timers(pf, incident).items()}
    answer = notice(pf, "PRV-SAME", day(30))
    assert answer["correlated"] == [incident]  # the notice itself is recorded
    assert answer["closureDate"]["changed"] is False and "nothing changed" in answer["closureDate"]["reason"]
    assert {k: [(r.id, r.due_at) for r in v] for k, v in timers(pf, incident).items()} == before
    assert date_changes(pf, incident) == [] and all(date_changes(pf, c) == [] for c in cases.values())
    history = pf.api.get(f"/instances/{incident}").json["history"]
    assert not [h for h in history if h["action"] == "timer_rescheduled"]
    # A date that is not a date is refused, and nothing is delivered.
    r = pf.api.post("/messages", json={
        "name": "provider_failure_notified", "correlationKeys": {"providerRef": "PRV-SAME"},
        "payload": {"eventType": "ADMINISTRATOR_APPOINTED", "closureDate": "31/02/2027"}})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "payload.closureDate"


def test_closed_person_cases_keep_their_date_and_a_closed_incident_is_not_moved(pf: PF) -> None:
    incident, cases = active_incident(pf, "PRV-DONE", 40)
    first, second = sorted(cases)
    pf.work_person(cases[first], RECORD, clock=14)  # closed before the notice
    assert pf.instance(cases[first]).status == "completed"
    answer = notice(pf, "PRV-DONE", day(30))["closureDate"]
    assert answer["changed"] and answer["personCasesMoved"] == 1
    assert pf.instance(cases[first]).summary["closureDate"] == day(40) and date_changes(pf, cases[first]) == []
    assert pf.instance(cases[second]).summary["closureDate"] == day(30)
    # The last person case closes: the incident is past its person cases (PF-13), its notice period over.
    pf.work_person(cases[second], RECORD, clock=14)
    assert [t["name"] for t in pf.tasks(incident) if t["name"] == "pf_confirm_end"] == ["pf_confirm_end"]
    late = notice(pf, "PRV-DONE", day(35))["closureDate"]
    assert late["changed"] is False and "is closed" in late["reason"]
    assert [c["to"] for c in date_changes(pf, incident)] == [day(30)]
    assert pf.instance(incident).summary["closureDate"] == day(30)


def test_during_set_up_a_further_notice_is_decided_again_and_qiss_agrees_another_date(pf: PF) -> None:
    """PF-06 to PF-09: the notice is decided again (DMN-01a, DMN-01), its date reaches the person cases
    opened meanwhile, and the date QISS then agrees at PF-08 moves them again, recorded with who did it."""
    incident = pf.notify("PRV-SETUP", providerName="Birchwood Ltd", eventType="CQC_DEREGISTRATION_OR_ENFORCEMENT")
    pf.triage(incident, providerName="Birchwood Ltd", eventType="CQC_DEREGISTRATION_OR_ENFORCEMENT",
              anyUrgentNeeds=True, serviceType="CARE_HOME_NURSING")
    assert pf.instance(incident).summary["dutyBasis"] == "S19_POWER_URGENT_NEEDS"
    pf.complete(incident, "pf_meeting", {"meetingDate": day(1)})
    assert pf.add_people(incident, [{"personRef": "SU-1", "personName": "Ada Example", **PERSON}]).status_code == 201
    person = pf.children(incident)["SU-1"].id
    assert pf.instance(person).summary["closureDate"] is None
    classified = len(pf.rules(incident)["ClassifyTriggerEvent"])
    answer = notice(pf, "PRV-SETUP", day(25), serviceStatus="CEASING")
    assert answer["closureDate"]["changed"] and answer["closureDate"]["personCasesMoved"] == 1
    rules = pf.rules(incident)
    assert len(rules["ClassifyTriggerEvent"]) == classified + 1  # decided again, not only logged
    [change] = pf.data(incident)["dutyBasisChanges"]
    assert (change["from"], change["to"]) == ("S19_POWER_URGENT_NEEDS", "S48_TEMPORARY_DUTY")
    assert [t["name"] for t in pf.tasks(incident)] == ["pf_notice"]  # the set-up work goes on
    assert pf.instance(person).summary["closureDate"] == day(25)
    # QISS agrees a later date at PF-08: the incident records it with who, and the person case follows.
    pf.complete(incident, "pf_notice", {"closureDate": day(35), "noticeAgreed": True})
    changes = date_changes(pf, incident)
    assert [(c["from"], c["to"]) for c in changes] == [(None, day(25)), (day(25), day(35))]
    assert changes[-1]["by"] == "quinn.lead" and "PF-08" in changes[-1]["cause"]
    assert [(c["from"], c["to"]) for c in date_changes(pf, person)] == [(None, day(25)), (day(25), day(35))]
    pf.complete(incident, "pf_provision", {"extraProvisionBy": "PROVIDER"})
    assert due(pf, incident, "pf_closure_date") == closing(35)


def test_a_thousand_open_person_cases_move_in_bounded_time(pf: PF) -> None:
    incident, cases = active_incident(pf, "PRV-MANY", 40, people=1000)
    started = time.perf_counter()
    answer = notice(pf, "PRV-MANY", day(33))["closureDate"]
    took = time.perf_counter() - started
    assert answer["changed"] and answer["personCasesMoved"] == 1000
    print(f"\n1,000 person cases moved in {took:.1f} s")
    assert took < 60
    counts: dict[str, int] = {}
    for case in list(cases.values())[:: 97]:
        held = pf.instance(case).summary["closureDate"]
        counts[held] = counts.get(held, 0) + 1
    assert counts == {day(33): len(list(cases.values())[:: 97])}
