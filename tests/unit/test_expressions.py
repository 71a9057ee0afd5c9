"""The expression sandbox: refusals (directly and through real SpiffWorkflow runs) and the
ordinary expressions careflow's diagrams need."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from workflows.expressions import (
    ExpressionError,
    SandboxedEnvironment,
    check_expression,
    evaluate_expression,
    make_script_engine,
)

FAST = 0.25  # time limit (s) used where a probe is meant to run out of time

# ---------------------------------------------------------------------------------------
# Probes. "{marker}" is replaced by a path in tmp_path: had the probe executed, the file
# would exist.
# ---------------------------------------------------------------------------------------
EVAL_PROBES = {
    "dunder import": "__import__('os').system('touch {marker}')",
    "open": "open('{marker}', 'w').write('x')",
    "eval": "eval(\"open('{marker}', 'w').write('x')\")",
    "exec": "exec(\"open('{marker}', 'w').write('x')\")",
    "compile": "compile('1', 'x', 'eval')",
    "getattr": "getattr(x, '__class__')",
    "subclass walk": "().__class__.__bases__[0].__subclasses__()",
    "str.format escape": "'{{0.__class__}}'.format(1)",
    "format_map": "'{{x}}'.format_map(dict(x=1))",
    "lambda globals": "(lambda: 0).__globals__",
    "private attribute": "x._private",
    "builtins name": "__builtins__",
    "type": "type(1)",
    "object": "object()",
    "globals": "globals()",
    "vars": "vars()",
    "locals": "locals()",
    "dir": "dir()",
    "setattr": "setattr(x, 'y', 1)",
    "generator frame": "(i for i in [1]).gi_frame.f_globals",
    "mro": "str.mro()",
    "string bomb": "'a' * 10**10",
    "power bomb": "10 ** 10 ** 10",
    "list bomb": "[0] * 10**10",
    "shift bomb": "1 << 10**10",
    "range bomb": "list(range(10**12))",
    "aliased bomb": "['x' * 10**7] * 10**6",
    "ljust bomb": "'a'.ljust(10**10)",
    "replace bomb": "('a' * 10**6).replace('', 'b' * 10**3)",
    "join bomb": "','.join(['a' * 10**6 for i in range(1000)])",
    "percent bomb": "'%0999999999d' % 1",
    "fstring width bomb": "f'{{1:>9999999999}}'",
    "sum of lists": "sum([[0]] * 10, [])",
    "strftime bomb": "now().strftime('%c' * 10**6)",
    "format spec bomb": "f'{{now():{{\"%c\" * 10**6}}}}'",
    "percent star width": "'%*d' % (10**9, 1)",
    "walrus dunder": "(y := x).__class__",
    "keyword dunder": "dict(__class__=1)",
}
TIME_PROBES = {
    "nested comprehension": "[1 for a in range(10**6) for b in range(10**6)]",
    "lambda recursion": "(lambda f: f(f, 40))(lambda g, n: n and g(g, n - 1) + g(g, n - 1))",
    "generator sum": "sum(1 for a in range(10**6) for b in range(10**6))",
}
EXEC_PROBES = {
    "import": "import os\nos.system('touch {marker}')",
    "from import": "from os import system\nsystem('touch {marker}')",
    "global": "def f():\n    global y\n    y = 1\nf()",
    "nonlocal": "def f():\n    a = 1\n    def g():\n        nonlocal a\n        a = 2\n    g()\nf()",
    "class": "class A:\n    pass",
    "with": "with open('{marker}', 'w') as f:\n    f.write('x')",
    "async": "async def f():\n    await g()",
    "yield": "def f():\n    yield 1",
    "try": "try:\n    x = 1\nexcept Exception as e:\n    pass",
    "raise": "raise ValueError('x')",
    "annotation": "x: int = 1",
    "decorator": "def d(f):\n    return f\n@d\ndef g():\n    pass",
    "attribute assignment": "def f():\n    pass\nf.x = 1",
    "private name": "_x = 1",
    "dunder builtins": "b = __builtins__",
    "augmented bomb": "s = 'a' * 1000\nfor i in range(40):\n    s += s",
    "extend bomb": "s = [0] * 1000\nfor i in range(40):\n    s.extend(s)",
}
EXEC_TIME_PROBES = {
    "while true": "while True:\n    pass",
    "while continue": "n = 0\nwhile True:\n    continue",
    "recursion": "def f(n):\n    return n and f(n - 1) + f(n - 1)\nf(40)",
}


def _fill(text: str, tmp_path) -> tuple[str, object]:
    marker = tmp_path / "probe-ran"
    return text.replace("{marker}", str(marker)).replace("{{", "{").replace("}}", "}"), marker


# ---------------------------------------------------------------------------------------
# Direct refusals
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("probe", list(EVAL_PROBES.values()), ids=list(EVAL_PROBES))
def test_eval_probe_refused_by_evaluate_expression(probe, tmp_path):
    text, marker = _fill(probe, tmp_path)
    with pytest.raises(ExpressionError) as info:
        evaluate_expression(text, {"x": 1})
    assert info.value.reason
    assert info.value.expression == text
    assert not marker.exists()


@pytest.mark.parametrize("probe", list(TIME_PROBES.values()), ids=list(TIME_PROBES))
def test_time_probe_stops(probe):
    started = time.monotonic()
    with pytest.raises(ExpressionError, match="time limit exceeded"):
        evaluate_expression(probe, time_limit=FAST)
    assert time.monotonic() - started < FAST + 1.0


def test_default_time_limit_is_one_second():
    started = time.monotonic()
    with pytest.raises(ExpressionError, match="time limit exceeded"):
        evaluate_expression("[1 for a in range(10**6) for b in range(10**6)]")
    assert 0.9 < time.monotonic() - started < 2.5


@pytest.mark.parametrize("probe", list(EXEC_PROBES.values()), ids=list(EXEC_PROBES))
def test_exec_probe_refused_by_environment(probe, tmp_path):
    text, marker = _fill(probe, tmp_path)
    data = {"x": 1}
    with pytest.raises(ExpressionError):
        SandboxedEnvironment().execute(text, data)
    assert not marker.exists()


@pytest.mark.parametrize("probe", list(EXEC_TIME_PROBES.values()), ids=list(EXEC_TIME_PROBES))
def test_exec_time_probe_stops(probe):
    with pytest.raises((ExpressionError, RecursionError)) as info:
        SandboxedEnvironment(time_limit=FAST).execute(probe, {})
    if isinstance(info.value, ExpressionError):
        assert "time limit exceeded" in info.value.reason


@pytest.mark.parametrize("probe", [p for p in EVAL_PROBES.values()] + list(EXEC_PROBES.values()))
def test_probe_as_script_through_engine_api(probe, tmp_path):
    """The engine's own execute() wraps refusals into WorkflowTaskException."""
    text, marker = _fill(probe, tmp_path)
    wf = _workflow(_script_process(text))
    with pytest.raises(WorkflowTaskException):
        wf.do_engine_steps()
    assert not marker.exists()
    assert _task(wf, "probe").state == TaskState.ERROR


@pytest.mark.parametrize(
    "text, mode, line, column, reason",
    [
        ("import os", "exec", 1, 1, "imports are not allowed"),
        ("a = 1\nb = 2\nc = ().__class__", "exec", 3, 5, "attributes starting with '_'"),
        ("x.__class__", "eval", 1, 1, "attributes starting with '_'"),
        ("'{}'.format(1)", "eval", 1, 1, "use an f-string"),
        ("a +", "eval", 1, None, "syntax error"),
        ("class A: pass", "exec", 1, 1, "class definitions"),
        ("_secret", "eval", 1, 1, "starting with '_'"),
        ("return 1", "exec", 1, None, "syntax error"),
    ],
)
def test_check_expression_reports_position(text, mode, line, column, reason):
    with pytest.raises(ExpressionError) as info:
        check_expression(text, mode=mode)
    err = info.value
    assert err.line_number == line
    if column is not None:
        assert err.column == column
    assert reason in err.reason
    assert err.expression == text


@pytest.mark.parametrize(
    "text, mode",
    [("amount > 100 and status == 'open'", "eval"), ("x = [i for i in range(3)]\ny = sum(x)", "exec"),
     ('"PT1S"', "eval"), ("for _ in range(3):\n    pass", "exec")],
)
def test_check_expression_accepts(text, mode):
    assert check_expression(text, mode=mode) is None


# ---------------------------------------------------------------------------------------
# Ordinary expressions still work
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, data, expected",
    [
        ("a + 1", {"a": 1}, 2),
        ("(a * 3 - 1) / 2 ** 2 % 5", {"a": 3}, 2.0),
        ("amount >= 100 and status in ('open', 'pending')", {"amount": 150, "status": "open"}, True),
        ("d.get('k', 0) + len(items)", {"d": {"k": 2}, "items": [1, 2, 3]}, 5),
        ("[x * 2 for x in items if x > 1]", {"items": [1, 2, 3]}, [4, 6]),
        ("{k: v for k, v in d.items() if v}", {"d": {"a": 1, "b": 0}}, {"a": 1}),
        ("sorted(people, key=lambda p: p['age'])[0]['name']",
         {"people": [{"name": "A", "age": 40}, {"name": "B", "age": 30}]}, "B"),
        ("name.strip().upper() + '!'", {"name": " ann "}, "ANN!"),
        ("f'{name} owes £{amount:,.2f}'", {"name": "Ann", "amount": 1234.5}, "Ann owes £1,234.50"),
        ("'%s: %.1f' % (name, 2.25)", {"name": "x"}, "x: 2.2"),
        ("parse_date('2026-01-31') + parse_duration('P14D')", {}, date(2026, 2, 14)),
        ("parse_duration('P1DT12H30M')", {}, timedelta(days=1, hours=12, minutes=30)),
        ("(parse_datetime('2026-03-01T00:00:00') - d).days", {"d": datetime(2026, 2, 1, tzinfo=timezone.utc)}, 28),
        ("now().tzinfo is not None and isinstance(today(), date)", {}, True),
        ("datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(days=1)", {},
         datetime(2026, 1, 2, tzinfo=timezone.utc)),
        ("max(scores) - min(scores) + abs(-1) + round(2.6)", {"scores": [3, 9]}, 10),
        ("any(x > 2 for x in v) and all(x > 0 for x in v)", {"v": [1, 3]}, True),
        ("list(zip(a, b)) + list(enumerate('xy'))", {"a": [1], "b": [2]}, [(1, 2), (0, "x"), (1, "y")]),
        ("next((p for p in v if p > 1), None)", {"v": [1, 5]}, 5),
        ("'a' * 3 + '-'.join(['b', 'c'])", {}, "aaab-c"),
        ("[0] * 3", {}, [0, 0, 0]),
        ("2 ** 10 + (1 << 4)", {}, 1040),
        ("sum([timedelta(days=1), timedelta(days=2)], timedelta())", {}, timedelta(days=3)),
        ("\n   'PT1S'\n", {}, "PT1S"),
        ("date", {"date": "2026-01-01"}, "2026-01-01"),  # task data may shadow a builtin name
    ],
)
def test_ordinary_expressions(text, data, expected):
    assert evaluate_expression(text, data) == expected


def test_ordinary_script_updates_task_data():
    data = {"items": [1, 2], "person": {"name": "ann"}, "count": 2}
    script = (
        "total = 0\n"
        "for item in items:\n"
        "    if item > 1:\n"
        "        total += item\n"
        "    else:\n"
        "        total += 10\n"
        "def double(v):\n"
        "    return v * 2\n"
        "doubled = double(total)\n"
        "person['name'] = person['name'].title()\n"
        "person['visits'] = person.get('visits', 0) + 1\n"
        "items.append(3)\n"
        "count += 1\n"
        "label = f\"{person['name']} ({count})\"\n"
        "due = parse_date('2026-01-01') + timedelta(days=count)\n"
        "del total\n"
        "key = lambda x: x\n"
    )
    SandboxedEnvironment().execute(script, data)
    assert data == {
        "items": [1, 2, 3], "person": {"name": "Ann", "visits": 1}, "count": 3,
        "doubled": 24, "label": "Ann (3)", "due": date(2026, 1, 4), "item": 2,
    }  # functions (double, key) and sandbox helpers do not leak into task data


def test_functions_are_available_and_protected_from_overwrite():
    env = SandboxedEnvironment({"add_working_days": lambda d, n: d + timedelta(days=n)})
    data = {"start": date(2026, 1, 1)}
    env.execute("due = add_working_days(start, 2)", data)
    assert data == {"start": date(2026, 1, 1), "due": date(2026, 1, 3)}
    with pytest.raises(ValueError, match="overwrites a predefined function"):
        env.execute("x = 1", {"add_working_days": 1})
    assert evaluate_expression("f(2)", functions={"f": lambda n: n + 1}) == 3


def test_runtime_errors_become_expression_errors_with_line():
    with pytest.raises(ExpressionError) as info:
        evaluate_expression("1 / 0")
    assert "ZeroDivisionError" in info.value.reason and info.value.line_number == 1
    with pytest.raises(ExpressionError, match="not defined"):
        evaluate_expression("missing + 1")


def test_compiled_code_is_cached():
    from workflows.expressions import compile_sandboxed

    assert compile_sandboxed("a + 41", "eval") is compile_sandboxed("a + 41", "eval")


def test_overhead_per_evaluation_is_small():
    data = {"amount": 150, "status": "open", "flags": {"urgent": True}}
    text = "amount > 100 and status == 'open' and flags['urgent']"
    env = SandboxedEnvironment()
    code = compile(text, "<string>", "eval")
    n = 20000

    def best(fn):
        timings = []
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            timings.append((time.perf_counter() - t0) / n)
        return min(timings)

    sandboxed = best(lambda: env.evaluate(text, data))
    plain = best(lambda: eval(code, dict(data)))
    assert sandboxed - plain < 20e-6  # a few microseconds on a normal machine; generous for CI


# ---------------------------------------------------------------------------------------
# Real SpiffWorkflow runs
# ---------------------------------------------------------------------------------------
BPMN_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="defs" targetNamespace="http://bpmn.io/schema/bpmn">\n'
    '<bpmn:process id="probe_process" isExecutable="true">\n'
)
BPMN_TAIL = "</bpmn:process>\n</bpmn:definitions>\n"


def _flow(id_, source, target, condition=None):
    if condition is None:
        return f'<bpmn:sequenceFlow id="{id_}" sourceRef="{source}" targetRef="{target}"/>\n'
    return (f'<bpmn:sequenceFlow id="{id_}" sourceRef="{source}" targetRef="{target}">'
            f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
            f'</bpmn:conditionExpression></bpmn:sequenceFlow>\n')


def _linear(middle: str) -> str:
    """start -> <middle element with id 'probe'> -> end"""
    return (BPMN_HEAD + '<bpmn:startEvent id="start"/>\n' + middle + '<bpmn:endEvent id="end"/>\n'
            + _flow("f1", "start", "probe") + _flow("f2", "probe", "end") + BPMN_TAIL)


def _script_process(script: str) -> str:
    return _linear(f'<bpmn:scriptTask id="probe" name="Probe"><bpmn:script>{escape(script)}'
                   '</bpmn:script></bpmn:scriptTask>\n')


def _gateway_process(condition: str) -> str:
    return (BPMN_HEAD + '<bpmn:startEvent id="start"/>\n'
            '<bpmn:exclusiveGateway id="probe" default="f_default"/>\n'
            '<bpmn:endEvent id="end_yes"/>\n<bpmn:endEvent id="end_no"/>\n'
            + _flow("f1", "start", "probe") + _flow("f_yes", "probe", "end_yes", condition)
            + _flow("f_default", "probe", "end_no") + BPMN_TAIL)


def _timer_process(duration: str) -> str:
    return _linear('<bpmn:intermediateCatchEvent id="probe"><bpmn:timerEventDefinition>'
                   f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{escape(duration)}'
                   '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>\n')


def _cardinality_process(cardinality: str) -> str:
    return _linear('<bpmn:scriptTask id="probe"><bpmn:multiInstanceLoopCharacteristics>'
                   f'<bpmn:loopCardinality>{escape(cardinality)}</bpmn:loopCardinality>'
                   '</bpmn:multiInstanceLoopCharacteristics><bpmn:script>done = True</bpmn:script>'
                   '</bpmn:scriptTask>\n')


def _prescript_process(script: str) -> str:
    return _linear('<bpmn:manualTask id="probe"><bpmn:extensionElements>'
                   f'<spiffworkflow:preScript>{escape(script)}</spiffworkflow:preScript>'
                   '</bpmn:extensionElements></bpmn:manualTask>\n')


def _business_rule_process() -> str:
    return _linear('<bpmn:businessRuleTask id="probe"><bpmn:extensionElements>'
                   '<spiffworkflow:calledDecisionId>probe_decision</spiffworkflow:calledDecisionId>'
                   '</bpmn:extensionElements></bpmn:businessRuleTask>\n')


def _dmn(input_cell: str, output_cell: str = "'matched'") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dmn_defs" '
        'name="d" namespace="http://camunda.org/schema/1.0/dmn">\n'
        '<decision id="probe_decision" name="Probe">\n<decisionTable id="table">\n'
        '<input id="in1" label="Amount"><inputExpression id="ie1" typeRef="integer">'
        '<text>amount</text></inputExpression></input>\n'
        '<output id="out1" label="Result" name="result" typeRef="string"/>\n'
        f'<rule id="r1"><inputEntry id="e1"><text>{escape(input_cell)}</text></inputEntry>'
        f'<outputEntry id="o1"><text>{escape(output_cell)}</text></outputEntry></rule>\n'
        '</decisionTable>\n</decision>\n</definitions>\n'
    )


def _workflow(bpmn: str, dmn: str | None = None, data: dict | None = None, **engine_kw) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(bpmn.encode(), "probe.bpmn")
    if dmn is not None:
        parser.add_dmn_str(dmn.encode(), "probe.dmn")
    wf = BpmnWorkflow(parser.get_spec("probe_process"), parser.get_subprocess_specs("probe_process"),
                      script_engine=make_script_engine(**engine_kw))
    wf.task_tree.set_data(**(data or {"x": 1, "amount": 5}))
    return wf


def _task(wf: BpmnWorkflow, spec_name: str):
    return next(t for t in wf.get_tasks() if t.task_spec.name == spec_name)


# The probes that make sense wherever an expression is evaluated.
EXPRESSION_CONTEXT_PROBES = {k: EVAL_PROBES[k] for k in (
    "dunder import", "open", "eval", "exec", "getattr", "subclass walk", "str.format escape",
    "lambda globals", "type", "globals", "vars", "string bomb", "power bomb", "list bomb",
    "shift bomb", "range bomb", "generator frame",
)}
BUILDERS = {
    "gateway": _gateway_process,
    "timer": _timer_process,
    "cardinality": _cardinality_process,
    "prescript": _prescript_process,
    "script": _script_process,
}


@pytest.mark.parametrize("where", list(BUILDERS))
@pytest.mark.parametrize("probe", list(EXPRESSION_CONTEXT_PROBES.values()), ids=list(EXPRESSION_CONTEXT_PROBES))
def test_probe_refused_in_workflow(where, probe, tmp_path):
    text, marker = _fill(probe, tmp_path)
    wf = _workflow(BUILDERS[where](text))
    with pytest.raises(WorkflowTaskException) as info:
        wf.do_engine_steps()
    assert not marker.exists()
    assert str(info.value)  # a message, not an empty error
    assert not wf.is_completed()
    probe_task = _task(wf, "probe")
    if where not in ("timer", "cardinality"):
        # SpiffWorkflow raises for a failing timer or cardinality expression but leaves the
        # task FUTURE/WAITING rather than ERROR; either way nothing ran and nothing moved on.
        assert probe_task.state == TaskState.ERROR
    assert probe_task.state != TaskState.COMPLETED


@pytest.mark.parametrize("where", list(BUILDERS))
def test_time_limit_in_workflow(where):
    wf = _workflow(BUILDERS[where]("[1 for a in range(10**6) for b in range(10**6)]"), time_limit=FAST)
    with pytest.raises(WorkflowTaskException, match="time limit exceeded"):
        wf.do_engine_steps()


@pytest.mark.parametrize("probe", list(EXEC_PROBES.values()) + list(EXEC_TIME_PROBES.values()))
@pytest.mark.parametrize("where", ["script", "prescript"])
def test_script_probe_refused_in_workflow(where, probe, tmp_path):
    text, marker = _fill(probe, tmp_path)
    wf = _workflow(BUILDERS[where](text), time_limit=FAST)
    with pytest.raises(WorkflowTaskException):
        wf.do_engine_steps()
    assert not marker.exists()
    assert _task(wf, "probe").state == TaskState.ERROR


def test_while_true_stops_with_default_limit():
    wf = _workflow(_script_process("while True:\n    pass"))
    with pytest.raises(WorkflowTaskException, match="time limit exceeded"):
        wf.do_engine_steps()


@pytest.mark.parametrize(
    "input_cell, output_cell",
    [
        ("__import__('os').system('touch {marker}')", "'x'"),
        ("open('{marker}', 'w').write('x') > 0", "'x'"),
        ("().__class__.__bases__[0].__subclasses__()", "'x'"),
        ("'{{0.__class__}}'.format(1)", "'x'"),
        ("> 10 ** 10 ** 10", "'x'"),
        ("5", "open('{marker}', 'w').write('x')"),
        ("5", "'a' * 10**10"),
    ],
)
def test_probe_refused_in_dmn_cell(input_cell, output_cell, tmp_path):
    input_text, marker = _fill(input_cell, tmp_path)
    output_text, _ = _fill(output_cell, tmp_path)
    wf = _workflow(_business_rule_process(), _dmn(input_text, output_text))
    with pytest.raises(WorkflowTaskException):
        wf.do_engine_steps()
    assert not marker.exists()
    assert _task(wf, "probe").state == TaskState.ERROR


def test_dmn_ordinary_cells_work():
    wf = _workflow(_business_rule_process(), _dmn("> 3", "'big'"), {"amount": 5})
    wf.do_engine_steps()
    assert wf.is_completed()
    assert wf.data["result"] == "big"
    wf = _workflow(_business_rule_process(), _dmn("5", "f'amount {amount}'"), {"amount": 5})
    wf.do_engine_steps()
    assert wf.data["result"] == "amount 5"


def test_ordinary_workflow_runs():
    script = (
        "total = sum(v['hours'] for v in visits)\n"
        "weekly = {d: h for d, h in [(v['day'], v['hours']) for v in visits]}\n"
        "review_due = (parse_date(start) + parse_duration('P14D')).isoformat()\n"
        "summary = f'{len(visits)} visits, {total} h'\n"
        "if total > 10:\n"
        "    band = 'high'\n"
        "else:\n"
        "    band = 'low'\n"
    )
    bpmn = (BPMN_HEAD + '<bpmn:startEvent id="start"/>\n'
            f'<bpmn:scriptTask id="calc"><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>\n'
            '<bpmn:exclusiveGateway id="gw" default="f_low"/>\n'
            '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
            '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT0S"</bpmn:timeDuration>'
            '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>\n'
            '<bpmn:endEvent id="end_high"/>\n<bpmn:endEvent id="end_low"/>\n'
            + _flow("f1", "start", "calc") + _flow("f2", "calc", "gw")
            + _flow("f_high", "gw", "wait", "band == 'high' and total >= 11")
            + _flow("f3", "wait", "end_high") + _flow("f_low", "gw", "end_low") + BPMN_TAIL)
    wf = _workflow(bpmn, data={"start": "2026-01-01", "visits": [
        {"day": "mon", "hours": 6}, {"day": "tue", "hours": 7}]})
    wf.do_engine_steps()
    time.sleep(0.01)
    wf.refresh_timers()
    wf.do_engine_steps()
    assert wf.is_completed()
    data = wf.data
    assert data["total"] == 13 and data["band"] == "high" and data["summary"] == "2 visits, 13 h"
    assert data["weekly"] == {"mon": 6, "tue": 7} and data["review_due"] == "2026-01-15"
    assert _task(wf, "end_high").state == TaskState.COMPLETED


def test_line_number_of_failing_third_line_and_recovery():
    script = "a = 1\nb = a + 1\nc = 'x' * n\nd = c.upper()"
    wf = _workflow(_script_process(script), data={"n": 10**10})
    with pytest.raises(WorkflowTaskException) as info:
        wf.do_engine_steps()
    err = info.value
    assert err.line_number == 3
    assert err.error_line == "c = 'x' * n"
    assert "too large" in str(err)
    task = _task(wf, "probe")
    assert task.state == TaskState.ERROR

    wf.reset_from_task_id(task.id)
    task = _task(wf, "probe")
    task.set_data(n=2)
    wf.do_engine_steps()
    assert wf.is_completed()
    assert wf.data["d"] == "XX"


@pytest.mark.parametrize(
    "script, line",
    [
        ("a = 1\nb = 2\nimport os", 3),               # refused statically
        ("a = 1\nb = 2\nc = undefined_name", 3),      # ordinary runtime error
        ("a = 1\nb = 2\nwhile True:\n    b += 1", 3),  # time limit: reported on the loop line
        ("a = 1\nb = 2\nc = eval('1')", 3),           # forbidden builtin
    ],
)
def test_line_numbers(script, line):
    wf = _workflow(_script_process(script), time_limit=FAST)
    with pytest.raises(WorkflowTaskException) as info:
        wf.do_engine_steps()
    assert info.value.line_number == line
    assert info.value.error_line == script.splitlines()[line - 1]


def test_gateway_error_message_names_reason():
    wf = _workflow(_gateway_process("eval('1')"))
    with pytest.raises(WorkflowTaskException, match="'eval' is not available"):
        wf.do_engine_steps()


def test_engine_validate_keeps_syntax_error_for_dmn():
    engine = make_script_engine()
    with pytest.raises(SyntaxError):
        engine.validate("> 5")
    with pytest.raises(ExpressionError):
        engine.validate("x.__class__")
    engine.validate("v > 5")


def test_call_service_delegates_to_environment():
    class Env(SandboxedEnvironment):
        def call_service(self, context, **kwargs):
            return f"{kwargs['operation_name']}:{context['x']}"

    from workflows.expressions import SandboxedScriptEngine

    engine = SandboxedScriptEngine(Env())

    class FakeTask:
        data = {"x": 1}

    assert engine.call_service(FakeTask(), operation_name="notify", operation_params={}) == "notify:1"


@pytest.mark.parametrize(
    "where, text",
    [("gateway", "x == 1"), ("timer", "'PT0S'"), ("cardinality", "2 + 1"),
     ("prescript", "y = x + 1"), ("script", "y = x + 1")],
)
def test_same_places_work_with_ordinary_text(where, text):
    wf = _workflow(BUILDERS[where](text))
    wf.do_engine_steps()
    if where == "prescript":  # a manual task waits for a person
        task = _task(wf, "probe")
        assert task.state == TaskState.READY and task.data["y"] == 2
        task.run()
        wf.do_engine_steps()
    if where == "timer":
        time.sleep(0.01)
        wf.refresh_timers()
        wf.do_engine_steps()
    assert wf.is_completed()
    if where == "gateway":
        assert _task(wf, "end_yes").state == TaskState.COMPLETED
    if where == "cardinality":
        assert len([t for t in wf.get_tasks() if t.task_spec.name.startswith("probe")]) >= 3


@pytest.mark.parametrize(
    "text, mode",
    [("[str(i) * 10**6 for i in range(1000)]", "eval"),
     ("keep = []\nfor i in range(1000):\n    keep.append('ab' * 10**6)", "exec"),
     ("\n".join(f"s{i} = 'x' * 10**7" for i in range(10)), "exec")],
)
def test_total_built_data_is_bounded(text, mode):
    """Results each under the size limits still may not pile up without bound."""
    with pytest.raises(ExpressionError, match="too much data in total"):
        if mode == "eval":
            evaluate_expression(text)
        else:
            SandboxedEnvironment().execute(text, {})


def test_strftime_and_strptime_work_although_they_import_inside_c_code():
    from workflows.expressions import evaluate_expression

    assert evaluate_expression("date(2026, 3, 1).strftime('%d %B %Y')") == "01 March 2026"
    assert evaluate_expression("datetime.strptime('2026-01-02', '%Y-%m-%d').day") == 2


def test_the_runtime_import_hook_imports_nothing_but_time_modules():
    import pytest

    from workflows.expressions import ExpressionError
    from workflows.sandbox.runtime import SAFE_BUILTINS

    with pytest.raises(ExpressionError):
        SAFE_BUILTINS["__import__"]("os")


# ---------------------------------------------------------------------------------------
# The size budget counts every way of building a large value, not only the operators: a
# loop that copies, slices, encodes or lists a big value many times runs out of budget.
# ---------------------------------------------------------------------------------------
BUDGET_PROBES = {
    "slices": "big = 'x' * 9_000_000\nparts = []\nfor i in range(10):\n    parts.append(big[1:])",
    "encode": "big = 'x' * 9_000_000\nparts = []\nfor i in range(10):\n    parts.append(big.encode())",
    "list copies": "big = [0] * 900_000\nparts = []\nfor i in range(60):\n    parts.append(list(big))",
    "comprehensions": "big = range(900_000)\nparts = []\nfor i in range(60):\n    parts.append([n for n in big])",
    "upper": "big = 'x' * 9_000_000\nparts = []\nfor i in range(10):\n    parts.append(big.upper())",
    "sorted": "big = list(range(900_000))\nparts = []\nfor i in range(60):\n    parts.append(sorted(big))",
}


@pytest.mark.parametrize("name", sorted(BUDGET_PROBES))
def test_every_way_of_building_a_large_value_counts_against_the_budget(name):
    env = SandboxedEnvironment(time_limit=30)
    with pytest.raises(ExpressionError, match="built too much data"):
        env.execute(BUDGET_PROBES[name], {})


def test_ordinary_scripts_with_slices_and_copies_stay_within_the_budget():
    env = SandboxedEnvironment()
    context: dict = {"names": ["Ada Example", "Ben Example"] * 50}
    env.execute("firsts = [n.split(' ')[0] for n in names[:10]]\ncopy = list(names)\nlabel = str(len(copy))",
                context)
    assert context["firsts"][0] == "Ada" and context["label"] == "100"
