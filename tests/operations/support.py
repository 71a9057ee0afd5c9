"""The operations tests' app: the web test app plus the ``ops_sharing`` process (record an amount,
share it by a script that fails on a divisor of 0, wait a cooling-off period, review) and an admin."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.web.support import PASSWORD, make_web_app

HERE = Path(__file__).resolve().parent
OPERATORS = [("ada.admin", "Ada Admin", "admin", ["admins"])]


def make_ops_app(tmp_path: Path, **overrides: Any) -> Any:
    from workflows.identity import add_user

    app = make_web_app(tmp_path, **overrides)
    services = app.extensions["careflow"]
    for form in (HERE / "forms").glob("*.json"):
        shutil.copy(form, Path(app.config["FORMS_DIR"]) / form.name)
    with services.db.transaction() as session:
        services.library.store(session, {"ops_sharing.bpmn": (HERE / "ops_sharing.bpmn").read_text()}, {})
    for username, name, role, groups in OPERATORS:
        add_user(services.db, username, role, groups, display_name=name, password=PASSWORD, exist_ok=True)
    return app


def principal(services: Any, username: str) -> Any:
    from workflows.identity import principal_for

    with services.db.reading() as session:
        return principal_for(session, username)


def open_task(services: Any, instance_id: str) -> Any:
    from workflows.models import TaskRow

    with services.db.reading() as session:
        return session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id,
                                                     TaskRow.state == "open")).one_or_none()


def start_sharing(services: Any, name: str, *, amount: float = 300, divisor: int = 3,
                  cooling_off: str = "PT1H") -> Any:
    """A case past its first task: with ``divisor`` 0 it stands at an incident on 'Share the amount',
    otherwise it waits for the cooling-off timer."""
    row = services.runtime.start("ops_sharing", {"personName": name, "coolingOff": cooling_off},
                                 actor="casey.worker")
    task = open_task(services, row.id)
    return services.runtime.complete_task(task.id, {"amount": amount, "divisor": divisor},
                                          principal(services, "casey.worker"))


def open_incident(services: Any, instance_id: str) -> Any:
    from workflows.models import Incident

    with services.db.reading() as session:
        return session.scalars(select(Incident).where(Incident.instance_id == instance_id,
                                                      Incident.state == "open")).one()


def audit_rows(services: Any, instance_id: str | None = None, action: str | None = None) -> list[Any]:
    from workflows.models import AuditEvent

    query = select(AuditEvent).order_by(AuditEvent.id)
    if instance_id:
        query = query.where(AuditEvent.instance_id == instance_id)
    if action:
        query = query.where(AuditEvent.action == action)
    with services.db.reading() as session:
        return list(session.scalars(query))


def instance(services: Any, instance_id: str) -> Any:
    from workflows.models import Instance

    with services.db.reading() as session:
        return session.get(Instance, instance_id)


def fix_divisor(svc: Any, instance_id: str, divisor: int) -> None:
    """Correct the divisor where a retry reads it (the failed step's parent), as a data fix outside
    careflow would: the state is saved through the runtime like any step."""
    from workflows import StepContext

    with svc.runtime.transaction() as session:
        row, wf = svc.runtime.load(session, instance_id, lock=True)
        for task in wf.get_tasks():
            if task.task_spec.bpmn_id == "share_amount":
                task.parent.data["divisor"] = divisor
                task.data["divisor"] = divisor
        svc.runtime._save(session, row, wf, StepContext(row.id, row.case_reference, "test"))
