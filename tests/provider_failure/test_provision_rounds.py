"""PF-09 repeats until closure: a round every ``provisionReviewEvery`` (check moves, record progress, in-house
charges) until the closure date or the last person case closes; every round's in-house charge reaches the
reconciliation (PF-14, M13). The rounds are siblings from one cycle timer, so 150 of them do not deepen the
task tree (ENGINE_NOTES pitfall 1: a silent stall at depth 1000)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workflows.models import Instance

from .conftest import PF, at_day, day
from .people import listed, person, record

HOMECARE = "HOMECARE"


def provision_log(pf: PF, instance_id: str) -> list[dict[str, Any]]:
    with pf.services.db.reading() as s:
        _, wf = pf.runtime.load(s, instance_id)
        return list(wf.data["data_objects"]["provisionLog"] or [])


def tree_depth(pf: PF, instance_id: str) -> int:
    with pf.services.db.reading() as s:
        _, wf = pf.runtime.load(s, instance_id)
    depth, level = 0, [wf.task_tree]
    while level:
        depth, level = depth + 1, [child for task in level for child in task.children]
    return depth


def rounds_open(pf: PF, instance_id: str) -> list[dict[str, Any]]:
    return [t for t in pf.tasks(instance_id) if t["name"] == "pf_round"]


def closing_with_in_house_support(pf: PF, ref: str, closure: str, cost: float, **start: Any) -> tuple[str, str]:
    """An s.48 home-care closure with council in-house support from round 1 and one client still to move."""
    incident = pf.notify(ref, providerName=f"Provider {ref}", eventType="WINDING_UP_ORDER", **start)
    pf.triage(incident, providerName=f"Provider {ref}", serviceType=HOMECARE, eventType="WINDING_UP_ORDER")
    pf.complete(incident, "pf_meeting", {"meetingDate": day(1)})
    pf.complete(incident, "pf_notice", {"closureDate": closure, "noticeAgreed": True})
    pf.complete(incident, "pf_provision", {"extraProvisionBy": "COUNCIL_IN_HOUSE", "inHouseCost": cost,
                                           "movesCompleted": 0, "notes": "Two OPDS carers on nights"})
    client = person("C1", "Casey Client", "LCC_ARRANGED", HOMECARE, "S18_EXISTING", significantWellbeingImpact=True)
    assert pf.add_people(incident, [listed(client)]).status_code == 201
    return incident, pf.children(incident)["C1"].id


def finish(pf: PF, incident: str, client_case: str, clock: float) -> Instance:
    client = person("C1", "Casey Client", "LCC_ARRANGED", HOMECARE, "S18_EXISTING", significantWellbeingImpact=True)
    pf.work_person(client_case, record(client), {"pp_transfer": {"serviceStartDate": day(2)}}, clock=clock)
    pf.complete(incident, "pf_confirm_end", {"providerStatus": "CEASED", "confirmed": True})
    return pf.instance(incident)


def test_pf09_repeats_weekly_until_closure_and_every_round_is_charged(pf: PF) -> None:
    incident, client_case = closing_with_in_house_support(pf, "PRV-ROUNDS", day(22), 1200)
    assert pf.data(incident)["provisionRoundsDue"] == 3  # closure in 22 days, a round every 7
    answers = [{"extraProvisionBy": "COUNCIL_IN_HOUSE", "inHouseCost": 800, "movesCompleted": 3},
               {"extraProvisionBy": "PROVIDER", "movesCompleted": 6, "notes": "Provider's agency covers nights"},
               {"extraProvisionBy": "COUNCIL_IN_HOUSE", "inHouseCost": 400.5, "movesCompleted": 9}]
    for week, answer in enumerate(answers, start=1):
        assert rounds_open(pf, incident) == []
        pf.runtime.fire_due_timers(now=at_day(7 * week + 0.5))
        assert len(rounds_open(pf, incident)) == 1, (week, pf.tasks(incident))
        pf.complete(incident, "pf_round", answer)
    for week in (4, 5, 6):  # the closure has come: no more rounds
        pf.runtime.fire_due_timers(now=at_day(7 * week + 0.5))
        assert rounds_open(pf, incident) == []

    log = provision_log(pf, incident)
    assert [(r["round"], r["extraProvisionBy"], r["chargeTo"], r["inHouseCost"], r["movesCompleted"]) for r in log] == [
        (1, "COUNCIL_IN_HOUSE", "FAILING_PROVIDER", 1200, 0), (2, "COUNCIL_IN_HOUSE", "FAILING_PROVIDER", 800, 3),
        (3, "PROVIDER", None, 0, 6), (4, "COUNCIL_IN_HOUSE", "FAILING_PROVIDER", 400.5, 9)]
    assert all(r["recordedAt"] for r in log)
    assert pf.rules(incident)["TemporaryDutyCharging"] == [3, 3, 3]  # DMN-06 rule 3 in each in-house round

    closed = finish(pf, incident, client_case, clock=45)
    assert closed.status == "completed" and closed.summary["incidentStatus"] == "CLOSED"
    [charge] = [m for m in pf.outbox([incident]) if m.template == "M13_ProviderCharge"]
    assert charge.payload["rounds"] == [1, 2, 4] and charge.payload["amount"] == 2400.5
    assert charge.payload["chargeTo"] == "FAILING_PROVIDER"


def test_pf09_rounds_stop_when_the_last_person_case_closes(pf: PF) -> None:
    incident, client_case = closing_with_in_house_support(pf, "PRV-EARLY-END", day(60), 300)
    pf.runtime.fire_due_timers(now=at_day(7.5))
    pf.complete(incident, "pf_round", {"extraProvisionBy": "NONE_NEEDED", "movesCompleted": 1})
    closed = finish(pf, incident, client_case, clock=8)
    assert closed.status == "completed"
    assert pf.runtime.fire_due_timers(now=at_day(70)) == 0  # the cycle went with the wait for the person cases
    [charge] = [m for m in pf.outbox([incident]) if m.template == "M13_ProviderCharge"]
    assert charge.payload["rounds"] == [1] and charge.payload["amount"] == 300


def test_pf09_150_rounds_do_not_stall_and_all_reach_the_reconciliation(pf: PF) -> None:
    incident, client_case = closing_with_in_house_support(pf, "PRV-LONG", day(151), 100,
                                                          provisionReviewEvery="P1D", sitrepMax=5)
    due = pf.data(incident)["provisionRoundsDue"]
    assert due >= 150
    for n in range(1, due + 1):
        pf.runtime.fire_due_timers(now=at_day(n + 0.5))
        [task] = rounds_open(pf, incident)
        r = pf.api.post(f"/tasks/{task['id']}/complete",
                        json={"data": {"extraProvisionBy": "COUNCIL_IN_HOUSE" if n % 2 else "PROVIDER",
                                       "inHouseCost": 10, "movesCompleted": n}})
        assert r.status_code == 200, r.json
    pf.runtime.fire_due_timers(now=at_day(due + 3))
    assert rounds_open(pf, incident) == []
    log = provision_log(pf, incident)
    assert [r["round"] for r in log] == list(range(1, due + 2)) and all(r["recordedAt"] for r in log)
    with pf.services.db.reading() as s:
        state = s.scalar(select(Instance.state).where(Instance.id == incident))
    assert len(state) < 2_000_000, len(state)  # about 6 KB a round
    assert tree_depth(pf, incident) < 100  # the rounds are siblings: 150 of them add no depth

    closed = finish(pf, incident, client_case, clock=due + 5)
    assert closed.status == "completed" and closed.summary["incidentStatus"] == "CLOSED"
    [charge] = [m for m in pf.outbox([incident]) if m.template == "M13_ProviderCharge"]
    in_house = [1] + [n + 1 for n in range(1, due + 1) if n % 2]
    assert charge.payload["rounds"] == in_house and charge.payload["amount"] == 100 + 10 * (len(in_house) - 1)
