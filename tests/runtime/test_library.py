"""Loading, validating and versioning diagrams; hostile and malformed files are refused clearly."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT
from workflows.errors import ProcessDefinitionError

MIWG = next((p for p in (ROOT.parent / "shared" / "conformance" / "bpmn-miwg",  # beside a checkout or a worktree
                         ROOT.parent.parent / "shared" / "conformance" / "bpmn-miwg") if p.is_dir()),
            ROOT.parent / "shared" / "conformance" / "bpmn-miwg")

GOOD = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()
DEMO_DMN = {"demo_referral_priority.dmn": (ROOT / "dmn" / "demo_referral_priority.dmn").read_text()}


def build(services, bpmn: dict[str, str], dmn: dict[str, str] | None = None):
    return services.library.build(bpmn, DEMO_DMN if dmn is None else dmn)


def test_malformed_xml_names_the_file_and_line(services):
    broken = GOOD.replace("<bpmn:endEvent id=\"referral_triaged\"", "<bpmn:endEvent id=\"referral_triaged\" <oops")
    with pytest.raises(ProcessDefinitionError) as err:
        build(services, {"broken.bpmn": broken})
    assert err.value.file == "broken.bpmn" and err.value.line and err.value.line > 60
    assert "Malformed XML" in err.value.message


def test_a_flow_to_a_missing_element_names_the_flow_and_its_line(services):
    broken = GOOD.replace('targetRef="decide_priority"', 'targetRef="decide_priorty"')
    with pytest.raises(ProcessDefinitionError) as err:
        build(services, {"typo.bpmn": broken})
    assert err.value.element == "flow_to_decide"
    assert "decide_priorty" in err.value.message
    line = broken.splitlines()[err.value.line - 1]
    assert 'id="flow_to_decide"' in line


def test_a_business_rule_task_calling_an_unknown_decision_is_refused(services):
    with pytest.raises(ProcessDefinitionError) as err:
        build(services, {"demo.bpmn": GOOD}, dmn={})
    assert "DemoReferralPriority" in err.value.message and err.value.file == "demo.bpmn"


def test_a_script_that_imports_is_refused_at_load_with_its_element_and_line(services):
    bad = GOOD.replace('<bpmn:conditionExpression>priority == "URGENT"</bpmn:conditionExpression>',
                       '<bpmn:conditionExpression>__import__("os").system("true")</bpmn:conditionExpression>')
    with pytest.raises(ProcessDefinitionError) as err:
        build(services, {"probe.bpmn": bad})
    assert err.value.element == "flow_urgent"
    assert "__import__" in bad.splitlines()[err.value.line - 1]


def test_xxe_is_never_resolved(services, tmp_path):
    text = (FIXTURES / "xxe.bpmn").read_text()
    with pytest.raises(ProcessDefinitionError) as err:
        build(services, {"xxe.bpmn": text})
    assert "DOCTYPE" in err.value.message
    secret = Path("/etc/hostname").read_text().strip()
    assert secret not in str(err.value)


def test_xxe_in_a_decision_file_is_refused_too(services):
    dmn = DEMO_DMN["demo_referral_priority.dmn"].replace(
        '<definitions', '<!DOCTYPE definitions [ <!ENTITY secret SYSTEM "file:///etc/hostname"> ]>\n<definitions', 1)
    dmn = dmn.replace("A risk to life is always urgent", "&secret;")
    with pytest.raises(ProcessDefinitionError) as err:
        build(services, {"demo.bpmn": GOOD}, {"leak.dmn": dmn})
    assert Path("/etc/hostname").read_text().strip() not in str(err.value)


def test_hardened_parser_does_not_expand_entities_even_without_our_doctype_check():
    from lxml import etree

    from workflows.library import hardened_xml_parser

    text = (FIXTURES / "xxe.bpmn").read_bytes()
    root = etree.fromstring(text, hardened_xml_parser())
    script = root.find(".//{http://www.omg.org/spec/BPMN/20100524/MODEL}script")
    rendered = etree.tostring(script).decode()
    assert Path("/etc/hostname").read_text().strip() not in rendered


def test_malformed_dmn_is_refused_with_the_file_name(services):
    with pytest.raises(ProcessDefinitionError) as err:
        build(services, {"demo.bpmn": GOOD}, {"bad.dmn": "<definitions><decision"})
    assert err.value.file == "bad.dmn"


def test_versions_are_immutable_and_addressed_by_content(services):
    with services.db.transaction() as session:
        [v1] = services.library.store(session, {"demo_referral.bpmn": GOOD}, DEMO_DMN)
    changed = GOOD.replace("Alert the duty team", "Alert the duty team now")
    with services.db.transaction() as session:
        [v2] = services.library.store(session, {"demo_referral.bpmn": changed}, DEMO_DMN)
        [again] = services.library.store(session, {"demo_referral.bpmn": GOOD}, DEMO_DMN)
    assert (v1.version, v2.version) == (1, 2) and again.id == v1.id
    assert v1.content_hash != v2.content_hash


def test_after_a_restart_the_spec_is_rebuilt_from_the_stored_files(services, tmp_path):
    from workflows.library import ProcessLibrary

    fresh = ProcessLibrary(services.db, tmp_path / "empty", tmp_path / "empty")
    with services.db.reading() as session:
        version = fresh.latest(session, "demo_referral")
        spec, _ = fresh.specs(session, version)
    assert spec.name == "demo_referral" and "decide_priority" in spec.task_specs


@pytest.mark.skipif(not MIWG.is_dir(), reason="shared/conformance/bpmn-miwg is not beside the repository")
@pytest.mark.parametrize("name", sorted(p.name for p in MIWG.glob("*.bpmn")) if MIWG.is_dir() else [])
def test_miwg_reference_diagrams_load_or_are_refused_clearly(services, name):
    text = (MIWG / name).read_text(encoding="utf-8")
    try:
        built, _ = services.library.build({name: text}, {})
    except ProcessDefinitionError as err:
        assert err.file == name and err.message and "Traceback" not in err.message
    else:
        assert all(p.spec is not None for p in built)


def test_a_broken_file_on_disk_does_not_stop_the_good_ones_loading(tmp_path):
    from tests.conftest import lab_app

    app = lab_app(tmp_path, "script_error.bpmn")
    (tmp_path / "bpmn" / "broken.bpmn").write_text("<bpmn:definitions")
    svc = app.extensions["careflow"]
    versions = svc.library.sync_from_disk()
    assert {"demo_referral", "script_error"} <= {v.process_id for v in versions}
    [error] = svc.library.load_errors
    assert error["file"] == "broken.bpmn" and error["line"] == 1
    svc.db.dispose()


def test_a_user_task_whose_form_does_not_exist_is_refused_at_load(services):
    missing = GOOD.replace('value="referral_details"', 'value="referral_detials"')
    with pytest.raises(ProcessDefinitionError) as err:
        build(services, {"demo.bpmn": missing})
    assert err.value.element == "record_referral" and "referral_detials" in err.value.message
    assert 'id="record_referral"' in missing.splitlines()[err.value.line - 1]
