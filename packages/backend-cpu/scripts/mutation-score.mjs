// Reads Stryker's JSON report and equivalent-mutants.json, and prints the mutation score with
// and without the mutants listed there as equivalent, each with its reason. A listed mutant must
// exist in the report and must have survived: an entry that matches nothing (the code moved on)
// or a mutant the suite kills (it was never equivalent) fails the script, so the list cannot
// drift into hiding real survivors.
import { readFileSync } from "node:fs";

const here = (path) => new URL(`../${path}`, import.meta.url);
const report = JSON.parse(readFileSync(here("reports/mutation/mutation.json"), "utf8"));
const { reasons, mutants: listed } = JSON.parse(
  readFileSync(here("equivalent-mutants.json"), "utf8"),
);

// A mutant is found by the text of its line (and which of the identical lines it is, counted
// from the top), its span on that line, its mutator and its replacement: an edit elsewhere in
// the file that moves lines does not break the list.
const all = [];
for (const [file, { source, mutants }] of Object.entries(report.files)) {
  const lines = source.split("\n").map((l) => l.trim());
  for (const m of mutants) {
    const { start, end } = m.location;
    const text = lines[start.line - 1] ?? "";
    const occurrence = lines.slice(0, start.line).filter((l) => l === text).length;
    const span =
      end.line === start.line
        ? `${start.column}-${end.column}`
        : `${start.column}-+${end.line - start.line}:${end.column}`;
    all.push({ ...m, file, line: start.line, column: start.column, text, occurrence, span });
  }
}

const problems = [];
const equivalent = new Map();
for (const entry of listed) {
  if (!(entry.reason in reasons)) problems.push(`unknown reason "${entry.reason}"`);
  const matches = all.filter(
    (m) =>
      m.file.endsWith(entry.file) &&
      m.mutatorName === entry.mutator &&
      (m.replacement ?? "") === entry.replacement &&
      m.text === entry.line &&
      m.occurrence === (entry.occurrence ?? 1) &&
      m.span === entry.span,
  );
  const where = `${entry.file}: ${entry.mutator} → ${entry.replacement} at ${entry.span} in "${entry.line}"`;
  if (matches.length !== 1) problems.push(`listed, and ${matches.length} mutants match: ${where}`);
  for (const m of matches) {
    if (m.status !== "Survived" && m.status !== "NoCoverage") {
      problems.push(`listed as equivalent but ${m.status}: ${where}`);
    }
    equivalent.set(m, entry.reason);
  }
}

const count = (status) => all.filter((m) => m.status === status).length;
const detected = count("Killed") + count("Timeout");
const undetected = count("Survived") + count("NoCoverage");
const pct = (a, b) => `${((100 * a) / b).toFixed(2)} %`;
console.log(
  `Stryker: ${count("Killed")} killed, ${count("Timeout")} timed out, ${count("Survived")} survived, ` +
    `${count("NoCoverage")} without coverage, ${count("Ignored")} ignored (message text and labels)`,
);
console.log(`score: ${pct(detected, detected + undetected)}`);
const byReason = new Map();
for (const reason of equivalent.values()) byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
console.log(`listed as equivalent: ${equivalent.size}`);
for (const [reason, n] of byReason) console.log(`  ${n} × ${reason}: ${reasons[reason]}`);
console.log(
  `score without the equivalent mutants: ${pct(detected, detected + undetected - equivalent.size)}`,
);
const rest = all.filter(
  (m) => (m.status === "Survived" || m.status === "NoCoverage") && !equivalent.has(m),
);
console.log(`survivors not listed (real gaps of the suite): ${rest.length}`);
for (const m of rest) {
  console.log(`  ${m.file}:${m.line}:${m.column} ${m.mutatorName} → ${m.replacement} | ${m.text}`);
}
for (const p of problems) console.error(`equivalent-mutants.json: ${p}`);
process.exit(problems.length > 0 ? 1 : 0);
