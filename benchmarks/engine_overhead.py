"""What careflow adds to a SpiffWorkflow step: raw engine vs runtime use case vs HTTP API.

One process of 20 user tasks in a row, carrying ~5 KB of realistic case data. Measured in one run:
  (a) raw SpiffWorkflow: deserialize, complete one user task, do_engine_steps, serialize;
  (b) careflow runtime: Runtime.complete_task (validation, step, projections, audit, commit);
  (c) HTTP: POST /api/v1/tasks/<id>/complete through Flask's test client.
The last line prints the ratios of the medians.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import select  # noqa: E402

from workflows.spiff_bridge import serializer  # noqa: E402

TASKS = 20
ROUNDS = 5


def twenty_task_bpmn() -> str:
    nodes, flows = ['<bpmn:startEvent id="start"/>'], []
    previous = "start"
    for i in range(1, TASKS + 1):
        nodes.append(f'<bpmn:userTask id="step_{i}" name="Step {i}"/>')
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{previous}" targetRef="step_{i}"/>')
        previous = f"step_{i}"
    nodes.append('<bpmn:endEvent id="end"/>')
    flows.append(f'<bpmn:sequenceFlow id="f_end" sourceRef="{previous}" targetRef="end"/>')
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
            'targetNamespace="https://careflow.example.org/bench">'
            '<bpmn:process id="twenty_steps" name="Twenty steps" isExecutable="true">'
            + "".join(nodes) + "".join(flows) + "</bpmn:process></bpmn:definitions>")


def case_data() -> dict:
    """About 5 KB of the kind of data a person case carries (invented people)."""
    contacts = [{"name": f"Contact {i}", "relationship": "daughter" if i % 2 else "neighbour",
                 "phone": f"01632 960{i:03d}", "email": f"contact{i}@example.org", "isCarer": i == 0,
                 "notes": "Prefers a call in the afternoon; has a key to the property."} for i in range(12)]
    needs = [{"domain": d, "outcomeMet": i % 3 != 0, "notes": "Needs prompting and supervision."}
             for i, d in enumerate(["nutrition", "hygiene", "toileting", "dressing", "home", "safety",
                                    "relationships", "work", "community", "caring"])]
    return {"personName": "Robin Example", "personRef": "P-000123", "dateOfBirth": "1941-03-02",
            "address": {"line1": "1 Example Row", "town": "Exampletown", "postcode": "EX1 1EX"},
            "contacts": contacts, "needs": needs, "urgency": "URGENT", "fundingType": "MIXED",
            "weeklyCost": 812.5, "providerRef": "PRV-42"}


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def raw_steps(xml: str, data: dict) -> list[float]:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(xml.encode())
    spec = parser.get_spec("twenty_steps")
    wf = BpmnWorkflow(spec)
    wf.task_tree.set_data(**data)
    wf.do_engine_steps()
    state = serializer().serialize_json(wf)
    times = []
    for i in range(TASKS):
        def step() -> None:
            nonlocal state
            restored = serializer().deserialize_json(state)
            task = restored.get_tasks(state=TaskState.READY, manual=True)[0]
            task.set_data(**{f"answer_{i}": f"Recorded at step {i}", "stepsDone": i + 1})
            task.run()
            restored.do_engine_steps()
            state = serializer().serialize_json(restored)
        times.append(timed(step))
    return times


def main() -> None:
    global ROUNDS
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="instances driven through each way")
    ROUNDS = max(1, parser.parse_args().rounds)
    from tests.conftest import make_app
    from workflows.identity import Principal, add_user, issue_token
    from workflows.models import TaskRow

    xml, data = twenty_task_bpmn(), case_data()
    tmp = Path(tempfile.mkdtemp())
    app = make_app(tmp, SYNC_ON_START=False)
    svc = app.extensions["careflow"]
    with svc.db.transaction() as session:
        svc.library.store(session, {"twenty_steps.bpmn": xml}, {})
    add_user(svc.db, "casey.worker", "caseworker", [])
    casey = Principal("casey.worker", "Casey", "caseworker", ())
    token = issue_token(svc.db, "casey.worker")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def open_task(instance_id: str) -> str:
        with svc.db.reading() as s:
            return s.scalars(select(TaskRow.id).where(TaskRow.instance_id == instance_id,
                                                      TaskRow.state == "open")).one()

    raw, runtime, runtime_cold, http, starts = [], [], [], [], []
    for _ in range(ROUNDS):
        raw.extend(raw_steps(xml, data))
        for bucket, cold in ((runtime, False), (runtime_cold, True)):
            svc.runtime.cache.size = 0 if cold else 256
            instance = svc.runtime.start("twenty_steps", data)
            for i in range(TASKS):
                task_id = open_task(instance.id)
                bucket.append(timed(lambda: svc.runtime.complete_task(
                    task_id, {f"answer_{i}": f"Recorded at step {i}", "stepsDone": i + 1}, casey)))
        svc.runtime.cache.size = 256
        instance = svc.runtime.start("twenty_steps", data)
        for i in range(TASKS):
            task_id = open_task(instance.id)
            body = {"data": {f"answer_{i}": f"Recorded at step {i}", "stepsDone": i + 1}}
            http.append(timed(lambda: client.post(f"/api/v1/tasks/{task_id}/complete", json=body,
                                                  headers=headers)))
        for _ in range(TASKS):
            starts.append(timed(lambda: svc.runtime.start("twenty_steps", data)))
    med = statistics.median
    with svc.db.reading() as s:
        from workflows.models import Instance

        state_kb = len(s.scalars(select(Instance.state).limit(1)).one()) / 1024
    print(f"process: {TASKS} user tasks, case data {len(str(data)) / 1024:.1f} KB, state {state_kb:.1f} KB; "
          f"{ROUNDS} rounds x {TASKS} steps")
    print(f"(a) raw SpiffWorkflow step        median {med(raw):6.2f} ms  p90 {sorted(raw)[int(len(raw) * .9)]:6.2f} ms")
    print(f"(b) careflow runtime step         median {med(runtime):6.2f} ms  (workflow cache on, as served)")
    print(f"    careflow runtime step, cold   median {med(runtime_cold):6.2f} ms  (deserialize every step)")
    print(f"(c) HTTP API step (test client)   median {med(http):6.2f} ms")
    print(f"start to first user task (runtime) median {med(starts):6.2f} ms  (target < 10 ms)")
    print(f"cold runtime/raw={med(runtime_cold) / med(raw):.2f} (without the workflow cache)")
    print(f"overhead runtime/raw={med(runtime) / med(raw):.2f} http/raw={med(http) / med(raw):.2f}")


if __name__ == "__main__":
    main()
