"""Evaluating compiled decisions: hit policies, required decisions, results for audit logs."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import (
    DecisionError,
    EvaluationTimedOut,
    FeelError,
    check_time,
    evaluation_deadline,
    note,
    start_problems,
    stop_problems,
)
from .feel import FeelFunction
from .feel_types import BaseType, coerce
from .model import Decision, DecisionService, Imported, InputData, imports_of, load_parts, parse_xml, read_source
from .tables import COERCE, MatchedRule, run_table, table_error
from .values import (
    from_python,
    to_json,
    to_python,
)


@dataclass
class DecisionResult:
    decision_id: str
    decision_name: str
    hit_policy: str | None  # None for a literal-expression decision
    value: Any
    matched_rules: list[MatchedRule] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    required: dict[str, DecisionResult] = field(default_factory=dict)  # results of required decisions
    raw_value: Any = None  # the FEEL value (Decimals kept) that dependent decisions saw
    problems: list[str] = field(default_factory=list)  # FEEL errors that evaluated to null
    outputs: dict[str, Any] | None = None  # a decision service's output decisions by name

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "decision": self.decision_id, "decisionName": self.decision_name,
            "hitPolicy": self.hit_policy, "value": to_json(self.value),
            "matchedRules": [r.to_dict() for r in self.matched_rules],
            "inputs": to_json(self.inputs),
        }
        if self.required:
            out["required"] = {k: v.to_dict() for k, v in self.required.items()}
        return out


def _typed(item: InputData, value: Any) -> Any:
    """Form data often arrives as text: type a string by the input data's declared typeRef."""
    if not isinstance(value, str) or not item.type_ref:
        return value
    coerce = COERCE.get(item.type_ref.split(":")[-1])
    if coerce is None:
        return value
    try:
        typed = coerce(value)
    except FeelError:
        typed = None
    if typed is None:
        raise DecisionError(f"input '{item.name}': {value!r} is not a valid {item.type_ref}")
    return typed


class DecisionModel:
    """A loaded DMN file: load once, evaluate many times (cells are compiled already).

    strict: refuse the file when any decision does not compile (the modeller's check); otherwise
    such a decision reports its error when evaluated and the others work.
    """

    def __init__(self, source: str | Path | bytes, filename: str | None = None, strict: bool = True) -> None:
        data, self.filename = read_source(source, filename)
        self.imports = _load_imports(source, data, self.filename)
        self.types: dict[str, Any] = {}
        offered = {prefix: Imported(model.offered_names(), model.types) for prefix, model in self.imports.items()}
        self.decisions, self.input_data, self.knowledge_models, self.services = load_parts(
            data, self.filename, offered, self.types)
        self.load_errors = [d.error for d in self.decisions.values() if d.error is not None]
        if strict and self.load_errors:
            first = self.load_errors[0]
            others = [e.decision_name or e.decision_id or "?" for e in self.load_errors[1:]]
            if others:  # the modeller shows every decision that needs fixing, the first in full
                first = DecisionError(
                    f"{first.message} (and these decisions do not compile either: {', '.join(others)})",
                    decision_id=first.decision_id, decision_name=first.decision_name, rule_index=first.rule_index,
                    column=first.column, column_kind=first.column_kind, filename=first.filename, line=first.line)
            raise first
        self.decision_ids = list(self.decisions)
        self._by_name = {d.name: d for d in self.decisions.values()}
        self._services_by_name = {s.name: s for s in self.services.values()}
        self._base: dict[str, Any] = {getattr(f, "name", k): f for k, f in self.knowledge_models.items()}
        for service in self.services.values():
            fn = self._service_function(service)
            self._base[service.name] = fn
            for bkm in self.knowledge_models.values():
                if isinstance(bkm, FeelFunction):
                    bkm.ctx[service.name] = fn
        self._order = {did: self._dependency_order(did, []) for did in self.decisions}

    def offered_names(self) -> list[str]:
        """The names an importing model may use after this model's import name."""
        return [*(d.name for d in self.decisions.values()), *(i.name for i in self.input_data.values()),
                *self._base]

    def offered(self, inputs: dict[str, Any] | None) -> dict[str, Any]:
        """This model's knowledge models, services, input data and decisions as one context."""
        out: dict[str, Any] = dict(self._base)
        for item in self.input_data.values():
            out[item.name] = from_python((inputs or {}).get(item.name))
        for decision in self.decisions.values():
            try:
                out[decision.name] = self.evaluate(decision.id, inputs).raw_value
            except DecisionError:
                out[decision.name] = None
        return out

    def _dependency_order(self, did: str, path: list[str], stop: frozenset[str] = frozenset()) -> list[Decision]:
        if did in path:
            cycle = " -> ".join(self.decisions[d].name for d in [*path, did])
            raise DecisionError(f"decisions require each other in a cycle: {cycle}", filename=self.filename)
        order: list[Decision] = []
        for req in self.decisions[did].required_decisions:
            if req in stop:
                continue
            for d in self._dependency_order(req, [*path, did], stop):
                if d not in order:
                    order.append(d)
        order.append(self.decisions[did])
        return order

    def decision(self, id_or_name: str) -> Decision:
        found = self.decisions.get(id_or_name) or self._by_name.get(id_or_name)
        if found is None:
            known = ", ".join(self.decision_ids) or "none"
            raise DecisionError(f"no decision '{id_or_name}' in {self.filename} (decisions: {known})")
        return found

    def evaluate(self, decision_id: str, inputs: dict[str, Any] | None = None) -> DecisionResult:
        """Evaluate a decision (its required decisions first, in dependency order), or a service.

        The whole evaluation has one time budget (``errors.set_time_budget``); past it, it stops with
        ``EvaluationTimedOut``, a DecisionError, so that a step running it becomes an incident.
        """
        try:
            with evaluation_deadline():
                return self._evaluate_entry(decision_id, inputs)
        except EvaluationTimedOut as exc:
            if exc.decision_id is None:
                exc.decision_id = decision_id
                exc.args = (exc._full(),)
            raise

    def _evaluate_entry(self, decision_id: str, inputs: dict[str, Any] | None) -> DecisionResult:
        service = self.services.get(decision_id) or self._services_by_name.get(decision_id)
        if service is not None and decision_id not in self.decisions and decision_id not in self._by_name:
            return self._evaluate_service(service, inputs or {})
        target = self.decision(decision_id)
        try:
            return self._evaluate(target, inputs)
        except RecursionError:  # e.g. a knowledge model that calls itself without end
            raise DecisionError("evaluation recursed too deeply (does a function call itself?)",
                                decision_id=target.id, decision_name=target.name) from None
        except DecisionError as exc:
            if exc.decision_id is None:
                exc.for_decision(target.id, target.name)
            raise

    def _inputs(self, target: Decision | DecisionService, inputs: dict[str, Any] | None) -> dict[str, Any]:
        ctx = dict(self._base)
        for item in self.input_data.values():
            ctx[item.name] = None  # declared but not supplied: FEEL null
        for key, value in (inputs or {}).items():
            if value.__class__ in _PLAIN_INPUT:
                ctx[key] = value
                continue
            try:
                ctx[key] = from_python(value)
            except FeelError as exc:
                raise DecisionError(f"input '{key}': {exc.message}", decision_id=target.id,
                                    decision_name=target.name) from None
        for item in self.input_data.values():
            value = _typed(item, ctx[item.name])
            if value is not None and item.kind is not None and not isinstance(item.kind, BaseType):
                value, ok = coerce(value, item.kind)
            ctx[item.name] = value
            if item.allowed is not None and value is not None and item.allowed(value, ctx) is not True:
                raise DecisionError(f"input '{item.name}': {to_json(value)!r} is not one of the allowed "
                                    f"values {item.allowed_text}", decision_id=target.id,
                                    decision_name=target.name)
        return ctx

    def _evaluate(self, target: Decision, inputs: dict[str, Any] | None) -> DecisionResult:
        ctx = self._inputs(target, inputs)
        for prefix, model in self.imports.items():
            ctx[prefix] = model.offered(inputs)
        done: dict[str, DecisionResult] = {}
        for decision in self._order[target.id]:
            result = self._run(decision, ctx)
            ctx[decision.name] = result.raw_value
            done[decision.name] = result
        result = done.pop(target.name)
        result.required = done
        return result

    def _run_service(self, service: DecisionService, ctx: dict) -> dict[str, DecisionResult]:
        given = frozenset(service.input_decisions)
        order: list[Decision] = []
        for did in service.outputs:
            if did in self.decisions:
                for d in self._dependency_order(did, [], given):
                    if d not in order:
                        order.append(d)
        done: dict[str, DecisionResult] = {}
        for decision in order:
            result = self._run(decision, ctx)
            ctx[decision.name] = result.raw_value
            done[decision.id] = result
        return done

    def _service_value(self, service: DecisionService, done: dict[str, DecisionResult]) -> Any:
        outs = {self.decisions[d].name: done[d].raw_value for d in service.outputs if d in done}
        return next(iter(outs.values())) if len(outs) == 1 else outs

    def _evaluate_service(self, service: DecisionService, inputs: dict[str, Any]) -> DecisionResult:
        ctx = self._inputs(service, inputs)
        problems, token = start_problems()
        try:
            for did in service.input_decisions:
                if did in self.decisions:
                    given = self.decisions[did]
                    value, ok = coerce(ctx.get(given.name), given.kind)
                    if not ok:
                        note(f"input decision '{given.name}' is not a {given.kind.name if given.kind else ''}")
                    ctx[given.name] = value
            for iid in service.input_data:
                item = self.input_data.get(iid)
                if item is not None and item.kind is not None:
                    value, ok = coerce(ctx.get(item.name), item.kind)
                    if not ok:
                        note(f"input '{item.name}' is not a {item.kind.name}")
                    ctx[item.name] = value
        finally:
            stop_problems(token)
        done = self._run_service(service, ctx)
        raw = self._service_value(service, done)
        if service.result_type is not None:
            raw, ok = coerce(raw, service.result_type)
            if not ok:
                problems.append(f"the result is not a {service.result_type.name}")
        outputs = {self.decisions[d].name: to_python(done[d].raw_value) for d in service.outputs if d in done}
        if service.result_type is not None and raw is None:
            outputs = {k: None for k in outputs}
        problems += [p for r in done.values() for p in r.problems]
        return DecisionResult(service.id, service.name, None, to_python(raw), [], {}, {}, raw, problems, outputs)

    def _service_function(self, service: DecisionService) -> FeelFunction:
        params = [self.input_data[i].name for i in service.input_data if i in self.input_data] + \
            [self.decisions[d].name for d in service.input_decisions if d in self.decisions]
        kinds = [self.input_data[i].kind for i in service.input_data if i in self.input_data] + \
            [self.decisions[d].kind for d in service.input_decisions if d in self.decisions]

        def body(scope: dict) -> Any:
            ctx = dict(self._base)
            ctx.update({p: scope.get(p) for p in params})
            return self._service_value(service, self._run_service(service, ctx))
        return FeelFunction(params, body, {}, service.name, kinds, service.result_type)

    def _run(self, decision: Decision, ctx: dict) -> DecisionResult:
        check_time()
        problems, token = start_problems()
        try:
            result = self._run_one(decision, ctx)
        except DecisionError as exc:
            if exc.decision_id in (None, decision.name):
                exc.for_decision(decision.id, decision.name)
            raise
        finally:
            stop_problems(token)
        result.problems = problems
        return result

    def _run_one(self, decision: Decision, ctx: dict) -> DecisionResult:
        if decision.error is not None:
            raise decision.error
        if decision.table is not None:
            raw, matched, audit = run_table(decision.table, decision.name, ctx)
            for m in matched:
                m.outputs = to_python(m.outputs)
        else:
            try:
                raw = decision.literal(ctx) if decision.literal else None
            except FeelError as exc:
                raise table_error(exc.message, decision.name) from None
            matched = []
            names = decision.required_inputs + [self.decisions[r].name for r in decision.required_decisions]
            audit = {n: ctx.get(n) for n in names}
        if decision.kind is not None and raw is not None:
            raw, ok = coerce(raw, decision.kind)
            if not ok:
                note(f"the result is not a {decision.kind.name}")
        return DecisionResult(decision.id, decision.name, decision.hit_policy, to_python(raw), matched,
                              to_python(audit), {}, raw)


_PLAIN_INPUT = frozenset({bool, str, type(None), Decimal})  # already FEEL values


def _load_imports(source: str | Path | bytes, data: bytes, filename: str) -> dict[str, DecisionModel]:
    """The models a file imports, found by namespace among the .dmn files beside it (only for a
    file read from disk; a document given as bytes cannot reach other files)."""
    wanted = imports_of(data, filename)
    if not wanted or isinstance(source, bytes) or (isinstance(source, str) and source.lstrip().startswith("<")):
        return {}
    folder = Path(source).resolve().parent
    by_namespace: dict[str, Path] = {}
    for path in sorted(folder.glob("*.dmn")):
        try:
            namespace = parse_xml(path.read_bytes(), str(path)).get("namespace")
        except (OSError, DecisionError):
            continue
        by_namespace.setdefault(namespace or "", path)
    models = {}
    _LOADING.add(Path(source).resolve())
    try:
        for prefix, namespace in wanted:
            found = by_namespace.get(namespace)
            if found is not None and found not in _LOADING:  # models importing each other: stop
                models[prefix] = DecisionModel(found, strict=False)
    finally:
        _LOADING.discard(Path(source).resolve())
    return models


_LOADING: set[Path] = set()


_CACHE: dict[str, tuple[tuple[int, int], DecisionModel]] = {}


def load_decisions(source: str | Path | bytes, filename: str | None = None, *,
                   strict: bool = True) -> DecisionModel:
    """Load and compile a DMN file (path) or document (bytes / XML text)."""
    return DecisionModel(source, filename, strict)


def evaluate(dmn_path: str | Path, decision_id: str, inputs: dict[str, Any] | None = None) -> DecisionResult:
    """Evaluate one decision of a .dmn file; the compiled model is cached by path and mtime."""
    path = os.path.abspath(dmn_path)
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise DecisionError(f"cannot read DMN file: {exc.strerror}", filename=str(dmn_path)) from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get(path)
    if cached is None or cached[0] != stamp:
        if len(_CACHE) > 64:
            _CACHE.clear()
        cached = (stamp, load_decisions(path, str(dmn_path)))
        _CACHE[path] = cached
    return cached[1].evaluate(decision_id, inputs)
