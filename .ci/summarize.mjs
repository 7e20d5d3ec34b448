// Sums every package's vitest JSON report into one line: "tests: N passed, N failed, N skipped".
// A package with a test script but no report (its run crashed, or never started) counts as a
// failure, so a broken run can never print "0 failed". A skipped (or todo) test fails the run
// too: every test must run on every machine, and one that cannot get its browser or adapter
// fails with its reason instead of skipping.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ["packages", "apps", "tooling"]) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const dir = join(group, name);
    const manifest = join(dir, "package.json");
    if (!existsSync(manifest)) continue;
    if (!JSON.parse(readFileSync(manifest, "utf8")).scripts?.test) continue;
    const report = join(dir, "test-results", "vitest.json");
    if (!existsSync(report)) {
      console.log(`${dir}: no test report`);
      failed += 1;
      continue;
    }
    const r = JSON.parse(readFileSync(report, "utf8"));
    const suiteErrors = (r.testResults ?? []).filter(
      (f) => f.status === "failed" && (f.assertionResults ?? []).length === 0,
    ).length;
    const notRun = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(
      `${dir}: ${r.numPassedTests} passed, ${r.numFailedTests + suiteErrors} failed, ${notRun} skipped`,
    );
    for (const file of r.testResults ?? []) {
      if (file.status === "failed" && (file.assertionResults ?? []).length === 0) {
        console.log(`  failed to run: ${file.name}: ${String(file.message ?? "").slice(0, 300)}`);
      }
      for (const t of file.assertionResults ?? []) {
        if (t.status === "pending" || t.status === "todo" || t.status === "skipped") {
          console.log(`  skipped: ${t.fullName} (${file.name})`);
        }
        // The reason, here at the end of the log, where a CI page's tail shows it.
        if (t.status === "failed") {
          console.log(`  failed: ${t.fullName}`);
          const lines = (t.failureMessages ?? []).join("\n").split("\n").slice(0, 6);
          for (const line of lines) console.log(`    ${line.slice(0, 300)}`);
        }
      }
    }
    passed += r.numPassedTests;
    failed += r.numFailedTests + suiteErrors;
    skipped += notRun;
  }
}
// vitest fails a run whose tests all passed when an error escapes them (an unhandled rejection,
// its worker's RPC timing out), and its JSON report does not say so: the test command's exit
// status (.ci/run passes it as the argument) does.
const commandStatus = Number(process.argv[2] ?? 0);
if (commandStatus !== 0 && failed === 0) {
  console.log(
    `the test command exited ${commandStatus} with no failed test: lint, typecheck or an error outside the tests failed (see turbo's "Failed:" line, or "Unhandled Error", above)`,
  );
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || skipped > 0 ? 1 : 0);
