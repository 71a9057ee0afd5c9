"""DMN models beyond single tables: decisions compiled one by one, boxed expressions, knowledge
models, decision services, item-definition types and imports across files."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from workflows.decisions import DecisionError, load_decisions

NS = "https://www.omg.org/spec/DMN/20230324/MODEL/"


def dmn(body: str, namespace: str = "http://careflow/t", extra: str = "") -> bytes:
    return (f'<definitions xmlns="{NS}" id="defs" name="t" namespace="{namespace}">{extra}{body}'
            f"</definitions>").encode()


def literal(name: str, text: str, type_ref: str = "", requires: str = "") -> str:
    typed = f' typeRef="{type_ref}"' if type_ref else ""
    return (f'<decision id="{name}" name="{name}"><variable name="{name}"{typed}/>{requires}'
            f"<literalExpression><text>{text}</text></literalExpression></decision>")


ONE_BAD = dmn(literal("Good", "1 + 1") + literal("Bad", "1 +* 2"))


def test_a_decision_that_does_not_compile_fails_alone() -> None:
    model = load_decisions(ONE_BAD, filename="mixed.dmn", strict=False)
    assert model.evaluate("Good").value == 2
    with pytest.raises(DecisionError, match="Decision 'Bad'.*syntax error") as info:
        model.evaluate("Bad")
    assert info.value.decision_name == "Bad"
    assert [e.decision_name for e in model.load_errors] == ["Bad"]


def test_the_modellers_check_still_refuses_the_file_naming_the_bad_decisions() -> None:
    with pytest.raises(DecisionError, match="mixed.dmn line 1, Decision 'Bad'"):
        load_decisions(ONE_BAD, filename="mixed.dmn")
    two_bad = dmn(literal("Good", "1") + literal("Bad", "1 +* 2") + literal("Worse", "if then"))
    with pytest.raises(DecisionError, match=r"do not compile either: Worse\)$"):
        load_decisions(two_bad, filename="mixed.dmn")


def test_boxed_context_invocation_and_knowledge_model() -> None:
    bkm = ('<businessKnowledgeModel id="fee" name="Weekly fee"><encapsulatedLogic>'
           '<formalParameter name="hours" typeRef="number"/><formalParameter name="rate" typeRef="number"/>'
           "<literalExpression><text>hours * rate</text></literalExpression></encapsulatedLogic>"
           "</businessKnowledgeModel>")
    decision = ('<decision id="plan" name="Plan cost"><variable name="Plan cost"/><context>'
                '<contextEntry><variable name="care hours"/><literalExpression><text>10</text>'
                "</literalExpression></contextEntry>"
                '<contextEntry><variable name="cost"/><invocation><literalExpression><text>Weekly fee'
                '</text></literalExpression><binding><parameter name="hours"/><literalExpression>'
                "<text>care hours</text></literalExpression></binding><binding><parameter name=\"rate\"/>"
                "<literalExpression><text>25.5</text></literalExpression></binding></invocation>"
                "</contextEntry><contextEntry><literalExpression><text>cost</text></literalExpression>"
                "</contextEntry></context></decision>")
    assert load_decisions(dmn(bkm + decision)).evaluate("Plan cost").value == 255


def test_boxed_list_relation_conditional_and_filter() -> None:
    body = ('<decision id="d" name="Visits"><variable name="Visits"/><filter><in><relation>'
            '<column name="day"/><column name="minutes"/>'
            '<row><literalExpression><text>"Mon"</text></literalExpression>'
            "<literalExpression><text>30</text></literalExpression></row>"
            '<row><literalExpression><text>"Tue"</text></literalExpression>'
            "<literalExpression><text>60</text></literalExpression></row></relation></in>"
            "<match><literalExpression><text>minutes &gt; 45</text></literalExpression></match></filter>"
            "</decision>"
            '<decision id="c" name="Band"><variable name="Band"/><conditional><if><literalExpression>'
            "<text>count(Visits) = 1</text></literalExpression></if><then><literalExpression>"
            '<text>"one"</text></literalExpression></then><else><literalExpression><text>"many"</text>'
            '</literalExpression></else></conditional><informationRequirement><requiredDecision href="#d"/>'
            "</informationRequirement></decision>")
    model = load_decisions(dmn(body))
    assert model.evaluate("Visits").value == [{"day": "Tue", "minutes": 60}]
    assert model.evaluate("Band").value == "one"


def test_results_are_converted_to_the_declared_type() -> None:
    types = ('<itemDefinition name="tPerson"><itemComponent name="name"><typeRef>string</typeRef>'
             '</itemComponent><itemComponent name="age"><typeRef>number</typeRef></itemComponent>'
             "</itemDefinition>")
    model = load_decisions(dmn(literal("One", "[5]", "number") + literal("Who", '{name: "A"}', "tPerson")
                               + literal("Is", '{name: "A", age: 3} instance of tPerson'), extra=types))
    assert model.evaluate("One").value == 5  # a singleton list stands for its element
    result = model.evaluate("Who")
    assert result.value is None and result.problems == ["the result is not a tPerson"]
    assert model.evaluate("Is").value is True


def test_decision_service_invoked_directly_and_from_feel() -> None:
    body = (literal("Base", '"care"') + literal("Label", 'Base + " plan"', requires=(
        '<informationRequirement><requiredDecision href="#Base"/></informationRequirement>'))
        + '<decisionService id="svc" name="Label service"><variable name="Label service"/>'
          '<outputDecision href="#Label"/><inputDecision href="#Base"/></decisionService>'
        + literal("Called", 'Label service("support")'))
    model = load_decisions(dmn(body))
    assert model.evaluate("Label service", {"Base": "home"}).value == "home plan"
    assert model.evaluate("Called").value == "support plan"


def test_imports_across_files_in_one_folder(tmp_path: Path) -> None:
    shared = ('<businessKnowledgeModel id="g" name="Greeting"><encapsulatedLogic>'
              '<formalParameter name="who"/><literalExpression><text>"Hello " + who</text>'
              "</literalExpression></encapsulatedLogic></businessKnowledgeModel>")
    (tmp_path / "shared.dmn").write_bytes(dmn(shared, namespace="http://careflow/shared"))
    main = literal("Greet", 'lib.Greeting("Ann")')
    imports = f'<import name="lib" namespace="http://careflow/shared" importType="{NS}"/>'
    (tmp_path / "main.dmn").write_bytes(dmn(main, extra=imports))
    assert load_decisions(tmp_path / "main.dmn").evaluate("Greet").value == "Hello Ann"


def test_numbers_keep_34_digits() -> None:
    model = load_decisions(dmn(literal("Third", "1 / 3")))
    raw = model.evaluate("Third").raw_value
    assert raw == Decimal("0.3333333333333333333333333333333333")
