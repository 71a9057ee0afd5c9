"""Two people acting on the same task or case at once: exactly one wins, the other gets 409."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.conftest import REFERRAL
from workflows.models import AuditEvent, OutboxMessage


def test_two_clients_complete_the_same_task_at_once_and_exactly_one_wins(app, users):
    casey = users.make("casey.worker")
    sam = users.make("sam.support")
    started = casey.post("/processes/demo_referral/instances", json={"data": {}}).json
    task_id = started["openTasks"][0]["id"]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def complete(api):
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": REFERRAL},
                               headers={"Authorization": f"Bearer {api.token}"})
        results.append(response.status_code)

    threads = [threading.Thread(target=complete, args=(api,)) for api in (casey, sam)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    svc = app.extensions["careflow"]
    with svc.db.reading() as s:
        completions = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.instance_id == started["id"], AuditEvent.action == "task_completed"))
        messages = s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.instance_id == started["id"]))
    assert completions == 1 and messages == 1


def test_a_stale_version_is_refused_and_changes_nothing(caseworker):
    started = caseworker.post("/processes/demo_referral/instances", json={"data": {}}).json
    task_id = started["openTasks"][0]["id"]
    stale = caseworker.post(f"/tasks/{task_id}/complete", json={"data": REFERRAL},
                            headers={"If-Match": str(started["version"] + 5)})
    assert stale.status_code == 409
    assert caseworker.get(f"/instances/{started['id']}").json["version"] == started["version"]
    ok = caseworker.post(f"/tasks/{task_id}/complete", json={"data": REFERRAL, "expectedVersion": started["version"]})
    assert ok.status_code == 200 and ok.json["status"] == "completed"


def test_many_threads_claiming_one_task_give_it_to_exactly_one(app, users):
    apis = [users.make(f"worker{i}") for i in range(6)]
    started = apis[0].post("/processes/demo_referral/instances", json={"data": {}}).json
    task_id = started["openTasks"][0]["id"]
    barrier = threading.Barrier(len(apis))
    codes: list[int] = []

    def claim(api):
        client = app.test_client()
        barrier.wait()
        codes.append(client.post(f"/api/v1/tasks/{task_id}/claim",
                                 headers={"Authorization": f"Bearer {api.token}"}).status_code)

    threads = [threading.Thread(target=claim, args=(a,)) for a in apis]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [409] * (len(apis) - 1)
