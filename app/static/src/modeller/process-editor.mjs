// The process owner's diagram editor: bpmn-js Modeler with the properties panel, careflow's own
// properties and bpmnlint rules; check, save with a comment, download and upload the XML.
import BpmnModeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import lintModule from "bpmn-js-bpmnlint";
import spiffModdle from "./spiffworkflow-moddle.json";
import { CareflowPropertiesModule } from "./properties.jsx";
import { careflowLintConfig } from "./lint-rules.mjs";
import { callJson, offerDownload, openChosenFile, showNotice, showProblems } from "./common.mjs";

const root = document.getElementById("process-editor");
if (root) {
  const context = JSON.parse(document.getElementById("careflow-model-context").textContent);
  window.careflowModel = context;
  const problemsBox = document.getElementById("editor-problems");
  const notice = document.getElementById("editor-notice");
  const modeler = new BpmnModeler({
    container: "#modeller-canvas",
    propertiesPanel: {
      parent: "#modeller-properties",
      layout: { groups: { general: { open: true }, careflow: { open: true } } },
    },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CareflowPropertiesModule, lintModule],
    moddleExtensions: { spiffworkflow: spiffModdle },
    linting: { bpmnlint: careflowLintConfig(context), active: true },
  });
  window.careflowModeler = modeler;
  let marked = [];
  let loopRefs = {};

  // SpiffWorkflow reads a multi-instance task's loopDataInputRef/loopDataOutputRef as data names;
  // bpmn-js takes them for element references, cannot resolve them and drops them on export. They
  // are kept aside on import and put back into the XML on export.
  const BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL";
  function collectLoopRefs(xml) {
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    const found = {};
    for (const loop of doc.getElementsByTagNameNS(BPMN, "multiInstanceLoopCharacteristics")) {
      const owner = loop.parentElement && loop.parentElement.getAttribute("id");
      const refs = {};
      for (const name of ["loopDataInputRef", "loopDataOutputRef"]) {
        const child = [...loop.children].find((c) => c.localName === name);
        if (child && child.textContent.trim()) {
          refs[name] = child.textContent.trim();
        }
      }
      if (owner && Object.keys(refs).length) {
        found[owner] = refs;
      }
    }
    return found;
  }

  function restoreLoopRefs(xml) {
    if (!Object.keys(loopRefs).length) {
      return xml;
    }
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    for (const loop of doc.getElementsByTagNameNS(BPMN, "multiInstanceLoopCharacteristics")) {
      const refs = loopRefs[loop.parentElement && loop.parentElement.getAttribute("id")];
      if (!refs) {
        continue;
      }
      for (const name of ["loopDataOutputRef", "loopDataInputRef"]) {
        if (refs[name] && ![...loop.children].some((c) => c.localName === name)) {
          const child = doc.createElementNS(BPMN, loop.prefix ? `${loop.prefix}:${name}` : name);
          child.textContent = refs[name];
          const before = [...loop.children].find((c) => !["loopCardinality", "loopDataInputRef"].includes(c.localName));
          loop.insertBefore(child, name === "loopDataInputRef"
            ? [...loop.children].find((c) => c.localName !== "loopCardinality") || null
            : before || null);
        }
      }
    }
    return new XMLSerializer().serializeToString(doc);
  }

  function mark(problems) {
    const canvas = modeler.get("canvas");
    const overlays = modeler.get("overlays");
    const registry = modeler.get("elementRegistry");
    for (const id of marked) {
      if (registry.get(id)) {
        canvas.removeMarker(id, "careflow-problem");
      }
    }
    overlays.remove({ type: "careflow-problem" });
    marked = [];
    for (const problem of problems) {
      if (problem.element && registry.get(problem.element)) {
        canvas.addMarker(problem.element, "careflow-problem");
        overlays.add(problem.element, "careflow-problem", {
          position: { top: -14, left: -14 },
          html: `<span class="careflow-problem-badge" title="${problem.message.replace(/"/g, "&quot;")}">!</span>`,
        });
        marked.push(problem.element);
      }
    }
  }

  function pick(problem) {
    const registry = modeler.get("elementRegistry");
    const element = problem.element && registry.get(problem.element);
    if (element) {
      modeler.get("selection").select(element);
      modeler.get("canvas").scrollToElement(element);
      document.getElementById("modeller-canvas").focus();
    }
  }

  function report(title, problems) {
    mark(problems);
    showProblems(problemsBox, title, problems, pick);
  }

  async function load(xml) {
    loopRefs = collectLoopRefs(xml);
    let result;
    try {
      result = await modeler.importXML(xml);
    } catch (error) {
      report("The diagram could not be opened", [{ element: null, message: error.message }]);
      return false;
    }
    const canvas = modeler.get("canvas");
    const { width, height } = canvas.getSize();
    // A canvas with no size yet (a hidden or squeezed box) cannot be fitted: the diagram stays at 100%.
    if (width > 0 && height > 0) {
      // A wide procedure is unreadable when fitted: open it at a readable size at its start instead.
      if (canvas.zoom("fit-viewport") < 0.5) {
        const start = modeler.get("elementRegistry").filter((e) => e.type === "bpmn:StartEvent")[0];
        canvas.zoom(0.8);
        if (start) {
          canvas.scrollToElement(start, { top: 120, left: 120, right: 120, bottom: 120 });
        }
      }
    }
    // bpmn-js warns about references it cannot resolve, such as multi-instance data names; careflow's
    // own checks (on save, and bpmnlint as one types) are what count, so they are not shown as problems.
    if (result.warnings && result.warnings.length) {
      console.info(`bpmn-js: ${result.warnings.length} import warnings`);
    }
    report("", []);
    root.dataset.ready = "true";
    return true;
  }

  async function currentXml() {
    const { xml } = await modeler.saveXML({ format: true });
    return restoreLoopRefs(xml);
  }

  document.getElementById("check-button").addEventListener("click", async () => {
    const answer = await callJson(root.dataset.checkUrl, "POST", { xml: await currentXml() });
    const problems = answer.body.problems || [{ element: null, message: answer.body.message }];
    if (problems.length) {
      report(`The diagram has ${problems.length} problem${problems.length > 1 ? "s" : ""}`, problems);
      notice.hidden = true;
    } else {
      report("", []);
      showNotice(notice, "No problems found: the diagram can be saved", "success");
    }
  });

  document.getElementById("save-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const comment = document.getElementById("change-comment").value;
    const answer = await callJson(root.dataset.saveUrl, "POST", {
      xml: await currentXml(), comment, latestVersion: Number(root.dataset.latestVersion) });
    if (answer.status === 201) {
      window.location.assign(`${root.dataset.pageUrl}?version=${answer.body.version}&saved=${answer.body.version}`);
    } else if (answer.ok) {
      report("", []);
      showNotice(notice, `Nothing changed: this is version ${answer.body.version}`, "info");
    } else if (answer.status === 409) {
      // Someone saved meanwhile: this diagram stays in the editor; saving again knowingly saves it on top.
      root.dataset.latestVersion = answer.body.latestVersion || root.dataset.latestVersion;
      notice.hidden = true;
      report("Someone else saved a newer version", [{ element: null, message: answer.body.message }]);
    } else {
      notice.hidden = true;
      report(answer.body.message || "The diagram was not saved", answer.body.errors || [{ element: null, message: answer.body.message }]);
    }
  });

  document.getElementById("download-button").addEventListener("click", async () => {
    offerDownload(await currentXml(), `${root.dataset.processId}.bpmn`);
  });
  openChosenFile(document.getElementById("upload"), load, notice, "Check it and save it as a new version.");

  const testsForm = document.getElementById("tests-form");
  if (testsForm) {
    // The tests as opened: the server refuses (409) a save over tests someone else changed meanwhile.
    let openedTests = JSON.parse(document.getElementById("tests-json").value);
    testsForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = document.getElementById("tests-status");
      let suite;
      try {
        suite = JSON.parse(document.getElementById("tests-json").value);
      } catch (error) {
        status.textContent = `The tests are not valid JSON: ${error.message}`;
        return;
      }
      const answer = await callJson(testsForm.dataset.url, "PUT", { ...suite, previous: openedTests });
      if (answer.ok) {
        openedTests = answer.body;
        status.textContent = `Saved ${answer.body.tests.length} scenario test${answer.body.tests.length === 1 ? "" : "s"}.`;
      } else if (answer.status === 409) {
        openedTests = answer.body.currentTests || openedTests;
        status.textContent = answer.body.message;
      } else {
        status.textContent = `${answer.body.message}: ${(answer.body.errors || []).map((e) => `${e.field}: ${e.message}`).join("; ")}`;
      }
    });
  }

  fetch(root.dataset.fileUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => r.json())
    .then((found) => load(found.content))
    .catch((error) => report("The diagram could not be loaded", [{ element: null, message: String(error) }]));
}
