// careflow's bpmnlint rules: the editor's half of workflows/model_checks.py.
//
// Each rule has the id of the server rule it mirrors (tests/model/test_lint_parity.py runs both on the
// same diagrams and compares what they find). Expressions are Python, so their full check stays on the
// server; here a timer or due date is checked only for what can be told without parsing Python.
// No imports: the test runs this file in Node as it is.

const ISO_DURATION = /^-?P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const WORKING_DAYS = /^P\d+WD$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const ISO_CYCLE = /^R\d*\/.+$/;
const PATTERNS = { timeDuration: ISO_DURATION, timeDate: ISO_DATE, timeCycle: ISO_CYCLE };
const WORDS = {
  timeDuration: "duration such as P3D",
  timeDate: "date such as 2026-03-31T09:00:00Z",
  timeCycle: "cycle such as R3/P1D",
};
const FLOW_NODE = /^bpmn:(StartEvent|EndEvent|IntermediateCatchEvent|IntermediateThrowEvent|BoundaryEvent|Task|UserTask|ManualTask|ServiceTask|ScriptTask|BusinessRuleTask|SendTask|ReceiveTask|CallActivity|SubProcess|Transaction|ExclusiveGateway|InclusiveGateway|ParallelGateway|EventBasedGateway|ComplexGateway)$/;

export const RULE_NAMES = [
  "user-task-form",
  "service-task-handler",
  "business-rule-decision",
  "timer-syntax",
  "due-date-syntax",
  "gateway-conditions",
  "no-unreachable",
];

function values(bo) {
  return (bo && bo.extensionElements && bo.extensionElements.values) || [];
}

function extension(bo, type) {
  return values(bo).find((v) => v.$type === type);
}

/** careflow's properties of an element: spiffworkflow:property entries and Camunda's form attributes. */
export function propertiesOf(bo) {
  const props = {};
  const attrs = (bo && bo.$attrs) || {};
  for (const [key, name] of [["formKey", "formKey"], ["candidateGroups", "candidateGroup"], ["dueDate", "dueDate"]]) {
    const found = Object.keys(attrs).find((k) => k.endsWith(":" + key));
    if (found && attrs[found]) {
      props[name] = attrs[found];
    }
  }
  for (const group of values(bo).filter((v) => v.$type === "spiffworkflow:Properties")) {
    for (const prop of group.properties || []) {
      if (prop.name) {
        props[prop.name] = prop.value || "";
      }
    }
  }
  return props;
}

/** The form key careflow reads: formKey, or the one spiff-arena's formJsonSchemaFilename names. */
export function formKeyOf(props) {
  if (props.formKey) {
    return props.formKey;
  }
  const name = props.formJsonSchemaFilename;
  if (!name) {
    return null;
  }
  for (const suffix of [".schema.json", "-schema.json", ".json"]) {
    if (name.endsWith(suffix)) {
      return name.slice(0, -suffix.length);
    }
  }
  return name;
}

function is(node, type) {
  return node && node.$type === type;
}

function timerProblems(text, kind) {
  const pattern = PATTERNS[kind];
  if (!text) {
    return [`The timer's ${kind} is empty`];
  }
  if (pattern.test(text) || (kind === "timeDuration" && WORKING_DAYS.test(text))) {
    return [`Put the ${kind} in quotes: "${text}" (without quotes it is read as a data name)`];
  }
  const quoted = /^(["'])(.*)\1$/.exec(text);
  if (quoted) {
    const literal = quoted[2].trim();
    if (!(pattern.test(literal) || (kind === "timeDuration" && WORKING_DAYS.test(literal)))) {
      return [`'${literal}' is not an ISO 8601 ${WORDS[kind]}`];
    }
  }
  return [];
}

function reachableProblems(container, report) {
  const nodes = (container.flowElements || []).filter((el) => FLOW_NODE.test(el.$type));
  const flows = (container.flowElements || []).filter((el) => el.$type === "bpmn:SequenceFlow");
  const isRoot = (el) =>
    el.$type === "bpmn:StartEvent" ||
    (el.$type === "bpmn:SubProcess" && el.triggeredByEvent) ||
    el.isForCompensation;
  const seen = new Set();
  const todo = nodes.filter(isRoot);
  while (todo.length) {
    const current = todo.pop();
    if (seen.has(current.id)) {
      continue;
    }
    seen.add(current.id);
    for (const flow of flows) {
      if (flow.sourceRef && flow.sourceRef.id === current.id && flow.targetRef) {
        todo.push(flow.targetRef);
      }
    }
    for (const el of nodes) {
      if (el.$type === "bpmn:BoundaryEvent" && el.attachedToRef && el.attachedToRef.id === current.id) {
        todo.push(el);
      }
    }
  }
  for (const el of nodes) {
    if (!seen.has(el.id)) {
      report(el.id, `No path from a start event reaches '${el.name || el.id}'`);
    }
  }
}

/**
 * The rules, given what a diagram may refer to: {handlers, decisions, forms} (arrays of names).
 * Returns {ruleName: ruleFactory} as bpmnlint's resolver hands them out.
 */
export function careflowRules(context) {
  const handlers = new Set(context.handlers || []);
  const decisions = new Set(context.decisions || []);
  const forms = new Set(context.forms || []);
  const rule = (check) => () => ({ check });
  return {
    "user-task-form": rule((node, reporter) => {
      if (!is(node, "bpmn:UserTask")) {
        return;
      }
      const key = formKeyOf(propertiesOf(node));
      if (key && !forms.has(key)) {
        reporter.report(node.id, `The form '${key}' does not exist`);
      }
    }),
    "service-task-handler": rule((node, reporter) => {
      if (!is(node, "bpmn:ServiceTask")) {
        return;
      }
      const operator = extension(node, "spiffworkflow:ServiceTaskOperator");
      if (!operator || !operator.id) {
        reporter.report(node.id, "The service task names no handler");
      } else if (!handlers.has(operator.id)) {
        const known = [...handlers].sort().join(", ") || "none";
        reporter.report(node.id, `No handler named '${operator.id}' (registered: ${known})`);
      }
    }),
    "business-rule-decision": rule((node, reporter) => {
      if (!is(node, "bpmn:BusinessRuleTask")) {
        return;
      }
      const called = extension(node, "spiffworkflow:CalledDecisionId");
      const attrs = node.$attrs || {};
      const camunda = Object.keys(attrs).find((k) => k.endsWith(":decisionRef"));
      const name = ((called && called.value) || (camunda && attrs[camunda]) || "").trim();
      if (!name) {
        reporter.report(node.id, "The business rule task names no decision");
      } else if (!decisions.has(name)) {
        reporter.report(node.id, `No decision table defines '${name}'`);
      }
    }),
    "timer-syntax": rule((node, reporter) => {
      if (!is(node, "bpmn:TimerEventDefinition") || !node.$parent) {
        return;
      }
      for (const kind of ["timeDuration", "timeDate", "timeCycle"]) {
        if (node[kind]) {
          for (const message of timerProblems((node[kind].body || "").trim(), kind)) {
            reporter.report(node.$parent.id, message);
          }
        }
      }
    }),
    "due-date-syntax": rule((node, reporter) => {
      if (!is(node, "bpmn:UserTask") && !is(node, "bpmn:ManualTask")) {
        return;
      }
      const dueIn = (propertiesOf(node).dueIn || "").trim();
      if (dueIn && !ISO_DURATION.test(dueIn) && !WORKING_DAYS.test(dueIn) && /^P[0-9T]/.test(dueIn)) {
        reporter.report(node.id, `dueIn '${dueIn}' is neither a duration such as P5WD or PT4H nor an expression`);
      }
    }),
    "gateway-conditions": rule((node, reporter) => {
      if (!is(node, "bpmn:ExclusiveGateway") && !is(node, "bpmn:InclusiveGateway")) {
        return;
      }
      const outgoing = node.outgoing || [];
      if (outgoing.length < 2) {
        return;
      }
      for (const flow of outgoing) {
        const condition = flow.conditionExpression && (flow.conditionExpression.body || "").trim();
        if (!condition && node.default !== flow) {
          reporter.report(node.id, `The flow '${flow.name || flow.id}' out of this gateway has no condition and is not the default`);
        }
      }
    }),
    "no-unreachable": rule((node, reporter) => {
      if (is(node, "bpmn:Process") || is(node, "bpmn:SubProcess") || is(node, "bpmn:Transaction")) {
        reachableProblems(node, (id, message) => reporter.report(id, message));
      }
    }),
  };
}

/** A bpmnlint configuration {config, resolver} that runs every careflow rule as an error. */
export function careflowLintConfig(context) {
  const rules = careflowRules(context);
  const config = { rules: {} };
  for (const name of RULE_NAMES) {
    config.rules["careflow/" + name] = "error";
  }
  return {
    config,
    resolver: {
      resolveRule(pkg, ruleName) {
        return pkg === "bpmnlint-plugin-careflow" ? rules[ruleName] : undefined;
      },
      resolveConfig() {
        return undefined;
      },
    },
  };
}
