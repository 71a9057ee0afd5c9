"""E10 part A (DOMAIN.md): Ms F lacks capacity and has no family. An advocate is required (DMN-05
rule 2, consider an IMCA); planning is in her best interests (V28); the specialist placement out of
area is unique, so the governance panel approves (DMN-07 rule 1); she stays ordinarily resident here
(DMN-11 rule 5); an easy-read copy goes to her and a copy to the advocate; DMN-08 rules 1 and 2.
Then unplanned reviews (CSP-25), twice: no change, then a change that opens plan version 2."""
from __future__ import annotations

import hashlib
import re
import zlib
from datetime import date, datetime

from workflows.timeutil import LONDON, add_working_days

from .conftest import CP, complete_plan


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return b""


MS_F = {"personRef": "P-E10-F", "personName": "Ms F (invented)", "assessmentFinalised": True,
        "indicativeWeekly": 1300, "s117": False, "placedByOtherAuthority": "NONE", "orDetermined": "THIS_COUNCIL",
        "needsFromImpairmentOrIllness": True, "significantImpactOnWellbeing": True, "complexOrHighRisk": True,
        "outcomesUnable": ["NUTRITION", "PERSONAL_HYGIENE", "HOME_SAFETY", "RELATIONSHIPS"]}
NO_FAMILY = {"substantialDifficultyAny": True, "hasAppropriateCandidate": False, "lacksCapacityToPlan": True,
             "capacityAssessmentRecorded": True, "bestInterestsRecorded": True, "personHasCapacityToChoose": False,
             "lacksCapacityForAccommodationDecision": True, "onlyPaidCarersToConsult": True}
PLACEMENT = {"description": "Specialist residential placement (council Y's area)", "budgetOption": "COUNCIL_MANAGED",
             "weeklyCost": 1900, "provider": "Specialist provider in council Y (invented)", "frequency": "weekly"}
OPTIONS = [{"description": "Specialist placement out of area", "weeklyCost": 1900, "chosen": True,
            "rationale": "The only placement meeting her autism-specific needs"},
           {"description": "Local residential care", "weeklyCost": 1250, "chosen": False,
            "rationale": "Cannot meet her needs safely"}]
MS_F_COPY = {"name": "Ms F (invented)", "relationship": "PERSON", "format": "EASY_READ"}
ADVOCATE = {"name": "Care Act advocate (invented)", "relationship": "ADVOCATE", "recipient": "advocacy_service"}


def test_e10_part_a_best_interests_and_the_panel(cp: CP) -> None:
    case = cp.start(MS_F)
    cp.set_up(case, participants=NO_FAMILY)
    assert cp.rules(case)["OrdinaryResidenceRouting"] == [[5]]
    assert cp.rules(case)["IndependentAdvocateRequired"] == [[2]]
    data = cp.data(case)
    assert data["advocateRequired"] is True and data["considerIMCA"] is True and data["bestInterestsPlanning"]
    assert ("mc1_advocacy_referral", "advocacy_service") in cp.sent(case)

    plan_id = cp.write_plan(case, complete_plan(options=OPTIONS, uniqueOrNovel=True, copyRecipients=[MS_F_COPY]),
                            [PLACEMENT])
    assert [f["ruleId"] for f in cp.submit(plan_id)["blocking"]] == ["V28"]  # the advocate is not involved yet
    cp.write_plan(case, complete_plan(options=OPTIONS, uniqueOrNovel=True, copyRecipients=[MS_F_COPY, ADVOCATE]),
                  [PLACEMENT])
    assert cp.submit(plan_id)["valid"] is True
    cp.complete(case, "csp_agreement", {"agreed": True})
    assert cp.rules(case)["PlanBudgetApprovalRoute"] == [[1]]
    assert cp.task(case, "csp_approve_panel")["candidateGroup"] == "governance_panel"
    refused = cp.try_complete(case, "csp_approve_panel", {"approvalDecision": "APPROVED", "rationale": "x"},
                              api=cp.manager)
    assert refused.status_code == 403  # not on the panel
    cp.complete(case, "csp_approve_panel", {"approvalDecision": "APPROVED", "rationale":
                                            "Only placement that meets her needs (panel minute 12, invented)"},
                api=cp.panel)
    line = cp.plan(case)["lineItems"][0]
    assert cp.activate(plan_id, line["id"]).json["status"] == "PROVISIONED"
    cp.complete(case, "csp_activate", {"servicesActivated": True})
    copies = [(r, "EASY_READ") for t, r in cp.sent(case) if t == "mc8_plan_copy"]
    assert [r for r, _ in copies] == ["person", "advocacy_service"]
    assert cp.rules(case)["ReviewScheduling"] == [[1, 2]]
    pending = [p["reviewType"] for p in cp.data(case)["reviewPlan"]["pending"]]
    assert pending == ["LIGHT_TOUCH", "INTERIM"]

    # The easy-read plan copy, as HTML and tagged PDF from the same HTML, with its content hash.
    made = cp.worker.post(f"/care-plans/{plan_id}/plan-copy")
    assert made.status_code == 201
    kinds = {d["kind"]: d for d in made.json["documents"]}
    assert set(kinds) == {"PLAN_COPY_HTML", "PLAN_COPY_PDF"} and len(kinds["PLAN_COPY_PDF"]["sha256"]) == 64
    html = cp.worker.get(f"/care-plan-documents/{kinds['PLAN_COPY_HTML']['id']}").data.decode()
    assert 'class="easy-read"' in html and "Ms F (invented)" in html and '<html lang="en">' in html
    pdf = cp.worker.get(f"/care-plan-documents/{kinds['PLAN_COPY_PDF']['id']}").data
    assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == kinds["PLAN_COPY_PDF"]["sha256"]
    unpacked = pdf + b"".join(_inflate(m.group(1)) for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S))
    assert b"/StructTreeRoot" in unpacked and b"/MarkInfo" in unpacked and b"/Lang" in unpacked  # tagged (PDF/UA)

    # CSP-25: a reasonable request for a review, twice: no change, then a change -> version 2.
    ref = cp.instance(case).case_reference
    for outcome in ("NO_CHANGE", "MINOR_CHANGE_WITHIN_PB"):
        r = cp.worker.post("/messages", json={"name": "review_requested", "correlationKeys": {"caseReference": ref},
                                              "payload": {"requestKind": "PERSON_REQUEST"}})
        assert r.status_code == 200 and r.json["correlated"] == [case], r.json
        task = cp.task(case, "csp_unplanned_review")
        due = datetime.fromisoformat(task["dueAt"]).astimezone(LONDON).date()
        assert task["assignee"] == "wendy.worker" and due == add_working_days(date.today(), 10)  # P10D working
        cp.complete(case, "csp_unplanned_review", {"unplannedOutcome": outcome})
    assert cp.rules(case)["ReviewScheduling"][1:] == [[9], [9]]
    assert cp.open_names(case) == ["csp_draft"]
    versions = cp.plan(case)["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [(1, "SIGNED_OFF"), (2, "DRAFT")]
    # The revision keeps what the case knew: the unplanned review did not put back the values of its start.
    assert cp.data(case)["finalPB"] == 1900 and cp.data(case)["substantialDifficultyAny"] is True
    assert not cp.incidents()
