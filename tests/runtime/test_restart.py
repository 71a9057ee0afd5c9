"""Stop the service mid-process (kill -9), start it again, and finish the instance."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REFERRAL, ROOT

CAREFLOW = [sys.executable, "-m", "app.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port: int, method: str, path: str, token: str, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def serve(env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(CAREFLOW + ["serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("careflow serve exited") from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("careflow serve did not start")


@pytest.mark.slow
def test_kill_the_service_mid_process_then_finish_after_restart(tmp_path: Path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'careflow.db'}", "PYTHONPATH": str(ROOT)}
    subprocess.run(CAREFLOW + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    made = subprocess.run(CAREFLOW + ["users", "add", "casey.worker", "--role", "caseworker", "--group",
                                      "adult_social_care"], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True)
    token = made.stdout.strip().splitlines()[-1]
    port = free_port()
    server = serve(env, port)
    try:
        status, started = call(port, "POST", "/processes/demo_referral/instances", token, {"data": {}})
        assert status == 201
        task_id = started["openTasks"][0]["id"]
        status, _ = call(port, "POST", f"/tasks/{task_id}/claim", token)
        assert status == 200
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    server = serve(env, port)
    try:
        status, task = call(port, "GET", f"/tasks/{task_id}", token)
        assert status == 200 and task["assignee"] == "casey.worker" and task["state"] == "open"
        status, done = call(port, "POST", f"/tasks/{task_id}/complete", token, {"data": REFERRAL})
        assert status == 200 and done["status"] == "completed"
        status, case = call(port, "GET", f"/instances/{done['id']}", token)
        assert [m["template"] for m in case["messages"]] == ["referral_acknowledged"]
    finally:
        server.terminate()
        server.wait(timeout=10)
