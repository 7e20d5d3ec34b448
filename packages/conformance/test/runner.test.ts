/**
 * The runner lets queued events in while it works. A backend's kernels are synchronous and its
 * reads resolve as microtasks, so a suite that never yields holds its thread for as long as it
 * runs: vitest's worker then misses its own RPC deadline ("Timeout calling onTaskUpdate", which
 * failed CI on a loaded machine with every test passed), and a page cannot paint. The bug this
 * catches: a runner that awaits only microtasks between runs.
 */
import { defineProperty, runConformance } from "@wdecay/conformance";
import { createMinimalBackend } from "@wdecay/conformance/minimal-backend";
import fc from "fast-check";
import { expect, it } from "vitest";

/** Holds the thread for `ms`, as a synchronous kernel does. */
function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
}

it("a timer due while the suite runs fires before the run ends, not after it", async () => {
  let runsDone = 0;
  const slow = defineProperty({
    id: "slow",
    name: "each run holds the thread for 20 ms",
    source: "runner test",
    arbitrary: fc.constant(0),
    async check() {
      busy(20);
      runsDone += 1;
    },
  });
  let runsWhenTimerFired: number | undefined;
  setTimeout(() => {
    runsWhenTimerFired = runsDone;
  }, 0);
  const report = await runConformance(createMinimalBackend, {
    reference: createMinimalBackend,
    numRuns: 20,
    seed: 1,
    properties: [slow] as never,
  });
  expect(report.properties[0]?.passed).toBe(true);
  expect(runsDone).toBe(20);
  // 20 runs of 20 ms hold the thread 400 ms; the runner lets events in every 50 ms or so, so
  // the timer fires after a handful of runs. Never yielding, it would fire after all 20.
  expect(runsWhenTimerFired).toBeDefined();
  expect(runsWhenTimerFired).toBeLessThan(20);
});
