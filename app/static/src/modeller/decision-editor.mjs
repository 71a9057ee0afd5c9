// The decision table editor: dmn-js Modeler, with "try it" evaluated on the server by careflow's own
// evaluator (the outputs, the rules that matched and why), save with a comment, download, upload.
// dmn-js is loaded from its own bundle (dist/dmn/dmn-modeler.min.js) before this file.
const DmnModeler = window.DmnJS;
import { callJson, offerDownload, openChosenFile, showNotice, showProblems, text } from "./common.mjs";

const root = document.getElementById("decision-editor");
if (root && DmnModeler) {
  const problemsBox = document.getElementById("editor-problems");
  const notice = document.getElementById("editor-notice");
  const canvas = document.getElementById("dmn-canvas");
  const modeler = new DmnModeler({ container: canvas });
  window.careflowDmn = modeler;

  // dmn-js leaves the header over the rule numbers empty, and a screen reader then names that column
  // with nothing; every table it draws (on opening, on switching decisions) gets the header's words.
  new MutationObserver(() => {
    for (const header of canvas.querySelectorAll("th.index-column")) {
      if (!header.textContent.trim()) {
        header.innerHTML = '<span class="govuk-visually-hidden">Rule number</span>';
      }
    }
  }).observe(canvas, { childList: true, subtree: true });
  const choose = document.getElementById("try-decision");
  const inputsBox = document.getElementById("try-inputs");

  // The table's inputs: data name -> FEEL type (from each column's input expression).
  function inputTypes(xml, decisionId) {
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    const decision = [...doc.getElementsByTagNameNS("*", "decision")].find((d) => d.getAttribute("id") === decisionId);
    const types = {};
    if (decision) {
      for (const expr of decision.getElementsByTagNameNS("*", "inputExpression")) {
        const name = (expr.textContent || "").trim();
        if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          types[name] = expr.getAttribute("typeRef") || "string";
        }
      }
    }
    return types;
  }

  function tableInputs(xml, decisionId) {
    const inputs = {};
    for (const name of Object.keys(inputTypes(xml, decisionId))) {
      inputs[name] = null;
    }
    return inputs;
  }

  // One field per input, kept in step with the JSON below (which can hold anything else).
  function drawFields(xml, decisionId) {
    const holder = document.getElementById("try-fields");
    const types = inputTypes(xml, decisionId);
    holder.innerHTML = Object.entries(types).map(([name, type], i) => {
      const id = `try-field-${i}`;
      const control = type === "boolean"
        ? `<select class="govuk-select" id="${id}" data-name="${text(name)}" data-type="boolean"><option value="">No value</option><option value="true">true</option><option value="false">false</option></select>`
        : `<input class="govuk-input" id="${id}" data-name="${text(name)}" data-type="${text(type)}" type="text"${/^(number|integer|long|double)$/.test(type) ? ' inputmode="decimal"' : ""}>`;
      return `<div class="govuk-form-group govuk-!-margin-bottom-3"><label class="govuk-label" for="${id}">${text(name)} <span class="govuk-hint govuk-!-display-inline">(${text(type)})</span></label>${control}</div>`;
    }).join("");
    holder.querySelectorAll("[data-name]").forEach((field) => {
      field.addEventListener("change", () => {
        let inputs = {};
        try {
          inputs = JSON.parse(inputsBox.value || "{}");
        } catch (e) {
          inputs = {};
        }
        const raw = field.value.trim();
        const kind = field.dataset.type;
        let value = raw === "" ? null : raw;
        if (raw !== "" && kind === "boolean") {
          value = raw === "true";
        } else if (raw !== "" && /^(number|integer|long|double)$/.test(kind) && !Number.isNaN(Number(raw))) {
          value = Number(raw);
        }
        inputs[field.dataset.name] = value;
        inputsBox.value = JSON.stringify(inputs, null, 2);
      });
    });
  }

  async function currentXml() {
    const { xml } = await modeler.saveXML({ format: true });
    return xml;
  }

  // dmn-js redraws a cell when the element with its id changes; cells without ids (DMN allows them)
  // would keep showing their old text after an edit. Every table part gets an id before it is opened.
  function withIds(xml) {
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    if (doc.getElementsByTagName("parsererror").length) {
      return xml;
    }
    const taken = new Set([...doc.querySelectorAll("[id]")].map((e) => e.getAttribute("id")));
    let added = 0;
    for (const name of ["rule", "input", "output", "inputEntry", "outputEntry", "inputExpression", "annotationEntry"]) {
      for (const el of doc.getElementsByTagNameNS("*", name)) {
        if (!el.getAttribute("id")) {
          let id;
          do {
            id = `${name}_${Math.random().toString(36).slice(2, 9)}`;
          } while (taken.has(id));
          taken.add(id);
          el.setAttribute("id", id);
          added += 1;
        }
      }
    }
    return added ? new XMLSerializer().serializeToString(doc) : xml;
  }

  async function load(original, restoring = false) {
    // dmn-js empties the editor when a file fails to open: the table as it was is kept to put back.
    const before = !restoring && modeler.getDefinitions() ? await currentXml() : null;
    let xml;
    try {
      xml = withIds(original);
      await modeler.importXML(xml);
    } catch (error) {
      if (before) {
        await load(before, true);
      }
      showProblems(problemsBox, "The decision table could not be opened", [{ element: null, message: error.message }], () => {});
      return false;
    }
    const views = modeler.getViews().filter((v) => v.type === "decisionTable");
    choose.innerHTML = views.map((v) => `<option value="${text(v.element.id)}">${text(v.element.name || v.element.id)}</option>`).join("");
    const wanted = views.find((v) => v.element.id === root.dataset.decision) || views[0];
    if (wanted) {
      // Opening the view that is already open would draw a second table over a stale one.
      const active = modeler.getActiveView();
      if (!active || active.element !== wanted.element) {
        await modeler.open(wanted);
      }
      choose.value = wanted.element.id;
    }
    inputsBox.value = JSON.stringify(tableInputs(xml, choose.value), null, 2);
    drawFields(xml, choose.value);
    root.dataset.ready = "true";
    return true;
  }

  choose.addEventListener("change", async () => {
    const view = modeler.getViews().find((v) => v.element.id === choose.value);
    if (view && view.element !== modeler.getActiveView()?.element) {
      const xml = await currentXml();
      await modeler.open(view);
      inputsBox.value = JSON.stringify(tableInputs(xml, choose.value), null, 2);
      drawFields(xml, choose.value);
    }
  });

  document.getElementById("try-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = document.getElementById("try-result");
    let inputs;
    try {
      inputs = JSON.parse(inputsBox.value || "{}");
    } catch (error) {
      result.innerHTML = `<p class="govuk-error-message">The inputs are not valid JSON: ${text(error.message)}</p>`;
      return;
    }
    const answer = await callJson(root.dataset.tryUrl, "POST", { xml: await currentXml(), decisionId: choose.value, inputs });
    if (!answer.ok) {
      const message = (answer.body.errors && answer.body.errors[0] && answer.body.errors[0].message) || answer.body.message;
      result.innerHTML = `<p class="govuk-error-message">${text(message)}</p>`;
      return;
    }
    const out = answer.body;
    const why = (out.why || []).map((w) => `<li>Rule ${w.rule}${w.annotation ? ` (${text(w.annotation)})` : ""}: ${
      w.cells.map((c) => `${text(c.input)} ${c.test === "-" ? "is any value" : `= ${text(JSON.stringify(c.value))} matches ${text(c.test)}`}`).join("; ")}</li>`);
    result.innerHTML = `<h3 class="govuk-heading-s">Result</h3>
      <pre class="careflow-code" id="try-output">${text(JSON.stringify(out.value, null, 2))}</pre>
      <h3 class="govuk-heading-s">Rules that matched (${text(out.hitPolicy || "")})</h3>
      ${why.length ? `<ul class="govuk-list govuk-list--bullet" id="try-why">${why.join("")}</ul>` : '<p class="govuk-body" id="try-why">No rule matched.</p>'}`;
  });

  document.getElementById("save-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await callJson(root.dataset.saveUrl, "POST", { xml: await currentXml(),
      comment: document.getElementById("change-comment").value, latestVersion: Number(root.dataset.latestVersion) });
    if (answer.status === 201) {
      window.location.assign(`${root.dataset.pageUrl}?version=${answer.body.version}&saved=${answer.body.version}`);
    } else if (answer.ok) {
      showNotice(notice, `Nothing changed: this is version ${answer.body.version}`, "info");
    } else if (answer.status === 409) {
      // Someone saved meanwhile: the table stays in the editor; saving again knowingly saves it on top.
      root.dataset.latestVersion = answer.body.latestVersion || root.dataset.latestVersion;
      notice.hidden = true;
      showProblems(problemsBox, "Someone else saved a newer version", [{ element: null, message: answer.body.message }], () => {});
    } else {
      showProblems(problemsBox, answer.body.message || "The table was not saved",
        answer.body.errors || [{ element: null, message: answer.body.message || "The table was not saved" }], () => {});
    }
  });

  document.getElementById("download-button").addEventListener("click", async () => {
    offerDownload(await currentXml(), root.dataset.filename);
  });
  openChosenFile(document.getElementById("upload"), load, notice, "Try it and save it as a new version.");

  fetch(root.dataset.fileUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => r.json())
    .then((found) => load(found.content));
}
