"""A closure date that moves reaches many person cases in batches that each commit (DESIGN.md decision 11):
the notice's own transaction moves the incident and one batch, the rest follow batch by batch; a kill
mid-way loses nothing, a later date wins, a decided urgency (DMN-02) is decided again, and the action
(DMN-09) too when that urgency changed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tests.conftest import ROOT, Api
from workflows.follow_ups import LEASE
from workflows.models import AuditEvent, FollowUp, Instance, utcnow

from .conftest import PF, day
from .test_notice_period_moves import RECORD, active_incident, date_changes, notice
from .test_unknown_facts import web_worker


def held_dates(pf: PF, incident: str) -> dict[str | None, int]:
    """How many open person cases of the incident hold each closure date."""
    with pf.services.db.reading() as s:
        case = s.get(Instance, incident).case_reference
        held = Instance.summary["closureDate"].as_string()
        return dict(s.execute(select(held, func.count()).where(
            Instance.parent_case_reference == case, Instance.status != "completed").group_by(held)).all())


def follow_ups(pf: PF) -> list[tuple[str, str]]:
    with pf.services.db.reading() as s:
        return [(f.kind, f.subject) for f in s.scalars(select(FollowUp))]


def in_background(pf: PF, ref: str, closure: str) -> tuple[threading.Thread, dict[str, Any]]:
    """The notice sent by another client, on its own thread, as a second request would be."""
    result: dict[str, Any] = {}
    api = Api(pf.app.test_client(), pf.api.token, pf.api.username)

    def send() -> None:
        started = time.perf_counter()
        r = api.post("/messages", json={"name": "provider_failure_notified", "correlationKeys": {"providerRef": ref},
                                        "payload": {"eventType": "ADMINISTRATOR_APPOINTED",
                                                    "notificationSource": "administrator", "closureDate": closure}})
        result.update(status=r.status_code, answer=r.json, seconds=time.perf_counter() - started)

    thread = threading.Thread(target=send)
    thread.start()
    return thread, result


def wait_until(check: Any, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_a_thousand_person_cases_move_in_committed_batches_and_other_messages_go_through(pf: PF) -> None:
    incident, cases = active_incident(pf, "PRV-BATCH", 40, people=1000)
    thread, result = in_background(pf, "PRV-BATCH", day(33))
    # Once the first batch has committed, another case's message is answered while the move goes on.
    wait_until(lambda: held_dates(pf, incident).get(day(33), 0) >= pf.runtime.follow_up_batch)
    started = time.perf_counter()
    other = pf.message("provider_failure_notified", {"providerRef": "PRV-ELSEWHERE"},
                       {"providerRef": "PRV-ELSEWHERE", "providerName": "Rowan Lodge Ltd",
                        "eventType": "ADMINISTRATOR_APPOINTED"})
    waited = time.perf_counter() - started
    still_moving = held_dates(pf, incident).get(day(40), 0)
    thread.join(120)
    assert other["started"] and waited < 30
    assert still_moving > 0, "the other message waited for the whole move"
    assert result["status"] == 200, result
    moved = result["answer"]["closureDate"]
    assert (moved["changed"], moved["personCasesMoved"], moved["personCasesToMove"]) == (True, 1000, 0)
    batches = moved["personCaseBatches"]
    assert batches["batches"] == 5 and len(batches["seconds"]) == 4  # the notice's own batch, then four more
    print(f"\n1,000 person cases moved in {result['seconds']:.1f} s; batches of 200 after the first: "
          f"{', '.join(f'{t:.2f}' for t in batches['seconds'])} s; another case's message took {waited:.2f} s "
          f"with {still_moving} cases still to move")
    assert held_dates(pf, incident) == {day(33): 1000}
    assert follow_ups(pf) == []
    for case in list(cases.values())[::250]:
        assert [(c["from"], c["to"]) for c in date_changes(pf, case)] == [(day(40), day(33))]


CHILD = """
import json, sys
from app import create_app
app = create_app({"TESTING": True, "DATABASE_URL": sys.argv[1], "FOLLOW_UP_BATCH": 10})
r = app.test_client().post("/api/v1/messages", headers={"Authorization": "Bearer " + sys.argv[2]}, json={
    "name": "provider_failure_notified", "correlationKeys": {"providerRef": "PRV-KILL"},
    "payload": {"eventType": "ADMINISTRATOR_APPOINTED", "notificationSource": "administrator",
                "closureDate": sys.argv[3]}})
print(json.dumps(r.json))
"""


def test_a_process_killed_mid_move_leaves_the_rest_to_the_worker_after_restart(pf: PF, tmp_path: Path) -> None:
    incident, cases = active_incident(pf, "PRV-KILL", 40, people=400)
    url = pf.services.db.url
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD), url, pf.api.token, day(25)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        # Killed once a few batches have committed, well before the 40th.
        wait_until(lambda: held_dates(pf, incident).get(day(25), 0) >= 30 or child.poll() is not None, 120)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
    assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()[-2000:]
    before = held_dates(pf, incident)
    assert 30 <= before.get(day(25), 0) < 400 and before.get(day(40), 0) > 0
    # The incident holds its new date; what was left is a follow-up, leased by the dead run for a while.
    assert pf.instance(incident).summary["closureDate"] == day(25)
    assert follow_ups(pf) == [("provider_failure_move_person_cases", pf.instance(incident).case_reference)]
    assert pf.runtime.run_due_follow_ups() == []  # the lease stands: no second run beside a live one
    # After the lease runs out, the worker's job brings the rest to the date, each case once.
    [progress] = pf.runtime.run_due_follow_ups(now=utcnow() + LEASE + timedelta(seconds=1))
    assert progress.finished and progress.done == before[day(40)]
    assert held_dates(pf, incident) == {day(25): 400}
    assert follow_ups(pf) == []
    with pf.services.db.reading() as s:
        per_case = dict(s.execute(select(AuditEvent.instance_id, func.count()).where(
            AuditEvent.instance_id.in_(list(cases.values())), AuditEvent.action == "case_date_changed")
            .group_by(AuditEvent.instance_id)).all())
    assert set(per_case.values()) == {1} and len(per_case) == 400


def test_a_second_change_during_a_move_wins(pf: PF) -> None:
    pf.runtime.follow_up_batch = 20
    incident, cases = active_incident(pf, "PRV-TWICE", 40, people=400)
    thread, first = in_background(pf, "PRV-TWICE", day(30))
    wait_until(lambda: held_dates(pf, incident).get(day(30), 0) >= 40)
    second = notice(pf, "PRV-TWICE", day(20))["closureDate"]
    thread.join(120)
    assert first["status"] == 200, first
    assert second["changed"] and (second["from"], second["to"]) == (day(30), day(20))
    # Nothing is left at either older date, and no follow-up is left behind.
    wait_until(lambda: not follow_ups(pf) or bool(pf.runtime.run_due_follow_ups()))
    assert held_dates(pf, incident) == {day(20): 400}
    assert follow_ups(pf) == []
    # Each answer was truthful: the first says its cases went on to the later date.
    assert first["answer"]["closureDate"].get("supersededBy") == day(20)
    assert second["personCasesMoved"] + second["personCasesToMove"] <= 400
    for case in list(cases.values())[::50]:
        assert date_changes(pf, case)[-1]["to"] == day(20)
    assert pf.instance(incident).summary["closureDate"] == day(20)


def test_a_closure_brought_forward_decides_an_assessed_urgency_again(pf: PF) -> None:
    incident, cases = active_incident(pf, "PRV-URG", 40, people=3)
    routine, wellbeing, unassessed = cases["PRV-URG-0"], cases["PRV-URG-1"], cases["PRV-URG-2"]
    # PP-01 done for two of them: DMN-02 decides with 40 days until care stops.
    pf.complete(routine, "pp_record", RECORD)
    pf.complete(wellbeing, "pp_record", {**RECORD, "significantWellbeingImpact": True})
    assert pf.instance(routine).summary["urgency"] == "ROUTINE"
    assert pf.instance(wellbeing).summary["urgency"] == "URGENT" and pf.data(wellbeing)["responseWithin"] == "P7D"
    assert pf.rules(routine)["UrgencyOfNeeds"] == [9] and pf.rules(wellbeing)["UrgencyOfNeeds"] == [8]
    open_task = pf.tasks(routine)[0]
    assert open_task["urgency"] == "ROUTINE"

    # Ten days: within 14 and a significant wellbeing impact is rule 7, still URGENT but sooner (P3D);
    # without that impact still rule 9. Decided again and logged, with no change of urgency to show.
    assert notice(pf, "PRV-URG", day(10))["closureDate"]["personCasesMoved"] == 3
    assert pf.instance(wellbeing).summary["urgency"] == "URGENT" and pf.data(wellbeing)["responseWithin"] == "P3D"
    assert pf.rules(wellbeing)["UrgencyOfNeeds"] == [8, 7] and pf.rules(routine)["UrgencyOfNeeds"] == [9, 9]
    worker = web_worker(pf)
    assert "Urgency changed" not in worker.get(f"/cases/{routine}/chronology").text
    # Two days until care stops: rule 5, CRITICAL; the inbox orders the open task by it at once.
    answer = notice(pf, "PRV-URG", day(2))["closureDate"]
    assert (answer["personCasesMoved"], answer["personCasesToMove"]) == (3, 0)
    assert pf.instance(routine).summary["urgency"] == "CRITICAL" and pf.data(routine)["daysUntilCareStops"] == 2
    assert [t["urgency"] for t in pf.tasks(routine)] == ["CRITICAL"]
    again = [d for d in pf.decisions([routine]) if d.decision_id == "UrgencyOfNeeds"][-1]
    assert again.rule_ids and again.table_hash and again.table_file
    assert again.inputs["Days until care stops (0 = stopped)"] == 2
    assert [m["index"] for m in again.matched_rules] == [5] and again.outputs["urgency"] == "CRITICAL"
    assert pf.instance(wellbeing).summary["urgency"] == "CRITICAL"
    # Not assessed yet: nothing decided now; PP-03 reads the new days when it gets there.
    assert "UrgencyOfNeeds" not in pf.rules(unassessed) and pf.data(unassessed)["daysUntilCareStops"] == 2
    # The chronology says what changed and why.
    assert "Urgency changed: ROUTINE → CRITICAL (closure date moved)" in worker.get(f"/cases/{routine}/chronology").text
    assert "Urgency changed: URGENT → CRITICAL (closure date moved)" in worker.get(
        f"/cases/{wellbeing}/chronology").text
    assert "Urgency changed" not in worker.get(f"/cases/{unassessed}/chronology").text


INVOLVE = {"substantialDifficultyAny": False, "hasAppropriateCandidate": True}
PLACED = {**RECORD, "fundingCategory": "OTHER_ENGLISH_LA_ARRANGED", "placingAuthorityName": "Northshire County Council",
          "placingAuthorityCanArrangeBeforeCessation": True, "personLegalBasis": "PLACING_AUTHORITY_LEAD"}


def test_an_urgency_changed_by_a_moved_closure_decides_the_action_again(pf: PF) -> None:
    incident, cases = active_incident(pf, "PRV-ACT", 40, people=3)
    placed, council, wellbeing = cases["PRV-ACT-0"], cases["PRV-ACT-1"], cases["PRV-ACT-2"]
    records = {placed: PLACED, council: RECORD, wellbeing: {**RECORD, "significantWellbeingImpact": True}}
    for case, record in records.items():
        pf.complete(case, "pp_record", record)
        pf.complete(case, "pp_involve", INVOLVE)  # on to PP-09: DMN-09 decides the action
    assert pf.rules(placed)["ProviderFailurePersonAction"] == [3]  # ROUTINE: the placing authority arranges
    assert pf.instance(placed).summary["primaryAction"] == "COORDINATE_WITH_PLACING_AUTHORITY"
    assert pf.rules(council)["ProviderFailurePersonAction"] == [6]
    assert pf.rules(wellbeing)["UrgencyOfNeeds"] == [8] and pf.rules(wellbeing)["ProviderFailurePersonAction"] == [6]

    # Ten days: DMN-02 is decided again for all three, but no urgency changes (URGENT stays URGENT,
    # sooner): the action stands, not decided again.
    notice(pf, "PRV-ACT", day(10))
    assert pf.rules(wellbeing)["UrgencyOfNeeds"] == [8, 7] and pf.rules(placed)["UrgencyOfNeeds"] == [9, 9]
    for case in (placed, council, wellbeing):
        assert len(pf.rules(case)["ProviderFailurePersonAction"]) == 1

    # Two days: CRITICAL for all (DMN-02 rule 5), so DMN-09 is decided again, logged like any decision.
    # A placed person's placing authority no longer arranges (rule 3 is not for CRITICAL): the council does.
    notice(pf, "PRV-ACT", day(2))
    assert pf.rules(placed)["ProviderFailurePersonAction"] == [3, 6]
    again = [d for d in pf.decisions([placed]) if d.decision_id == "ProviderFailurePersonAction"][-1]
    assert again.outputs == "ARRANGE_CARE_HOME" and again.table_hash and again.rule_ids
    assert pf.instance(placed).summary["primaryAction"] == "ARRANGE_CARE_HOME"
    assert pf.data(placed)["primaryAction"] == "ARRANGE_CARE_HOME"
    assert pf.rules(council)["ProviderFailurePersonAction"] == [6, 6]  # decided again, same action
    assert pf.rules(wellbeing)["ProviderFailurePersonAction"] == [6, 6]
    assert pf.instance(council).summary["primaryAction"] == "ARRANGE_CARE_HOME"

    # The chronology shows the decision taken again, and the action that changed with why.
    worker = web_worker(pf)
    placed_page = worker.get(f"/cases/{placed}/chronology").text
    assert ("Action changed: COORDINATE_WITH_PLACING_AUTHORITY → ARRANGE_CARE_HOME "
            "(urgency changed; closure date moved)") in placed_page
    council_page = worker.get(f"/cases/{council}/chronology").text
    assert council_page.count("Decision: Provider failure person action") == 2  # PP-09, and again now
    assert "Action changed" not in council_page
    assert worker.get(f"/cases/{wellbeing}/chronology").text.count("Decision: Provider failure person action") == 2
