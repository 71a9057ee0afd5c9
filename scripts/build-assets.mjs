// Builds careflow's front-end assets into app/static/dist/ (not in git; `make install` runs this).
// GOV.UK Frontend's Sass is compiled with a plain font stack: careflow is a council service, so it
// uses neither the GDS Transport font nor the crown.
import { compile } from "sass";
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
writeFileSync(join(out, ".built"), new Date().toISOString() + "\n");
console.log(`assets built in ${out}`);
