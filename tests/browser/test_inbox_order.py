"""The inbox's order across pages in a real browser (Debian's Chromium): a caseworker pages through
three pages of tasks with mixed urgencies and due dates and sees the most urgent first, overdue before
due later within an urgency, each task once; every page passes axe-core (all rules) and has no
sideways scrolling at 375 px."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from tests.web.support import HERE

from .conftest import check_accessibility, sign_in

pytestmark = pytest.mark.browser
URGENCIES = ["ROUTINE", None, "CRITICAL", "NONE", "URGENT", "FIRST"]
LABELS = {"CRITICAL": "Critical", "URGENT": "Urgent", "FIRST": "First", "ROUTINE": "Routine", "NONE": "None",
          None: "Not set"}
RANK = {"CRITICAL": 0, "URGENT": 1, "FIRST": 2, "ROUTINE": 3, "NONE": 4, None: 5}


def _open_cases(services: Any, count: int) -> None:
    from workflows.models import utcnow

    with services.db.transaction() as session:
        services.library.store(session, {"urgent_steps.bpmn": (HERE / "urgent_steps.bpmn").read_text()}, {})
    now = utcnow()
    for i in range(count):
        data: dict[str, Any] = {"personName": f"Resident {i:02d}"}
        if URGENCIES[i % len(URGENCIES)]:
            data["urgency"] = URGENCIES[i % len(URGENCIES)]
        if i % 4:
            data["dueAt"] = (now + timedelta(hours=(i * 7) % 61 - 20)).isoformat()
        services.runtime.start("web_urgent_steps", data, actor="morgan.manager")


def _rows(page: Any) -> list[tuple[str, str, bool]]:
    """Each task row's link, urgency label and whether it is flagged overdue, as shown."""
    out = []
    for row in page.locator("table.careflow-task-table tbody tr").all():
        href = row.locator("a[href^='/tasks/']").first.get_attribute("href") or ""
        urgency = row.locator("td[data-label='Urgency']").inner_text().strip()
        overdue = row.locator("td[data-label='Due']").inner_text().count("Overdue") > 0
        out.append((href, urgency, overdue))
    return out


def test_three_pages_of_the_inbox_most_urgent_and_overdue_first(page: Any, live_server: dict[str, Any]) -> None:
    _open_cases(live_server["services"], 30)  # two open tasks each: 60 tasks, pages of 25
    sign_in(page, "casey.worker")
    page.goto("/")
    assert page.get_by_role("heading", name="All your work: 60 tasks").is_visible()
    seen: list[tuple[str, str, bool]] = []
    for number in (1, 2, 3):
        if number > 1:
            page.get_by_role("link", name=re.compile(r"^Next")).click()
            page.wait_for_url(f"**/?page={number}")
        rows = _rows(page)
        assert len(rows) == (25 if number < 3 else 10)
        check_accessibility(page, f"inbox-order-page-{number}")
        page.set_viewport_size({"width": 375, "height": 812})
        assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
        page.set_viewport_size({"width": 1280, "height": 900})
        seen += rows
    assert page.get_by_role("link", name=re.compile(r"^Next")).count() == 0
    links = [href for href, _, _ in seen]
    assert len(set(links)) == 60  # every task once, none twice
    ranks = [RANK[next(code for code, label in LABELS.items() if label == shown)] for _, shown, _ in seen]
    assert ranks == sorted(ranks)  # the most urgent first, across the pages
    assert seen[0][1] == "Critical" and seen[-1][1] == "Not set"
    for rank in set(ranks):  # within an urgency the overdue come first
        flags = [overdue for (_, _, overdue), r in zip(seen, ranks) if r == rank]
        assert flags == sorted(flags, reverse=True)
    assert any(overdue for _, _, overdue in seen)
