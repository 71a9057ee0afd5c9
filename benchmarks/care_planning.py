"""Care and support planning under load.

1. Validate a plan of 50 line items: derive the plan's facts and run V01-V28 (logged on the case),
   as the "Check the plan" button does - median and p95 of ``preview_validation``.
2. Open the inbox of a team with 5,000 plans under review: 5,000 care-planning cases, each with its
   plan record (line items included) and an open planned-review task for the team; one worker's
   inbox page and the task-list API, signed in - median and p95.

The last line is ``care_planning lines=50 validate_p95_ms=X plans=5000 inbox_p95_ms=Y api_p95_ms=Z``.
``main(lines=..., plans=..., rounds=...)`` runs it small (the test suite does).
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

NAMES = ["Alex", "Sam", "Jordan", "Robin", "Casey", "Morgan", "Jamie", "Taylor", "Riley", "Avery"]
SURNAMES = ["Example", "Sample", "Placeholder", "Testwell", "Fictional", "Madeup", "Notreal", "Specimen"]
FACTS = {"personRef": "P-BENCH", "personName": "Bench Person (invented)", "assessmentFinalised": True,
         "indicativeWeekly": 5000, "needsFromImpairmentOrIllness": True, "significantImpactOnWellbeing": True,
         "outcomesUnable": ["NUTRITION", "HOME_SAFETY"], "s117": False, "placedByOtherAuthority": "NONE",
         "orDetermined": "THIS_COUNCIL", "allocatedWorker": "worker.00"}


def measure(call: Any, rounds: int) -> list[float]:
    for _ in range(min(5, rounds)):
        call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def build(tmp: Path) -> Any:
    from app import create_app
    from workflows.identity import add_user

    app = create_app({"TESTING": False, "DATABASE_URL": f"sqlite:///{tmp / 'plans.db'}", "CREATE_SCHEMA": True,
                      "SESSION_COOKIE_SECURE": False})
    add_user(app.extensions["careflow"].db, "worker.00", "caseworker", ["allocated_worker"],
             display_name="Worker 00", password="careflow-demo")
    return app


def validation(app: Any, lines: int, rounds: int) -> list[float]:
    from workflows.identity import principal_for
    from workflows.models import Instance
    from workflows.procedures.care_planning import plans, use_cases
    from workflows.procedures.care_planning import runtime_api as rt

    services = app.extensions["careflow"]
    runtime = services.runtime
    case = runtime.correlate_message("assessment_finalised", {}, FACTS, actor="worker.00")["started"][0]
    with rt.transaction(runtime) as session:
        row = session.get(Instance, case)
        _, wf = rt.load(runtime, session, case)
        plan = plans.open_plan(session, row, rt.case_data(wf))
        plans.update_plan(plan, {"strengths": "Neighbours help", "needs": [
            {"description": f"Need {n}", "eligible": n % 3 != 0, "howMet": "Support"} for n in range(20)]})
        for n in range(lines):
            plans.add_line(plan, {"description": f"Service {n}", "budgetOption": ("COUNCIL_MANAGED", "ISF",
                                  "DIRECT_PAYMENT")[n % 3], "weeklyCost": 10 + n, "frequency": "weekly"})
        plan_id = plan.id
    with services.db.reading() as session:
        user = principal_for(session, "worker.00")
    return measure(lambda: use_cases.preview_validation(runtime, plan_id, user), rounds)


def load_team(app: Any, plans_count: int) -> None:
    """Bulk rows, as the projections hold them: cases, plans with line items, open review tasks."""
    from workflows.models import Instance, ProcessVersion, TaskRow, utcnow
    from workflows.procedures.care_planning.models import CarePlan, LineItem

    services = app.extensions["careflow"]
    rng = random.Random(11)
    now = utcnow()
    with services.db.transaction() as session:
        version_id = session.scalars(select(ProcessVersion.id).where(
            ProcessVersion.process_id == "care_support_planning")).first()
        instances, plan_rows, tasks = [], [], []
        for i in range(plans_count):
            iid = str(uuid.uuid4())
            ref = f"CF-2026-B{i:06d}"
            name = f"{rng.choice(NAMES)} {rng.choice(SURNAMES)}"
            instances.append({"id": iid, "process_id": "care_support_planning", "process_version_id": version_id,
                              "case_reference": ref, "title": name, "status": "running", "state": "{}",
                              "version": 1, "summary": {"planStatus": "SIGNED_OFF", "allocatedWorker": "worker.00"},
                              "created_at": now, "updated_at": now})
            plan_rows.append({"case_reference": ref, "version": 1, "instance_id": iid, "status": "SIGNED_OFF",
                              "person_name": name, "plan_for": "ADULT", "created_at": now, "updated_at": now})
            tasks.append({"id": str(uuid.uuid4()), "instance_id": iid, "process_id": "care_support_planning",
                          "case_reference": ref, "subject": name, "name": "csp_review",
                          "title": "Planned review: light-touch, interim, DP or annual (CSP-23, CSP-24)",
                          "lane": "Allocated worker", "candidate_group": "allocated_worker",
                          "assignee": "worker.00" if rng.random() < 0.5 else None, "state": "open",
                          "form_key": "csp_review", "due_at": now + timedelta(days=rng.randint(-30, 60)),
                          "created_at": now - timedelta(days=rng.randint(0, 60))})
        session.execute(insert(Instance), instances)
        session.execute(insert(CarePlan), plan_rows)
        ids = session.scalars(select(CarePlan.id)).all()
        session.execute(insert(LineItem), [{"plan_id": pid, "description": "Home care", "budget_option":
                                            "COUNCIL_MANAGED", "weekly_cost_pence": 20000, "status": "PROVISIONED",
                                            "approval": "APPROVED", "carer_respite": False, "brokered": False,
                                            "nhs_responsibility": False} for pid in ids for _ in range(3)])
        session.execute(insert(TaskRow), tasks)
    with services.db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")


def inbox(app: Any, rounds: int) -> tuple[list[float], list[float]]:
    from workflows.identity import issue_token

    client = app.test_client()
    page = client.get("/sign-in")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    signed = client.post("/sign-in", data={"csrf_token": csrf, "username": "worker.00", "password": "careflow-demo"})
    assert signed.status_code == 302, signed.status_code
    assert client.get("/").status_code == 200
    headers = {"Authorization": f"Bearer {issue_token(app.extensions['careflow'].db, 'worker.00')}"}
    api = client.get("/api/v1/tasks?mine=true&myGroups=true&processId=care_support_planning", headers=headers)
    assert api.status_code == 200 and api.json["total"] > 0, api.status_code
    page_times = measure(lambda: client.get("/"), rounds)
    api_times = measure(lambda: client.get("/api/v1/tasks?mine=true&myGroups=true", headers=headers), rounds)
    return page_times, api_times


def main(lines: int = 50, plans: int = 5000, rounds: int = 40) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        app = build(Path(tmp))
        try:
            validate = validation(app, lines, rounds)
            print(f"validate a plan of {lines} line items: median {statistics.median(validate):6.1f} ms  "
                  f"p95 {p95(validate):6.1f} ms")
            started = time.perf_counter()
            load_team(app, plans)
            print(f"loaded {plans} plans under review in {time.perf_counter() - started:.1f}s")
            page_times, api_times = inbox(app, rounds)
            print(f"team inbox page: median {statistics.median(page_times):6.1f} ms  p95 {p95(page_times):6.1f} ms")
            print(f"tasks API:       median {statistics.median(api_times):6.1f} ms  p95 {p95(api_times):6.1f} ms")
        finally:
            app.extensions["careflow"].db.dispose()
        figures = {"validate_p95_ms": p95(validate), "inbox_p95_ms": p95(page_times), "api_p95_ms": p95(api_times)}
        print(f"care_planning lines={lines} validate_p95_ms={figures['validate_p95_ms']:.1f} plans={plans} "
              f"inbox_p95_ms={figures['inbox_p95_ms']:.1f} api_p95_ms={figures['api_p95_ms']:.1f}")
        return figures


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50, help="line items in the plan validated")
    parser.add_argument("--plans", type=int, default=5000, help="plans under review in the team")
    parser.add_argument("--rounds", type=int, default=40, help="timed requests of each kind")
    options = parser.parse_args()
    main(lines=options.lines, plans=options.plans, rounds=options.rounds)
