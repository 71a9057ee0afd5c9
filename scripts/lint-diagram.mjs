// Runs careflow's bpmnlint rules (app/static/src/modeller/lint-rules.mjs) on BPMN files in Node and
// prints what they find as JSON lines: {file, element, rule, message}. Used by the test that keeps the
// editor's rules equal to the server's (tests/model/test_lint_parity.py).
//
//   node scripts/lint-diagram.mjs CONTEXT.json FILE.bpmn ...   (context: {handlers, decisions, forms})
import { readFileSync } from "node:fs";
import { BpmnModdle } from "bpmn-moddle";
import { Linter } from "bpmnlint";
import { careflowLintConfig } from "../app/static/src/modeller/lint-rules.mjs";

const spiff = JSON.parse(readFileSync(new URL("../app/static/src/modeller/spiffworkflow-moddle.json", import.meta.url)));
const [contextFile, ...files] = process.argv.slice(2);
const context = JSON.parse(readFileSync(contextFile, "utf-8"));
const moddle = new BpmnModdle({ spiffworkflow: spiff });

for (const file of files) {
  const { rootElement } = await moddle.fromXML(readFileSync(file, "utf-8"));
  const results = await new Linter(careflowLintConfig(context)).lint(rootElement);
  for (const [name, reports] of Object.entries(results)) {
    for (const report of reports) {
      console.log(JSON.stringify({ file, element: report.id, rule: name.replace(/^careflow\//, ""), message: report.message }));
    }
  }
}
