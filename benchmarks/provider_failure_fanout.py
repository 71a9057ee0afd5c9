"""Fan-out of person cases at Southern Cross scale (DESIGN.md decision 2), on SQLite (a temp file).

For N = 100, 1,000 and 10,000: start an incident, bring it to the closure project, submit N affected
people through the API and time until every person case has its first task open in the inbox.
Then, with 10,000 person cases open, time a caseworker completing one person-case task. Last, upload
the largest list again to a fresh incident while another client sends a message that starts a case every
0.25 s, and time those messages (on SQLite the upload pauses between its batches to let them in).

    .venv/bin/python benchmarks/provider_failure_fanout.py [--sizes 100,1000,10000] [--samples 30]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from app import create_app  # noqa: E402
from workflows.identity import add_user, issue_token, principal_for  # noqa: E402
from workflows.models import Instance, TaskRow  # noqa: E402

GROUPS = ["qiss", "sqip", "allocated_worker", "care_navigation", "finance", "customer_access_service"]
FACTS = {"providerContactEmail": "administrator@provider.example.org",
         "providerName": "Southern Example Care Ltd", "isRegisteredCareProvider": True, "activityIsRegulated": True,
         "serviceType": "CARE_HOME_RESIDENTIAL", "eventType": "ADMINISTRATOR_APPOINTED", "serviceStatus": "CEASING",
         "unableToCarryOn": True, "cqcLikelyFailureNotified": False, "anyUrgentNeeds": False}
FUNDING = ["LCC_ARRANGED", "SELF_FUNDED", "OTHER_ENGLISH_LA_ARRANGED", "NHS_CHC", "WALES_LA"]


def person(i: int) -> dict[str, Any]:
    return {"personRef": f"P{i:06d}", "personName": f"Resident {i}", "role": "ADULT",
            "fundingCategory": FUNDING[i % len(FUNDING)], "serviceType": "CARE_HOME_RESIDENTIAL"}


class Bench:
    def __init__(self, folder: Path) -> None:
        self.app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.db'}", "CREATE_SCHEMA": True,
                               "TESTING": True})
        from app.api_recipients import demo_entries
        from workflows.recipients import seed

        with self.app.extensions["careflow"].db.transaction() as session:  # as `careflow demo` seeds it
            seed(session, demo_entries(), actor="bench")
        self.svc = self.app.extensions["careflow"]
        add_user(self.svc.db, "quinn.lead", "quality_lead", GROUPS, exist_ok=True)
        self.token = issue_token(self.svc.db, "quinn.lead")
        self.client = self.app.test_client()
        with self.svc.db.reading() as s:
            self.principal = principal_for(s, "quinn.lead")

    def post(self, path: str, json: Any) -> Any:
        r = self.client.post(f"/api/v1{path}", json=json, headers={"Authorization": f"Bearer {self.token}"})
        assert r.status_code in (200, 201), r.json
        return r.json

    def complete(self, instance_id: str, name: str, data: dict[str, Any]) -> None:
        with self.svc.db.reading() as s:
            task_id = s.scalar(select(TaskRow.id).where(TaskRow.instance_id == instance_id, TaskRow.name == name,
                                                        TaskRow.state == "open"))
        self.svc.runtime.complete_task(task_id, data, self.principal)

    def incident(self, ref: str) -> str:
        started = self.post("/messages", {"name": "provider_failure_notified", "correlationKeys": {"providerRef": ref},
                                          "payload": {"providerRef": ref, "providerName": FACTS["providerName"]}})
        iid = started["started"][0]
        self.complete(iid, "pf_verify", FACTS)
        self.complete(iid, "pf_provider_response", {"informationReceived": True})
        self.complete(iid, "pf_meeting", {"meetingDate": date.today().isoformat()})
        self.complete(iid, "pf_notice", {"closureDate": (date.today() + timedelta(days=28)).isoformat(),
                                         "noticeAgreed": True})
        self.complete(iid, "pf_provision", {"extraProvisionBy": "PROVIDER"})
        return iid

    def fanout(self, n: int) -> tuple[float, str]:
        iid = self.incident(f"PRV-BENCH-{n}")
        people = [person(i) for i in range(n)]
        start = time.perf_counter()
        result = self.post(f"/instances/{iid}/affected-people", {"people": people})
        with self.svc.db.reading() as s:
            case = s.get(Instance, iid).case_reference
            opened = s.scalar(select(func.count()).select_from(TaskRow).join(
                Instance, Instance.id == TaskRow.instance_id).where(
                Instance.parent_case_reference == case, TaskRow.state == "open", TaskRow.name == "pp_record"))
        elapsed = time.perf_counter() - start
        assert result["created"] == n and opened == n, (result["created"], opened)
        return elapsed, case

    def upload_with_messages(self, n: int, every: float = 0.25) -> tuple[float, list[float]]:
        """Upload ``n`` people while another client sends messages; the upload's seconds and each message's."""
        iid = self.incident(f"PRV-BUSY-{n}")
        people = [person(i) for i in range(n)]
        took: list[float] = []
        other = self.app.test_client()

        def upload() -> None:
            start = time.perf_counter()
            self.post(f"/instances/{iid}/affected-people", {"people": people})
            took.append(time.perf_counter() - start)

        uploader = threading.Thread(target=upload)
        uploader.start()
        seconds: list[float] = []
        while uploader.is_alive():
            time.sleep(every)
            ref = f"PRV-OTHER-{n}-{len(seconds)}"
            start = time.perf_counter()
            r = other.post("/api/v1/messages", headers={"Authorization": f"Bearer {self.token}"}, json={
                "name": "provider_failure_notified", "correlationKeys": {"providerRef": ref},
                "payload": {"providerRef": ref, "providerName": "Rowan Lodge Ltd"}})
            assert r.status_code == 200, r.json
            seconds.append(time.perf_counter() - start)
        uploader.join()
        return took[0], seconds

    def complete_sample(self, case: str, samples: int) -> list[float]:
        with self.svc.db.reading() as s:
            rows = s.execute(select(TaskRow.id, TaskRow.instance_id).join(
                Instance, Instance.id == TaskRow.instance_id).where(
                Instance.parent_case_reference == case, TaskRow.state == "open",
                TaskRow.name == "pp_record")).all()
        record = {"fundingCategory": "LCC_ARRANGED", "serviceType": "CARE_HOME_RESIDENTIAL",
                  "personLegalBasis": "S18_EXISTING", "riskToLife": False, "immediateSignificantHealthRisk": False,
                  "safeguardingRisk": False, "significantWellbeingImpact": True,
                  "providerArrangementSatisfactory": False, "personArrangesOwn": False}
        times = []
        for task_id, _ in random.Random(7).sample(rows, min(samples, len(rows))):
            start = time.perf_counter()
            self.svc.runtime.complete_task(task_id, record, self.principal)
            times.append(time.perf_counter() - start)
        return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, float] = {}
    last_case = ""
    with tempfile.TemporaryDirectory() as folder:
        bench = Bench(Path(folder))
        for n in sizes:
            results[n], last_case = bench.fanout(n)
            print(f"fanout n={n} seconds={results[n]:.2f} per_person_ms={results[n] / n * 1000:.2f}", flush=True)
        times = bench.complete_sample(last_case, args.samples)
        p90 = sorted(times)[int(len(times) * 0.9)]
        print(f"complete one person-case task with {sizes[-1]} person cases open: "
              f"median_ms={statistics.median(times) * 1000:.1f} p90_ms={p90 * 1000:.1f}")
        upload, messages = bench.upload_with_messages(sizes[-1])
        messages = sorted(messages) or [0.0]
        print(f"upload n={sizes[-1]} seconds={upload:.2f} with {len(messages)} messages sent meanwhile: "
              f"median_ms={statistics.median(messages) * 1000:.0f} max_ms={messages[-1] * 1000:.0f}")
        bench.svc.db.dispose()
    big, small = sizes[-1], (1000 if 1000 in results else sizes[0])
    growth = results[big] / results[small] if results.get(small) else 0.0
    print(f"fanout n={big} seconds={results[big]:.2f} per_person_ms={results[big] / big * 1000:.2f} "
          f"growth_{big // 1000}k_vs_{small // 1000}k={growth:.2f}")


if __name__ == "__main__":
    main()
