"""Loading DMN XML into compiled decisions.

Every FEEL cell is compiled here, once; a syntax error is reported at load time with the
file, decision, rule, column and line. The XML parser is hardened (no entities, no network,
no DTD) because process owners upload these files through the browser.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from .boxed import compile_boxed, expression_in
from .errors import DecisionError, FeelError
from .feel import FeelFunction, compile_expression, names_table
from .feel_lexer import NameTable
from .feel_parser import Parser, parse_unary_tests
from .feel_types import ANY, FeelType, FunctionType, ItemType, base_type
from .unary import Test, compile_unary_tests

HIT_POLICIES = {"UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER"}
AGGREGATIONS = {"SUM", "MIN", "MAX", "COUNT"}


def _local(el: Any) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _children(el: Any, name: str) -> list[Any]:
    return [c for c in el if _local(c) == name]


def _child(el: Any, name: str) -> Any | None:
    found = _children(el, name)
    return found[0] if found else None


def _text(el: Any | None) -> str | None:
    if el is None:
        return None
    node = _child(el, "text")
    return (node.text or "") if node is not None else None


@dataclass
class InputColumn:
    label: str
    expression: Callable[[dict], Any]
    type_ref: str | None
    allowed: Test | None
    allowed_text: str | None


@dataclass
class OutputColumn:
    name: str
    type_ref: str | None
    priorities: list[Any]  # outputValues in order, for PRIORITY / OUTPUT ORDER
    default: Callable[[dict], Any] | None


@dataclass
class Rule:
    index: int  # 1-based, as process owners count
    rule_id: str | None
    annotation: str | None
    tests: list[tuple[int, Test]]  # only the non '-' cells
    outputs: list[Callable[[dict], Any]]
    line: int | None


@dataclass
class DecisionTable:
    hit_policy: str
    aggregation: str | None
    inputs: list[InputColumn]
    outputs: list[OutputColumn]
    rules: list[Rule]


@dataclass
class Decision:
    id: str
    name: str
    type_ref: str | None
    table: DecisionTable | None = None
    literal: Callable[[dict], Any] | None = None
    required_decisions: list[str] = field(default_factory=list)  # ids
    required_inputs: list[str] = field(default_factory=list)  # input data names
    line: int | None = None
    kind: FeelType | None = None  # the declared type the result is converted to
    error: DecisionError | None = None  # set when the decision did not compile: it fails alone

    @property
    def hit_policy(self) -> str | None:
        if self.table is None:
            return None
        return self.table.hit_policy + (f" {self.table.aggregation}" if self.table.aggregation else "")


@dataclass
class InputData:
    id: str
    name: str
    type_ref: str | None
    allowed: Test | None
    allowed_text: str | None
    kind: FeelType | None = None


@dataclass
class DecisionService:
    id: str
    name: str
    outputs: list[str]  # decision ids
    encapsulated: list[str]
    input_decisions: list[str]
    input_data: list[str]  # input data ids


class _Loader:
    def __init__(self, root: Any, filename: str) -> None:
        self.root = root
        self.filename = filename
        self.items: dict[str, Any] = {c.get("name"): c for c in _children(root, "itemDefinition")}
        self.types: dict[str, FeelType] = {}
        self.names: NameTable = names_table(self._known_names(), self.types)
        for name in list(self.items):
            self.item_type(name)

    def _known_names(self) -> list[str]:
        names: list[str] = []
        for el in self.root.iter():
            if _local(el) in ("inputData", "decision", "businessKnowledgeModel", "itemComponent",
                              "formalParameter", "itemDefinition", "variable", "column", "parameter",
                              "decisionService") and el.get("name"):
                names.append(el.get("name"))
            if el.get("iteratorVariable"):
                names.append(el.get("iteratorVariable"))
        return names

    def item_type(self, name: str) -> FeelType | None:
        """The FEEL type of an itemDefinition (built once, components and all)."""
        if name in self.types:
            return self.types[name]
        el = self.items.get(name)
        if el is None:
            return None
        item = ItemType(name=name, collection=el.get("isCollection") == "true")
        self.types[name] = item  # before the components, so a recursive type terminates
        comps = _children(el, "itemComponent")
        if comps:
            item.components = {}
            for comp in comps:
                self.items.setdefault(f"{name}.{comp.get('name')}", comp)
                item.components[comp.get("name")] = self.item_type(f"{name}.{comp.get('name')}") or ANY
        ref = _child(el, "typeRef")
        if ref is not None and (ref.text or "").strip():
            item.base = self.type_of(ref.text.strip())
        fn_item = _child(el, "functionItem")
        if fn_item is not None:
            params = [self.type_of(p.get("typeRef")) or ANY for p in _children(fn_item, "parameters")]
            item.function = FunctionType(params, self.type_of(fn_item.get("outputTypeRef")) or ANY)
        allowed = _text(_child(el, "allowedValues")) or _text(_child(el, "typeConstraint"))
        if allowed and allowed.strip():
            try:
                test = compile_unary_tests(allowed, self.names, strict=False)
            except FeelError:
                test = None
            if test is not None:
                item.allowed = lambda value, t=test: t(value, {})
        return item

    def type_of(self, ref: str | None) -> FeelType | None:
        """A typeRef: an item definition, a built-in type, or FEEL type syntax (`list<number>`)."""
        if not ref:
            return None
        ref = ref.strip()
        found = self.item_type(ref) or base_type(ref)
        if found is None and "." in ref:
            found = self.item_type(ref.split(".")[-1])
        if found is None:
            try:
                found = Parser(ref, self.names).type_spec()
            except FeelError:
                found = None
        return found

    def error(self, message: str, el: Any = None, **kw: Any) -> DecisionError:
        return DecisionError(message, filename=self.filename,
                             line=getattr(el, "sourceline", None), **kw)

    def allowed_values(self, type_ref: str | None) -> tuple[Test | None, str | None]:
        item = self.items.get(type_ref or "")
        if item is None:
            return None, None
        text = _text(_child(item, "allowedValues"))
        if not text:
            return None, None
        return compile_unary_tests(text, self.names, strict=False), text.strip()

    def feel(self, text: str | None, el: Any, unary: bool = False, **where: Any) -> Any:
        if text is None:
            raise self.error(f"<{_local(el)}> has no <text>", el, **where)
        try:
            if unary:
                return compile_unary_tests(text, self.names)
            return compile_expression(text, self.names)
        except FeelError as exc:
            raise self.error(f"{exc.message} in '{text.strip()}'", el, **where) from None
        except RecursionError:
            raise self.error("expression is nested too deeply", el, **where) from None

    def type_ref(self, el: Any) -> str | None:
        var = _child(el, "variable")
        ref = el.get("typeRef") or (var.get("typeRef") if var is not None else None)
        item = self.items.get(ref or "")
        item_type = _child(item, "typeRef") if item is not None else None
        if item_type is not None:
            return (item_type.text or "").strip() or ref
        return ref

    def table(self, el: Any, owner: str, default_name: str) -> DecisionTable:
        policy = (el.get("hitPolicy") or "UNIQUE").upper().replace("_", " ")
        aggregation = (el.get("aggregation") or "").upper() or None
        if policy not in HIT_POLICIES:
            raise self.error(f"unknown hit policy '{policy}'", el, decision_id=owner)
        if aggregation and (policy != "COLLECT" or aggregation not in AGGREGATIONS):
            raise self.error(f"aggregation '{aggregation}' needs hit policy COLLECT", el, decision_id=owner)
        inputs = []
        for col in _children(el, "input"):
            expr_el = _child(col, "inputExpression")
            text = _text(expr_el)
            label = col.get("label") or (text or "").strip() or col.get("id") or "input"
            expr = self.feel(text, expr_el if expr_el is not None else col, decision_id=owner,
                             column=label, column_kind="input")
            allowed_text = _text(_child(col, "inputValues"))
            allowed = None
            if allowed_text and allowed_text.strip():
                allowed = self.feel(allowed_text, col, unary=True, decision_id=owner, column=label,
                                    column_kind="input")
            type_ref = expr_el.get("typeRef") if expr_el is not None else None
            inputs.append(InputColumn(label, expr, type_ref, allowed, (allowed_text or "").strip() or None))
        outputs_el = _children(el, "output")
        outputs = []
        for col in outputs_el:
            name = col.get("name") or col.get("label") or (default_name if len(outputs_el) == 1 else "")
            if not name:
                raise self.error("an output column of a multi-output table needs a name", col,
                                 decision_id=owner)
            priorities = self.output_values(col, owner, name)
            default_el = _child(col, "defaultOutputEntry")
            default = None
            if default_el is not None and (_text(default_el) or "").strip():
                default = self.feel(_text(default_el), default_el, decision_id=owner, column=name,
                                    column_kind="output")
            outputs.append(OutputColumn(name, col.get("typeRef"), priorities, default))
        if aggregation and len(outputs) > 1:
            raise self.error("COLLECT with an aggregation needs exactly one output", el, decision_id=owner)
        rules = [self.rule(r, i, inputs, outputs, owner) for i, r in enumerate(_children(el, "rule"), 1)]
        return DecisionTable(policy, aggregation, inputs, outputs, rules)

    def output_values(self, col: Any, owner: str, name: str) -> list[Any]:
        text = _text(_child(col, "outputValues"))
        if not text or not text.strip():
            return []
        try:
            ast = parse_unary_tests(text, self.names)
        except FeelError as exc:
            raise self.error(f"{exc.message} in outputValues", col, decision_id=owner, column=name,
                             column_kind="output") from None
        values = [t[1][1] for t in ast[1] if ast[0] == "tests" and t[0] == "ut_expr" and t[1][0] == "lit"]
        return values

    def rule(self, el: Any, index: int, inputs: list[InputColumn], outputs: list[OutputColumn],
             owner: str) -> Rule:
        entries = _children(el, "inputEntry")
        results = _children(el, "outputEntry")
        if len(entries) != len(inputs) or len(results) != len(outputs):
            raise self.error(f"rule has {len(entries)} input and {len(results)} output entries but the "
                             f"table has {len(inputs)} inputs and {len(outputs)} outputs", el,
                             decision_id=owner, rule_index=index)
        tests = []
        for ci, (cell, col) in enumerate(zip(entries, inputs)):
            test = self.feel(_text(cell), cell, unary=True, decision_id=owner, rule_index=index,
                             column=col.label, column_kind="input")
            if test is not None:
                tests.append((ci, test))
        outs = []
        for cell, out_col in zip(results, outputs):
            text = _text(cell)
            if text is not None and not text.strip():
                text = "null"  # an empty output cell is null
            outs.append(self.feel(text, cell, decision_id=owner, rule_index=index, column=out_col.name,
                                  column_kind="output"))
        notes = [(_text(a) or "").strip() for a in _children(el, "annotationEntry")]
        desc = _child(el, "description")
        annotation = "; ".join(n for n in notes if n) or (desc.text.strip() if desc is not None and desc.text
                                                         else None)
        return Rule(index, el.get("id"), annotation or None, tests, outs, el.sourceline)

    def text_of(self, el: Any) -> str | None:
        return _text(el)

    def expression_of(self, el: Any, owner: str, name: str) -> tuple[DecisionTable | None, Any]:
        """(the table when the logic is a decision table, else the compiled expression)."""
        found = expression_in(el)
        if found is None:
            raise self.error("has no decision logic", el, decision_id=owner)
        if _local(found) == "decisionTable":
            return self.table(found, owner, name), None
        return None, compile_boxed(self, found, owner, name)


def _href(el: Any) -> str:
    return (el.get("href") or "").split("#")[-1]


def parse_xml(source: bytes, filename: str) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(source, parser)
    except etree.XMLSyntaxError as exc:
        raise DecisionError(f"not well-formed XML: {exc.msg}", filename=filename,
                            line=exc.lineno) from None
    if _local(root) != "definitions":
        raise DecisionError(f"root element is <{_local(root)}>, expected DMN <definitions>",
                            filename=filename, line=root.sourceline)
    return root


Parts = tuple[dict[str, Decision], dict[str, InputData], dict[str, Any], dict[str, DecisionService]]


def load_parts(source: bytes, filename: str) -> Parts:
    """Compile every decision, input data, knowledge model and decision service of one DMN file.

    A decision (or knowledge model) that does not compile keeps its error and fails alone.
    """
    root = parse_xml(source, filename)
    loader = _Loader(root, filename)
    inputs: dict[str, InputData] = {}
    for el in _children(root, "inputData"):
        ref = loader.type_ref(el)
        var = _child(el, "variable")
        raw_ref = el.get("typeRef") or (var.get("typeRef") if var is not None else None)
        allowed, allowed_text = loader.allowed_values(raw_ref)
        inputs[el.get("id") or el.get("name")] = InputData(el.get("id") or el.get("name"), el.get("name"),
                                                           ref, allowed, allowed_text, loader.type_of(raw_ref))
    bkms: dict[str, Any] = {}
    scope: dict[str, Any] = {}  # shared by all knowledge models so they can call each other
    for el in _children(root, "businessKnowledgeModel"):
        name = el.get("name") or el.get("id")
        fn = _knowledge_model(loader, el, name, scope)
        bkms[el.get("id") or name] = fn
        scope[name] = fn
    decisions: dict[str, Decision] = {}
    for el in _children(root, "decision"):
        name = el.get("name") or el.get("id") or "decision"
        did = el.get("id") or name
        if did in decisions:
            raise loader.error(f"duplicate decision id '{did}'", el, decision_id=did)
        var = _child(el, "variable")
        decision = Decision(did, name, loader.type_ref(el), line=el.sourceline,
                            kind=loader.type_of(var.get("typeRef") if var is not None else el.get("typeRef")))
        try:
            decision.table, decision.literal = loader.expression_of(el, name, name)
        except DecisionError as exc:
            decision.error = exc.for_decision(did, name)
        for req in _children(el, "informationRequirement"):
            for ref in req:
                if _local(ref) == "requiredDecision":
                    decision.required_decisions.append(_href(ref))
                elif _local(ref) == "requiredInput" and _href(ref) in inputs:
                    decision.required_inputs.append(inputs[_href(ref)].name)
        decisions[did] = decision
    for d in decisions.values():
        for ref in d.required_decisions:
            if ref not in decisions and d.error is None:
                d.error = DecisionError(f"requires decision '#{ref}' which is not in the file",
                                        filename=filename, line=d.line, decision_id=d.id, decision_name=d.name)
        d.required_decisions = [r for r in d.required_decisions if r in decisions]
    services = {}
    for el in _children(root, "decisionService"):
        refs = {kind: [_href(r) for r in _children(el, kind)]
                for kind in ("outputDecision", "encapsulatedDecision", "inputDecision", "inputData")}
        sid = el.get("id") or el.get("name")
        services[sid] = DecisionService(sid, el.get("name") or sid, refs["outputDecision"],
                                        refs["encapsulatedDecision"], refs["inputDecision"], refs["inputData"])
    return decisions, inputs, bkms, services


def _knowledge_model(loader: _Loader, el: Any, name: str, scope: dict[str, Any]) -> Any:
    logic = _child(el, "encapsulatedLogic")
    if logic is None:
        return _broken(loader.error("business knowledge model has no encapsulatedLogic", el, decision_id=name))
    params = _children(logic, "formalParameter")
    for p in params:
        loader.names.add(p.get("name"))
    var = _child(el, "variable")
    declared = loader.type_of(var.get("typeRef")) if var is not None else None
    result_type = declared.function.result if isinstance(declared, ItemType) and declared.function else None
    try:
        table, literal = loader.expression_of(logic, name, name)
    except DecisionError as exc:
        return _broken(exc)
    body = literal if table is None else _table_body(table, name)
    return FeelFunction([p.get("name") for p in params], body, scope, name,
                        [loader.type_of(p.get("typeRef")) for p in params],
                        loader.type_of(logic.get("typeRef")) or result_type)


def _broken(error: DecisionError) -> Callable[..., Any]:
    def fail(*args: Any, **kw: Any) -> Any:
        raise FeelError(error.message)
    return fail


def _table_body(table: DecisionTable, name: str) -> Callable[[dict], Any]:
    from .evaluator import run_table  # a knowledge model may wrap a decision table

    def body(ctx: dict) -> Any:
        return run_table(table, name, ctx)[0]
    return body


def read_source(source: str | Path | bytes, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, filename or "<dmn>"
    if isinstance(source, str) and source.lstrip().startswith("<"):
        return source.encode("utf-8"), filename or "<dmn>"
    path = Path(source)
    try:
        return path.read_bytes(), filename or str(path)
    except OSError as exc:
        raise DecisionError(f"cannot read DMN file: {exc.strerror}", filename=str(path)) from None
