"""The editor's bpmnlint rules and the server's save checks are one rule set: same names, and on the
same diagrams the same problems at the same elements (scripts/lint-diagram.mjs runs the plugin in Node)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from workflows.library import parse_xml
from workflows.model_checks import EDITOR_RULES, RULES, SERVER_ONLY, CheckContext, check_elements

pytestmark = pytest.mark.skipif(not shutil.which("node") or not (ROOT / "node_modules" / "bpmnlint").is_dir(),
                                reason="Node and the npm packages are needed")

DEMO = (ROOT / "bpmn" / "demo_referral.bpmn").read_text()
PF = (ROOT / "bpmn" / "provider_failure.bpmn").read_text()
CONTEXT = {"handlers": ["notify", "commission", "match_providers"],
           "decisions": ["DemoReferralPriority", "ClassifyTriggerEvent", "TemporaryDutyTrigger",
                         "TemporaryDutyCharging"],
           "forms": sorted(p.name[: -len(".schema.json")] for p in (ROOT / "bpmn" / "forms").glob("*.schema.json"))}
BROKEN = {
    "unknown_handler": DEMO.replace('serviceTaskOperator id="notify"', 'serviceTaskOperator id="fax"', 1),
    "unknown_decision": DEMO.replace(">DemoReferralPriority<", ">Nope<"),
    "missing_form": DEMO.replace('value="referral_details"', 'value="no_form"'),
    "spiff_arena_form": DEMO.replace('name="formKey" value="referral_details"',
                                     'name="formJsonSchemaFilename" value="gone-schema.json"'),
    "no_default": DEMO.replace('default="flow_routine"', ""),
    "bad_due": DEMO.replace('name="dueIn" value="P2D"', 'name="dueIn" value="P2X"'),
    "unreachable": DEMO.replace('<bpmn:incoming>flow_to_record</bpmn:incoming>', "").replace(
        'targetRef="record_referral"', 'targetRef="referral_triaged"'),
    "timer_unquoted": PF.replace("<bpmn:timeDuration>infoDueIn</bpmn:timeDuration>",
                                 "<bpmn:timeDuration>P5D</bpmn:timeDuration>"),
    "timer_bad_literal": PF.replace("<bpmn:timeDuration>infoDueIn</bpmn:timeDuration>",
                                    '<bpmn:timeDuration>"5 days"</bpmn:timeDuration>'),
    "pf_as_is": PF,
}


def _node_rule_names() -> set[str]:
    script = ("import('./app/static/src/modeller/lint-rules.mjs').then(m => "
              "console.log(JSON.stringify(m.RULE_NAMES)))")
    out = subprocess.run(["node", "-e", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(out.stdout))


def test_the_editor_carries_exactly_the_server_rules_it_can_run():
    assert _node_rule_names() == set(EDITOR_RULES)
    assert set(EDITOR_RULES) | SERVER_ONLY == set(RULES)
    assert SERVER_ONLY == {"well-formed-xml", "bpmn-schema", "spiff-parses", "expression-syntax", "flow-ends"}


def test_editor_and_server_find_the_same_problems(tmp_path: Path):
    for name, text in BROKEN.items():
        (tmp_path / f"{name}.bpmn").write_text(text)
    (tmp_path / "context.json").write_text(json.dumps(CONTEXT))
    out = subprocess.run(["node", "scripts/lint-diagram.mjs", str(tmp_path / "context.json"),
                          *[str(tmp_path / f"{n}.bpmn") for n in BROKEN]],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    editor: dict[str, set[tuple[str, str, str]]] = {n: set() for n in BROKEN}
    for line in out.stdout.splitlines():
        found = json.loads(line)
        editor[Path(found["file"]).stem].add((found["element"], found["rule"], found["message"]))
    forms = set(CONTEXT["forms"])
    ctx = CheckContext(CONTEXT["handlers"], CONTEXT["decisions"], forms.__contains__)
    for name, text in BROKEN.items():
        server = {(p.element, p.rule, p.message) for p in check_elements(parse_xml(text, name), ctx)
                  if p.rule in EDITOR_RULES}
        assert editor[name] == server, name
        assert bool(server) == (name != "pf_as_is"), name
