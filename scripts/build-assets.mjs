// Builds careflow's front-end assets into app/static/dist/ (not in git; `make install` runs this).
// GOV.UK Frontend's Sass is compiled with a plain font stack: careflow is a council service, so it
// uses neither the GDS Transport font nor the crown.
import { compile } from "sass";
import { buildSync } from "esbuild";
import { cpSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const out = join(root, "app", "static", "dist");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "bpmn"), { recursive: true });

const css = compile(join(root, "app", "static", "src", "careflow.scss"), {
  loadPaths: [modules],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(join(out, "careflow.css"), css.css);

const copies = [
  ["govuk-frontend/dist/govuk/govuk-frontend.min.js", "govuk-frontend.min.js"],
  ["bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "bpmn/bpmn-navigated-viewer.min.js"],
  ["bpmn-js/dist/assets/diagram-js.css", "bpmn/diagram-js.css"],
  ["bpmn-js/dist/assets/bpmn-js.css", "bpmn/bpmn-js.css"],
  ["bpmn-js/dist/assets/bpmn-font", "bpmn/bpmn-font"],
];
for (const [from, to] of copies) {
  cpSync(join(modules, from), join(out, to), { recursive: true });
}

// The process owner's modeller (app/static/src/modeller/): bpmn-js Modeler with the properties panel,
// careflow's properties and bpmnlint rules, and bpmn-js-differ, bundled by esbuild; dmn-js from its
// own bundle. The bpmn.io watermark these libraries draw stays visible, as their licence requires.
mkdirSync(join(out, "modeller"), { recursive: true });
buildSync({
  entryPoints: ["process-editor", "compare", "decision-editor", "form-editor"].map(
    (name) => join(root, "app", "static", "src", "modeller", `${name}.mjs`)),
  outdir: join(out, "modeller"),
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  jsx: "automatic",
  jsxImportSource: "@bpmn-io/properties-panel/preact",
  loader: { ".js": "jsx" },
  legalComments: "linked",
  logLevel: "warning",
});
cpSync(join(root, "app", "static", "src", "modeller", "modeller.css"), join(out, "modeller", "modeller.css"));
const modellerCopies = [
  ["bpmn-js/dist/assets/bpmn-js.css", "modeller/bpmn-js.css"],
  ["bpmn-js/dist/assets/diagram-js.css", "modeller/diagram-js.css"],
  ["bpmn-js/dist/assets/bpmn-font", "modeller/bpmn-font"],
  ["@bpmn-io/properties-panel/dist/assets/properties-panel.css", "modeller/properties-panel.css"],
  ["bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css", "modeller/bpmn-js-bpmnlint.css"],
  ["dmn-js/dist/dmn-modeler.production.min.js", "dmn/dmn-modeler.min.js"],
  ["dmn-js/dist/assets/diagram-js.css", "dmn/diagram-js.css"],
  ["dmn-js/dist/assets/dmn-js-shared.css", "dmn/dmn-js-shared.css"],
  ["dmn-js/dist/assets/dmn-js-drd.css", "dmn/dmn-js-drd.css"],
  ["dmn-js/dist/assets/dmn-js-decision-table.css", "dmn/dmn-js-decision-table.css"],
  ["dmn-js/dist/assets/dmn-js-decision-table-controls.css", "dmn/dmn-js-decision-table-controls.css"],
  ["dmn-js/dist/assets/dmn-js-literal-expression.css", "dmn/dmn-js-literal-expression.css"],
  ["dmn-js/dist/assets/dmn-font", "dmn/dmn-font"],
];
for (const [from, to] of modellerCopies) {
  cpSync(join(modules, from), join(out, to), { recursive: true });
}
writeFileSync(join(out, ".built"), new Date().toISOString() + "\n");
console.log(`assets built in ${out}`);
