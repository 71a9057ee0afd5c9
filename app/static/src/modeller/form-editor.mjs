// The form editor: the JSON Schema and its layout as text, a label per question, and a live preview
// drawn by careflow's own GOV.UK renderer on the server (what caseworkers will see).
import { callJson, showNotice, showProblems, text } from "./common.mjs";

const root = document.getElementById("form-editor");
if (root) {
  const schemaBox = document.getElementById("form-schema-json");
  const uiBox = document.getElementById("form-ui-json");
  const preview = document.getElementById("form-preview");
  const labels = document.getElementById("form-labels");
  const problemsBox = document.getElementById("editor-problems");
  const notice = document.getElementById("editor-notice");
  let timer = null;

  function parsed() {
    return { schema: JSON.parse(schemaBox.value), ui: uiBox.value.trim() ? JSON.parse(uiBox.value) : {} };
  }

  function drawLabels() {
    let schema;
    try {
      schema = JSON.parse(schemaBox.value);
    } catch (e) {
      return;
    }
    const props = (schema && schema.properties) || {};
    labels.innerHTML = Object.keys(props).map((name) => `<div class="govuk-form-group">
      <label class="govuk-label" for="label-${text(name)}">Question label: ${text(name)}</label>
      <input class="govuk-input" id="label-${text(name)}" data-name="${text(name)}" type="text" value="${text(props[name].title || "")}">
    </div>`).join("");
    labels.querySelectorAll("input[data-name]").forEach((input) => {
      input.addEventListener("input", () => {
        const current = JSON.parse(schemaBox.value);
        current.properties[input.dataset.name].title = input.value;
        schemaBox.value = JSON.stringify(current, null, 2);
        later();
      });
    });
  }

  async function refresh() {
    let body;
    try {
      body = parsed();
    } catch (error) {
      preview.innerHTML = `<p class="govuk-error-message">The JSON is not valid: ${text(error.message)}</p>`;
      return;
    }
    const answer = await callJson(root.dataset.previewUrl, "POST", body);
    preview.innerHTML = answer.ok ? answer.body.html : `<p class="govuk-error-message">${text(answer.body.message)}</p>`;
    root.dataset.previewed = String(Number(root.dataset.previewed || "0") + 1);
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  schemaBox.addEventListener("input", () => {
    later();
  });
  schemaBox.addEventListener("change", drawLabels);
  uiBox.addEventListener("input", later);

  document.getElementById("save-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    let body;
    try {
      body = parsed();
    } catch (error) {
      showProblems(problemsBox, "The form was not saved", [{ element: null, message: `The JSON is not valid: ${error.message}` }], () => {});
      return;
    }
    const answer = await callJson(root.dataset.saveUrl, "POST", { ...body,
      comment: document.getElementById("change-comment").value, latestVersion: Number(root.dataset.latestVersion) });
    if (answer.status === 201) {
      window.location.assign(`${root.dataset.pageUrl}?version=${answer.body.version}&saved=${answer.body.version}`);
    } else if (answer.ok) {
      showNotice(notice, `Nothing changed: this is version ${answer.body.version}`, "info");
    } else if (answer.status === 409) {
      // Someone saved meanwhile: the form stays in the editor; saving again knowingly saves it on top.
      root.dataset.latestVersion = answer.body.latestVersion || root.dataset.latestVersion;
      notice.hidden = true;
      showProblems(problemsBox, "Someone else saved a newer version", [{ element: null, message: answer.body.message }], () => {});
    } else {
      showProblems(problemsBox, answer.body.message || "The form was not saved",
        answer.body.errors || [{ element: null, message: answer.body.message || "The form was not saved" }], () => {});
    }
  });

  drawLabels();
  refresh();
  root.dataset.ready = "true";
}
