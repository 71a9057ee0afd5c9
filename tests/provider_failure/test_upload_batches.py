"""A large resident list opens its person cases in batches that each commit (no upload holds the
database for long): another request's write goes in between two batches, and an upload cut off
part-way is completed by sending the same list again."""
from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import func, select

from tests.conftest import Api
from workflows.models import Instance
from workflows.procedures.provider_failure import person_cases, uploads

from .conftest import FACTS, PF
from .test_people_and_cycles import closing_incident


def people(n: int) -> list[dict[str, str]]:
    return [{"personRef": f"R{i:04d}", "personName": f"Resident {i} Example", "role": "ADULT",
             "fundingCategory": "LCC_ARRANGED", "serviceType": "HOMECARE"} for i in range(n)]


def test_a_list_cut_off_part_way_is_completed_by_sending_it_again(pf: PF, monkeypatch) -> None:
    incident = closing_incident(pf, "PRV-BATCH")
    monkeypatch.setattr(person_cases, "UPLOAD_BATCH", 40)
    calls = {"n": 0}
    real = person_cases.start_person_cases

    def fail_in_the_third_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("the server was stopped mid-upload")
        return real(*args, **kwargs)

    monkeypatch.setattr(person_cases, "start_person_cases", fail_in_the_third_batch)
    everyone = people(130)
    try:
        pf.add_people(incident, everyone)
    except OSError:
        pass
    with pf.services.db.reading() as s:
        opened = s.scalar(select(func.count()).select_from(Instance).where(
            Instance.process_id == "provider_failure_person"))
    assert opened == 80  # two batches committed, the third rolled back whole

    monkeypatch.setattr(person_cases, "start_person_cases", real)
    again = pf.add_people(incident, everyone)
    assert again.status_code == 201, again.json
    assert again.json["created"] == 50 and again.json["alreadyOpen"] == 80
    counts = pf.counts(incident)
    assert counts["total"] == 130
    refs = set(pf.children(incident))
    assert refs == {p["personRef"] for p in everyone}
    with pf.services.db.reading() as s:
        references = s.scalars(select(Instance.case_reference).where(
            Instance.process_id == "provider_failure_person")).all()
    assert len(set(references)) == 130  # numbering stays unique across batches and retries


def person_cases_opened(pf: PF) -> int:
    with pf.services.db.reading() as s:
        return s.scalar(select(func.count()).select_from(Instance).where(
            Instance.process_id == "provider_failure_person")) or 0


def write_lock_held(pf: PF) -> bool:
    """Whether some transaction holds the SQLite file's write lock now (a probe that does not wait)."""
    probe = sqlite3.connect(pf.services.db.url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        assert "locked" in str(error), error
        return True
    finally:
        probe.close()


def test_a_caseworker_completes_a_task_between_the_batches_of_a_large_upload(pf: PF, monkeypatch) -> None:
    # The app's database here is a SQLite file, where one writer at a time holds the whole database.
    assert pf.services.db.dialect == "sqlite" and not pf.services.db.url.endswith(":memory:")
    incident = closing_incident(pf, "PRV-LARGE")
    elsewhere = pf.notify("PRV-ELSEWHERE", providerName="Rowan Lodge Ltd")
    monkeypatch.setattr(person_cases, "UPLOAD_BATCH", 100)
    monkeypatch.setattr(uploads, "OPEN_IN_REQUEST", 1500)  # opened within the request, as a short list is
    everyone = people(1500)
    upload: dict[str, Any] = {}
    uploader = Api(pf.app.test_client(), pf.api.token, pf.api.username)

    def send() -> None:
        started = time.perf_counter()
        r = uploader.post(f"/instances/{incident}/affected-people", json={"people": everyone})
        upload.update(status=r.status_code, answer=r.json, seconds=time.perf_counter() - started)

    thread = threading.Thread(target=send)
    thread.start()
    try:
        end = time.monotonic() + 120
        # The first batch has committed and the second holds the write lock: the task must wait for it.
        while person_cases_opened(pf) < 100 or not write_lock_held(pf):
            assert thread.is_alive() and time.monotonic() < end, upload
            time.sleep(0.01)
        started = time.perf_counter()
        pf.complete(elsewhere, "pf_verify", {**FACTS, "providerName": "Rowan Lodge Ltd"})
        waited = time.perf_counter() - started
        opened_meanwhile = person_cases_opened(pf)
    finally:
        thread.join(180)
    assert upload["status"] == 201, upload
    assert upload["answer"]["created"] == 1500 and upload["answer"]["batches"]["batches"] == 15
    print(f"\n1,500 people in 15 batches took {upload['seconds']:.1f} s; a task completed meanwhile took "
          f"{waited:.2f} s, with {opened_meanwhile} person cases opened by then")
    # The task was done in the pause after the batch that held the lock when it asked (on SQLite the
    # upload pauses between batches: workflows/batches.py), not some batches later or after the last.
    assert opened_meanwhile == 200, f"the task waited {waited:.1f} s, until {opened_meanwhile} cases were open"
    assert waited < upload["seconds"]
    assert [t["name"] for t in pf.tasks(elsewhere)] != ["pf_verify"]
