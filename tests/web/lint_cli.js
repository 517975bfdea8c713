/* Runs the modeler's bpmnlint rules in Node on {"xml", "options"} read from stdin and prints the findings as
   JSON (bundled by esbuild in tests/web/test_modeler_lint_parity.py). */
import { BpmnModdle } from "bpmn-moddle";
import { Linter } from "bpmnlint";
import spiffworkflow from "../../app/web/static/js/modeler/spiffworkflow.json";
import { lintConfig } from "../../app/web/static/js/modeler/lint/rules.js";

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", async () => {
  const { xml, options } = JSON.parse(input);
  const moddle = new BpmnModdle({ spiffworkflow });
  const { rootElement } = await moddle.fromXML(xml);
  const linter = new Linter(lintConfig(options));
  const results = await linter.lint(rootElement);
  const findings = [];
  Object.keys(results).forEach((rule) => {
    results[rule].forEach((r) => {
      findings.push({ rule, code: r.code, element_id: r.element_id, message: r.message, category: r.category });
    });
  });
  process.stdout.write(JSON.stringify(findings));
});
