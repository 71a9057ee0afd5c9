"""The decision history: filters by table, result, rule and date; counts per rule; cases decided under
a rule that a newer version of the table changed (and not those under an unchanged rule)."""
from __future__ import annotations

from tests.conftest import Api
from tests.web.support import ROOT

from .support import open_task, principal

REFERRAL = {"personName": "Alex Example", "referralSource": "GP", "riskToLife": False, "livesAlone": False}


def _referral(svc, **answers):
    row = svc.runtime.start("demo_referral", {}, actor="casey.worker")
    return svc.runtime.complete_task(open_task(svc, row.id).id, {**REFERRAL, **answers},
                                     principal(svc, "casey.worker"))


def test_decision_log_filters_counts_and_changed_rules(ops_app, svc):
    from workflows.identity import issue_token

    api = Api(ops_app.test_client(), issue_token(svc.db, "quinn.lead"), "quinn.lead")
    urgent = _referral(svc, riskToLife=True)
    alone = [_referral(svc, livesAlone=True) for _ in range(2)]
    routine = _referral(svc)
    everything = api.get("/decision-log?table=DemoReferralPriority").json
    assert everything["total"] == 4
    counts = {r["rule"]: r["count"] for r in everything["perRule"]}
    assert counts == {"rule_risk_to_life": 1, "rule_lives_alone": 2, "rule_otherwise": 1}
    assert [d["caseReference"] for d in api.get("/decision-log?output=URGENT").json["decisions"]] == \
        [urgent.case_reference]
    by_rule = api.get("/decision-log?table=DemoReferralPriority&rule=2").json
    assert sorted(d["caseReference"] for d in by_rule["decisions"]) == sorted(a.case_reference for a in alone)
    assert api.get("/decision-log?from=2001-01-01&to=2001-12-31").json["total"] == 0
    first = everything["decisions"][0]
    assert first["processVersion"] == 1 and first["current"] is True and first["tableHash"]
    assert api.get("/decision-log?changed=true").json["total"] == 0
    # A new version changes only the "otherwise" rule's result.
    source = (ROOT / "dmn" / "demo_referral_priority.dmn").read_text()
    changed = source.replace('<outputEntry><text>"ROUTINE"</text></outputEntry>',
                             '<outputEntry><text>"PRIORITY"</text></outputEntry>')
    assert changed != source
    with svc.db.transaction() as session:
        svc.library.store(session, {"demo_referral.bpmn": (ROOT / "bpmn" / "demo_referral.bpmn").read_text()},
                          {"demo_referral_priority.dmn": changed})
    later = api.get("/decision-log?changed=true").json
    assert [d["caseReference"] for d in later["decisions"]] == [routine.case_reference]
    assert later["decisions"][0]["changedRules"] == ["rule_otherwise"] and later["decisions"][0]["current"] is False
