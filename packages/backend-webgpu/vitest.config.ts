import { existsSync } from "node:fs";
import { defineConfig, mergeConfig } from "vitest/config";
import shared from "../../vitest.shared.js";

// The software adapter for machines without a GPU (CI): Debian's chromium ships SwiftShader and
// the Vulkan loader it needs. The loader is found through LD_LIBRARY_PATH, which the dynamic
// linker reads when a process starts: set here, it reaches the forked test processes. An
// explicit VK_ICD_FILENAMES (a real GPU's driver, say) is left alone.
const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  process.env.LD_LIBRARY_PATH = ["/usr/lib/chromium", process.env.LD_LIBRARY_PATH]
    .filter(Boolean)
    .join(":");
}

export default mergeConfig(
  shared,
  defineConfig({
    test: {
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
