"""careflow under load, as it runs in production: PostgreSQL, two web processes, two workers.

Simulated caseworkers (50 by default) each loop for the run's length: open their inbox, open a task,
save a draft, claim it and complete it, alternating between the two web processes. Each is a browser: it keeps
its connections alive and reads for about a second between clicks (``--think``; a person reads for far longer,
and ``--think 0`` clicks back to back to find where the two cores saturate). Meanwhile a quality
lead uploads a provider failure's resident list (10,000 people by default) and 1,000 timers fall due
across the run, fired by the workers. Afterwards everything is checked for loss: every completion the
API acknowledged is recorded once, every timer fired once, every person has a case.

    .venv/bin/python benchmarks/load.py [--users 50] [--seconds 120] [--people 10000] [--timers 1000]
                                        [--think 1.0] [--backend postgresql|sqlite]

Prints latency percentiles per kind of request; the last line is
``load users=N p95_ms=X errors=E lost=L`` (target: p95 under 300 ms, no errors, nothing lost).
A 409 (someone else claimed the task first) is the expected answer to a race, not an error.
"""
from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from benchmarks.timers import BPMN as TIMER_BPMN  # noqa: E402  (one process waiting for a date)
from benchmarks.timers import percentile  # noqa: E402

REFERRAL = {"personName": "Alex Example", "referralSource": "GP", "riskToLife": False, "livesAlone": True}
FACTS = {"providerContactEmail": "administrator@provider.example.org",
         "providerName": "Loadtest House Ltd", "isRegisteredCareProvider": True, "activityIsRegulated": True,
         "serviceType": "CARE_HOME_RESIDENTIAL", "eventType": "ADMINISTRATOR_APPOINTED", "serviceStatus": "CEASING",
         "unableToCarryOn": True, "cqcLikelyFailureNotified": False, "anyUrgentNeeds": False}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.conflicts = 0
        self.completed: list[tuple[str, str]] = []  # (task id, user) the API said were completed

    def call(self, client: requests.Session, kind: str, method: str, url: str, token: str,
             **kw: Any) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = client.request(method, url, headers={"Authorization": f"Bearer {token}"}, timeout=30, **kw)
        except requests.RequestException as exc:
            with self.lock:
                self.errors[f"{kind}: {type(exc).__name__}"] += 1
            return None
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.times[kind].append(elapsed)
            if response.status_code == 409:
                self.conflicts += 1
            elif response.status_code >= 400:
                self.errors[f"{kind}: {response.status_code}"] += 1
        return response


def caseworker(bases: list[str], token: str, username: str, stats: Stats, until: float, seed: int,
               think: float) -> None:
    rng = random.Random(seed)
    turn = seed
    with requests.Session() as client:  # one browser each: connections kept alive, as a browser keeps them
        while time.time() < until:
            turn = one_round(client, bases, token, username, stats, rng, turn, think)


def pause(rng: random.Random, think: float) -> None:
    """A caseworker reads before the next click: ``think`` seconds on average (0.5x to 1.5x)."""
    if think > 0:
        time.sleep(rng.uniform(0.5 * think, 1.5 * think))


def one_round(client: requests.Session, bases: list[str], token: str, username: str, stats: Stats,
              rng: random.Random, turn: int, think: float) -> int:
    """Inbox, open a task, save a draft, claim and complete it, reading between clicks; the next turn."""
    base = bases[turn % len(bases)]
    inbox = stats.call(client, "inbox", "GET", f"{base}/api/v1/tasks?myGroups=true&limit=25", token)
    open_tasks = [t for t in inbox.json()["tasks"] if not t["assignee"]] \
        if inbox is not None and inbox.status_code == 200 else []
    if not open_tasks:
        time.sleep(max(0.2, think))
        return turn + 1
    pause(rng, think)
    task = rng.choice(open_tasks)
    opened = stats.call(client, "open task", "GET", f"{base}/api/v1/tasks/{task['id']}", token)
    if opened is None or opened.status_code != 200:
        return turn + 1
    pause(rng, think)
    stats.call(client, "save draft", "PUT", f"{base}/api/v1/tasks/{task['id']}/draft", token,
               json={"data": {"personName": "Alex Ex"}})
    pause(rng, think)
    claimed = stats.call(client, "claim", "POST", f"{base}/api/v1/tasks/{task['id']}/claim", token, json={})
    if claimed is None or claimed.status_code != 200:
        return turn + 1
    pause(rng, think)
    done = stats.call(client, "complete", "POST", f"{base}/api/v1/tasks/{task['id']}/complete", token,
                      json={"data": REFERRAL})
    if done is not None and done.status_code == 200:
        with stats.lock:
            stats.completed.append((task["id"], username))
    return turn + 1


def upload_people(base: str, token: str, people: int, stats: Stats, result: dict[str, Any]) -> None:
    """A quality lead opens an incident, brings it to the closure project and uploads the residents."""
    def post(path: str, body: dict[str, Any]) -> requests.Response:
        response = requests.post(f"{base}/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"},
                                 timeout=600)
        if response.status_code >= 400:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
        return response

    def complete(instance: str, name: str, data: dict[str, Any]) -> None:
        tasks = requests.get(f"{base}/api/v1/tasks?instanceId={instance}&limit=100",
                             headers={"Authorization": f"Bearer {token}"}, timeout=60).json()["tasks"]
        [task] = [t for t in tasks if t["name"] == name]
        post(f"/tasks/{task['id']}/complete", {"data": data})

    try:
        started = post("/messages", {"name": "provider_failure_notified", "correlationKeys": {"providerRef": "LOAD-1"},
                                     "payload": {"providerRef": "LOAD-1", "providerName": "Loadtest House Ltd"}})
        incident = (started.json()["started"] or started.json()["correlated"])[0]
        complete(incident, "pf_verify", FACTS)
        complete(incident, "pf_provider_response", {"informationReceived": True})
        complete(incident, "pf_meeting", {"meetingDate": (date.today() + timedelta(days=1)).isoformat()})
        complete(incident, "pf_notice", {"closureDate": (date.today() + timedelta(days=28)).isoformat(),
                                         "noticeAgreed": True})
        complete(incident, "pf_provision", {"extraProvisionBy": "PROVIDER"})
        residents = [{"personRef": f"LR{i:05d}", "personName": f"Resident {i} Example", "role": "ADULT",
                      "fundingCategory": "LCC_ARRANGED", "serviceType": "CARE_HOME_RESIDENTIAL"}
                     for i in range(people)]
        clock = time.perf_counter()
        uploaded = post(f"/instances/{incident}/affected-people", {"people": residents})
        answer = uploaded.json()
        result.update(incident=incident, answered=time.perf_counter() - clock)
        while uploaded.status_code == 202 and answer["status"] == "opening":  # opened by the workers meanwhile
            time.sleep(1)
            answer = requests.get(f"{base}{answer['progressUrl']}", headers={"Authorization": f"Bearer {token}"},
                                  timeout=60).json()
        if answer.get("status") not in (None, "finished"):
            raise RuntimeError(f"upload {answer.get('status')}: {answer.get('stoppedBecause')}")
        result.update(seconds=time.perf_counter() - clock, created=answer["created"])
    except Exception as exc:  # noqa: BLE001  reported as an error of the run
        with stats.lock:
            stats.errors[f"upload: {exc}"[:200]] += 1


T0 = time.perf_counter()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--timers", type=int, default=1_000)
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds a caseworker reads between clicks, on average (0: clicks back to back)")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args()

    from app import build_services, default_config
    from tests.reliability.workers import Worker
    from workflows.identity import add_user, issue_token
    from workflows.models import AuditEvent, Instance, TaskRow, TimerRow

    work = Path(tempfile.mkdtemp(prefix="careflow-load-"))
    print(f"[{time.perf_counter() - T0:.1f}s] starting {args.backend}", flush=True)
    server = None
    if args.backend == "postgresql":
        from tests.pg import PgServer

        server = PgServer().start()
        url = server.new_database("load")
    else:
        url = f"sqlite:///{work / 'load.db'}"
    procs: list[Any] = []
    try:
        svc = build_services({**default_config(), "DATABASE_URL": url, "CREATE_SCHEMA": True})
        from app.api_recipients import demo_entries
        from workflows.recipients import seed

        with svc.db.transaction() as session:  # the recipient directory as `careflow demo` seeds it
            seed(session, demo_entries(), actor="load")
        with svc.db.transaction() as session:
            svc.library.store(session, {"bench_timer.bpmn": TIMER_BPMN}, {})
        users = [f"worker.{i:02d}" for i in range(args.users)]
        tokens = {}
        for name in users:
            add_user(svc.db, name, "caseworker", ["adult_social_care"])
            tokens[name] = issue_token(svc.db, name)
        add_user(svc.db, "quinn.lead", "quality_lead", ["customer_access_service", "qiss", "sqip"])
        lead = issue_token(svc.db, "quinn.lead")
        cases = max(20, args.users * 30)  # enough work that nobody runs out
        for first in range(0, cases, 200):
            with svc.runtime.transaction() as session:
                for _ in range(first, min(cases, first + 200)):
                    svc.runtime.start_in(session, "demo_referral", {}, actor="load")
        far = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
        for first in range(0, args.timers, 200):  # made now, due during the run (set just before it starts)
            with svc.runtime.transaction() as session:
                for _ in range(first, min(args.timers, first + 200)):
                    svc.runtime.start_in(session, "bench_timer", {"dueAt": far}, actor="load")
        print(f"[{time.perf_counter() - T0:.1f}s] set up: {args.users} caseworkers, {cases} referrals, "
              f"{args.timers} timers on {args.backend}", flush=True)

        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), "CAREFLOW_SYNC_ON_START": "false"}
        ports = [free_port(), free_port()]
        for port in ports:
            log = open(work / f"web{port}.log", "ab")
            procs.append(subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1",
                                           "--port", str(port), "--no-scheduler", "--threads", "16"],
                                          cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        workers = [Worker(url, work / f"worker{i}.log", poll=0.5).start() for i in range(2)]
        procs += [w.process for w in workers]
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for base in bases:
            deadline = time.time() + 60
            while True:
                try:
                    if requests.get(f"{base}/api/v1/openapi.json", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.time() > deadline:
                    raise RuntimeError(f"{base} did not start")
                time.sleep(0.2)

        window_start, span = datetime.now(timezone.utc) + timedelta(seconds=1), max(1.0, args.seconds - 2)
        with svc.db.transaction() as session:  # the timers fall due evenly across the run
            ids = list(session.scalars(select(TimerRow.id).order_by(TimerRow.id)))
            for i, timer_id in enumerate(ids):
                session.get(TimerRow, timer_id).due_at = window_start + timedelta(seconds=span * i / len(ids))
        print(f"[{time.perf_counter() - T0:.1f}s] two web processes and two workers up", flush=True)
        stats, upload = Stats(), {}
        until = time.time() + args.seconds
        threads = [threading.Thread(target=caseworker, args=(bases, tokens[u], u, stats, until, i, args.think),
                                    daemon=True) for i, u in enumerate(users)]
        uploader = threading.Thread(target=upload_people, args=(bases[0], lead, args.people, stats, upload),
                                    daemon=True)
        for t in [uploader, *threads]:
            t.start()
        for t in threads:
            t.join()
        uploader.join(timeout=600)
        deadline = time.time() + 120
        while time.time() < deadline:
            with svc.db.reading() as s:
                if not s.scalar(select(func.count()).select_from(TimerRow).join(
                        Instance, Instance.id == TimerRow.instance_id).where(
                        TimerRow.state == "waiting", Instance.process_id == "bench_timer")):
                    break
            time.sleep(0.5)

        print(f"[{time.perf_counter() - T0:.1f}s] run over; checking", flush=True)
        lost = 0
        with svc.db.reading() as s:
            done = {r.id: r for r in s.scalars(select(TaskRow).where(
                TaskRow.id.in_([t for t, _ in stats.completed])))}
            completions = Counter(s.scalars(select(AuditEvent.task_id).where(AuditEvent.action == "task_completed")))
            for task_id, user in stats.completed:
                row = done.get(task_id)
                if row is None or row.state != "completed" or row.completed_by != user or completions[task_id] != 1:
                    lost += 1
            timer_rows = s.scalars(select(TimerRow).join(Instance, Instance.id == TimerRow.instance_id).where(
                Instance.process_id == "bench_timer")).all()
            fired = Counter(s.scalars(select(AuditEvent.task_id).where(AuditEvent.action == "timer_fired")))
            lost += sum(1 for t in timer_rows if t.state != "fired" or fired[t.id] != 1)
            lost += args.timers - len(timer_rows)
            people = s.scalar(select(func.count()).select_from(Instance).where(
                Instance.process_id == "provider_failure_person")) or 0
            lags = [t.lag_seconds for t in timer_rows if t.lag_seconds is not None]
        lost += max(0, args.people - people) if upload else 0
        every = [v for values in stats.times.values() for v in values]
        for kind, values in sorted(stats.times.items()):
            print(f"{kind:>11}: n={len(values):6d} p50 {percentile(values, 50):7.1f} ms  "
                  f"p95 {percentile(values, 95):7.1f} ms  p99 {percentile(values, 99):7.1f} ms")
        print(f"completions acknowledged: {len(stats.completed)}; claims lost to a colleague (409): {stats.conflicts}")
        if upload:
            print(f"upload of {args.people} people: answered in {upload.get('answered', 0):.1f}s, all opened in "
                  f"{upload.get('seconds', 0):.1f}s, {people} person cases")
        if lags:
            print(f"timers: {len(timer_rows)} fired, lag p50 {statistics.median(lags):.3f}s "
                  f"p99 {percentile(lags, 99):.3f}s")
        for error, n in stats.errors.most_common(10):
            print(f"error x{n}: {error}")
        errors = sum(stats.errors.values())
        print(f"load users={args.users} p95_ms={percentile(every, 95):.1f} errors={errors} lost={lost}")
        svc.db.dispose()
        return 0
    finally:
        for proc in procs:
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
