"""The plan's rules whatever way a task is done: separation of duties (CSP-16b, CSP-18), delegation held
in careflow and edited by managers, the C.6 line-item guard (U17, FIN107), upload limits, the
migrations building exactly the plan tables, and the one recipient directory."""
from __future__ import annotations

from typing import Any

import pytest

from workflows.errors import Conflict
from workflows.procedures.care_planning.models import CarePlan, LineItem
from workflows.procedures.care_planning.rules import activate

from .conftest import CP, complete_plan

PERSON = {"personRef": "P-G1", "personName": "Mx G (invented)", "assessmentFinalised": True, "indicativeWeekly": 300,
          "needsFromImpairmentOrIllness": True, "significantImpactOnWellbeing": True,
          "outcomesUnable": ["NUTRITION", "HOME_SAFETY"], "s117": False, "placedByOtherAuthority": "NONE",
          "orDetermined": "THIS_COUNCIL"}
CARE = {"description": "Home care", "budgetOption": "COUNCIL_MANAGED", "weeklyCost": 280, "frequency": "daily"}


def to_approval(cp: CP, worker: Any, allocated: str) -> tuple[str, int]:
    r = worker.post("/messages", json={"name": "assessment_finalised", "payload": {**PERSON,
                                                                                    "allocatedWorker": allocated}})
    case = r.json["started"][0]
    for name, data in (("csp_explain", {"dutyExplained": True, "chargingDiscussed": True}),
                       ("csp_participants", {"substantialDifficultyAny": False, "hasAppropriateCandidate": True,
                                             "lacksCapacityToPlan": False}),
                       ("csp_share_budget", {"indicativeBudgetShared": True, "factsheets": ["CARE_AT_HOME"]}),
                       ("csp_budget_option", {"budgetOption": "COUNCIL_MANAGED", "planningMode": "WORKER_LED"}),
                       ("csp_combine", {"carerIdentified": False})):
        cp.complete(case, name, data, api=worker)
    plan_id = cp.plan(case)["id"]
    assert worker.put(f"/care-plans/{plan_id}", json=complete_plan()).status_code == 200
    assert worker.post(f"/care-plans/{plan_id}/line-items", json=CARE).status_code == 201
    assert worker.post(f"/care-plans/{plan_id}/submit", json={}).json["valid"] is True
    return case, plan_id


def test_the_person_who_drafted_a_plan_cannot_approve_it(cp: CP) -> None:
    # A team manager who is also the allocated worker drafts the plan; DMN-07 rule 5 routes it to managers.
    case, _plan = to_approval(cp, cp.manager, "tom.manager")
    cp.complete(case, "csp_agreement", {"agreed": True}, api=cp.manager)
    assert cp.rules(case)["PlanBudgetApprovalRoute"] == [[5]]
    own = cp.try_complete(case, "csp_approve_manager", {"approvalDecision": "APPROVED"}, api=cp.manager)
    assert own.status_code == 403 and "drafted this plan" in own.json["message"]
    assert cp.open_names(case) == ["csp_approve_manager"]  # nothing changed
    cp.complete(case, "csp_approve_manager", {"approvalDecision": "APPROVED"}, api=cp.deputy)
    assert cp.plan(case)["approvedBy"] == "dee.manager"


def test_dispute_declaration_needs_two_different_people(cp: CP) -> None:
    case, _plan = to_approval(cp, cp.manager, "tom.manager")
    cp.complete(case, "csp_agreement", {"agreed": False, "disputeNextStep": "DECLARE_ALL_STEPS_TAKEN"},
                api=cp.manager)
    cp.complete(case, "csp_declare_worker", {"allReasonableStepsTaken": True, "disputeReasons": "Cost"},
                api=cp.manager)
    same = cp.try_complete(case, "csp_declare_manager", {"stepsConfirmed": True}, api=cp.manager)
    assert same.status_code == 403 and "different person" in same.json["message"]
    cp.complete(case, "csp_declare_manager", {"stepsConfirmed": True}, api=cp.deputy)
    assert cp.open_names(case) == ["csp_interim"]


def test_self_authorisation_follows_the_delegation_a_manager_sets(cp: CP) -> None:
    refused = cp.worker.put("/delegations/wendy.worker", json={"selfDelegation": True, "weeklyLimit": 500})
    assert refused.status_code == 403
    bad = cp.manager.put("/delegations/wendy.worker", json={"selfDelegation": "yes", "weeklyLimit": 500})
    assert bad.status_code == 422
    cp.delegate("wendy.worker", True, 500)
    assert cp.worker.get("/delegations/wendy.worker").json == {
        "username": "wendy.worker", "selfDelegation": True, "weeklyLimit": 500.0, "updatedBy": "tom.manager"}
    case, _plan = to_approval(cp, cp.worker, "wendy.worker")
    cp.complete(case, "csp_agreement", {"agreed": True})
    assert cp.rules(case)["PlanBudgetApprovalRoute"] == [[4]]
    cp.delegate("wendy.worker", True, 200)  # the manager lowers the limit meanwhile
    over = cp.try_complete(case, "csp_self_authorise", {"approvalDecision": "APPROVED"})
    assert over.status_code == 403 and "delegation does not cover" in over.json["message"]
    cp.delegate("wendy.worker", True, 500)
    cp.complete(case, "csp_self_authorise", {"approvalDecision": "APPROVED"})
    assert cp.plan(case)["status"] == "SIGNED_OFF"


def test_draft_task_is_completed_by_submitting_the_plan(cp: CP) -> None:
    case, _plan = to_approval(cp, cp.worker, "wendy.worker")
    cp.complete(case, "csp_agreement", {"agreed": True})
    cp.complete(case, "csp_approve_manager", {"approvalDecision": "REJECTED"}, api=cp.manager)
    bypass = cp.try_complete(case, "csp_draft", {"planFormat": "CAREFLOW"})
    assert bypass.status_code == 409 and "Submit the plan" in bypass.json["message"]


def test_u17_direct_payment_line_waits_for_the_fin107() -> None:
    plan = CarePlan(case_reference="CF-U17", version=1, line_items=[])
    line = LineItem(description="PA hours", budget_option="DIRECT_PAYMENT", weekly_cost_pence=100, status="PROPOSED",
                    approval="APPROVED")

    class NoFin107:
        def scalar(self, _query: Any) -> None:
            return None

    with pytest.raises(Conflict, match="FIN107 outstanding"):
        activate(NoFin107(), plan, line, {}, "wendy.worker", None)  # type: ignore[arg-type]
    assert line.status == "PROPOSED"
    line.approval = "PENDING"
    with pytest.raises(Conflict, match="not approved"):
        activate(NoFin107(), plan, line, {}, "wendy.worker", None)  # type: ignore[arg-type]
    s117 = LineItem(description="ISF", budget_option="ISF", weekly_cost_pence=100, status="PROPOSED",
                    approval="APPROVED")
    with pytest.raises(Conflict, match="Health agreement outstanding"):
        activate(NoFin107(), plan, s117, {"s117": True}, "wendy.worker", None)  # type: ignore[arg-type]


def test_uploads_have_type_and_size_limits(cp: CP) -> None:
    case = cp.start(PERSON)
    plan_id = cp.plan(case)["id"]
    assert cp.upload(plan_id, content=b"MZ\x90\x00 not a pdf").status_code == 422
    assert cp.upload(plan_id, content=b"").status_code == 422
    assert cp.upload(plan_id, kind="PASSPORT").status_code == 422
    huge = b"%PDF-" + b"0" * (5 * 1024 * 1024)
    too_big = cp.upload(plan_id, content=huge)
    assert too_big.status_code == 413 and "5 MB" in too_big.json["message"]
    stored = cp.upload(plan_id, kind="SIGNED_AGREEMENT", filename="../../agreement.pdf")
    assert stored.status_code == 201 and stored.json["filename"] == "signed_agreement-agreement.pdf"
    outsider = cp.users.make("cara.outsider", "caseworker", ("other_team",))
    assert outsider.get(f"/care-plan-documents/{stored.json['id']}").status_code == 403
    assert outsider.get(f"/care-plans/{plan_id}").status_code == 403
    assert cp.worker.get(f"/care-plan-documents/{stored.json['id']}").data.startswith(b"%PDF-")


def test_line_items_edit_and_totals(cp: CP) -> None:
    case = cp.start(PERSON)
    plan_id = cp.plan(case)["id"]
    r = cp.worker.post(f"/care-plans/{plan_id}/line-items", json=CARE)
    assert r.status_code == 201 and r.json["totals"]["costedWeekly"] == 280.0
    line_id = r.json["lineItem"]["id"]
    for bad in ({"description": "", "budgetOption": "ISF", "weeklyCost": 1},
                {"description": "x", "budgetOption": "CASH", "weeklyCost": 1},
                {"description": "x", "budgetOption": "ISF", "weeklyCost": -3},
                {"description": "x", "budgetOption": "ISF", "weeklyCost": "lots"}):
        assert cp.worker.post(f"/care-plans/{plan_id}/line-items", json=bad).status_code == 422
    changed = cp.worker.put(f"/care-plans/{plan_id}/line-items/{line_id}", json={"weeklyCost": "250.50"})
    assert changed.json["lineItem"]["weeklyCost"] == 250.5 and changed.json["totals"]["underIndicative"] is True
    assert cp.worker.put(f"/care-plans/{plan_id}/line-items/999", json={"weeklyCost": 1}).status_code == 404
    assert cp.other_worker.post(f"/care-plans/{plan_id}/line-items", json=CARE).status_code == 403
    gone = cp.worker.client.delete(f"/api/v1/care-plans/{plan_id}/line-items/{line_id}",
                                   headers={"Authorization": f"Bearer {cp.worker.token}"})
    assert gone.status_code == 200 and gone.json["totals"]["costedWeekly"] == 0.0
    assert cp.worker.put(f"/care-plans/{plan_id}", json={"needs": [{"eligible": True}]}).status_code == 422
    assert cp.worker.put(f"/care-plans/{plan_id}", json={"needs": "all of them"}).status_code == 422


def test_migrations_build_the_plan_tables(tmp_path: Any) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from workflows.db import Database
    from workflows.models import Base

    db = Database(f"sqlite:///{tmp_path / 'migrated.db'}")
    db.upgrade()
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    assert "care_plan_line_item" in Base.metadata.tables
    db.dispose()


def test_the_care_planning_directory_moves_into_the_runtimes(tmp_path: Any) -> None:
    """Migration 0012: care planning's own recipient rows become entries of the one directory."""
    import sqlalchemy as sa
    from alembic import command

    from workflows.db import Database, alembic_config

    db = Database(f"sqlite:///{tmp_path / 'moved.db'}")
    config = alembic_config(db.url)
    command.upgrade(config, "0011")
    with db.engine.begin() as c:
        c.execute(sa.text("INSERT INTO care_plan_recipient (key, name, email, updated_by, updated_at) VALUES "
                          "('advocacy_service', 'Advocacy service (invented)', 'advocacy@example.invalid', 'ada', "
                          "'2026-01-05 10:00:00'), ('icb_s117_team', 'ICB s.117 team (invented)', "
                          "'s117@example.invalid', 'ada', '2026-01-05 10:00:00'), "
                          "('care_navigation', 'No address yet', NULL, 'ada', '2026-01-05 10:00:00')"))
        c.execute(sa.text("INSERT INTO recipient_directory (name, address, note, updated_at, updated_by) VALUES "
                          "('icb_s117_team', 'kept@example.invalid', NULL, '2026-01-06 10:00:00', 'ada')"))
    command.upgrade(config, "head")
    with db.engine.connect() as c:
        rows = {r.name: (r.address, r.note) for r in c.execute(sa.text("SELECT * FROM recipient_directory"))}
        assert "care_plan_recipient" not in sa.inspect(c).get_table_names()
    assert rows == {"advocacy_service": ("advocacy@example.invalid",
                                         "Advocacy service (invented) (moved from the care-planning directory)"),
                    "icb_s117_team": ("kept@example.invalid", None)}  # the runtime's entry already in use stays
    command.downgrade(config, "0011")
    with db.engine.connect() as c:
        back = [tuple(r) for r in c.execute(sa.text("SELECT key, name, email FROM care_plan_recipient"))]
        left = [r.name for r in c.execute(sa.text("SELECT name FROM recipient_directory"))]
    assert back == [("advocacy_service", "Advocacy service (invented)", "advocacy@example.invalid")]
    assert left == ["icb_s117_team"]
    db.dispose()


def test_brokered_services_are_checked_two_days_on(cp: CP) -> None:
    case, plan_id = to_approval(cp, cp.worker, "wendy.worker")
    line = cp.plan(case)["lineItems"][0]
    assert cp.worker.put(f"/care-plans/{plan_id}/line-items/{line['id']}", json={"brokered": True}).status_code == 200
    cp.complete(case, "csp_agreement", {"agreed": True})
    cp.complete(case, "csp_approve_manager", {"approvalDecision": "REJECTED"}, api=cp.manager)
    assert cp.plan(case)["lineItems"][0]["approval"] == "REJECTED"
    assert cp.submit(plan_id)["valid"] is True
    cp.complete(case, "csp_agreement", {"agreed": True})
    cp.complete(case, "csp_approve_manager", {"approvalDecision": "APPROVED"}, api=cp.manager)
    assert ("mc6_brokerage_request", "care_navigation") in cp.sent(case)
    assert cp.activate(plan_id, line["id"], api=cp.navigator).json["status"] == "PROVISIONED"
    cp.complete(case, "csp_broker_activate", {"activatedInLas": True}, api=cp.navigator)
    assert cp.open_names(case) == [] and cp.fire(1) == 0
    assert cp.fire(2.1) == 1  # CSP_BROKER_CHECK, P2D
    cp.complete(case, "csp_broker_verify", {"activationVerified": True})
    assert cp.open_names(case) == ["csp_activate"]
    docs = cp.worker.get(f"/care-plans/{plan_id}").json["documents"]
    assert {d["kind"] for d in docs} == {"PLAN_COPY_HTML", "PLAN_COPY_PDF"}  # made at sign-off (CSP-21)


def test_recipients_come_from_the_one_directory_an_admin_keeps(cp: CP) -> None:
    from app.wiring import outbox_dispatcher
    from tests.timers.servers import SmtpSink

    entry = {"address": "advocacy@example.invalid", "note": "Advocacy service (invented)"}
    assert cp.manager.put("/recipients/advocacy_service", json=entry).status_code == 403
    assert cp.admin.put("/recipients/advocacy_service", json={**entry, "address": "nope"}).status_code == 422
    assert cp.admin.put("/recipients/advocacy_service", json=entry).status_code == 200
    assert cp.worker.get("/care-plan-recipients").status_code == 404  # the old, second directory is gone
    listed = {r["name"]: r["address"] for r in cp.manager.get("/recipients").json["recipients"]}
    assert listed["advocacy_service"] == "advocacy@example.invalid"
    case = cp.start(PERSON)
    cp.complete(case, "csp_explain", {"dutyExplained": True, "chargingDiscussed": True})
    cp.complete(case, "csp_participants", {"substantialDifficultyAny": True, "hasAppropriateCandidate": False,
                                           "lacksCapacityToPlan": False})
    assert ("mc1_advocacy_referral", "advocacy_service") in cp.sent(case)  # by role: looked up when sent
    sink = SmtpSink().start()
    try:
        outbox_dispatcher(cp.services, {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": sink.port}).deliver_due()
        referrals = [m["To"] for m in sink.messages if m["Subject"].startswith("Advocacy referral")]
        assert referrals == ["advocacy@example.invalid"]
    finally:
        sink.stop()
    gone = cp.admin.client.delete("/api/v1/recipients/advocacy_service",
                                  headers={"Authorization": f"Bearer {cp.admin.token}"})
    assert gone.status_code == 204
    refused = cp.start(PERSON)
    cp.complete(refused, "csp_explain", {"dutyExplained": True, "chargingDiscussed": True})
    cp.complete(refused, "csp_participants", {"substantialDifficultyAny": True, "hasAppropriateCandidate": False,
                                              "lacksCapacityToPlan": False})
    assert any("advocacy_service" in message for _element, message in cp.incidents())  # never silently lost


def test_a_warn_rule_needs_an_override_note_that_is_kept(cp: CP) -> None:
    case = cp.start(PERSON)
    cp.set_up(case)
    plan_id = cp.write_plan(case, complete_plan(otherServices=None, progression=None), [CARE])
    first = cp.submit(plan_id)
    assert sorted(f["ruleId"] for f in first["blocking"]) == ["V12", "V19"]
    assert {f["severity"] for f in first["blocking"]} == {"WARN"}
    refused = cp.worker.post(f"/care-plans/{plan_id}/submit", json={"overrides": {"V01": "not needed"}})
    assert refused.status_code == 422 and "Only WARN rules" in refused.json["message"]
    empty = cp.worker.post(f"/care-plans/{plan_id}/submit", json={"overrides": {"V12": "  "}})
    assert empty.status_code == 422
    result = cp.submit(plan_id, overrides={"V12": "No other services: confirmed with the person",
                                           "V19": "Progression not expected: long-term condition"})
    assert result["valid"] is True and sorted(f["ruleId"] for f in result["failures"]) == ["V12", "V19"]
    kept = cp.plan(case)["overrides"]
    assert [(o["ruleId"], o["by"]) for o in kept] == [("V12", "wendy.worker"), ("V19", "wendy.worker")]


def test_light_touch_review_can_count_from_the_service_start() -> None:
    from datetime import datetime, timedelta, timezone

    from workflows.procedures.care_planning.review_dates import plan_reviews

    signed = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    started = signed + timedelta(days=10)
    rows = [{"reviewType": "LIGHT_TOUCH", "earliest": "P6W", "due": "P8W", "anchor": "SERVICE_START"},
            {"reviewType": "INTERIM", "earliest": None, "due": "P3M", "anchor": "PLAN_SIGNED_OFF"}]
    plan = plan_reviews(rows, signed, None, [], service_start=started)
    light, interim = plan["pending"]
    assert datetime.fromisoformat(light["at"]) == started + timedelta(weeks=6)  # C9: the council's anchor
    assert datetime.fromisoformat(interim["dueAt"]) == datetime(2026, 6, 2, 9, tzinfo=timezone.utc)
    unknown = plan_reviews(rows[:1], signed, None, [])  # no start date recorded: sign-off it is
    assert datetime.fromisoformat(unknown["nextReviewAt"]) == signed + timedelta(weeks=6)


def test_careflow_demo_seeds_every_role_the_plan_writes_to(tmp_path: Any) -> None:
    """`careflow demo` fills the one directory with an (invented) address for each role M-C1 to M-C8 name."""
    import re
    import subprocess
    import sys

    import sqlalchemy as sa

    from tests.conftest import ROOT

    named = set(re.findall(r'id="recipient" type="str" value="\'([a-z0-9_]+)\'"',
                           (ROOT / "bpmn" / "care_support_planning.bpmn").read_text(encoding="utf-8")))
    assert {"advocacy_service", "icb_s117_team", "person"} <= named
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = {"DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    for args in (["db", "upgrade"], ["demo"]):
        done = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr
    engine = sa.create_engine(url)
    with engine.connect() as c:
        seeded = {r.name for r in c.execute(sa.text("SELECT name FROM recipient_directory"))}
    engine.dispose()
    assert named - seeded == set()


def test_every_group_the_plan_offers_work_to_has_a_demo_user() -> None:
    """The diagram's candidate groups are groups `careflow demo` users are in: in particular the council's
    team managers (`team_managers`, as escalations use), so a plan routed to them can be approved."""
    import re

    from app.cli import DEMO_USERS
    from tests.conftest import ROOT

    offered = set(re.findall(r'name="candidateGroup" value="([a-z_]+)"',
                             (ROOT / "bpmn" / "care_support_planning.bpmn").read_text(encoding="utf-8")))
    assert "team_managers" in offered
    demo_groups = {g for _u, _n, _r, groups in DEMO_USERS for g in groups}
    assert offered - demo_groups == set()


def test_the_demo_team_manager_approves_a_plan(cp: CP, users: Any) -> None:
    from app.cli import DEMO_USERS

    morgan = next(u for u in DEMO_USERS if u[0] == "morgan.manager")
    manager = users.make(morgan[0], morgan[2], tuple(morgan[3]))
    case = cp.start(PERSON)
    cp.set_up(case)
    plan_id = cp.write_plan(case, complete_plan(), [CARE])
    cp.submit(plan_id)
    cp.complete(case, "csp_agreement", {"agreed": True})
    assert cp.open_names(case) == ["csp_approve_manager"]
    mine = manager.get("/tasks?myGroups=true").json["tasks"]
    assert [t["name"] for t in mine] == ["csp_approve_manager"]
    cp.complete(case, "csp_approve_manager", {"approvalDecision": "APPROVED"}, api=manager)
    assert cp.plan(case)["status"] == "SIGNED_OFF"


def test_two_people_changing_the_same_plan_the_second_gets_409_and_nothing_is_lost(cp: CP) -> None:
    case = cp.start(PERSON)
    first = cp.worker.get(f"/care-plans/{cp.plan(case)['id']}")
    plan_id, seen = first.json["id"], first.headers["ETag"]
    assert first.json["updatedAt"] in seen
    # The worker and the manager both read version `seen`; the manager saves first.
    r = cp.manager.put(f"/care-plans/{plan_id}", json={"strengths": "Walks to the shop daily"},
                       headers={"If-Match": seen})
    assert r.status_code == 200
    stale = cp.worker.put(f"/care-plans/{plan_id}", json={"strengths": "Enjoys cooking"}, headers={"If-Match": seen})
    assert stale.status_code == 409 and "Someone else changed this plan" in stale.json["message"]
    assert cp.worker.post(f"/care-plans/{plan_id}/line-items", json=CARE, headers={"If-Match": seen}).status_code == 409
    now = cp.worker.get(f"/care-plans/{plan_id}")
    assert now.json["strengths"] == "Walks to the shop daily" and now.json["lineItems"] == []
    again = cp.worker.put(f"/care-plans/{plan_id}", json={"strengths": "Enjoys cooking"},
                          headers={"If-Match": now.headers["ETag"]})
    assert again.status_code == 200 and again.json["strengths"] == "Enjoys cooking"


def test_huge_amounts_are_refused_with_a_message_not_a_server_error(cp: CP) -> None:
    case = cp.start(PERSON)
    plan_id = cp.plan(case)["id"]
    for huge in ("1e400", 1e308, "99999999999999999999999999999"):
        r = cp.worker.put(f"/care-plans/{plan_id}", json={"indicativeWeekly": huge})
        assert r.status_code == 422 and "too large" in r.json["message"], (huge, r.status_code)
        r = cp.worker.post(f"/care-plans/{plan_id}/line-items", json=dict(CARE, weeklyCost=huge))
        assert r.status_code == 422, (huge, r.status_code)
    assert cp.worker.put(f"/care-plans/{plan_id}", json={"indicativeWeekly": "100000"}).status_code == 200


def test_the_case_summary_shows_the_next_review_and_its_deadline(cp: CP) -> None:
    from datetime import datetime, timedelta

    case = cp.start(PERSON)
    cp.set_up(case)
    plan_id = cp.write_plan(case, complete_plan(), [CARE])
    cp.submit(plan_id)
    cp.complete(case, "csp_agreement", {"agreed": True})
    cp.complete(case, "csp_approve_manager", {"approvalDecision": "APPROVED"}, api=cp.manager)
    assert cp.activate(plan_id, cp.plan(case)["lineItems"][0]["id"]).status_code == 200
    cp.complete(case, "csp_activate", {"servicesActivated": True})
    summary = cp.worker.get(f"/instances/{case}").json["summary"]
    signed = datetime.fromisoformat(summary["signedOffAt"])
    assert summary["nextReviewType"] == "LIGHT_TOUCH"
    assert datetime.fromisoformat(summary["nextReviewAt"]) == signed + timedelta(weeks=6)
    assert datetime.fromisoformat(summary["nextReviewDueAt"]) == signed + timedelta(weeks=8)
    assert cp.fire(43) == 1
    cp.complete(case, "csp_review", {"reviewOutcome": "NO_CHANGE"})
    assert cp.worker.get(f"/instances/{case}").json["summary"]["nextReviewType"] == "ANNUAL"


def test_text_with_a_nul_or_control_character_is_refused(cp: CP) -> None:
    case = cp.start(PERSON)
    plan_id = cp.plan(case)["id"]
    r = cp.worker.put(f"/care-plans/{plan_id}", json={"strengths": "Walks\u0000daily"})
    assert r.status_code == 422 and "control character" in r.json["message"]
    r = cp.worker.post(f"/care-plans/{plan_id}/line-items", json=dict(CARE, description="Home\u0007care"))
    assert r.status_code == 422
    ok = cp.worker.put(f"/care-plans/{plan_id}", json={"strengths": "Walks daily\nand\tswims"})
    assert ok.status_code == 200 and ok.json["strengths"] == "Walks daily\nand\tswims"
