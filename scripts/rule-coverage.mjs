#!/usr/bin/env node
// Traces docs/PROTOCOL.md's rules to the tests that cite them (electric-sql's
// SPEC.md habit): a test cites a rule by its number (`R22`, or a range
// `R25–R27`) in its name or a comment. Tests are the *.test.ts files and the
// store conformance suites (src/conformance/), which run from test files. The "Rule coverage" table at the end of
// the spec lists, per rule, the test files that cite it, or why none needs to
// ("by construction: …", "not tested: …", kept by hand).
//
//   node scripts/rule-coverage.mjs           check: fails when a rule is cited
//                                            by no test and not marked, or the
//                                            table is out of date
//   node scripts/rule-coverage.mjs --write   rewrites the table from the tests
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const specPath = join(root, "docs/PROTOCOL.md");
const HEADING = "## Rule coverage";
const SKIP = new Set(["node_modules", "dist", ".turbo", ".git"]);

function testFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...testFiles(path));
    else if (name.endsWith(".test.ts") || path.includes("/src/conformance/")) found.push(path);
  }
  return found;
}

/** Rule numbers a text cites: `R7`, and every number of a range `R25–R27` or `R25-R27`. */
function citedRules(text) {
  const rules = new Set();
  for (const match of text.matchAll(/\bR(\d{1,3})(?:\s*[–-]\s*R?(\d{1,3}))?\b/g)) {
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    for (let rule = from; rule <= Math.min(to, from + 20); rule++) rules.add(rule);
  }
  return rules;
}

const spec = readFileSync(specPath, "utf8");
const defined = [...spec.matchAll(/^\*\*R(\d+) \(([^)]*)\)/gm)]
  .map((m) => ({ rule: Number(m[1]), name: m[2] }))
  .sort((a, b) => a.rule - b.rule);
const citations = new Map(defined.map(({ rule }) => [rule, new Set()]));
for (const file of ["packages", "apps", "e2e"].flatMap((dir) => testFiles(join(root, dir)))) {
  const path = relative(root, file);
  for (const rule of citedRules(readFileSync(file, "utf8"))) citations.get(rule)?.add(path);
}

const headingAt = spec.indexOf(`\n${HEADING}\n`);
const before = headingAt === -1 ? spec.trimEnd() : spec.slice(0, headingAt).trimEnd();
const table = headingAt === -1 ? "" : spec.slice(headingAt);
const marks = new Map();
for (const match of table.matchAll(
  /^\| R(\d+) +\|[^|]*\| *((?:by construction|not tested)[^|]*?) *\|$/gm,
)) {
  marks.set(Number(match[1]), match[2]);
}

const rows = defined.map(({ rule, name }) => {
  const files = [...citations.get(rule)].sort();
  const where =
    files.length > 0 ? files.map((file) => `\`${file}\``).join(", ") : (marks.get(rule) ?? "");
  return { rule, name, where };
});
const written = `${before}

${HEADING}

Which tests check each rule, found by \`node scripts/rule-coverage.mjs --write\` (a test
cites a rule by its number in its name or a comment). A rule no test cites says why:
_by construction_ (a type, a schema or the shape of the code makes it hold) or _not
tested_ (with the reason). \`pnpm lint\` fails when a rule is cited by nothing and not
marked, or when this table is out of date.

| Rule | Name | Checked by |
| ---- | ---- | ---------- |
${rows.map(({ rule, name, where }) => `| R${rule} | ${name} | ${where} |`).join("\n")}
`;

const uncovered = rows.filter((row) => row.where === "");
if (process.argv.includes("--write")) {
  writeFileSync(specPath, written);
  console.log(`rule coverage: ${rows.length - uncovered.length} of ${rows.length} rules traced`);
}
let failed = false;
if (uncovered.length > 0) {
  console.error(
    `rule coverage: no test cites ${uncovered.map((row) => `R${row.rule}`).join(", ")}; cite each in a test, or mark it "by construction: …" or "not tested: …" in ${HEADING}`,
  );
  failed = true;
}
if (!process.argv.includes("--write") && written !== spec) {
  console.error(
    "rule coverage: the table in docs/PROTOCOL.md is out of date; run node scripts/rule-coverage.mjs --write",
  );
  failed = true;
}
process.exit(failed ? 1 : 0);
