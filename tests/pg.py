"""A real PostgreSQL server for the tests, started and stopped by the test run itself.

Debian's ``postgresql`` package (installed by ``scripts/system-deps.sh``) gives the server binaries
under ``/usr/lib/postgresql/<version>/bin``. The server runs as the ``postgres`` user when the tests
run as root (initdb refuses root), from a data directory in a temporary folder, on a free port on
127.0.0.1 only, and is stopped (and its folder removed) when the session ends. Each test gets a fresh
database on it.

Use it by importing the fixtures in a test module or conftest::

    from tests.pg import pg_server, pg_url  # noqa: F401
"""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def postgres_bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self) -> None:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="careflow-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = "careflow"
        self._as_postgres = os.geteuid() == 0
        self._counter = itertools.count(1)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(a) for a in args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--"] + command
        return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.root)

    def start(self) -> PgServer:
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        made = self._run(self.bin / "initdb", "-D", self.data, "-U", self.user, "--auth=trust", "-E", "UTF8",
                         "--no-sync")
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stderr or made.stdout}")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        started = self._run(self.bin / "pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "server.log",
                            "-w", "-t", "60", "start")
        if started.returncode != 0:
            log = (self.root / "server.log").read_text() if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr}\n{log}")
        return self

    def stop(self) -> None:
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def new_database(self, prefix: str = "careflow") -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


_server: dict[str, Any] = {}


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    if postgres_bin_dir() is None:
        pytest.skip("PostgreSQL is not installed (scripts/system-deps.sh installs it)")
    server = PgServer().start()
    # Wait until it accepts connections over TCP (pg_ctl -w checks the socket).
    deadline = time.time() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
            break
        except OSError:
            if time.time() > deadline:
                server.stop()
                raise
            time.sleep(0.1)
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """The URL of a fresh database on the session's PostgreSQL server."""
    return pg_server.new_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: Any, tmp_path: Path) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'careflow.db'}"
    return request.getfixturevalue("pg_server").new_database()
