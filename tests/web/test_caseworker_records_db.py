"""Notes, documents and continuity on both database engines (SQLite and PostgreSQL): the bytes of a
document come back as stored; a claim allocates an unallocated case, and leaves an allocation made
meanwhile as it is."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.pg import database_url, pg_server, pg_url  # noqa: F401

from .support import make_web_app


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Any:  # noqa: F811
    app = make_web_app(tmp_path, DATABASE_URL=database_url)
    yield app.extensions["careflow"]
    app.extensions["careflow"].db.dispose()


def _principal(services: Any, username: str) -> Any:
    from workflows.identity import principal_for

    with services.db.reading() as session:
        return principal_for(session, username)


def test_records_and_continuity_on_each_engine(services: Any) -> None:
    from sqlalchemy import select

    from workflows import casework
    from workflows.models import TaskRow

    case = services.runtime.start("web_two_steps", {"personName": "Engine Person"}, actor="morgan.manager")
    casey = _principal(services, "casey.worker")
    content = b"%PDF-1.4\n" + bytes(range(256)) * 10
    doc = casework.add_document(services.db, case.id, casey, title="Scan", filename="scan.pdf", content=content)
    casework.add_note(services.db, case.id, casey, category="visit", text="Visited", contact_date=None)
    with services.db.reading() as session:
        assert casework.document(session, doc.id).content == content
        assert casework.notes_of(session, case.case_reference)[0]["text"] == "Visited"
        task_id = session.scalars(select(TaskRow.id).where(TaskRow.instance_id == case.id)).one()
    # Someone else allocated the case between our look and our claim: theirs stands, no error.
    casework.allocate(services.db, case.case_reference, "sam.support", _principal(services, "morgan.manager"))
    services.runtime.claim(task_id, casey)
    with services.db.reading() as session:
        assert casework.allocated_worker(session, case.case_reference) == "sam.support"
    # An unallocated case: the claim allocates it in its own transaction.
    other = services.runtime.start("web_two_steps", {"personName": "Second Person"}, actor="morgan.manager")
    with services.db.reading() as session:
        other_task = session.scalars(select(TaskRow.id).where(TaskRow.instance_id == other.id)).one()
    services.runtime.claim(other_task, casey)
    with services.db.reading() as session:
        assert casework.allocated_worker(session, other.case_reference) == "casey.worker"


def test_a_quality_lead_doing_a_step_does_not_become_the_allocated_worker(services: Any) -> None:
    from sqlalchemy import select

    from workflows import casework
    from workflows.identity import add_user
    from workflows.models import TaskRow

    add_user(services.db, "lee.lead", "quality_lead", ["adult_social_care"], display_name="Lee Lead",
             password="careflow-demo")
    lee, casey = _principal(services, "lee.lead"), _principal(services, "casey.worker")

    def open_step(instance_id: str) -> TaskRow:
        with services.db.reading() as session:
            return session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id,
                                                         TaskRow.state == "open")).one()

    case = services.runtime.start("web_two_steps", {"personName": "Lead Person"}, actor="morgan.manager")
    details = {"personName": "Lead Person", "dateOfBirth": "1950-02-03", "contactMethod": "PHONE", "hasCarer": False}
    services.runtime.complete_task(open_step(case.id).id, details, lee)  # claim on submit
    with services.db.reading() as session:
        assert casework.allocated_worker(session, case.case_reference) is None
    step = open_step(case.id)
    assert step.assignee is None  # the team's, not the lead's
    services.runtime.claim(step.id, casey)
    with services.db.reading() as session:
        assert casework.allocated_worker(session, case.case_reference) == "casey.worker"
    # A case a lead's claim held before this rule (a row from before migration 0014, how it came
    # unrecorded) passes to the first caseworker who claims a step.
    old = services.runtime.start("web_two_steps", {"personName": "Old Person"}, actor="morgan.manager")
    with services.db.transaction() as session:
        session.add(casework.CaseAllocation(case_reference=old.case_reference, username="lee.lead",
                                            allocated_by="lee.lead", source=None))
    services.runtime.claim(open_step(old.id).id, casey)
    with services.db.reading() as session:
        assert casework.allocated_worker(session, old.case_reference) == "casey.worker"
    # A case the lead holds on purpose (Hold this case) stays theirs: the caseworker has the step only.
    held = services.runtime.start("web_two_steps", {"personName": "Held Person"}, actor="morgan.manager")
    casework.allocate(services.db, held.case_reference, "lee.lead", lee)
    step = open_step(held.id)
    services.runtime.claim(step.id, casey)
    with services.db.reading() as session:
        assert casework.allocated_worker(session, held.case_reference) == "lee.lead"
        assert session.get(TaskRow, step.id).assignee == "casey.worker"
