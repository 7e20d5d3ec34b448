import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.js";

/**
 * The shared settings, plus what browser tests need: the site is built once (globalSetup) and
 * one Chromium runs one file at a time, so the two-core CI machine is not oversubscribed.
 */
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      include: ["test/**/*.test.ts"],
      globalSetup: ["test/global-setup.ts"],
      // Generous for a loaded two-core CI machine; a healthy run takes a fraction of it. (The
      // two tests that open the conformance page each wait up to 180 s for its suite.)
      testTimeout: 300_000,
      hookTimeout: 120_000,
      fileParallelism: false,
    },
  }),
);
