"""A use case holds one database connection. On a cold cache (a process just started, a version never
read here) the specs, decision tables and forms are read inside the use case's own session; a second
connection per request left the first idle in transaction while the pool ran dry under load."""
from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import event

from tests.conftest import Users, disposed, make_app


def _watch_connections(db):
    """The most connections any one thread held at once, and how many each holds now."""
    held, most, lock = Counter(), Counter(), threading.Lock()

    def checkout(*_):
        with lock:
            me = threading.get_ident()
            held[me] += 1
            most["max"] = max(most["max"], held[me])

    def checkin(*_):
        with lock:
            held[threading.get_ident()] -= 1

    for engine in {db.engine, db.read_engine}:
        event.listen(engine, "checkout", checkout)
        event.listen(engine, "checkin", checkin)
    return most


def test_a_request_on_cold_caches_holds_one_connection(tmp_path):
    warm = make_app(tmp_path)
    casey = Users(warm).make("casey.worker")
    started = casey.post("/processes/demo_referral/instances", json={"data": {}})
    assert started.status_code == 201, started.json
    [task] = casey.get(f"/tasks?instanceId={started.json['id']}").json["tasks"]
    warm.extensions["careflow"].db.dispose()

    for cold in disposed(make_app(tmp_path, SYNC_ON_START=False)):  # a new process: nothing cached
        most = _watch_connections(cold.extensions["careflow"].db)
        api = Users(cold).make("casey.worker")
        assert api.get(f"/tasks/{task['id']}").status_code == 200
        assert api.post(f"/tasks/{task['id']}/claim", json={}).status_code == 200
        done = api.post(f"/tasks/{task['id']}/complete",
                        json={"data": {"personName": "Robin Example", "referralSource": "GP", "riskToLife": True,
                                       "livesAlone": False}})
        assert done.status_code == 200, done.json
        assert most["max"] == 1
