import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.js";

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      // Unpacks the test browser (npm's Chromium) once, before the test file starts.
      globalSetup: ["test/global-setup.ts"],
      // Installing from the registry (or npm's cache) and driving a browser on a loaded
      // two-core machine: the limits only stop a hang.
      testTimeout: 180_000,
      hookTimeout: 600_000,
    },
  }),
);
