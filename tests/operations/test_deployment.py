"""A deployment as README "Running in production" describes it: `careflow db upgrade` and `careflow
sync` first, then two web processes (`careflow serve --no-scheduler`) and two workers (`careflow
worker`) on one PostgreSQL. A case is driven through both web processes in turn; a worker fires its
timer once; both web processes report ready (the workers' heartbeats) and serve metrics."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.reliability.workers import ROOT, Worker, wait_for
from tests.timers.servers import free_port
from workflows.db import Database
from workflows.identity import add_user, issue_token

from .support import HERE

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _env(database_url: str, forms_dir: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url,
            "CAREFLOW_SECRET_KEY": "test-secret-for-two-web-processes", "CAREFLOW_FORMS_DIR": str(forms_dir),
            "CAREFLOW_METRICS_TOKEN": "scrape-me", "CAREFLOW_LOG_FORMAT": "json"}


def _careflow(env: dict[str, str], *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr + done.stdout


class Web:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--no-scheduler", "--port", str(self.port), "--threads", "4"],
            cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)

    def wait(self) -> None:
        def up() -> bool:
            try:
                return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False
        wait_for(up, 90, f"web process on {self.port}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def test_two_web_processes_and_two_workers_on_one_postgresql(tmp_path: Path, pg_url: str) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    for source in [*(ROOT / "bpmn" / "forms").glob("*.json"), *(HERE / "forms").glob("*.json")]:
        (forms / source.name).write_text(source.read_text())
    env = _env(pg_url, forms)
    _careflow(env, "db", "upgrade")  # first the database, then the processes
    _careflow(env, "sync")
    db = Database(pg_url)
    add_user(db, "ada.admin", "admin", ["admins"])
    add_user(db, "casey.worker", "caseworker", ["adult_social_care"])
    admin, casey = issue_token(db, "ada.admin"), issue_token(db, "casey.worker")
    webs = [Web(env, tmp_path / f"web{i}.log") for i in range(2)]
    workers = [Worker(pg_url, tmp_path / f"worker{i}.log", poll=0.2, CAREFLOW_LOG_FORMAT="json",
                      CAREFLOW_FORMS_DIR=str(forms)).start()
               for i in range(2)]
    try:
        for web in webs:
            web.wait()
        one, two = (w.url + "/api/v1" for w in webs)

        def call(base: str, token: str, method: str, path: str, **kw: object) -> dict:
            response = requests.request(method, base + path, headers={"Authorization": f"Bearer {token}"},
                                        timeout=30, **kw)
            assert response.status_code in (200, 201), (path, response.status_code, response.text)
            assert response.headers["X-Request-ID"]
            return response.json()

        deployed = call(one, admin, "POST", "/definitions/deploy", json={
            "bpmn": {"ops_sharing.bpmn": (HERE / "ops_sharing.bpmn").read_text()}})
        assert deployed
        case = call(one, casey, "POST", "/processes/ops_sharing/instances",
                    json={"data": {"personName": "Two Webs", "coolingOff": "PT1S"}})
        first = case["openTasks"][0]
        assert first["name"] == "record_amount"
        # The next step through the other web process, and on.
        after = call(two, casey, "POST", f"/tasks/{first['id']}/complete",
                     json={"data": {"amount": 120, "divisor": 4}})
        assert after["waitingTimers"] and after["status"] == "running"

        def reviewed() -> bool:
            return bool(call(one, casey, "GET", f"/instances/{case['id']}")["openTasks"])
        wait_for(reviewed, 60, "a worker to fire the cooling-off timer")
        state = call(one, casey, "GET", f"/instances/{case['id']}")
        assert state["data"]["share"] == 30
        review = state["openTasks"][0]
        assert review["name"] == "review_share"
        done = call(two, casey, "POST", f"/tasks/{review['id']}/complete", json={"data": {"agreed": True}})
        assert done["status"] == "completed"
        history = call(one, casey, "GET", f"/instances/{case['id']}")["history"]
        assert [e["action"] for e in history].count("timer_fired") == 1
        # Both web processes are ready (database, migrations, the workers' heartbeats) and count the tasks.
        for web in webs:
            ready = requests.get(f"{web.url}/readyz", timeout=10)
            assert ready.status_code == 200, ready.text
            metrics = requests.get(f"{web.url}/metrics", headers={"Authorization": "Bearer scrape-me"}, timeout=10)
            assert 'careflow_tasks_completed_total{process="ops_sharing"} 2.0' in metrics.text
            assert "careflow_timers_fired_total 1.0" in metrics.text
        time.sleep(0.2)
    finally:
        for web in webs:
            web.stop()
        for worker in workers:
            worker.stop()
        db.dispose()
    log = (tmp_path / "web0.log").read_text() + (tmp_path / "web1.log").read_text()
    assert '"request_id"' in log  # JSON log lines with the request id
