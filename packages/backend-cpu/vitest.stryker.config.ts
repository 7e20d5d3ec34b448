import { defineConfig } from "vitest/config";

/**
 * The configuration Stryker runs (`pnpm --filter @wdecay/backend-cpu mutation`): the conformance
 * suite alone, on this package's backends, is the test — how much of the backend it pins down is
 * what the mutation score measures. Standalone (no import of the shared config) because Stryker
 * runs it from a copy of this package.
 */
export default defineConfig({
  resolve: {
    conditions: ["@wdecay/source"],
    // Both precisions run the mutated kernels.ts, as they do once its float32 copy is rewritten
    // (`pnpm specialize`; a unit test fails until it is): a bug in the kernels is a bug in both.
    alias: [{ find: /^\.\/kernels\.f32\.js$/, replacement: "./kernels.js" }],
  },
  ssr: { resolve: { conditions: ["@wdecay/source"] } },
  test: {
    include: ["test/conformance.test.ts"],
    // A fixed seed: the suite's test names carry it, and Stryker finds the tests that cover a
    // mutant by their names from its first run.
    env: { WDECAY_CONFORMANCE_SEED: process.env.WDECAY_CONFORMANCE_SEED ?? "1" },
    testTimeout: 120_000,
  },
});
