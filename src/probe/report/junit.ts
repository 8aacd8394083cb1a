// JUnit XML for CI systems (GitHub Actions test reporters, GitLab, Jenkins): one <testcase> per
// probe test, failed when the gate failed it, with the failing answers' reasons in the failure.
// Every text is escaped for XML, and characters XML 1.0 cannot carry at all are dropped.

import type { GateOutcome } from "../gate.js";
import type { ProbeResult, TestResult } from "../types.js";
import { formatRunLabel } from "./format.js";

/** Control characters other than tab, newline and carriage return are not allowed in XML 1.0. */
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXml(text: string): string {
  return text.replace(INVALID_XML, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

const attr = (name: string, value: string | number) => ` ${name}="${escapeXml(String(value))}"`;
const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

function failingRuns(test: TestResult): string {
  return test.results
    .filter((r) => !r.pass)
    .map((r) => `${formatRunLabel(r)}: ${r.reason}`)
    .join("\n");
}

export function renderJunit(result: ProbeResult, gate: GateOutcome): string {
  const classname = `probe.${result.suite}`;
  const cases = gate.checks.map((check) => {
    const test = result.tests.find((t) => t.id === check.id);
    const time = test ? test.results.reduce((n, r) => n + r.durationMs, 0) : result.durationMs;
    const open = `    <testcase${attr("classname", classname)}${attr("name", `${check.id} ${check.title}`)}${attr("time", seconds(time))}>`;
    const out = test ? `${test.title} ${test.passed}/${test.total}\n${check.reason}` : check.reason;
    const body: string[] = [];
    if (check.status === "fail") {
      const details = test ? failingRuns(test) : (result.dataset?.unscoredRows ?? []).map((r) => `row ${r}: no usable score`).join("\n");
      body.push(`      <failure${attr("message", check.reason)}${attr("type", `gate.${gate.mode}`)}>${escapeXml(details)}</failure>`);
    } else if (check.status === "skipped") {
      body.push(`      <skipped${attr("message", check.reason)}/>`);
    }
    body.push(`      <system-out>${escapeXml(out)}</system-out>`);
    return [open, ...body, "    </testcase>"].join("\n");
  });
  const failures = gate.checks.filter((c) => c.status === "fail").length;
  const skippedCount = gate.checks.filter((c) => c.status === "skipped").length;
  const suiteAttrs =
    attr("name", `probe ${result.suite} — ${result.model}`) +
    attr("tests", gate.checks.length) +
    attr("failures", failures) +
    attr("errors", 0) +
    attr("skipped", skippedCount) +
    attr("time", seconds(result.durationMs)) +
    attr("timestamp", result.startedAt);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attr("name", "elyza-bot probe")}${attr("tests", gate.checks.length)}${attr("failures", failures)}>`,
    `  <testsuite${suiteAttrs}>`,
    `    <properties>`,
    `      <property${attr("name", "gate")}${attr("value", `${gate.mode}: ${gate.against}`)}/>`,
    `      <property${attr("name", "model")}${attr("value", result.model)}/>`,
    ...(result.settings.baseSeed !== undefined ? [`      <property${attr("name", "baseSeed")}${attr("value", result.settings.baseSeed)}/>`] : []),
    `    </properties>`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}
