"""A large resident list opens its person cases in batches that each commit (no upload holds the
database for long), and an upload cut off part-way is completed by sending the same list again."""
from __future__ import annotations

from sqlalchemy import func, select

from workflows.models import Instance
from workflows.procedures.provider_failure import person_cases

from .conftest import PF
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
