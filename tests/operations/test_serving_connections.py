"""`careflow serve` under many open connections: browsers and proxies keep idle connections open, and a
server full of them must still answer, and must close the idle ones itself."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.reliability.workers import ROOT, wait_for
from tests.timers.servers import free_port


def _serve(tmp_path: Path, *options: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
           "CAREFLOW_SYNC_ON_START": "false"}
    upgraded = subprocess.run([sys.executable, "-m", "app.cli", "db", "upgrade"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=180)
    assert upgraded.returncode == 0, upgraded.stderr
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--no-scheduler", "--port", str(port),
                                "--threads", "4", *options], cwd=ROOT, env=env,
                               stdout=open(tmp_path / "serve.log", "ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return requests.get(f"{url}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False
    wait_for(up, 90, "careflow serve")
    return process, url


def _idle_connections(url: str, count: int) -> list[socket.socket]:
    port = int(url.rsplit(":", 1)[1])
    return [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]


def test_a_server_holding_many_idle_connections_still_answers_at_once(tmp_path: Path) -> None:
    process, url = _serve(tmp_path)
    idle = _idle_connections(url, 150)  # more than waitress's own default limit of 100
    try:
        time.sleep(1)  # the server has accepted them all
        started = time.monotonic()
        assert requests.get(f"{url}/healthz", timeout=20).status_code == 200
        assert time.monotonic() - started < 5  # waitress's defaults: no answer until idle ones were closed
    finally:
        for sock in idle:
            sock.close()
        process.terminate()
        process.wait(20)


def test_idle_connections_are_closed_by_the_server_after_the_idle_timeout(tmp_path: Path) -> None:
    process, url = _serve(tmp_path, "--idle-timeout", "2")
    [sock] = _idle_connections(url, 1)
    try:
        sock.settimeout(15)
        started = time.monotonic()
        assert sock.recv(1) == b""  # closed by the server, not by us
        assert time.monotonic() - started < 10
    finally:
        sock.close()
        process.terminate()
        process.wait(20)


def test_serve_refuses_a_connection_limit_or_idle_timeout_below_one(tmp_path: Path) -> None:
    for option in (["--connection-limit", "0"], ["--idle-timeout", "-5"]):
        done = subprocess.run([sys.executable, "-m", "app.cli", "serve", *option], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 2 and "must be a whole number of at least 1" in done.stderr
