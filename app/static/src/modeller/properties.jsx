// careflow's own group in bpmn-js-properties-panel: the settings careflow reads from a diagram
// (see README "How diagrams talk to careflow"), written as spiffworkflow extension elements so that
// diagrams stay readable by spiff-arena, whose property names (formJsonSchemaFilename) are read too.
import { useService } from "bpmn-js-properties-panel";
import {
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited,
} from "@bpmn-io/properties-panel";
import { formKeyOf, propertiesOf } from "./lint-rules.mjs";

const options = () => window.careflowModel || { handlers: [], decisions: [], forms: [] };

function bo(element) {
  return element.businessObject;
}

/** The business object careflow's process-level settings live on (a pool's process). */
function processOf(element) {
  const found = bo(element);
  return found.$type === "bpmn:Participant" ? found.processRef : found;
}

function ensureExtensions(element, target, bpmnFactory, modeling) {
  let ext = target.get("extensionElements");
  if (!ext) {
    ext = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = target;
    modeling.updateModdleProperties(element, target, { extensionElements: ext });
  }
  return ext;
}

function ensureChild(element, ext, type, bpmnFactory, modeling, attrs) {
  let found = ext.get("values").find((v) => v.$type === type);
  if (!found) {
    found = bpmnFactory.create(type, attrs || {});
    found.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...ext.get("values"), found] });
  }
  return found;
}

export function setProperty(element, target, name, value, bpmnFactory, modeling) {
  const ext = ensureExtensions(element, target, bpmnFactory, modeling);
  const group = ensureChild(element, ext, "spiffworkflow:Properties", bpmnFactory, modeling, { properties: [] });
  const existing = group.get("properties").find((p) => p.name === name);
  if (!value) {
    if (existing) {
      modeling.updateModdleProperties(element, group, { properties: group.get("properties").filter((p) => p !== existing) });
    }
    return;
  }
  if (existing) {
    modeling.updateModdleProperties(element, existing, { value });
  } else {
    const prop = bpmnFactory.create("spiffworkflow:Property", { name, value });
    prop.$parent = group;
    modeling.updateModdleProperties(element, group, { properties: [...group.get("properties"), prop] });
  }
}

function PropertyField(props) {
  const { element, id, name, label, description, onProcess } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const debounce = useService("debounceInput");
  const target = onProcess ? processOf(element) : bo(element);
  return (
    <TextFieldEntry
      element={element}
      id={id}
      label={label}
      description={description}
      debounce={debounce}
      getValue={() => propertiesOf(target)[name] || ""}
      setValue={(value) => setProperty(element, target, name, (value || "").trim(), bpmnFactory, modeling)}
    />
  );
}

function FormField(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const current = formKeyOf(propertiesOf(bo(element))) || "";
  const known = options().forms;
  const choices = [{ value: "", label: "(no form)" }, ...known.map((f) => ({ value: f, label: f }))];
  if (current && !known.includes(current)) {
    choices.push({ value: current, label: `${current} (does not exist)` });
  }
  return (
    <SelectEntry
      element={element}
      id={id}
      label="Form"
      description="The JSON Schema form caseworkers fill in (bpmn/forms/<key>.schema.json)"
      getValue={() => formKeyOf(propertiesOf(bo(element))) || ""}
      setValue={(value) => setProperty(element, bo(element), "formKey", value, bpmnFactory, modeling)}
      getOptions={() => choices}
    />
  );
}

function OperatorField(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const operator = () => (bo(element).extensionElements?.values || []).find((v) => v.$type === "spiffworkflow:ServiceTaskOperator");
  const handlers = options().handlers;
  const current = operator()?.id || "";
  const choices = [{ value: "", label: "(choose a handler)" }, ...handlers.map((h) => ({ value: h, label: h }))];
  if (current && !handlers.includes(current)) {
    choices.push({ value: current, label: `${current} (not registered)` });
  }
  return (
    <SelectEntry
      element={element}
      id={id}
      label="Handler"
      description="The registered handler that does this step"
      getValue={() => operator()?.id || ""}
      setValue={(value) => {
        const ext = ensureExtensions(element, bo(element), bpmnFactory, modeling);
        const found = ensureChild(element, ext, "spiffworkflow:ServiceTaskOperator", bpmnFactory, modeling, {});
        modeling.updateModdleProperties(element, found, { id: value });
      }}
      getOptions={() => choices}
    />
  );
}

function ParameterField(props) {
  const { element, id, parameter } = props;
  const modeling = useService("modeling");
  const debounce = useService("debounceInput");
  return (
    <TextFieldEntry
      element={element}
      id={id}
      label={`Parameter: ${parameter.id}`}
      description="An expression over the case data"
      debounce={debounce}
      getValue={() => parameter.value || ""}
      setValue={(value) => modeling.updateModdleProperties(element, parameter, { value: value || "" })}
    />
  );
}

function NewParameterField(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const debounce = useService("debounceInput");
  return (
    <TextFieldEntry
      element={element}
      id={id}
      debounce={debounce}
      label="Add a parameter"
      description="The name of an input the handler takes; its value is set in the field that appears"
      getValue={() => ""}
      setValue={(value) => {
        const name = (value || "").trim();
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          return;
        }
        const ext = ensureExtensions(element, bo(element), bpmnFactory, modeling);
        const operator = ensureChild(element, ext, "spiffworkflow:ServiceTaskOperator", bpmnFactory, modeling, {});
        let list = operator.get("parameterList");
        if (!list) {
          list = bpmnFactory.create("spiffworkflow:Parameters", { parameters: [] });
          list.$parent = operator;
          modeling.updateModdleProperties(element, operator, { parameterList: list });
        }
        if (list.get("parameters").some((p) => p.id === name)) {
          return;
        }
        const parameter = bpmnFactory.create("spiffworkflow:Parameter", { id: name, type: "any", value: "" });
        parameter.$parent = list;
        modeling.updateModdleProperties(element, list, { parameters: [...list.get("parameters"), parameter] });
      }}
    />
  );
}

function DecisionField(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const called = () => (bo(element).extensionElements?.values || []).find((v) => v.$type === "spiffworkflow:CalledDecisionId");
  const decisions = options().decisions;
  const current = (called()?.value || "").trim();
  const choices = [{ value: "", label: "(choose a decision)" }, ...decisions.map((d) => ({ value: d, label: d }))];
  if (current && !decisions.includes(current)) {
    choices.push({ value: current, label: `${current} (no such decision)` });
  }
  return (
    <SelectEntry
      element={element}
      id={id}
      label="Decision"
      description="The DMN decision this task evaluates"
      getValue={() => (called()?.value || "").trim()}
      setValue={(value) => {
        const ext = ensureExtensions(element, bo(element), bpmnFactory, modeling);
        const found = ensureChild(element, ext, "spiffworkflow:CalledDecisionId", bpmnFactory, modeling, {});
        modeling.updateModdleProperties(element, found, { value });
      }}
      getOptions={() => choices}
    />
  );
}

function timerDefinition(element) {
  return (bo(element).eventDefinitions || []).find((d) => d.$type === "bpmn:TimerEventDefinition");
}

function TimerField(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const debounce = useService("debounceInput");
  const definition = timerDefinition(element);
  const kind = ["timeDuration", "timeDate", "timeCycle"].find((k) => definition[k]) || "timeDuration";
  const words = { timeDuration: "Timer duration", timeDate: "Timer date", timeCycle: "Timer cycle" };
  return (
    <TextFieldEntry
      element={element}
      id={id}
      label={words[kind]}
      description='An ISO 8601 text in quotes ("P14D", "R3/P1D") or an expression over the case data'
      debounce={debounce}
      getValue={() => (definition[kind] && definition[kind].body) || ""}
      setValue={(value) => {
        if (definition[kind]) {
          modeling.updateModdleProperties(element, definition[kind], { body: value || "" });
        } else {
          const expression = bpmnFactory.create("bpmn:FormalExpression", { body: value || "" });
          expression.$parent = definition;
          modeling.updateModdleProperties(element, definition, { [kind]: expression });
        }
      }}
    />
  );
}

function CodeField(props) {
  const { element, id, label, description, get, set } = props;
  const debounce = useService("debounceInput");
  return (
    <TextAreaEntry element={element} id={id} label={label} description={description} debounce={debounce}
      monospace={true} rows={3} getValue={get} setValue={set} />
  );
}

function ConditionField(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const flow = bo(element);
  return (
    <CodeField element={element} id={id} label="Condition" description="A Python expression over the case data; empty for none"
      get={() => (flow.conditionExpression && flow.conditionExpression.body) || ""}
      set={(value) => {
        if (!value) {
          modeling.updateProperties(element, { conditionExpression: undefined });
        } else if (flow.conditionExpression) {
          modeling.updateModdleProperties(element, flow.conditionExpression, { body: value });
        } else {
          modeling.updateProperties(element, { conditionExpression: bpmnFactory.create("bpmn:FormalExpression", { body: value }) });
        }
      }} />
  );
}

function ScriptField(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  return (
    <CodeField element={element} id={id} label="Script" description="Python run in careflow's sandbox"
      get={() => bo(element).script || ""}
      set={(value) => modeling.updateProperties(element, { scriptFormat: "python", script: value || "" })} />
  );
}

function ScriptExtensionField(props) {
  const { element, id, type, label } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const found = () => (bo(element).extensionElements?.values || []).find((v) => v.$type === type);
  return (
    <CodeField element={element} id={id} label={label} description="Python run in careflow's sandbox on the task's data"
      get={() => (found() && found().value) || ""}
      set={(value) => {
        const existing = found();
        if (!value) {  // an empty script is no script: its element goes
          if (existing) {
            const ext = bo(element).extensionElements;
            modeling.updateModdleProperties(element, ext, { values: ext.get("values").filter((v) => v !== existing) });
          }
          return;
        }
        const ext = ensureExtensions(element, bo(element), bpmnFactory, modeling);
        const script = ensureChild(element, ext, type, bpmnFactory, modeling, {});
        modeling.updateModdleProperties(element, script, { value });
      }} />
  );
}

const is = (element, type) => bo(element) && bo(element).$type === type;
const entry = (element, id, component, extra, edited) => ({ id, element, component, isEdited: edited || isTextFieldEntryEdited, ...extra });

function careflowEntries(element) {
  const entries = [];
  const business = bo(element);
  if (!business) {
    return entries;
  }
  if (is(element, "bpmn:Process") || is(element, "bpmn:Participant")) {
    if (processOf(element)) {
      entries.push(entry(element, "careflow-caseTitle", PropertyField, { name: "caseTitle", label: "Case title", description: "An expression giving the case's title, e.g. personName", onProcess: true }));
      entries.push(entry(element, "careflow-configData", PropertyField, { name: "configData", label: "Configuration file", description: "Default data for new cases (a JSON file beside the diagram)", onProcess: true }));
    }
  }
  if (is(element, "bpmn:UserTask") || is(element, "bpmn:ManualTask")) {
    if (is(element, "bpmn:UserTask")) {
      entries.push(entry(element, "careflow-form", FormField, {}, isSelectEntryEdited));
    }
    entries.push(entry(element, "careflow-candidateGroup", PropertyField, { name: "candidateGroup", label: "Candidate group", description: "The team offered the task (otherwise the lane's)" }));
    entries.push(entry(element, "careflow-dueIn", PropertyField, { name: "dueIn", label: "Due in", description: "An ISO duration (P5WD = five working days, PT4H) or an expression" }));
    entries.push(entry(element, "careflow-dueDate", PropertyField, { name: "dueDate", label: "Due date", description: "A date or an expression (instead of Due in)" }));
  }
  if (is(element, "bpmn:ServiceTask")) {
    entries.push(entry(element, "careflow-handler", OperatorField, {}, isSelectEntryEdited));
    const operator = (business.extensionElements?.values || []).find((v) => v.$type === "spiffworkflow:ServiceTaskOperator");
    for (const parameter of operator?.parameterList?.parameters || []) {
      entries.push(entry(element, `careflow-parameter-${parameter.id}`, ParameterField, { parameter }));
    }
    entries.push(entry(element, "careflow-newParameter", NewParameterField, {}, () => false));
  }
  if (is(element, "bpmn:BusinessRuleTask")) {
    entries.push(entry(element, "careflow-decision", DecisionField, {}, isSelectEntryEdited));
    entries.push(entry(element, "careflow-resultVariable", PropertyField, { name: "resultVariable", label: "Result variable", description: "Where the decision's result goes in the case data" }));
  }
  if (timerDefinition(element)) {
    entries.push(entry(element, "careflow-timer", TimerField));
  }
  if ((business.eventDefinitions || []).some((d) => d.$type === "bpmn:MessageEventDefinition") || is(element, "bpmn:ReceiveTask")) {
    entries.push(entry(element, "careflow-correlationKeys", PropertyField, { name: "correlationKeys", label: "Correlation keys", description: "Data names the message must match, comma-separated (e.g. providerRef)" }));
  }
  if (is(element, "bpmn:SequenceFlow") && business.sourceRef && /Gateway$/.test(business.sourceRef.$type)) {
    entries.push(entry(element, "careflow-condition", ConditionField, {}, isTextAreaEntryEdited));
  }
  if (is(element, "bpmn:ScriptTask")) {
    entries.push(entry(element, "careflow-script", ScriptField, {}, isTextAreaEntryEdited));
  }
  if (/^bpmn:(UserTask|ManualTask|ServiceTask|ScriptTask|BusinessRuleTask|Task|SendTask|ReceiveTask|CallActivity|SubProcess)$/.test(business.$type)) {
    entries.push(entry(element, "careflow-preScript", ScriptExtensionField, { type: "spiffworkflow:PreScript", label: "Script before the task" }, isTextAreaEntryEdited));
    entries.push(entry(element, "careflow-postScript", ScriptExtensionField, { type: "spiffworkflow:PostScript", label: "Script after the task" }, isTextAreaEntryEdited));
  }
  return entries;
}

export default function CareflowPropertiesProvider(propertiesPanel) {
  this.getGroups = (element) => (groups) => {
    const entries = careflowEntries(element);
    if (entries.length) {
      groups.splice(1, 0, { id: "careflow", label: "careflow", entries });
    }
    return groups;
  };
  propertiesPanel.registerProvider(400, this);
}
CareflowPropertiesProvider.$inject = ["propertiesPanel"];

export const CareflowPropertiesModule = {
  __init__: ["careflowPropertiesProvider"],
  careflowPropertiesProvider: ["type", CareflowPropertiesProvider],
};
