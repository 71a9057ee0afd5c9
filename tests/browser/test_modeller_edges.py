"""The modeller where a first release went wrong: two owners on one diagram, a phone-sized screen,
keyboard-only saving. Real Chromium on a server of its own (these tests change versions)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.model.conftest import modeller_web_app

from .conftest import ensure_assets, opened_tab, serving, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    ensure_assets()
    app = modeller_web_app(tmp_path_factory.mktemp("modeller-edges"), SESSION_COOKIE_SECURE=True)
    from workflows.identity import add_user

    add_user(app.extensions["careflow"].db, "ada.admin", "admin", ["admins"], display_name="Ada Admin",
             password="careflow-demo", exist_ok=True)
    with serving(app) as server:
        yield server


def _open_editor(page: Any, process_id: str) -> None:
    page.goto(f"/model/processes/{process_id}")
    page.wait_for_selector("#process-editor[data-ready='true']", state="attached", timeout=60_000)


def _rename(page: Any, element_id: str, name: str) -> None:
    page.evaluate("""([id, name]) => {
        const m = window.careflowModeler;
        m.get('modeling').updateProperties(m.get('elementRegistry').get(id), { name });
    }""", [element_id, name])


def _name_in_editor(page: Any, element_id: str) -> str:
    return page.evaluate("(id) => window.careflowModeler.get('elementRegistry').get(id).businessObject.name",
                         element_id)


def test_the_second_owner_to_save_is_told_and_keeps_the_diagram(browser: Any, live_server: dict[str, Any]) -> None:
    with opened_tab(browser, live_server["url"]) as pat, opened_tab(browser, live_server["url"]) as ada:
        sign_in(pat, "pat.owner")
        sign_in(ada, "ada.admin")
        _open_editor(pat, "demo_referral")
        _open_editor(ada, "demo_referral")
        _rename(pat, "record_referral", "Record the referral (Pat)")
        _rename(ada, "is_urgent", "Is it urgent? (Ada)")

        pat.get_by_label("What changed and why").fill("Pat's wording")
        pat.get_by_role("button", name="Save a new version").click()
        pat.wait_for_url(re.compile(r"saved=2"))

        ada.get_by_label("What changed and why").fill("Ada's wording")
        ada.get_by_role("button", name="Save a new version").click()
        summary = ada.locator("#editor-problems .govuk-error-summary")
        summary.wait_for()
        text = summary.inner_text()
        assert "Someone else saved a newer version" in text
        assert "pat.owner saved version 2" in text and "nothing was saved" in text
        assert "saved=" not in ada.url
        assert _name_in_editor(ada, "is_urgent") == "Is it urgent? (Ada)"  # her change is still there

        # Having read the message, saving again keeps hers as version 3 beside Pat's version 2.
        ada.get_by_role("button", name="Save a new version").click()
        ada.wait_for_url(re.compile(r"saved=3"))
    services = live_server["services"]
    from workflows.modelling import Modeller

    modeller = Modeller(services.db, services.library, services.forms, lambda: [])
    assert "Record the referral (Pat)" in modeller.process_file("demo_referral", 2)["content"]
    assert "Is it urgent? (Ada)" in modeller.process_file("demo_referral", 3)["content"]


@pytest.mark.parametrize("path, ready", [
    ("/model/processes/demo_referral", "#process-editor[data-ready='true']"),
    ("/model/decisions/demo_referral_priority.dmn", "#decision-editor[data-ready='true']"),
    ("/model/forms/referral_details", "#form-editor[data-ready='true']"),
])
def test_each_editor_opens_on_a_phone_without_sideways_scrolling(browser: Any, live_server: dict[str, Any],
                                                                 path: str, ready: str) -> None:
    context = browser.new_context(base_url=live_server["url"], viewport={"width": 375, "height": 800})
    phone = context.new_page()
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(phone, "pat.owner")
        phone.goto(path)
        phone.wait_for_selector(ready, state="attached", timeout=60_000)
        assert phone.locator("#editor-problems").is_hidden(), phone.locator("#editor-problems").inner_text()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        canvas = phone.locator("#modeller-canvas, #dmn-canvas, #form-labels").first.bounding_box()
        assert canvas is not None and canvas["width"] > 300
        if "processes" in path:  # the diagram is drawn, not just loaded
            assert phone.locator("#modeller-canvas [data-element-id='record_referral']").first.is_visible()
    finally:
        context.close()
    assert not errors, errors


def test_keyboard_only_a_refused_save_takes_you_to_the_problems(page: Any, tmp_path: Any) -> None:
    from tests.conftest import ROOT

    sign_in(page, "pat.owner")
    _open_editor(page, "demo_referral")
    broken = tmp_path / "broken.bpmn"
    broken.write_text((ROOT / "bpmn" / "demo_referral.bpmn").read_text().replace(
        'serviceTaskOperator id="notify" resultVariable="dutyTeamAlert"',
        'serviceTaskOperator id="fax_machine" resultVariable="dutyTeamAlert"'))
    page.get_by_label("Open an XML file").set_input_files(str(broken))
    page.wait_for_selector("#editor-notice:not([hidden])")
    page.get_by_label("What changed and why").focus()
    page.keyboard.type("Try a fax")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Save a new version"
    page.keyboard.press("Enter")
    page.locator("#editor-problems .govuk-error-summary").wait_for()
    page.wait_for_function("document.activeElement.closest('#editor-problems') !== null")
    page.keyboard.press("Tab")
    assert "alert_duty_team" in page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    page.wait_for_function("window.careflowModeler.get('selection').get()[0]?.id === 'alert_duty_team'")


@pytest.mark.parametrize("path, ready, element", [
    ("/model/processes/demo_referral", "#process-editor[data-ready='true']", "record_referral"),
    ("/model/decisions/demo_referral_priority.dmn", "#decision-editor[data-ready='true']", None),
])
def test_opening_a_file_that_is_not_xml_says_so_and_keeps_the_editor_as_it_was(page: Any, tmp_path: Any, path: str,
                                                                               ready: str, element: str | None) -> None:
    sign_in(page, "pat.owner")
    page.goto(path)
    page.wait_for_selector(ready, state="attached", timeout=60_000)
    if element:
        _rename(page, element, "My change, not saved yet")
    garbage = tmp_path / "notes.bpmn"
    garbage.write_text("these are my meeting notes, not a diagram")
    page.get_by_label("Open an XML file").set_input_files(str(garbage))
    summary = page.locator("#editor-problems .govuk-error-summary")
    summary.wait_for()
    assert "could not be opened" in summary.inner_text()
    assert page.locator("#editor-notice").is_hidden()  # no "Opened notes.bpmn. ... save it" beside the error
    if element:
        assert _name_in_editor(page, element) == "My change, not saved yet"
    else:
        assert page.get_by_role("cell", name='"PRIORITY"').first.is_visible()
