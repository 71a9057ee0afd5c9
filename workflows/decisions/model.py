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
from .dmn_xml import child, children, local, text_of
from .errors import DecisionError, FeelError
from .feel import FeelFunction, compile_expression, names_table
from .feel_lexer import NameTable
from .feel_parser import Parser
from .feel_types import ANY, FeelType, FunctionType, ItemType, base_type
from .table_loader import DecisionTable, InputColumn, OutputColumn, Rule, TableLoader
from .tables import run_table
from .unary import Test, compile_unary_tests

__all__ = ["Decision", "DecisionService", "DecisionTable", "InputColumn", "InputData", "OutputColumn", "Rule",
           "load_parts", "read_source"]


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
    result_type: FeelType | None = None  # the output type of its declared function type


@dataclass
class Imported:
    """What an imported model offers the importing one, under the import's name."""

    names: list[str]  # its decisions, input data, knowledge models and services
    types: dict[str, FeelType]


class DefinitionsLoader(TableLoader):
    def __init__(self, root: Any, filename: str, imports: dict[str, Imported] | None = None) -> None:
        self.root = root
        self.filename = filename
        self.items: dict[str, Any] = {c.get("name"): c for c in children(root, "itemDefinition")}
        self.types: dict[str, FeelType] = {}
        extra: list[str] = []
        for prefix, imported in (imports or {}).items():
            extra += [prefix, *imported.names]
            self.types.update({f"{prefix}.{k}": t for k, t in imported.types.items()})
        self.names: NameTable = names_table(self._known_names() + extra, self.types)
        for name in list(self.items):
            self.item_type(name)

    def _known_names(self) -> list[str]:
        names: list[str] = []
        for el in self.root.iter():
            if local(el) in ("inputData", "decision", "businessKnowledgeModel", "itemComponent",
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
        comps = children(el, "itemComponent")
        if comps:
            item.components = {}
            for comp in comps:
                self.items.setdefault(f"{name}.{comp.get('name')}", comp)
                item.components[comp.get("name")] = self.item_type(f"{name}.{comp.get('name')}") or ANY
        ref = child(el, "typeRef")
        if ref is not None and (ref.text or "").strip():
            item.base = self.type_of(ref.text.strip())
        fn_item = child(el, "functionItem")
        if fn_item is not None:
            params = [self.type_of(p.get("typeRef")) or ANY for p in children(fn_item, "parameters")]
            item.function = FunctionType(params, self.type_of(fn_item.get("outputTypeRef")) or ANY)
        allowed = text_of(child(el, "allowedValues")) or text_of(child(el, "typeConstraint"))
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
        text = text_of(child(item, "allowedValues"))
        if not text:
            return None, None
        return compile_unary_tests(text, self.names, strict=False), text.strip()

    def feel(self, text: str | None, el: Any, unary: bool = False, **where: Any) -> Any:
        if text is None:
            raise self.error(f"<{local(el)}> has no <text>", el, **where)
        try:
            if unary:
                return compile_unary_tests(text, self.names)
            return compile_expression(text, self.names)
        except FeelError as exc:
            raise self.error(f"{exc.message} in '{text.strip()}'", el, **where) from None
        except RecursionError:
            raise self.error("expression is nested too deeply", el, **where) from None

    def type_ref(self, el: Any) -> str | None:
        var = child(el, "variable")
        ref = el.get("typeRef") or (var.get("typeRef") if var is not None else None)
        item = self.items.get(ref or "")
        item_type = child(item, "typeRef") if item is not None else None
        if item_type is not None:
            return (item_type.text or "").strip() or ref
        return ref

    def text_of(self, el: Any) -> str | None:
        return text_of(el)

    def expression_of(self, el: Any, owner: str, name: str) -> tuple[DecisionTable | None, Any]:
        """(the table when the logic is a decision table, else the compiled expression)."""
        found = expression_in(el)
        if found is None:
            raise self.error("has no decision logic", el, decision_id=owner)
        if local(found) == "decisionTable":
            return self.table(found, owner, name), None
        return None, compile_boxed(self, found, owner, name)


def _href(el: Any) -> str:
    return (el.get("href") or "").split("#")[-1]


def _local_href(el: Any, namespace: str | None) -> bool:
    """Whether an href points into this file (`#id`, or this file's own namespace)."""
    where = (el.get("href") or "").split("#")[0]
    return not where or where == namespace


def imports_of(source: bytes, filename: str) -> list[tuple[str, str]]:
    """(name, namespace) of each DMN <import> of a file."""
    root = parse_xml(source, filename)
    return [(el.get("name") or "", el.get("namespace") or "") for el in children(root, "import")
            if "DMN" in (el.get("importType") or "").upper() or not el.get("importType")]


def parse_xml(source: bytes, filename: str) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(source, parser)
    except etree.XMLSyntaxError as exc:
        raise DecisionError(f"not well-formed XML: {exc.msg}", filename=filename,
                            line=exc.lineno) from None
    if local(root) != "definitions":
        raise DecisionError(f"root element is <{local(root)}>, expected DMN <definitions>",
                            filename=filename, line=root.sourceline)
    return root


Parts = tuple[dict[str, Decision], dict[str, InputData], dict[str, Any], dict[str, DecisionService]]


def load_parts(source: bytes, filename: str, imports: dict[str, Imported] | None = None,
               types: dict[str, FeelType] | None = None) -> Parts:
    """Compile every decision, input data, knowledge model and decision service of one DMN file.

    A decision (or knowledge model) that does not compile keeps its error and fails alone.
    imports: the imported models' names and types by import name; types receives this file's.
    """
    root = parse_xml(source, filename)
    loader = DefinitionsLoader(root, filename, imports)
    if types is not None:
        types.update({k: v for k, v in loader.types.items() if "." not in k})
    inputs: dict[str, InputData] = {}
    for el in children(root, "inputData"):
        ref = loader.type_ref(el)
        var = child(el, "variable")
        raw_ref = el.get("typeRef") or (var.get("typeRef") if var is not None else None)
        allowed, allowed_text = loader.allowed_values(raw_ref)
        inputs[el.get("id") or el.get("name")] = InputData(el.get("id") or el.get("name"), el.get("name"),
                                                           ref, allowed, allowed_text, loader.type_of(raw_ref))
    bkms: dict[str, Any] = {}
    scope: dict[str, Any] = {}  # shared by all knowledge models so they can call each other
    for el in children(root, "businessKnowledgeModel"):
        name = el.get("name") or el.get("id")
        fn = _knowledge_model(loader, el, name, scope)
        bkms[el.get("id") or name] = fn
        scope[name] = fn
    decisions: dict[str, Decision] = {}
    for el in children(root, "decision"):
        name = el.get("name") or el.get("id") or "decision"
        did = el.get("id") or name
        if did in decisions:
            raise loader.error(f"duplicate decision id '{did}'", el, decision_id=did)
        var = child(el, "variable")
        decision = Decision(did, name, loader.type_ref(el), line=el.sourceline,
                            kind=loader.type_of(var.get("typeRef") if var is not None else el.get("typeRef")))
        try:
            decision.table, decision.literal = loader.expression_of(el, name, name)
        except DecisionError as exc:
            decision.error = exc.for_decision(did, name)
        for req in children(el, "informationRequirement"):
            for ref in req:
                if local(ref) == "requiredDecision" and _local_href(ref, root.get("namespace")):
                    decision.required_decisions.append(_href(ref))
                elif local(ref) == "requiredInput" and _href(ref) in inputs:
                    decision.required_inputs.append(inputs[_href(ref)].name)
        decisions[did] = decision
    for d in decisions.values():
        for ref in d.required_decisions:
            if ref not in decisions and d.error is None:
                d.error = DecisionError(f"requires decision '#{ref}' which is not in the file",
                                        filename=filename, line=d.line, decision_id=d.id, decision_name=d.name)
        d.required_decisions = [r for r in d.required_decisions if r in decisions]
    services = {}
    for el in children(root, "decisionService"):
        refs = {kind: [_href(r) for r in children(el, kind)]
                for kind in ("outputDecision", "encapsulatedDecision", "inputDecision", "inputData")}
        sid = el.get("id") or el.get("name")
        var = child(el, "variable")
        declared = loader.type_of(var.get("typeRef")) if var is not None else None
        result_type = declared.function.result if isinstance(declared, ItemType) and declared.function else None
        services[sid] = DecisionService(sid, el.get("name") or sid, refs["outputDecision"],
                                        refs["encapsulatedDecision"], refs["inputDecision"], refs["inputData"],
                                        result_type)
    return decisions, inputs, bkms, services


def _knowledge_model(loader: DefinitionsLoader, el: Any, name: str, scope: dict[str, Any]) -> Any:
    logic = child(el, "encapsulatedLogic")
    if logic is None:
        return _broken(loader.error("business knowledge model has no encapsulatedLogic", el, decision_id=name))
    params = children(logic, "formalParameter")
    for p in params:
        loader.names.add(p.get("name"))
    var = child(el, "variable")
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
