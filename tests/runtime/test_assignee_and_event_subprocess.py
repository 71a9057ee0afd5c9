"""Two diagram features care planning needs, as any diagram gets them: a task's ``assignee`` and
``candidateGroup`` as expressions over the case's data (``=worker``), and an event sub-process started
by a message while the process runs (a subscription projected for it, the payload given to it)."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import lab_app
from workflows.models import MessageSubscription, TaskRow


@pytest.fixture
def svc(tmp_path: Any) -> Any:
    app = lab_app(tmp_path, "assigned_and_listening.bpmn")
    services = app.extensions["careflow"]
    services.runtime.cache.size = 0
    yield services
    services.db.dispose()


def _open(svc: Any, instance_id: str) -> list[TaskRow]:
    with svc.db.reading() as s:
        return list(s.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id, TaskRow.state == "open")))


def test_assignee_and_group_are_expressions(svc: Any) -> None:
    row = svc.runtime.start("assigned_and_listening", {"worker": "kit.worker", "team": None})
    (task,) = _open(svc, row.id)
    assert (task.assignee, task.candidate_group) == ("kit.worker", "anyone")
    nobody = svc.runtime.start("assigned_and_listening", {"worker": None, "team": "review_team"})
    (task,) = _open(svc, nobody.id)
    assert (task.assignee, task.candidate_group) == (None, "review_team")


def test_a_message_starts_the_event_subprocess_while_the_case_runs(svc: Any) -> None:
    row = svc.runtime.start("assigned_and_listening", {"worker": "kit.worker", "team": None})
    with svc.db.reading() as s:
        subs = s.scalars(select(MessageSubscription).where(MessageSubscription.instance_id == row.id)).all()
        assert [(m.message_name, m.correlation_key) for m in subs] == [
            ("change_requested", f"caseReference={row.case_reference}")]
    for n in (1, 2):  # non-interrupting: every message starts another
        result = svc.runtime.correlate_message("change_requested", {"caseReference": row.case_reference},
                                               {"reason": f"request {n}"})
        assert result["correlated"] == [row.id]
    names = sorted(t.name for t in _open(svc, row.id))
    assert names == ["consider", "consider", "work"]
    assert svc.runtime.task_data(next(t.id for t in _open(svc, row.id) if t.name == "consider"))["reason"]
