"""One small diagram per BPMN element or pattern, deployed and run through the API.

``Drive`` is a process owner and a caseworker in one: it deploys fixtures from ``fixtures/``, starts
instances, completes their tasks, sends messages and moves the clock; each test then checks the
path taken (scripts append to ``path``), the data at the end and the state of every instance.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES as SHARED_FIXTURES
from tests.conftest import Users, make_app
from tests.pg import database_url, pg_server  # noqa: F401  (the drive runs on SQLite and on PostgreSQL)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


class Drive:
    def __init__(self, app: Any) -> None:
        users = Users(app)
        self.app = app
        self.runtime = app.extensions["careflow"].runtime
        self.owner = users.make("pat.owner", "process_owner", ("process_owners",))
        self.worker = users.make("casey.worker", "caseworker", ("adult_social_care", "care_navigation"))
        self.admin = users.make("ada.admin", "admin", ("admins",))

    @staticmethod
    def files(*names: str) -> dict[str, str]:
        return {name: (FIXTURES / name).read_text(encoding="utf-8") for name in names}

    def validate(self, *names: str, **texts: str) -> Any:
        return self.owner.post("/definitions/validate", json={"bpmn": {**self.files(*names), **texts}})

    def deploy(self, *names: str, **texts: str) -> list[dict[str, Any]]:
        bpmn = {**self.files(*(n for n in names if n.endswith(".bpmn"))), **texts}
        dmn = self.files(*(n for n in names if n.endswith(".dmn")))
        response = self.owner.post("/definitions/deploy", json={"bpmn": bpmn, "dmn": dmn})
        assert response.status_code == 201, response.json
        return response.json["deployed"]

    def start(self, process_id: str, **data: Any) -> dict[str, Any]:
        response = self.worker.post(f"/processes/{process_id}/instances", json={"data": data})
        assert response.status_code == 201, response.json
        return response.json

    def instance(self, instance_id: str) -> dict[str, Any]:
        response = self.owner.get(f"/instances/{instance_id}")
        assert response.status_code == 200, response.json
        return response.json

    def instances(self, process_id: str) -> list[dict[str, Any]]:
        rows = self.owner.get(f"/instances?processId={process_id}&limit=500").json["instances"]
        return [self.instance(r["id"]) for r in sorted(rows, key=lambda r: r["createdAt"])]

    def complete(self, instance: dict[str, Any], data: dict[str, Any] | None = None) -> dict[str, Any]:
        task = instance["openTasks"][0]
        response = self.worker.post(f"/tasks/{task['id']}/complete", json={"data": data or {}})
        assert response.status_code == 200, response.json
        return self.instance(instance["id"])

    def message(self, name: str, keys: dict[str, Any] | None = None, payload: dict[str, Any] | None = None) -> Any:
        return self.worker.post("/messages", json={"name": name, "correlationKeys": keys or {},
                                                   "payload": payload or {}})

    def fire_timers(self, after: timedelta = timedelta(seconds=5)) -> int:
        return self.runtime.fire_due_timers(datetime.now(timezone.utc) + after)


@pytest.fixture
def drive(tmp_path: Path, database_url: str) -> Any:  # noqa: F811  (the fixture imported above)
    """A fresh app on SQLite, and again on PostgreSQL (``-m postgres``), with an empty library."""
    empty = tmp_path / "bpmn"
    empty.mkdir()
    app = make_app(tmp_path, DATABASE_URL=database_url, BPMN_DIR=str(empty), DMN_DIR=str(empty),
                   FORMS_DIR=str(SHARED_FIXTURES))
    yield Drive(app)
    app.extensions["careflow"].db.dispose()
