"""Each save check on its own: the rule, the element and a message a process owner can act on."""
from __future__ import annotations

from tests.conftest import ROOT
from workflows.errors import ProcessDefinitionError
from workflows.library import parse_xml
from workflows.model_checks import CheckContext, check_elements, check_process, check_schema

DEMO = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()
PF = (ROOT / "bpmn" / "provider_failure.bpmn").read_text()
CTX = CheckContext(["notify"], ["DemoReferralPriority"], {"referral_details"}.__contains__)


def _found(text: str) -> set[tuple[str | None, str]]:
    return {(p.element, p.rule) for p in check_process(text, "d.bpmn", CTX)}


def _timer_elements(text: str) -> list[str | None]:
    return [p.element for p in check_elements(parse_xml(text, "p"), CTX) if p.rule == "timer-syntax"]


def test_the_demo_passes_every_rule():
    assert check_process(DEMO, "d.bpmn", CTX) == []


def test_xml_that_is_not_well_formed_or_has_a_doctype():
    assert _found("<bpmn:definitions") == {(None, "well-formed-xml")}
    assert _found('<!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>') == {(None, "well-formed-xml")}


def test_schema_invalid_bpmn_names_the_element_at_the_line():
    bad = DEMO.replace('<bpmn:userTask id="record_referral" name="Record the referral">',
                       '<bpmn:userTask id="record_referral" name="Record the referral" colour="red">')
    problems = check_schema(parse_xml(bad, "d.bpmn"), "d.bpmn", bad)
    assert [(p.rule, p.element, p.line) for p in problems] == [("bpmn-schema", "record_referral", 32)]
    assert "colour" in problems[0].message


def test_timers_need_quotes_around_iso_text_and_valid_literals():
    unquoted = PF.replace("<bpmn:timeDuration>infoDueIn</bpmn:timeDuration>",
                          "<bpmn:timeDuration>P5D</bpmn:timeDuration>")
    problems = [p for p in check_elements(parse_xml(unquoted, "p"), CTX) if p.rule == "timer-syntax"]
    assert [(p.element, p.message) for p in problems] == [
        ("pf_info_due", 'Put the timeDuration in quotes: "P5D" (without quotes it is read as a data name)')]
    for text in ("infoDueIn +", "infoDueIn.__class__", '"five days"'):
        broken = PF.replace("<bpmn:timeDuration>infoDueIn</bpmn:timeDuration>",
                            f"<bpmn:timeDuration>{text}</bpmn:timeDuration>")
        assert _timer_elements(broken) == ["pf_info_due"], text


def test_due_dates_scripts_and_case_title():
    bad = (DEMO.replace('name="dueIn" value="P2D"', 'name="dueIn" value="in two days"')
           .replace('name="caseTitle" value="personName"', 'name="caseTitle" value="import os"'))
    found = _found(bad)
    assert ("record_referral", "due-date-syntax") in found and ("demo_referral", "expression-syntax") in found
    for value in ("P5WD", "PT4H", "add_working_days(today(), 3)"):
        assert _found(DEMO.replace('name="dueIn" value="P2D"', f'name="dueIn" value="{value}"')) == set(), value


def test_unreachable_elements():
    orphan = DEMO.replace('sourceRef="referral_received" targetRef="record_referral"',
                          'sourceRef="referral_received" targetRef="referral_triaged"')
    assert {("record_referral", "no-unreachable"), ("decide_priority", "no-unreachable")} <= _found(orphan)


def test_spiff_parse_errors_are_reported_once_the_rest_pass():
    def build(text: str) -> None:
        raise ProcessDefinitionError("bad", element="x")

    problems = check_process(DEMO, "d.bpmn", CTX, build=build)
    assert [(p.rule, p.element) for p in problems] == [("spiff-parses", "x")]
