"""Need to know in the allocated worker's lane: a step the diagram gives the case's worker (``assignee =
allocatedWorker``) is theirs. Everyone else in the lane's group ("allocated_worker", every caseworker) learns
nothing of the person from it: not the case, its plan, the step nor its data. Released to the group, the step
is offered to them all, as any group's step is."""
from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa

from workflows.db import Database

from .conftest import CP


def test_only_the_allocated_worker_sees_the_case_and_its_steps(cp: CP) -> None:
    case = cp.start({"personRef": "NTK-1", "personName": "Noor Example", "indicativeWeekly": 250})
    [task] = cp.tasks(case)  # the worker's first step
    assert task["assignee"] == "wendy.worker" and task["candidateGroup"] == "allocated_worker"

    assert cp.worker.get(f"/instances/{case}").status_code == 200
    assert cp.worker.get(f"/tasks/{task['id']}").status_code == 200
    owen = cp.other_worker  # same lane group, another person's case
    assert owen.get(f"/instances/{case}").status_code == 403
    assert owen.get(f"/instances/{case}/care-plan").status_code == 403
    assert owen.get(f"/tasks/{task['id']}").status_code == 403
    assert owen.post(f"/tasks/{task['id']}/claim", json={}).status_code in (403, 409)
    listed = owen.get("/tasks?limit=500").json["tasks"]
    assert all(t["instanceId"] != case for t in listed)
    assert all(t["instanceId"] != case for t in owen.get("/tasks?myGroups=true&limit=500").json["tasks"])
    assert all(i["id"] != case for i in owen.get("/instances?limit=500").json["instances"])

    # Released to the team, the step is offered to every member, who may now take it and see the case.
    assert cp.worker.post(f"/tasks/{task['id']}/unclaim", json={}).status_code == 200
    assert owen.get(f"/tasks/{task['id']}").status_code == 200
    assert any(t["id"] == task["id"] for t in owen.get("/tasks?myGroups=true&limit=500").json["tasks"])
    assert owen.get(f"/instances/{case}").status_code == 200


def insert(connection: sqlite3.Connection, table: str, **values: Any) -> None:
    """A row with ``values`` and a plain filler in every other required column."""
    filler = {"INTEGER": 1, "BOOLEAN": 0, "DATETIME": "2026-01-01 00:00:00", "JSON": "{}", "SMALLINT": 9}
    for _, name, kind, required, default, primary in connection.execute(f"PRAGMA table_info({table})").fetchall():
        if name not in values and required and default is None and not (primary and kind == "INTEGER"):
            values[name] = filler.get(kind.split("(")[0], "x")
    connection.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",
                       list(values.values()))


def test_the_migration_keeps_a_claimed_step_offered_and_a_given_one_not(tmp_path: Any) -> None:
    from alembic import command

    from workflows.db import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0015_people_upload")
    with sqlite3.connect(tmp_path / "old.db") as c:  # foreign keys are not enforced here: rows only
        insert(c, "process_instance", id="i1", case_reference="C-1", summary="{}", state="{}")
        for task_id, assignee in (("given", "wendy.worker"), ("claimed", "owen.worker"), ("open", None)):
            insert(c, "task", id=task_id, instance_id="i1", candidate_group="allocated_worker", assignee=assignee,
                   state="open")
        insert(c, "audit_event", instance_id="i1", action="task_claimed", task_id="claimed", actor="owen.worker")
    command.upgrade(alembic_config(url), "head")
    db = Database(url)
    with db.engine.connect() as c:
        offered = dict(c.execute(sa.text("SELECT id, offered_to_group FROM task")).all())
    db.dispose()
    assert offered == {"given": 0, "claimed": 1, "open": 1}
