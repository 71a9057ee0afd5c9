"""Every message a diagram or DMN-10 names has a template, and the data its sender passes fills it.

The names and fields are read from the diagrams themselves: a literal ``template`` parameter with the
keys of its ``data`` dict, and the ``{'template': ..., 'data': {...}}`` items that scripts build for a
multi-instance send (contract actions, finance actions); DMN-10's ``message`` column for PP-02.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from lxml import etree

from handlers.templates import TemplateError, default_templates

ROOT = Path(__file__).resolve().parents[2]
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"


def _dict_keys(node: ast.AST, assigned: dict[str, ast.Dict]) -> set[str] | None:
    if not isinstance(node, ast.Dict):
        return None
    keys: set[str] = set()
    for key, value in zip(node.keys, node.values, strict=True):
        if key is None:  # {**safeguardingReferral}: the keys of the dict a script assigned to that name
            assert isinstance(value, ast.Name) and value.id in assigned, ast.dump(value)
            keys |= _dict_keys(assigned[value.id], assigned) or set()
        else:
            assert isinstance(key, ast.Constant)
            keys.add(key.value)
    return keys


def _names(node: ast.AST, loops: dict[str, list[str]]) -> list[str]:
    """The template names a ``'template':`` value can take: a constant, or a loop variable over constants."""
    if isinstance(node, ast.Constant):
        return [node.value]
    assert isinstance(node, ast.Name) and node.id in loops, ast.dump(node)
    return loops[node.id]


def _script_actions(root: etree._Element) -> list[tuple[str, str, set[str]]]:
    """(element, template, data keys) for each action a script builds, and the dicts scripts assign."""
    found = []
    for script in root.iter(f"{BPMN}script"):
        tree = ast.parse(script.text or "")
        loops = {}
        for comp in ast.walk(tree):
            if isinstance(comp, ast.comprehension) and isinstance(comp.target, ast.Name) \
                    and isinstance(comp.iter, ast.Tuple):
                loops[comp.target.id] = [e.value for e in comp.iter.elts if isinstance(e, ast.Constant)]
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "template"
                                                  for k in node.keys):
                items = {k.value: v for k, v in zip(node.keys, node.values, strict=True)
                         if isinstance(k, ast.Constant)}
                keys = _dict_keys(items["data"], {})
                owner = script.getparent().get("id")
                found += [(owner, name, keys) for name in _names(items["template"], loops)]
    return found


def _assigned_dicts(root: etree._Element) -> dict[str, ast.Dict]:
    out = {}
    for script in root.iter(f"{BPMN}script"):
        for node in ast.walk(ast.parse(script.text or "")):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                out.update({t.id: node.value for t in node.targets if isinstance(t, ast.Name)})
    return out


def _person_notification_messages() -> list[str]:
    root = etree.parse(str(ROOT / "dmn" / "person_notifications.dmn")).getroot()
    table = next(root.iter(f"{DMN}decisionTable"))
    column = [o.get("name") for o in table.iter(f"{DMN}output")].index("message")
    return sorted({ast.literal_eval(rule.findall(f"{DMN}outputEntry")[column].findtext(f"{DMN}text"))
                   for rule in table.iter(f"{DMN}rule")})


def sent_messages() -> list[tuple[str, str, str, set[str]]]:
    """(diagram, element, template, data keys) for every notify task and script-built action in bpmn/."""
    out = []
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        assigned = _assigned_dicts(root)
        for operator in root.iter(f"{SPIFF}serviceTaskOperator"):
            if operator.get("id") != "notify":
                continue
            params = {p.get("id"): p.get("value") for p in operator.iter(f"{SPIFF}parameter")}
            task = operator.getparent().getparent().get("id")
            keys = _dict_keys(ast.parse(params["data"], mode="eval").body, assigned)
            template = ast.parse(params["template"], mode="eval").body
            if isinstance(template, ast.Constant):
                out.append((path.name, task, template.value, keys))
            elif ast.unparse(template) == "note['message']":  # PP-02: one message per DMN-10 row
                out += [(path.name, task, name, keys) for name in _person_notification_messages()]
            else:  # an action a script built: its name and data are checked with the script's items
                assert ast.unparse(template) in ("contractAction['template']", "action['template']"), task
        out += [(path.name, element, name, keys) for element, name, keys in _script_actions(root)]
    return out


SENT = sent_messages()


def test_the_diagrams_name_the_provider_failure_catalogue():
    names = {name for _, _, name, _ in SENT}
    assert {"M1_ProviderFailureAlert", "M2_ProviderFailureNotice", "M4_NeighbourAuthorityAlert",
            "M5_InformationRequest", "M10_SafeguardingReferral", "M12_RechargeInvoice", "M13_ProviderCharge",
            "M14_DisputeEscalation", "M15_DisputeDeterminationRequest", "M16_PersonInformationPack",
            "M3", "M7", "M8", "M1/M8", "M9", "M10", "M11", "M16", "contract_default_notice",
            "suspend_new_business", "person_charge", "closure_warning", "daily_sitrep"} <= names
    assert all(keys for _, _, _, keys in SENT)  # every sender's data was read


@pytest.mark.parametrize(("diagram", "element", "name", "keys"), SENT,
                         ids=[f"{d}:{e}:{n}" for d, e, n, _ in SENT])
def test_every_message_a_diagram_sends_has_a_template_its_data_fills(diagram, element, name, keys):
    template = default_templates().get(name)
    subject, body = template.render({k: f"<{k}>" for k in keys})
    assert subject.strip() and body.strip() and "$" not in subject + body
    used = {k for k in keys if f"<{k}>" in subject + body}
    assert len(used) >= min(3, len(keys)), f"{name} from {element} uses little of what it is sent: {used}"


def test_a_template_missing_a_field_its_sender_passes_is_a_clear_error():
    with pytest.raises(TemplateError, match="M1_ProviderFailureAlert.*providerName"):
        default_templates().get("M1_ProviderFailureAlert").render({"caseReference": "CF-1"})
