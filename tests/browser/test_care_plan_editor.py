"""A worker edits a care and support plan in a real browser: three line items added (one changed),
the totals follow, the details are saved as a draft, and the plan copy downloads as a PDF."""
from __future__ import annotations

from typing import Any

import pytest

from .conftest import check_accessibility, sign_in

pytestmark = pytest.mark.browser

FACTS = {"personRef": "P-B1", "personName": "Mx B (invented)", "assessmentFinalised": True, "indicativeWeekly": 400,
         "needsFromImpairmentOrIllness": True, "significantImpactOnWellbeing": True,
         "outcomesUnable": ["NUTRITION", "HOME_SAFETY"], "s117": False, "placedByOtherAuthority": "NONE",
         "orDetermined": "THIS_COUNCIL", "allocatedWorker": "bea.worker"}


def test_edit_a_plan_with_three_line_items_and_download_its_pdf(page: Any, live_server: dict[str, Any]) -> None:
    from workflows.identity import add_user

    services = live_server["services"]
    add_user(services.db, "bea.worker", "caseworker", ["allocated_worker"], display_name="Bea Worker",
             password="careflow-demo", exist_ok=True)
    case = services.runtime.correlate_message("assessment_finalised", {}, FACTS, actor="bea.worker")["started"][0]
    sign_in(page, "bea.worker")
    page.goto(f"/cases/{case}/plan/edit")
    for description, option, cost in (("Home care, two calls a day", "Council-managed", "180"),
                                      ("Personal assistant", "Direct payment", "95.50"),
                                      ("Day centre", "Council-managed", "60")):
        form = page.locator("#add-line")
        form.get_by_label("What is it for").fill(description)
        form.get_by_label("How it is paid").select_option(label=option)
        form.get_by_label("Weekly cost, in pounds").fill(cost)
        form.get_by_label("How often").fill("weekly")
        form.get_by_role("button", name="Add the line item").click()
        page.wait_for_load_state()
    costed = page.locator('[data-total="costed"]')
    assert costed.inner_text() == "£335.50 a week"
    check_accessibility(page, "care-plan-edit")

    # Change the day centre to £75 a week: the total follows.
    row = page.locator("tbody .govuk-table__row", has_text="Day centre")
    row.locator("summary").click()
    row.get_by_label("Weekly cost, in pounds").fill("75")
    row.get_by_role("button", name="Save the change").click()
    page.wait_for_load_state()
    assert page.locator('[data-total="costed"]').inner_text() == "£350.50 a week"

    page.get_by_label("Strengths, network and community resources used first").fill("Walks with a neighbour daily")
    page.get_by_role("button", name="Save as a draft").click()
    assert "saved as a draft" in page.locator(".govuk-notification-banner").inner_text()

    page.goto(f"/cases/{case}/plan")
    check_accessibility(page, "care-plan-view")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the plan copy (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
