"""The caseworker inbox under load: 100,000 open tasks across 20,000 cases, 50 users in 10 groups.

Rows are inserted in bulk (no workflows are run: the inbox never deserializes one). For one
caseworker, measures through Flask's test client:
  * GET /            the inbox page (counts, the first page of 25, filters), signed in;
  * GET /api/v1/tasks?mine=true&myGroups=true   the task-list API with a bearer token.
Prints median and p95 of each; the last line is
``inbox tasks=100000 page_p95_ms=X api_p95_ms=Y`` (target: both under 50 ms).
"""
from __future__ import annotations

import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

TASKS = 100_000
INSTANCES = 20_000
USERS = 50
GROUPS = 10
ROUNDS = 60
FIRST_NAMES = ["Alex", "Sam", "Jordan", "Robin", "Casey", "Morgan", "Jamie", "Taylor", "Riley", "Avery",
               "Quinn", "Rowan", "Ellis", "Harper", "Kit", "Noel", "Remy", "Sasha", "Toby", "Wren"]
LAST_NAMES = ["Example", "Sample", "Placeholder", "Testwell", "Fictional", "Madeup", "Notreal", "Specimen",
              "Dummy", "Mockford", "Pretendly", "Inventa"]
URGENCIES = ["CRITICAL", "URGENT", "FIRST", "ROUTINE", "NONE", None]  # None: not yet assessed
TASK_TITLES = ["Record the referral", "Check the person's details", "Assess urgency", "Agree the support plan",
               "Arrange a review", "Confirm new arrangements", "Contact the family"]


def build(tmp: Path):  # type: ignore[no-untyped-def]
    from app import create_app
    from workflows.identity import add_user, issue_token
    from workflows.models import Instance, ProcessVersion, TaskRow, urgency_rank, utcnow

    web = Path(__file__).resolve().parent.parent / "tests" / "web"
    app = create_app({"TESTING": False, "DATABASE_URL": f"sqlite:///{tmp / 'inbox.db'}", "CREATE_SCHEMA": True,
                      "SYNC_ON_START": False, "SESSION_COOKIE_SECURE": False, "FORMS_DIR": str(web / "forms")})
    services = app.extensions["careflow"]
    two_steps = web / "two_steps.bpmn"
    with services.db.transaction() as session:
        services.library.store(session, {"two_steps.bpmn": two_steps.read_text()}, {})
    groups = [f"team_{g}" for g in range(GROUPS)]
    users = []
    for u in range(USERS):
        name = f"worker.{u:02d}"
        # Each worker is in their own team and one neighbouring team.
        add_user(services.db, name, "caseworker", [groups[u % GROUPS], groups[(u + 1) % GROUPS]],
                 display_name=f"Worker {u:02d}", password="careflow-demo" if u == 0 else None)
        users.append(name)
    rng = random.Random(7)
    now = utcnow()
    with services.db.transaction() as session:
        version_id = session.scalars(select(ProcessVersion.id)).first()
        instances = []
        for i in range(INSTANCES):
            instances.append({"id": str(uuid.uuid4()), "process_id": "web_two_steps",
                              "process_version_id": version_id, "case_reference": f"CF-2026-{i + 1:06d}",
                              "title": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}", "status": "running",
                              "state": "{}", "version": 1, "created_at": now, "updated_at": now,
                              "summary": {"urgency": u} if (u := rng.choice(URGENCIES)) else {}})
        session.execute(insert(Instance), instances)
        tasks = []
        for t in range(TASKS):
            inst = instances[t % INSTANCES]
            group_index = rng.randrange(GROUPS)
            members = [users[u] for u in range(USERS) if group_index in (u % GROUPS, (u + 1) % GROUPS)]
            assigned = rng.random() < 0.3
            due = None if rng.random() < 0.1 else now + timedelta(hours=rng.randint(-240, 720))
            tasks.append({"id": str(uuid.uuid4()), "instance_id": inst["id"], "process_id": "web_two_steps",
                          "case_reference": inst["case_reference"], "subject": inst["title"],
                          "name": "check_details", "title": rng.choice(TASK_TITLES), "lane": "Adult Social Care",
                          "candidate_group": groups[group_index],
                          "assignee": rng.choice(members) if assigned else None, "state": "open",
                          "form_key": "web_check_details", "due_at": due,
                          "urgency_rank": urgency_rank(inst["summary"]),
                          "created_at": now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))})
        session.execute(insert(TaskRow), tasks)
    with services.db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
    return app, users[0], issue_token(services.db, users[0])


def measure(call, rounds: int | None = None) -> list[float]:  # type: ignore[no-untyped-def]
    rounds = rounds or ROUNDS
    for _ in range(5):
        call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    global TASKS, INSTANCES, USERS, ROUNDS
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=TASKS)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="requests measured per page")
    args = parser.parse_args()
    TASKS, ROUNDS = max(100, args.tasks), max(5, args.rounds)
    INSTANCES, USERS = max(20, TASKS // 5), min(USERS, max(GROUPS, TASKS // 100))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        app, username, token = build(Path(tmp))
        print(f"loaded {TASKS} open tasks, {INSTANCES} cases, {USERS} users in {GROUPS} groups "
              f"in {time.perf_counter() - started:.1f}s")
        client = app.test_client()
        page = client.get("/sign-in")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        signed = client.post("/sign-in", data={"csrf_token": csrf, "username": username,
                                                "password": "careflow-demo"})
        assert signed.status_code == 302, signed.status_code
        first = client.get("/")
        assert first.status_code == 200, first.status_code
        counts = re.findall(r'careflow-counts__number">(\d+)<', first.text)
        print(f"{username}: assigned {counts[0]}, claimable {counts[1]}, overdue {counts[2]}")
        api_headers = {"Authorization": f"Bearer {token}"}
        api = client.get("/api/v1/tasks?mine=true&myGroups=true", headers=api_headers)
        assert api.status_code == 200 and api.json["total"] > 0, api.status_code
        print(f"API total for {username}: {api.json['total']}")

        page_times = measure(lambda: client.get("/"))
        api_times = measure(lambda: client.get("/api/v1/tasks?mine=true&myGroups=true", headers=api_headers))
        filtered = measure(lambda: client.get("/?person=Sample&due=week"), rounds=min(20, ROUNDS))
        print(f"inbox page:     median {statistics.median(page_times):6.1f} ms  p95 {p95(page_times):6.1f} ms")
        print(f"tasks API:      median {statistics.median(api_times):6.1f} ms  p95 {p95(api_times):6.1f} ms")
        print(f"filtered page:  median {statistics.median(filtered):6.1f} ms  p95 {p95(filtered):6.1f} ms")
        app.extensions["careflow"].db.dispose()
        print(f"inbox tasks={TASKS} page_p95_ms={p95(page_times):.1f} api_p95_ms={p95(api_times):.1f}")


if __name__ == "__main__":
    main()
