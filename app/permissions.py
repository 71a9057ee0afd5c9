"""Who may do what: one role x operation table (DESIGN.md decision 10).

Every API operation names its row here (``@authenticated("task.complete")``); the web pages use the
same rows. A role outside the row gets 403. Where the row says *need to know*, the caller must also
be involved in the case: its work is (or was) for them or one of their teams, or they started it;
the oversight roles (manager, quality lead, process owner, admin) see every case. The README prints
this table (``python -m app.permissions``), and a test tries every cell through the API.
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("caseworker", "quality_lead", "manager", "process_owner", "admin")
EVERYONE = frozenset(ROLES)
CASE_WORKERS = frozenset({"caseworker", "quality_lead", "manager", "admin"})  # act on cases
OVERSIGHT = frozenset({"quality_lead", "manager", "process_owner", "admin"})
OPERATORS = frozenset({"quality_lead", "admin"})  # repair cases and read the operations pages


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    need_to_know: str = ""  # how the case-level check narrows the role, in words ("" = none)


NEED_CASE = "cases their teams work on (oversight roles: every case)"
NEED_TASK = "tasks assigned to them or offered to their teams"

MATRIX: dict[str, Rule] = {
    "me.read": Rule(EVERYONE),
    "processes.read": Rule(EVERYONE),
    "process.start": Rule(CASE_WORKERS),
    "instances.list": Rule(EVERYONE, NEED_CASE),
    "instance.read": Rule(EVERYONE, NEED_CASE),
    "tasks.list": Rule(EVERYONE, NEED_CASE),
    "task.read": Rule(EVERYONE, "tasks of their teams, assigned to them, or completed by them (oversight roles: "
                                "every task)"),
    "task.claim": Rule(CASE_WORKERS, NEED_TASK),
    "task.release": Rule(CASE_WORKERS, "their own tasks (managers and admins: any)"),
    "task.reassign": Rule(frozenset({"manager", "admin"})),
    "task.draft": Rule(CASE_WORKERS, NEED_TASK),
    "task.complete": Rule(CASE_WORKERS, NEED_TASK),
    "message.send": Rule(CASE_WORKERS, NEED_CASE + "; messages only careflow sends are refused"),
    "decision.evaluate": Rule(EVERYONE),
    "incidents.list": Rule(OVERSIGHT),
    "stalled.list": Rule(OVERSIGHT),
    "incident.repair": Rule(frozenset({"admin"})),
    # quality leads follow the letters and notices of the provider failures they run
    "outbox.list": Rule(frozenset({"quality_lead", "manager", "process_owner", "admin"})),
    "outbox.retry": Rule(frozenset({"admin"})),
    "recipients.read": Rule(frozenset({"manager", "process_owner", "admin"})),
    "recipients.write": Rule(frozenset({"admin"})),
    "definitions.validate": Rule(frozenset({"process_owner", "admin"})),
    "definitions.deploy": Rule(frozenset({"process_owner", "admin"})),
    "diagram.read": Rule(EVERYONE),
    "model.read": Rule(frozenset({"process_owner", "admin"})),
    "model.write": Rule(frozenset({"process_owner", "admin"})),
    "affected_people.add": Rule(frozenset({"quality_lead", "manager", "admin"}), NEED_CASE),
    "person_cases.read": Rule(EVERYONE, NEED_CASE),
    "providers.read": Rule(EVERYONE),
    "providers.write": Rule(frozenset({"quality_lead", "admin"})),
    "commissioning.read": Rule(frozenset({"caseworker", "quality_lead", "manager", "admin"})),
    "commissioning.advance": Rule(frozenset({"quality_lead", "manager", "admin"})),
    "care_plan.start": Rule(CASE_WORKERS),
    "care_plan.read": Rule(EVERYONE, NEED_CASE),
    "care_plan.edit": Rule(CASE_WORKERS, "the case's allocated worker (managers and admins: any plan they may see)"),
    "care_plan.validate": Rule(CASE_WORKERS, NEED_CASE),
    "care_plan.copy": Rule(CASE_WORKERS, NEED_CASE),
    "line_item.activate": Rule(CASE_WORKERS, "the allocated worker, Care Navigation, managers and admins"),
    "delegation.read": Rule(EVERYONE),
    "delegation.write": Rule(frozenset({"manager", "admin"})),
    # Operators (app/api_operations.py and the /operations pages): see incidents, audit, decisions, waiting...
    "operations.read": Rule(OPERATORS),
    # ... and repair cases: retry, resolve, suspend, resume, cancel, move, send a message again.
    "operations.repair": Rule(OPERATORS),
}


def allowed(operation: str, role: str) -> bool:
    return role in MATRIX[operation].roles


def matrix_markdown() -> str:
    """The table as Markdown, for the README."""
    head = "| operation | " + " | ".join(r.replace("_", " ") for r in ROLES) + " | need to know |"
    rule = "|---|" + "---|" * len(ROLES) + "---|"
    rows = [f"| `{op}` | " + " | ".join("yes" if r in rule_.roles else "-" for r in ROLES)
            + f" | {rule_.need_to_know or '-'} |" for op, rule_ in MATRIX.items()]
    return "\n".join([head, rule, *rows])


if __name__ == "__main__":
    print(matrix_markdown())
