import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.js";

export default mergeConfig(
  shared,
  defineConfig({
    test: {
      // Unpacks the test browser and SwiftShader (npm) once, before any test file starts.
      globalSetup: ["test/global-setup.ts"],
      // Dawn's native objects: one process, no worker threads, files one after another (the
      // machine has two shared cores, and SwiftShader already uses them all).
      pool: "forks",
      poolOptions: { forks: { singleFork: true } },
      fileParallelism: false,
      testTimeout: 120_000,
      hookTimeout: 60_000,
    },
  }),
);
