import { defineConfig } from "vitest/config";

/**
 * The vitest settings of every package. Tests run on source: workspace packages resolve through
 * the "@wdecay/source" export condition. CI machines have two cores shared by turbo's parallel
 * tasks, so the default 5 s per test is too tight for tests that start a process; 30 s still
 * catches a hang.
 */
export default defineConfig({
  resolve: { conditions: ["@wdecay/source"] },
  ssr: { resolve: { conditions: ["@wdecay/source"] } },
  test: { testTimeout: 30_000 },
});
