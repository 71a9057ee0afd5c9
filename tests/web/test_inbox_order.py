"""The inbox's order holds across pages, on SQLite and PostgreSQL: the most urgent case's tasks first,
within an urgency the overdue then the soonest due, undated last; pages by offset neither skip nor
repeat a task. Through the task-list API and the inbox page, with cases run by the engine."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.pg import database_url, pg_server, pg_url  # noqa: F401

from .support import HERE, make_web_app, sign_in

URGENCIES = ["ROUTINE", None, "CRITICAL", "NONE", "URGENT", "FIRST"]
RANK = {"CRITICAL": 0, "URGENT": 1, "FIRST": 2, "ROUTINE": 3, "NONE": 4, None: 5}
CASES = 30  # two open tasks each: 60 tasks, three pages of 25 on the inbox page
PAGE_LINK = re.compile(r'href="/tasks/([0-9a-f-]{36})"')


@pytest.fixture
def inbox_app(tmp_path: Path, database_url: str) -> Any:  # noqa: F811
    app = make_web_app(tmp_path, DATABASE_URL=database_url)
    services = app.extensions["careflow"]
    with services.db.transaction() as session:
        services.library.store(session, {"urgent_steps.bpmn": (HERE / "urgent_steps.bpmn").read_text()}, {})
    yield app
    services.db.dispose()


def _casey(services: Any) -> Any:
    from workflows.identity import principal_for

    with services.db.reading() as session:
        return principal_for(session, "casey.worker")


def _open_cases(services: Any) -> list[Any]:
    """Cases with mixed urgencies and due dates: overdue, due later, none; some tasks claimed."""
    from workflows.models import utcnow

    now = utcnow()
    cases = []
    for i in range(CASES):
        data: dict[str, Any] = {"personName": f"Person {i:02d}"}
        if URGENCIES[i % len(URGENCIES)]:
            data["urgency"] = URGENCIES[i % len(URGENCIES)]
        if i % 4:  # one in four has no due date for its review
            data["dueAt"] = (now + timedelta(hours=(i * 7) % 61 - 20)).isoformat()  # some overdue
        if i % 3 == 0:
            data["assessBy"] = (now + timedelta(hours=4 - i)).isoformat()
        cases.append(services.runtime.start("web_urgent_steps", data, actor="morgan.manager"))
    casey = _casey(services)
    for case in cases[::5]:  # a few of the work is Casey's own (the "assigned to me" part of the list)
        services.runtime.claim(_task_of(services, case.id, "review_case").id, casey)
    return cases


def _task_of(services: Any, instance_id: str, name: str) -> Any:
    from sqlalchemy import select

    from workflows.models import TaskRow

    with services.db.reading() as session:
        return session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id, TaskRow.name == name,
                                                     TaskRow.state == "open")).one()


def _expected(services: Any, urgency_of: dict[str, str | None]) -> list[str]:
    """The inbox's order written out: urgency, then overdue and soonest due (undated last), oldest, id."""
    from sqlalchemy import select

    from workflows.models import TaskRow, utcnow

    now = utcnow()
    with services.db.reading() as session:
        rows = session.scalars(select(TaskRow).where(TaskRow.state == "open")).all()
    far = now + timedelta(days=36500)
    return [r.id for r in sorted(rows, key=lambda r: (
        RANK[urgency_of[r.instance_id]], not (r.due_at and r.due_at < now), r.due_at or far, r.created_at, r.id))]


def _api_pages(client: Any, headers: dict[str, str], size: int) -> list[list[dict[str, Any]]]:
    pages = []
    for offset in range(0, 1000, size):
        body = client.get(f"/api/v1/tasks?mine=true&myGroups=true&limit={size}&offset={offset}",
                          headers=headers).json
        if not body["tasks"]:
            break
        pages.append(body["tasks"])
    return pages


def test_the_most_urgent_and_overdue_come_first_across_pages(inbox_app: Any) -> None:
    from workflows.identity import issue_token

    services = inbox_app.extensions["careflow"]
    cases = _open_cases(services)
    urgency_of = {c.id: URGENCIES[i % len(URGENCIES)] for i, c in enumerate(cases)}
    expected = _expected(services, urgency_of)
    assert len(expected) == 2 * CASES

    # The API, three pages of 25 (and the last one shorter).
    client = inbox_app.test_client()
    headers = {"Authorization": f"Bearer {issue_token(services.db, 'casey.worker')}"}
    pages = _api_pages(client, headers, 25)
    assert [len(p) for p in pages] == [25, 25, 10]
    listed = [t["id"] for p in pages for t in p]
    assert listed == expected and len(set(listed)) == len(listed)
    first, last = pages[0][0], pages[-1][-1]
    assert first["urgency"] == "CRITICAL" and last["urgency"] is None and last["dueAt"] is None
    ranks = [RANK[t["urgency"]] for t in (t for p in pages for t in p)]
    assert ranks == sorted(ranks)  # no page holds a less urgent task before a more urgent one of the next

    # The inbox page, three pages of 25, in the same order.
    sign_in(client, "casey.worker")
    shown: list[str] = []
    for page in (1, 2, 3):
        html = client.get(f"/?page={page}").text
        shown += list(dict.fromkeys(PAGE_LINK.findall(html)))
    assert shown == expected
    assert "Critical" in client.get("/?page=1").text and "Not set" in client.get("/?page=3").text

    # A filter keeps the order; a page past the end is empty, not an error.
    overdue = client.get("/api/v1/tasks", query_string={"mine": "true", "myGroups": "true", "dueBefore": _now_iso()},
                         headers=headers).json["tasks"]
    assert overdue and [t["id"] for t in overdue] == [i for i in expected if i in {t["id"] for t in overdue}]
    assert client.get("/?page=4").status_code == 200


def _now_iso() -> str:
    from workflows.models import utcnow

    return utcnow().isoformat().replace("+00:00", "Z")


def test_a_case_assessed_as_critical_moves_its_open_tasks_to_the_top(inbox_app: Any) -> None:
    services = inbox_app.extensions["careflow"]
    cases = _open_cases(services)
    routine = next(c for i, c in enumerate(cases) if URGENCIES[i % len(URGENCIES)] is None and i % 4)
    services.runtime.complete_task(_task_of(services, routine.id, "assess_urgency").id, {"urgency": "CRITICAL"},
                                   _casey(services))
    review = _task_of(services, routine.id, "review_case")
    assert review.urgency_rank == 0  # the task left open follows its case's new urgency
    assert _task_of(services, routine.id, "arrange_support").urgency_rank == 0  # and so does the new one
    client = inbox_app.test_client()
    sign_in(client, "casey.worker")
    first_page = list(dict.fromkeys(PAGE_LINK.findall(client.get("/").text)))
    critical = [i for i, c in enumerate(cases) if URGENCIES[i % len(URGENCIES)] == "CRITICAL"]
    assert review.id in first_page[:2 * len(critical) + 1]


def test_the_migration_gives_existing_tasks_their_cases_urgency(tmp_path: Path, database_url: str) -> None:  # noqa: F811
    from alembic import command
    from sqlalchemy import select

    from workflows.db import Database, alembic_config
    from workflows.models import TaskRow

    app = make_web_app(tmp_path, DATABASE_URL=database_url)  # the schema as the models have it
    services = app.extensions["careflow"]
    with services.db.transaction() as session:
        services.library.store(session, {"urgent_steps.bpmn": (HERE / "urgent_steps.bpmn").read_text()}, {})
    urgent = services.runtime.start("web_urgent_steps", {"personName": "Urgent Person", "urgency": "URGENT"})
    plain = services.runtime.start("web_two_steps", {"personName": "Plain Person"})
    services.db.dispose()
    config = alembic_config(database_url)
    command.stamp(config, "head")
    command.downgrade(config, "0005")  # as a database was before the column
    command.upgrade(config, "head")
    db = Database(database_url)
    with db.reading() as session:
        ranks = set(session.execute(select(TaskRow.instance_id, TaskRow.urgency_rank)).all())
    db.dispose()
    assert ranks == {(urgent.id, 1), (plain.id, 5)}
