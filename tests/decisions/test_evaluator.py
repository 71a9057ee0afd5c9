"""Decision tables and models: hit policies, errors a process owner can cause, audit results."""
from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from workflows.decisions import DecisionError, DecisionResult, EvaluationTimedOut, evaluate, load_decisions
from workflows.decisions.command import decide_command

NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def dmn(body: str) -> bytes:
    head = f'<definitions xmlns="{NS}" id="defs" name="t" namespace="http://careflow/t">'
    return f"{head}{body}</definitions>".encode()


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def table(decision: str, policy: str, inputs: list[str], outputs: list[str], rules: list[list[str]],
          extra: str = "", output_values: dict[str, str] | None = None,
          input_values: dict[str, str] | None = None, defaults: dict[str, str] | None = None,
          with_id: bool = True) -> str:
    output_values, input_values, defaults = output_values or {}, input_values or {}, defaults or {}
    ins = "".join(
        f'<input label="{i}"><inputExpression typeRef="string"><text>{esc(i)}</text></inputExpression>'
        + (f"<inputValues><text>{esc(input_values[i])}</text></inputValues>" if i in input_values else "")
        + "</input>" for i in inputs)
    outs = "".join(
        f'<output name="{o}">'
        + (f"<outputValues><text>{esc(output_values[o])}</text></outputValues>" if o in output_values else "")
        + (f"<defaultOutputEntry><text>{esc(defaults[o])}</text></defaultOutputEntry>"
           if o in defaults else "")
        + "</output>" for o in outputs)
    body = "".join(
        "<rule>" + "".join(f"<inputEntry><text>{esc(c)}</text></inputEntry>" for c in r[:len(inputs)])
        + "".join(f"<outputEntry><text>{esc(c)}</text></outputEntry>" for c in r[len(inputs):])
        + "</rule>" for r in rules)
    ident = f' id="{decision}"' if with_id else ""
    return (f'<decision{ident} name="{decision}"><decisionTable hitPolicy="{policy}" {extra}>'
            f"{ins}{outs}{body}</decisionTable></decision>")


URGENCY_RULES = [
    ["true", "-", "-", "-", "-", "-", "-", '"CRITICAL"', "true", '"PT4H"', "false"],
    ["-", "true", "-", "-", "-", "-", "-", '"CRITICAL"', "true", '"PT24H"', "false"],
    ["-", "-", "true", "-", "-", "-", "-", '"URGENT"', "true", '"PT24H"', "true"],
    ["-", "-", "-", "true", "-", "-", "-", '"NONE"', "false", '"P7D"', "false"],
    ["-", "-", "-", "-", "<= 2", "-", "-", '"CRITICAL"', "true", '"PT24H"', "false"],
    ["-", "-", "-", "-", "-", "true", "-", '"URGENT"', "true", '"P2D"', "false"],
    ["-", "-", "-", "-", "<= 14", "-", "true", '"URGENT"', "true", '"P3D"', "false"],
    ["-", "-", "-", "-", "-", "-", "true", '"URGENT"', "true", '"P7D"', "false"],
    ["-", "-", "-", "-", "-", "-", "-", '"ROUTINE"', "false", '"P14D"', "false"],
]
URGENCY_INPUTS = ["riskToLife", "immediateSignificantHealthRisk", "safeguardingRisk",
                  "providerArrangementSatisfactory", "daysUntilCareStops", "terminallyIll",
                  "significantWellbeingImpact"]
URGENCY = dmn(table("UrgencyOfNeeds", "FIRST", URGENCY_INPUTS,
                    ["urgency", "isUrgent", "responseWithin", "safeguardingReferral"], URGENCY_RULES))
NOBODY = dict.fromkeys(URGENCY_INPUTS, False) | {"daysUntilCareStops": 30}


@pytest.fixture
def urgency_file(tmp_path: Path) -> Path:
    path = tmp_path / "urgency.dmn"
    path.write_bytes(URGENCY)
    return path


def test_first_policy_with_audit(urgency_file: Path) -> None:
    result = evaluate(urgency_file, "UrgencyOfNeeds", NOBODY | {"daysUntilCareStops": 10,
                                                                 "significantWellbeingImpact": True})
    assert isinstance(result, DecisionResult)
    assert result.value == {"urgency": "URGENT", "isUrgent": True, "responseWithin": "P3D",
                            "safeguardingReferral": False}
    assert [m.index for m in result.matched_rules] == [7]
    assert result.hit_policy == "FIRST"
    assert result.inputs["daysUntilCareStops"] == 10
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["matchedRules"][0]["index"] == 7


def test_type_mismatch_names_decision_rule_and_input(urgency_file: Path) -> None:
    with pytest.raises(DecisionError) as info:
        evaluate(urgency_file, "UrgencyOfNeeds", NOBODY | {"daysUntilCareStops": "x"})
    err = info.value
    assert (err.decision_id, err.rule_index, err.column) == ("UrgencyOfNeeds", 5, "daysUntilCareStops")
    assert str(err) == ("Decision 'UrgencyOfNeeds', rule 5, input 'daysUntilCareStops': "
                        "cannot compare string 'x' with number 2")


def test_missing_input_is_an_error(urgency_file: Path) -> None:
    inputs = dict(NOBODY)
    del inputs["terminallyIll"]
    with pytest.raises(DecisionError, match="input 'terminallyIll': unknown name 'terminallyIll'"):
        evaluate(urgency_file, "UrgencyOfNeeds", inputs)


def test_unique_overlap_names_the_rules() -> None:
    model = load_decisions(dmn(table("T", "UNIQUE", ["age"], ["band"],
                                     [["< 18", '"child"'], [">= 16", '"adult"'], [">= 65", '"older"']])))
    assert model.evaluate("T", {"age": 10}).value == "child"
    with pytest.raises(DecisionError, match=r"rules 1 and 2 match, but hit policy UNIQUE") as info:
        model.evaluate("T", {"age": 17})
    assert info.value.rule_index == 2


def test_any_requires_equal_outputs() -> None:
    rules = [["> 1", '"a"'], ["> 2", '"a"'], ["> 3", '"b"']]
    model = load_decisions(dmn(table("T", "ANY", ["x"], ["y"], rules)))
    assert model.evaluate("T", {"x": 3}).value == "a"
    with pytest.raises(DecisionError, match="hit policy ANY"):
        model.evaluate("T", {"x": 4})


def test_priority_and_output_order_follow_output_values() -> None:
    rules = [["-", '"LOW"'], [">= 5", '"HIGH"'], [">= 3", '"MEDIUM"']]
    values = {"level": '"HIGH","MEDIUM","LOW"'}
    prio = load_decisions(dmn(table("T", "PRIORITY", ["x"], ["level"], rules, output_values=values)))
    assert prio.evaluate("T", {"x": 4}).value == "MEDIUM"
    order = load_decisions(dmn(table("T", "OUTPUT ORDER", ["x"], ["level"], rules, output_values=values)))
    assert order.evaluate("T", {"x": 6}).value == ["HIGH", "MEDIUM", "LOW"]
    rule_order = load_decisions(dmn(table("T", "RULE ORDER", ["x"], ["level"], rules)))
    assert rule_order.evaluate("T", {"x": 6}).value == ["LOW", "HIGH", "MEDIUM"]


@pytest.mark.parametrize("aggregation, expected, empty", [
    ("", [100, 200, 50], None), ('aggregation="SUM"', 350, None), ('aggregation="MIN"', 50, None),
    ('aggregation="MAX"', 200, None), ('aggregation="COUNT"', 3, 0),
])
def test_collect(aggregation: str, expected: object, empty: object) -> None:
    rules = [["> 1", "100"], ["> 2", "200"], ["> 3", "50"]]
    model = load_decisions(dmn(table("T", "COLLECT", ["years"], ["amount"], rules, extra=aggregation)))
    assert model.evaluate("T", {"years": 5}).value == expected
    assert model.evaluate("T", {"years": 0}).value == empty


def test_several_outputs_and_collect_gives_dicts() -> None:
    rules = [["-", "1", '"one"'], ["> 5", "2", '"two"']]
    model = load_decisions(dmn(table("T", "COLLECT", ["x"], ["a", "b"], rules)))
    assert model.evaluate("T", {"x": 9}).value == [{"a": 1, "b": "one"}, {"a": 2, "b": "two"}]


def test_default_output_when_nothing_matches() -> None:
    rules = [["> 5", '"big"']]
    model = load_decisions(dmn(table("T", "UNIQUE", ["x"], ["y"], rules, defaults={"y": '"small"'})))
    result = model.evaluate("T", {"x": 1})
    assert result.value == "small" and result.matched_rules == []


def test_input_values_are_enforced() -> None:
    model = load_decisions(dmn(table("T", "UNIQUE", ["event"], ["y"], [['"A"', "1"], ['"B"', "2"]],
                                     input_values={"event": '"A","B"'})))
    assert model.evaluate("T", {"event": "B"}).value == 2
    with pytest.raises(DecisionError, match="input 'event': value 'C' is not one of the allowed values"):
        model.evaluate("T", {"event": "C"})


def test_bad_cell_is_a_load_error_with_position() -> None:
    with pytest.raises(DecisionError) as info:
        rules = [["> 1", "1"], ["> > 2", "2"]]
        load_decisions(dmn(table("T", "UNIQUE", ["x"], ["y"], rules)), filename="t.dmn")
    err = info.value
    assert (err.decision_id, err.rule_index, err.column) == ("T", 2, "x")
    assert "t.dmn line 1" in str(err) and "syntax error" in str(err)


def test_malformed_xml_and_unknown_decision() -> None:
    with pytest.raises(DecisionError, match="not well-formed XML"):
        load_decisions(b"<definitions>", filename="bad.dmn")
    model = load_decisions(URGENCY)
    with pytest.raises(DecisionError, match="no decision 'Nope'"):
        model.evaluate("Nope", {})


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xml = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file://{secret}">]>'
           f'<definitions xmlns="{NS}" id="d" name="d" namespace="n"><decision id="D" name="D">'
           f'<literalExpression><text>"&x;"</text></literalExpression></decision></definitions>').encode()
    try:
        value = load_decisions(xml).evaluate("D", {}).value
    except DecisionError:
        return
    assert "TOPSECRET" not in str(value)


def test_required_decisions_run_in_dependency_order_and_tables_without_ids() -> None:
    band_rules = [["< 1500", '"normal"'], [">= 1500", '"large"']]
    body = (
        '<inputData id="i_cost" name="costed Weekly">'
        '<variable name="costed Weekly" typeRef="number"/></inputData>'
        + table("Band", "UNIQUE", ["costed Weekly"], ["band"], band_rules, with_id=False)
        + '<decision id="Route" name="Route"><informationRequirement><requiredDecision href="#Band"/>'
          '</informationRequirement><literalExpression><text>if Band = "large" then "PANEL" else "TEAM"'
          "</text></literalExpression></decision>"
    )
    # once with an id on the table's decision (required by href), once without (addressed by name)
    model = load_decisions(dmn(body.replace('<decision name="Band">', '<decision id="Band" name="Band">')))
    assert model.decision_ids == ["Band", "Route"]
    result = model.evaluate("Route", {"costed Weekly": 2000})
    assert result.value == "PANEL"
    assert result.required["Band"].value == "large"
    assert load_decisions(dmn(body)).evaluate("Band", {"costed Weekly": "12"}).value == "normal"


def test_budget_route_with_variables_in_cells_and_null() -> None:
    rules = [["-", "null", "-", '"TEAM_MANAGER"'],
             ["<= workerLimitWeekly", ">= costedWeekly", "true", '"SELF_AUTHORISE"'],
             ["-", ">= costedWeekly", "-", '"TEAM_MANAGER"'],
             ["-", "< costedWeekly", "-", '"SENIOR_MANAGER"']]
    model = load_decisions(dmn(table("PlanBudgetApprovalRoute", "FIRST",
                                     ["costedWeekly", "indicativeWeekly", "workerHasSelfDelegation"],
                                     ["approvalRoute"], rules)))
    base = {"workerLimitWeekly": 800, "workerHasSelfDelegation": True}
    assert model.evaluate("PlanBudgetApprovalRoute", base | {"costedWeekly": 700, "indicativeWeekly": None}
                          ).value == "TEAM_MANAGER"
    assert model.evaluate("PlanBudgetApprovalRoute", base | {"costedWeekly": 700, "indicativeWeekly": 750.5}
                          ).value == "SELF_AUTHORISE"
    assert model.evaluate("PlanBudgetApprovalRoute", base | {"costedWeekly": 900, "indicativeWeekly": 1000}
                          ).value == "TEAM_MANAGER"
    assert model.evaluate("PlanBudgetApprovalRoute", base | {"costedWeekly": 900, "indicativeWeekly": 800}
                          ).value == "SENIOR_MANAGER"


def test_python_values_dates_durations_and_contexts() -> None:
    rules = [['> date("2026-01-31")', '>= duration("P1D")', '"late"'], ["-", "-", '"ok"']]
    model = load_decisions(dmn(table("T", "FIRST", ["due", "person.wait"], ["status"], rules)))
    late = {"due": dt.date(2026, 2, 1), "person": {"wait": dt.timedelta(days=2)}}
    assert model.evaluate("T", late).value == "late"
    assert model.evaluate("T", {"due": dt.date(2026, 1, 1), "person": {"wait": dt.timedelta()}}).value == "ok"
    out = load_decisions(dmn('<decision id="D" name="D"><literalExpression><text>'
                             'due + duration("P1D")</text></literalExpression></decision>'))
    result = out.evaluate("D", {"due": dt.datetime(2026, 1, 1, 9, 30)})
    assert result.value == dt.datetime(2026, 1, 2, 9, 30)
    assert result.to_dict()["value"] == "2026-01-02T09:30:00"


def test_decide_command(tmp_path: Path, urgency_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert decide_command(str(urgency_file), "UrgencyOfNeeds", json.dumps(NOBODY | {"riskToLife": True})) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["decision"] == "UrgencyOfNeeds" and printed["value"]["urgency"] == "CRITICAL"
    assert printed["matchedRules"][0]["index"] == 1
    assert decide_command(str(urgency_file), "UrgencyOfNeeds", "{not json") == 1
    assert capsys.readouterr().err.startswith("error: --inputs is not valid JSON")
    assert decide_command(str(tmp_path / "missing.dmn"), "X", "{}") == 1
    assert capsys.readouterr().err.startswith("error: ")


def literal(text: str) -> bytes:
    return dmn(f'<decision id="D" name="D"><literalExpression><text>{esc(text)}</text>'
               "</literalExpression></decision>")


@pytest.mark.parametrize("text, message", [
    ("(" * 3000 + "1" + ")" * 3000, "nested too deeply"),
    ("{f: function(n) f(n), r: f(1)}.r", "recursed too deeply"),
    ("for i in 1..10000000 return i", "iterates over more than"),
    ("for i in 1..10000, j in 1..10000 return i * j", "iterates more than 1,000,000 times"),
])
def test_hostile_expressions_fail_cleanly(text: str, message: str, time_budget) -> None:
    time_budget(600)  # the limit under test, not the clock, must stop it (a busy machine is slow)
    with pytest.raises(DecisionError, match=message) as info:
        load_decisions(literal(text)).evaluate("D", {})
    assert info.value.decision_id == "D"


def test_knowledge_model_invocation() -> None:
    body = ('<businessKnowledgeModel id="b" name="Weekly Cost"><encapsulatedLogic>'
            '<formalParameter name="hours"/><formalParameter name="rate"/>'
            "<literalExpression><text>hours * rate</text></literalExpression></encapsulatedLogic>"
            '</businessKnowledgeModel><decision id="D" name="D"><literalExpression>'
            "<text>Weekly Cost(10, 21.5) + Weekly Cost(rate: 2, hours: 1)</text>"
            "</literalExpression></decision>")
    assert load_decisions(dmn(body)).evaluate("D", {}).value == 217


def test_text_values_are_typed_by_the_column_type() -> None:
    xml = dmn(table("T", "FIRST", ["due"], ["y"], [['> date("2026-01-01")', '"late"'], ["-", '"ok"']]))
    model = load_decisions(xml.replace(b'typeRef="string"', b'typeRef="date"'))
    assert model.evaluate("T", {"due": "2026-02-01"}).value == "late"
    with pytest.raises(DecisionError, match="cannot compare string 'soon' with date"):
        model.evaluate("T", {"due": "soon"})


@pytest.fixture
def time_budget():
    """Set the process's decision time budget for one test, then put the default back."""
    from workflows.decisions import set_time_budget

    yield set_time_budget
    set_time_budget(None)


def test_a_function_that_recurses_without_a_loop_stops_at_the_time_budget(time_budget) -> None:
    time_budget(0.2)
    doubling = "{f: function(n) if n = 0 then 0 else f(n - 1) + f(n - 1), r: f(40)}.r"
    started = time.monotonic()
    with pytest.raises(EvaluationTimedOut, match="longer than its time budget of 0.2 s") as info:
        load_decisions(literal(doubling)).evaluate("D", {})
    assert time.monotonic() - started < 5
    assert info.value.decision_id == "D"


def test_the_time_budget_is_for_the_whole_evaluation_not_each_decision(time_budget, monkeypatch) -> None:
    """Each required decision alone fits in the budget; the decision that requires both does not."""
    from workflows.decisions import errors

    clock = [0.0]

    def tick() -> float:  # a clock that moves one "second" every time the evaluator looks at it
        clock[0] += 1
        return clock[0]

    monkeypatch.setattr(errors.time, "monotonic", tick)
    loop = "<literalExpression><text>count(for i in 1..640 return i)</text></literalExpression>"
    body = (f'<decision id="A" name="A">{loop}</decision><decision id="B" name="B">{loop}</decision>'
            '<decision id="Both" name="Both"><informationRequirement><requiredDecision href="#A"/>'
            '</informationRequirement><informationRequirement><requiredDecision href="#B"/>'
            "</informationRequirement><literalExpression><text>A + B</text></literalExpression></decision>")
    model = load_decisions(dmn(body))
    time_budget(20)  # one decision looks at the clock about 13 times: 10 in its loop and a few around it
    assert model.evaluate("A", {}).value == 640 and model.evaluate("B", {}).value == 640
    with pytest.raises(EvaluationTimedOut) as info:
        model.evaluate("Both", {})
    assert info.value.decision_id == "B"  # the second required decision is where the time ran out


def test_a_decision_that_runs_out_of_time_is_a_decision_error() -> None:
    assert issubclass(EvaluationTimedOut, DecisionError)
    from workflows.decisions import set_time_budget

    with pytest.raises(ValueError):
        set_time_budget(0)
