"""Fixtures and drivers for the provider-failure scenarios: everything a person does goes through the API;
the clock moves through ``runtime.fire_due_timers(now=...)``."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from workflows.models import DecisionLog, Instance, OutboxMessage

GROUPS = ("customer_access_service", "qiss", "sqip", "allocated_worker", "care_navigation", "finance",
          "head_of_service")
FACTS = {"providerName": "Oakfield House Ltd", "isRegisteredCareProvider": True, "activityIsRegulated": True,
         "serviceType": "CARE_HOME_RESIDENTIAL", "eventType": "ADMINISTRATOR_APPOINTED", "serviceStatus": "CEASING",
         "unableToCarryOn": True, "cqcLikelyFailureNotified": False, "anyUrgentNeeds": False}


def day(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


def at_day(n: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(days=n)


class PF:
    """A quality lead working an incident and its person cases through the API."""

    def __init__(self, app: Any, api: Any) -> None:
        self.app, self.api = app, api
        self.services = app.extensions["careflow"]
        self.runtime = self.services.runtime

    # ---- API ---------------------------------------------------------------------------
    def message(self, name: str, keys: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        r = self.api.post("/messages", json={"name": name, "correlationKeys": keys, "payload": payload})
        assert r.status_code == 200, r.json
        return r.json

    def tasks(self, instance_id: str) -> list[dict[str, Any]]:
        r = self.api.get(f"/tasks?instanceId={instance_id}&limit=500")
        assert r.status_code == 200, r.json
        return r.json["tasks"]

    def complete(self, instance_id: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        found = [t for t in self.tasks(instance_id) if t["name"] == name]
        assert found, (name, [t["name"] for t in self.tasks(instance_id)], self.incidents())
        r = self.api.post(f"/tasks/{found[0]['id']}/complete", json={"data": data})
        assert r.status_code == 200, r.json
        return r.json

    def incidents(self) -> list[Any]:
        from workflows.models import Incident

        with self.services.db.reading() as s:
            return [(i.element_id, i.message[:200]) for i in s.scalars(select(Incident))]

    def add_people(self, instance_id: str, people: list[dict[str, Any]], **kw: Any) -> Any:
        return self.api.post(f"/instances/{instance_id}/affected-people", json={"people": people}, **kw)

    def counts(self, instance_id: str) -> dict[str, Any]:
        r = self.api.get(f"/instances/{instance_id}/person-cases")
        assert r.status_code == 200, r.json
        return r.json

    # ---- the incident --------------------------------------------------------------------
    def notify(self, ref: str, **payload: Any) -> str:
        result = self.message("provider_failure_notified", {"providerRef": ref}, {"providerRef": ref, **payload})
        return (result["started"] or result["correlated"])[0]

    def triage(self, instance_id: str, **facts: Any) -> None:
        self.complete(instance_id, "pf_verify", {**FACTS, **facts})
        self.complete(instance_id, "pf_provider_response", {"informationReceived": True})

    def open_closure(self, instance_id: str, closure: str, provision: str = "PROVIDER") -> None:
        self.complete(instance_id, "pf_meeting", {"meetingDate": day(1)})
        self.complete(instance_id, "pf_notice", {"closureDate": closure, "noticeAgreed": True})
        self.complete(instance_id, "pf_provision", {"extraProvisionBy": provision})

    def current(self, instance_id: str) -> Instance:
        with self.services.db.reading() as s:
            row = s.get(Instance, instance_id)
            newest = s.scalars(select(Instance).where(Instance.case_reference == row.case_reference)
                               .order_by(Instance.created_at.desc())).first()
            s.expunge(newest)
            return newest

    def children(self, instance_id: str) -> dict[str, Instance]:
        with self.services.db.reading() as s:
            case = s.get(Instance, instance_id).case_reference
            rows = s.scalars(select(Instance).where(Instance.parent_case_reference == case)).all()
            for r in rows:
                s.expunge(r)
        return {r.business_key.split(":", 1)[1]: r for r in rows}

    def instance(self, instance_id: str) -> Instance:
        with self.services.db.reading() as s:
            row = s.get(Instance, instance_id)
            s.expunge(row)
            return row

    def data(self, instance_id: str) -> dict[str, Any]:
        return self.runtime.instance_data(instance_id)

    def _rows(self, model: Any, instance_ids: list[str] | None) -> list[Any]:
        with self.services.db.reading() as s:
            query = select(model).order_by(model.id)
            if instance_ids is not None:
                query = query.where(model.instance_id.in_(instance_ids))
            return list(s.scalars(query).all())

    def outbox(self, instance_ids: list[str] | None = None) -> list[OutboxMessage]:
        return self._rows(OutboxMessage, instance_ids)

    def decisions(self, instance_ids: list[str] | None = None) -> list[DecisionLog]:
        return self._rows(DecisionLog, instance_ids)

    def rules(self, instance_id: str) -> dict[str, list[int]]:
        """Decision id -> the rule numbers that matched, for one case."""
        out: dict[str, list[int]] = {}
        for d in self.decisions([instance_id]):
            out.setdefault(d.decision_id, []).extend(m["index"] for m in d.matched_rules)
        return out

    def waits_for(self, instance_id: str, message: str) -> bool:
        from workflows.models import MessageSubscription

        with self.services.db.reading() as s:
            return s.scalar(select(MessageSubscription.id).where(
                MessageSubscription.instance_id == instance_id, MessageSubscription.message_name == message)
                .limit(1)) is not None

    # ---- person cases ----------------------------------------------------------------------
    def work_person(self, instance_id: str, record: dict[str, Any], answers: dict[str, Any] | None = None,
                    clock: float = 30) -> Instance:
        """Work a person case to its end: answer each task, confirm CHC, move the clock when it waits."""
        answers = {"pp_record": record, "pp_involve": {"substantialDifficultyAny": False,
                                                      "hasAppropriateCandidate": True},
                   "pp_agree": {"agreed": True, "newProvider": "Elm Court"},
                   "pp_transfer": {"serviceStartDate": day(10), "moveDate": day(10)},
                   "pp_postmove": {"welfareOk": True}, "pp_confirm_end": {"confirmed": True},
                   "pp_review": {"dutyStillNecessary": True}, "pp_monitor": {"arrangementSatisfied": True,
                                                                            "reason": "Sister home meets needs"},
                   "pp_info_check": {"madeOwnArrangements": True},
                   "pp_coordinate": {"placingAuthorityTakesOver": True}, **(answers or {})}
        for _ in range(40):
            row = self.instance(instance_id)
            if row.status == "completed":
                return row
            assert row.status != "incident", self.incidents()
            open_tasks = self.tasks(instance_id)
            if open_tasks:
                for task in open_tasks:
                    answer = answers[task["name"]]
                    if isinstance(answer, list):  # successive answers to the same task
                        answer = answer.pop(0) if len(answer) > 1 else answer[0]
                    r = self.api.post(f"/tasks/{task['id']}/complete", json={"data": answer})
                    assert r.status_code in (200, 409), r.json
                continue
            if self.waits_for(instance_id, "chc_arrangement_confirmed"):
                self.message("chc_arrangement_confirmed", {"caseReference": row.case_reference},
                             {"chcConfirmedBy": "ICB CHC team"})
                continue
            self.runtime.fire_due_timers(now=at_day(clock))
        from workflows.models import TimerRow
        with self.services.db.reading() as s:
            rows = s.scalars(select(TimerRow).where(TimerRow.instance_id == instance_id))
            timers = [(t.element_id, t.due_at, t.state) for t in rows]
        action = self.data(instance_id).get("primaryAction")
        raise AssertionError(f"person case {instance_id} did not end: {timers} {action} {self.tasks(instance_id)}")


@pytest.fixture
def pf(app: Any, users: Any) -> PF:
    return PF(app, users.make("quinn.lead", "quality_lead", GROUPS))


@pytest.fixture(params=["cached", "uncached"])
def app(request: Any, tmp_path: Any) -> Any:
    """Every provider-failure test runs twice: with the in-process workflow cache, and without it, so
    every step saves the state and the next one restores it from the database (as after a restart)."""
    from tests.conftest import make_app

    application = make_app(tmp_path, WORKFLOW_CACHE_SIZE=256 if request.param == "cached" else 0)
    yield application
    application.extensions["careflow"].db.dispose()
