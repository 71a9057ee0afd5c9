"""Fixtures and the scenario driver for care and support planning: every step a person takes goes
through the API; the clock moves through ``runtime.fire_due_timers(now=...)``. People are invented."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from workflows.models import DecisionLog, Instance, OutboxMessage

PDF = b"%PDF-1.4\n% a signed FIN107 (invented)\n%%EOF\n"


def at(days: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(days=days)


class CP:
    """A team doing care and support planning through the API: a worker, managers, Care Navigation, Finance."""

    def __init__(self, app: Any, users: Any) -> None:
        self.app, self.users = app, users
        self.services = app.extensions["careflow"]
        self.runtime = self.services.runtime
        self.worker = users.make("wendy.worker", "caseworker", ("allocated_worker",))
        self.other_worker = users.make("owen.worker", "caseworker", ("allocated_worker",))
        self.manager = users.make("tom.manager", "manager", ("team_managers",))
        self.deputy = users.make("dee.manager", "manager", ("team_managers",))
        self.senior = users.make("sara.senior", "manager", ("senior_manager",))
        self.panel = users.make("pat.panel", "manager", ("governance_panel",))
        self.navigator = users.make("nia.navigator", "caseworker", ("care_navigation",))
        self.finance = users.make("fay.finance", "caseworker", ("finance",))
        self.admin = users.make("ada.admin", "admin", ("admins",))

    # ---- the case ---------------------------------------------------------------------------
    def start(self, facts: dict[str, Any]) -> str:
        r = self.worker.post("/messages", json={"name": "assessment_finalised", "payload": {
            "allocatedWorker": "wendy.worker", **facts}})
        assert r.status_code == 200, r.json
        return str(r.json["started"][0])

    def tasks(self, instance_id: str) -> list[dict[str, Any]]:
        r = self.admin.get(f"/tasks?instanceId={instance_id}&limit=500")
        assert r.status_code == 200, r.json
        return list(r.json["tasks"])

    def open_names(self, instance_id: str) -> list[str]:
        return [t["name"] for t in self.tasks(instance_id)]

    def task(self, instance_id: str, name: str) -> dict[str, Any]:
        found = [t for t in self.tasks(instance_id) if t["name"] == name]
        assert found, (name, self.open_names(instance_id), self.incidents())
        return found[0]

    def try_complete(self, instance_id: str, name: str, data: dict[str, Any], api: Any = None) -> Any:
        task = self.task(instance_id, name)
        return (api or self.worker).post(f"/care-plans/tasks/{task['id']}/complete", json={"data": data})

    def complete(self, instance_id: str, name: str, data: dict[str, Any], api: Any = None) -> None:
        r = self.try_complete(instance_id, name, data, api)
        assert r.status_code == 200, r.json

    def incidents(self) -> list[Any]:
        from workflows.models import Incident

        with self.services.db.reading() as s:
            return [(i.element_id, i.message[:300]) for i in s.scalars(select(Incident))]

    def data(self, instance_id: str) -> dict[str, Any]:
        return dict(self.runtime.instance_data(instance_id))

    def instance(self, instance_id: str) -> Instance:
        with self.services.db.reading() as s:
            row = s.get(Instance, instance_id)
            s.expunge(row)
            return row

    def rules(self, instance_id: str) -> dict[str, list[list[int]]]:
        """Decision id -> the rule numbers matched, one list per evaluation, in order."""
        out: dict[str, list[list[int]]] = {}
        with self.services.db.reading() as s:
            for d in s.scalars(select(DecisionLog).where(DecisionLog.instance_id == instance_id)
                               .order_by(DecisionLog.id)):
                out.setdefault(d.decision_id, []).append([m["index"] for m in d.matched_rules])
        return out

    def sent(self, instance_id: str) -> list[tuple[str, str | None]]:
        with self.services.db.reading() as s:
            return [(m.template, m.recipient) for m in s.scalars(
                select(OutboxMessage).where(OutboxMessage.instance_id == instance_id).order_by(OutboxMessage.id))]

    # ---- the standard planning set-up (CSP-05 to CSP-10) ---------------------------------------
    def set_up(self, instance_id: str, *, participants: dict[str, Any] | None = None, option: str = "COUNCIL_MANAGED",
               mode: str = "WORKER_LED", combine: dict[str, Any] | None = None) -> None:
        self.complete(instance_id, "csp_explain", {"dutyExplained": True, "chargingDiscussed": True})
        self.complete(instance_id, "csp_participants", participants or {
            "substantialDifficultyAny": False, "hasAppropriateCandidate": True, "lacksCapacityToPlan": False})
        self.complete(instance_id, "csp_share_budget", {"indicativeBudgetShared": True, "toldItIsAnEstimate": True,
                                                        "factsheets": ["DIRECT_PAYMENTS", "FINANCIAL_IMPLICATIONS"]})
        self.complete(instance_id, "csp_budget_option", {"budgetOption": option, "planningMode": mode})
        self.complete(instance_id, "csp_combine", combine or {"carerIdentified": False})

    # ---- the plan --------------------------------------------------------------------------------
    def plan(self, instance_id: str) -> dict[str, Any]:
        r = self.admin.get(f"/instances/{instance_id}/care-plan")  # whoever the case's worker is
        assert r.status_code == 200, r.json
        return dict(r.json)

    def write_plan(self, instance_id: str, content: dict[str, Any], lines: list[dict[str, Any]]) -> int:
        plan = self.plan(instance_id)
        r = self.worker.put(f"/care-plans/{plan['id']}", json=content)
        assert r.status_code == 200, r.json
        for line in plan["lineItems"]:
            self.worker.client.delete(f"/api/v1/care-plans/{plan['id']}/line-items/{line['id']}",
                                      headers={"Authorization": f"Bearer {self.worker.token}"})
        for line in lines:
            r = self.worker.post(f"/care-plans/{plan['id']}/line-items", json=line)
            assert r.status_code == 201, r.json
        return int(plan["id"])

    def submit(self, plan_id: int, overrides: dict[str, str] | None = None) -> dict[str, Any]:
        r = self.worker.post(f"/care-plans/{plan_id}/submit", json={"planFormat": "CAREFLOW",
                                                                    **({"overrides": overrides} if overrides else {})})
        assert r.status_code == 200, r.json
        return dict(r.json)

    def activate(self, plan_id: int, line_id: int, api: Any = None) -> Any:
        return (api or self.worker).post(f"/care-plans/{plan_id}/line-items/{line_id}/activate")

    def upload(self, plan_id: int, kind: str = "FIN107", content: bytes = PDF, filename: str = "fin107.pdf",
               signed: bool = True, api: Any = None) -> Any:
        import io

        who = api or self.worker
        return who.client.post(f"/api/v1/care-plans/{plan_id}/documents",
                               data={"kind": kind, "signed": "true" if signed else "false",
                                     "file": (io.BytesIO(content), filename)},
                               headers={"Authorization": f"Bearer {who.token}"}, content_type="multipart/form-data")

    def delegate(self, username: str, self_delegation: bool, limit: float) -> None:
        r = self.manager.put(f"/delegations/{username}", json={"selfDelegation": self_delegation,
                                                               "weeklyLimit": limit})
        assert r.status_code == 200, r.json

    def fire(self, days: float) -> int:
        return int(self.runtime.fire_due_timers(now=at(days)))


def complete_plan(**over: Any) -> dict[str, Any]:
    """Plan content that meets every validation rule (the scenario changes what it needs)."""
    content: dict[str, Any] = {
        "writtenBy": "the person, with her mother", "howNeedsMet": "Personal assistants at home; short breaks",
        "informationAdvice": "Local carers' centre and the community transport scheme",
        "strengths": "Keen cook; close friends nearby; uses the library computer club",
        "otherServices": "Personal Independence Payment; none from the NHS",
        "contributions": "Her mother helps at weekends", "changeNotification": "Ring the duty team",
        "controlMechanism": "She manages the plan herself", "reviewArrangements": "Allocated worker at 6-8 weeks",
        "progression": "Cook two meals a week alone within six months", "statutoryObligations":
        "No safeguarding concerns; no deprivation of liberty; property safe", "personContributionWeekly": 0,
        "needs": [{"description": "Preparing meals", "eligible": True, "howMet": "PA support each evening"},
                  {"description": "Gardening", "eligible": False, "howMet": None}],
        "outcomes": [{"outcome": "Eat a hot meal every day", "measure": "Food diary", "timescale": "3 months"}],
        "risks": [{"risk": "PA does not arrive", "management": "Agency cover", "contingency": "Ring the agency",
                   "contactName": "Duty coordinator (invented)", "contactPhone": "01632 960001"}],
        "options": [{"description": "PA hours by direct payment", "weeklyCost": 395, "chosen": True,
                     "rationale": "Her choice and meets her outcomes"},
                    {"description": "Agency home care", "weeklyCost": 430, "chosen": False,
                     "rationale": "Less control over times"}],
        "copyRecipients": [{"name": "Ms C (invented)", "relationship": "PERSON", "format": "STANDARD"}],
    }
    content.update(over)
    return content


@pytest.fixture
def cp(app: Any, users: Any) -> CP:
    from tests.provider_failure.conftest import seed_directory

    seed_directory(app)  # the recipient directory as `careflow demo` seeds it
    return CP(app, users)
