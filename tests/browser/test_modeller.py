"""A process owner's modeller in real Chromium: edit, check, save, deploy, compare and migrate; every
page checked with axe-core and photographed (tests/output/screenshots/modeller-*.png)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import ROOT
from tests.model.conftest import modeller_web_app
from workflows.models import Instance, ProcessVersion

from .conftest import check_accessibility, ensure_assets, serving, sign_in

pytestmark = pytest.mark.browser
VERIFY = re.search(r'id="pf_verify" name="([^"]+)"', (ROOT / "bpmn" / "provider_failure.bpmn").read_text()).group(1)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app on copies of bpmn/, dmn/ and the forms (saving and deploying write there)."""
    ensure_assets()
    with serving(modeller_web_app(tmp_path_factory.mktemp("modeller"), SESSION_COOKIE_SECURE=True)) as server:
        yield server


def _open_editor(page: Any, process_id: str) -> None:
    page.goto(f"/model/processes/{process_id}")
    page.wait_for_selector("#process-editor[data-ready='true']", state="attached", timeout=60_000)


def _select(page: Any, element_id: str) -> None:
    """Click the element on the canvas, zoomed in on it first (the whole diagram is small at fit)."""
    page.evaluate("""(id) => {
        const m = window.careflowModeler, el = m.get('elementRegistry').get(id);
        m.get('canvas').zoom(1.0); m.get('canvas').scrollToElement(el);
    }""", element_id)
    shape = page.locator(f"#modeller-canvas [data-element-id='{element_id}']").first
    if "djs-connection" in (shape.get_attribute("class") or ""):
        # A bent sequence flow's box centre is off the line, where a click would hit the pool: select
        # it as a click on the line would.
        page.evaluate("(id) => { const m = window.careflowModeler; "
                      "m.get('selection').select(m.get('elementRegistry').get(id)); }", element_id)
    else:
        shape.click()
    page.wait_for_function("(id) => window.careflowModeler.get('selection').get()[0]?.id === id", arg=element_id)


def _open_group(page: Any, label: str, field: str) -> Any:
    """The properties panel's field ``field`` in group ``label``, opening the group if it is closed."""
    found = page.locator(f"#bio-properties-panel-{field}")
    if not found.is_visible():
        page.locator("#modeller-properties .bio-properties-panel-group-header", has_text=label).first.click()
    found.wait_for()
    return found


def _version(services: Any, instance_id: str) -> int:
    with services.db.reading() as session:
        row = session.get(Instance, instance_id)
        return session.get(ProcessVersion, row.process_version_id).version


def _notify(services: Any, ref: str) -> str:
    result = services.runtime.correlate_message("provider_failure_notified", {"providerRef": ref},
                                                {"providerRef": ref, "providerName": f"{ref} Ltd",
                                                 "eventType": "ADMINISTRATOR_APPOINTED"}, actor="quinn.lead")
    return result["started"][0]


def test_the_list_and_its_accessibility(page: Any) -> None:
    sign_in(page, "pat.owner")
    page.goto("/model")
    assert page.get_by_role("heading", level=1).inner_text() == "Processes, decisions and forms"
    assert page.get_by_role("link", name="Managing provider failure (incident)").is_visible()
    check_accessibility(page, "modeller-list")


def test_rename_a_task_change_a_timer_save_deploy_and_new_cases_use_it(page: Any, live_server: dict[str, Any]
                                                                      ) -> None:
    services = live_server["services"]
    older = _notify(services, "PRV-OLD")
    sign_in(page, "pat.owner")
    _open_editor(page, "provider_failure")
    assert page.locator("#modeller-canvas .bjs-powered-by").is_visible()  # the bpmn.io watermark
    check_accessibility(page, "modeller-process")

    _select(page, "pf_verify")
    name = _open_group(page, "General", "name")
    name.fill("Check the facts (PF-02)")
    name.press("Tab")
    _select(page, "pf_info_due")
    timer = _open_group(page, "careflow", "careflow-timer")
    assert timer.input_value() == "infoDueIn"
    timer.fill('"P10D"')
    timer.press("Tab")
    page.screenshot(path=str(ROOT / "tests" / "output" / "screenshots" / "modeller-properties.png"))

    page.get_by_label("What changed and why").fill("Plainer task name; information due in ten days")
    page.get_by_role("button", name="Save a new version").click()
    page.wait_for_url(re.compile(r"saved=2"))
    assert "Saved as version 2" in page.locator(".govuk-notification-banner").inner_text()
    row = page.locator("#version-2")
    assert "Plainer task name" in row.inner_text() and "Saved" in row.inner_text()

    row.get_by_label("Reason for deploying version 2").fill("Agreed with the QISS team")
    row.get_by_role("button", name="Deploy version 2").click()
    page.wait_for_url(re.compile(r"/model/processes/provider_failure$"))
    assert "Version 2 is now current" in page.locator(".govuk-notification-banner").inner_text()
    assert "Current" in page.locator("#version-2").inner_text()
    check_accessibility(page, "modeller-process-deployed")

    newer = _notify(services, "PRV-NEW")
    assert (_version(services, older), _version(services, newer)) == (1, 2)
    with services.db.reading() as session:
        from workflows.models import TaskRow

        titles = {r.instance_id: r.title for r in session.scalars(select(TaskRow).where(TaskRow.name == "pf_verify"))}
    assert titles == {older: VERIFY, newer: "Check the facts (PF-02)"}


def test_compare_two_versions(page: Any) -> None:
    sign_in(page, "pat.owner")
    page.goto("/model/processes/provider_failure/compare?from=1&to=2")
    page.wait_for_selector("#compare[data-ready='true']", state="attached", timeout=60_000)
    changed = page.locator("#changed").inner_text()
    assert VERIFY in changed and "Check the facts (PF-02)" in changed
    assert '"P10D"' in changed and "infoDueIn" in changed
    for element in ("pf_verify", "pf_info_due"):
        assert page.locator(f"#compare-to .careflow-diff-changed[data-element-id='{element}']").count() == 1
    check_accessibility(page, "modeller-compare")


def test_a_broken_diagram_is_refused_with_the_elements_named_and_highlighted(page: Any, tmp_path: Any) -> None:
    sign_in(page, "pat.owner")
    _open_editor(page, "demo_referral")
    broken = (ROOT / "bpmn" / "demo_referral.bpmn").read_text().replace(
        'serviceTaskOperator id="notify" resultVariable="dutyTeamAlert"',
        'serviceTaskOperator id="fax_machine" resultVariable="dutyTeamAlert"')
    upload = tmp_path / "broken.bpmn"
    upload.write_text(broken)
    page.get_by_label("Open an XML file").set_input_files(str(upload))
    page.wait_for_selector("#editor-notice:not([hidden])")
    # bpmnlint with careflow's rules marks the unknown handler as soon as the file is open.
    page.wait_for_selector("#modeller-canvas .bjsl-overlay", state="attached")

    _select(page, "flow_urgent")
    condition = _open_group(page, "careflow", "careflow-condition")
    condition.fill("__import__('os').system('id')")
    condition.press("Tab")
    page.get_by_label("What changed and why").fill("Try a fax")
    page.get_by_role("button", name="Save a new version").click()
    summary = page.locator("#editor-problems .govuk-error-summary")
    summary.wait_for()
    text = summary.inner_text()
    assert "nothing was saved" in text
    assert "alert_duty_team: No handler named 'fax_machine'" in text
    assert "flow_urgent: The condition cannot be run" in text
    for element in ("alert_duty_team", "flow_urgent"):
        assert page.locator(f"#modeller-canvas .careflow-problem[data-element-id='{element}']").count() >= 1
    summary.get_by_role("link", name=re.compile("alert_duty_team")).click()
    page.wait_for_function("window.careflowModeler.get('selection').get()[0]?.id === 'alert_duty_team'")
    check_accessibility(page, "modeller-process-refused")
    page.goto("/model/processes/demo_referral")
    assert page.locator("#version-2").count() == 0


def test_edit_a_decision_cell_try_it_save_and_deploy(page: Any) -> None:
    sign_in(page, "pat.owner")
    page.goto("/model/decisions/demo_referral_priority.dmn")
    page.wait_for_selector("#decision-editor[data-ready='true']", state="attached", timeout=60_000)
    check_accessibility(page, "modeller-decision")
    cell = page.locator("#dmn-canvas td", has_text='"ROUTINE"').first
    editable = cell.locator("[contenteditable]").first
    editable.click()
    page.keyboard.press("Control+A")
    page.keyboard.type('"PRIORITY"')
    # One field per input fills the JSON; the JSON can also be typed.
    page.get_by_label("riskToLife (boolean)").select_option("false")
    page.get_by_label("livesAlone (boolean)").select_option("true")
    assert '"livesAlone": true' in page.get_by_label("Inputs (JSON)").input_value()
    page.get_by_label("Inputs (JSON)").fill('{"riskToLife": false, "livesAlone": false}')
    page.get_by_role("button", name="Try it").click()
    page.wait_for_selector("#try-why")
    assert "PRIORITY" in page.locator("#try-output").inner_text()
    assert "Rule 3" in page.locator("#try-why").inner_text()
    assert "livesAlone is any value" in page.locator("#try-why").inner_text()
    # The edited cell shows its new text once the cursor has left it.
    assert page.locator("#dmn-canvas td[data-row-id='rule_otherwise'][data-col-id='out_priority']"
                        ).inner_text().strip() == '"PRIORITY"'

    check_accessibility(page, "modeller-decision-tried")
    page.get_by_label("What changed and why").fill("Every referral is a priority this winter")
    page.get_by_role("button", name="Save a new version").click()
    page.wait_for_url(re.compile(r"saved=2"))
    row = page.locator("#version-2")
    row.get_by_label("Reason for deploying version 2").fill("Winter pressures plan")
    row.get_by_role("button", name="Deploy version 2").click()
    assert "new cases of demo_referral" in page.locator(".govuk-notification-banner").inner_text()


def test_change_a_form_label_and_see_the_preview(page: Any) -> None:
    sign_in(page, "pat.owner")
    page.goto("/model/forms/referral_details")
    page.wait_for_selector("#form-preview .govuk-form-group")
    check_accessibility(page, "modeller-form")
    page.get_by_label("Question label: personName").fill("Full name of the person referred")
    page.wait_for_function("document.querySelector('#form-preview').innerText"
                           ".includes('Full name of the person referred')")
    page.get_by_label("What changed and why").fill("Plainer label")
    page.get_by_role("button", name="Save a new version").click()
    page.wait_for_url(re.compile(r"saved=2"))
    check_accessibility(page, "modeller-form-saved")


def test_dry_run_then_migrate_two_cases_and_revert_one(page: Any, live_server: dict[str, Any]) -> None:
    services = live_server["services"]
    first = services.runtime.start("demo_referral", {}, actor="casey.worker").id
    second = services.runtime.start("demo_referral", {}, actor="casey.worker").id
    with services.db.reading() as session:
        current = services.library.latest(session, "demo_referral").version
        refs = {i: session.get(Instance, i).case_reference for i in (first, second)}
    # Whatever the tests before left current (this one must not depend on them running first).
    assert {_version(services, first), _version(services, second)} == {current}
    # A newer version to move them to.
    sign_in(page, "pat.owner")
    _open_editor(page, "demo_referral")
    _select(page, "record_referral")
    due = _open_group(page, "careflow", "careflow-dueIn")
    due.fill("P3WD")
    due.press("Tab")
    page.get_by_label("What changed and why").fill("Three working days to record a referral")
    page.get_by_role("button", name="Save a new version").click()
    page.wait_for_url(re.compile(r"saved="))
    target = current + 1
    row = page.locator(f"#version-{target}")
    row.get_by_label(f"Reason for deploying version {target}").fill("Service standard")
    row.get_by_role("button", name=f"Deploy version {target}").click()
    page.get_by_role("link", name="Move running cases to this version").click()
    table = page.locator("#dry-run")
    for ref in refs.values():
        assert "Can move" in table.locator("tr", has_text=ref).inner_text()
    check_accessibility(page, "modeller-migrate-dry-run")
    for ref in refs.values():
        page.get_by_label(f"Move {ref}").check()
    page.get_by_label("Why are these cases moving?").fill("Same deadline for everyone")
    page.get_by_role("button", name="Move the chosen cases").click()
    assert "2 cases moved" in page.locator(".govuk-notification-banner").inner_text()
    assert {_version(services, first), _version(services, second)} == {target}
    page.get_by_label(f"Reason for reverting {refs[second]}").fill("Keep the old deadline for this one")
    page.get_by_role("button", name=f"Revert {refs[second]}").click()
    assert "back on its previous version" in page.locator(".govuk-notification-banner").inner_text()
    assert (_version(services, first), _version(services, second)) == (target, current)
    check_accessibility(page, "modeller-migrate-done")
    # Each move is in the case's history, with who and why.
    page.goto(f"/cases/{second}")
    history = page.locator(".careflow-timeline").inner_text()
    assert "Moved to another version of the process" in history and "Same deadline for everyone" in history
    assert "Moved back to its earlier process version" in history and "Keep the old deadline" in history


def test_write_a_scenario_test_on_the_page_and_run_it(page: Any) -> None:
    sign_in(page, "pat.owner")
    _open_editor(page, "demo_referral")
    page.locator("#tests-editor summary").click()
    box = page.get_by_label("Scenario tests (JSON)")
    box.fill('{"tests": [{"name": "Waits for the referral", "start": {"data": {}}, '
             '"expect": {"openTasks": ["record_referral"], "status": "waiting"}}]}')
    page.get_by_role("button", name="Save the scenario tests").click()
    page.wait_for_function("document.querySelector('#tests-status').innerText.includes('Saved 1 scenario test')")
    page.get_by_role("button", name=re.compile("^Run the scenario tests")).click()
    assert "1 passed, 0 failed" in page.locator("#scenario-summary").inner_text()
    check_accessibility(page, "modeller-scenarios")


def test_choose_a_handler_and_add_a_parameter(page: Any) -> None:
    sign_in(page, "pat.owner")
    _open_editor(page, "demo_referral")
    _select(page, "alert_duty_team")
    handler = _open_group(page, "careflow", "careflow-handler")
    assert handler.input_value() == "notify"
    assert "commission" in handler.inner_text()  # the registry's handlers are the choices
    added = page.locator("#bio-properties-panel-careflow-newParameter")
    added.fill("channel")
    added.press("Tab")
    value = page.locator("#bio-properties-panel-careflow-parameter-channel")
    value.fill("'email'")
    value.press("Tab")
    page.get_by_role("button", name="Check for problems").click()
    page.wait_for_selector("#editor-notice:not([hidden]), #editor-problems:not([hidden])")
    assert page.locator("#editor-problems").is_hidden(), page.locator("#editor-problems").inner_text()
    assert "No problems found" in page.locator("#editor-notice").inner_text()
    xml = page.evaluate("async () => (await window.careflowModeler.saveXML()).xml")
    assert '<spiffworkflow:parameter id="channel" type="any" value="&#39;email&#39;"' in xml
    assert "preScript" not in xml


@pytest.mark.parametrize("path,editor,filename", [
    ("/model/processes/demo_referral", "#process-editor", "demo_referral.bpmn"),
    ("/model/decisions/demo_referral_priority.dmn", "#decision-editor", "demo_referral_priority.dmn")])
def test_download_the_xml_and_open_it_again(page: Any, path: str, editor: str, filename: str, tmp_path: Any) -> None:
    sign_in(page, "pat.owner")
    page.goto(path)
    page.wait_for_selector(f"{editor}[data-ready='true']", state="attached", timeout=60_000)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the XML").click()
    assert download.value.suggested_filename == filename
    kept = tmp_path / filename
    download.value.save_as(str(kept))
    assert kept.read_text().startswith("<?xml")
    page.get_by_label("Open an XML file").set_input_files(str(kept))
    page.wait_for_selector("#editor-notice .govuk-notification-banner")
    assert f"Opened {filename}." in page.locator("#editor-notice").inner_text()
