/**
 * One conformance run, as a child process of the mutants runner: the suite (and core) of the
 * copy it runs in, on one backend of that copy, against the float64 cpu backend of the
 * unmutated repository (`--reference-root`), as a backend author's suite runs against the
 * published reference. Prints one JSON line: the failed property ids and why.
 *
 *   node --conditions=@wdecay/source --import tsx tooling/mutants/src/suite.ts \
 *     --backend cpu --seed 1 --runs 25 --reference-root /path/to/repo
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { runConformance } from "@wdecay/conformance";
import type { Backend } from "@wdecay/core";

const { values } = parseArgs({
  options: {
    backend: { type: "string" },
    seed: { type: "string" },
    runs: { type: "string" },
    "reference-root": { type: "string" },
    only: { type: "string" },
  },
  strict: true,
});

async function backendUnderTest(name: string | undefined): Promise<Backend> {
  switch (name) {
    case "cpu":
    case "cpu-f32": {
      const { createCpuBackend } = await import("@wdecay/backend-cpu");
      return createCpuBackend({ precision: name === "cpu" ? "float64" : "float32" });
    }
    case "wasm":
      // Products from 2¹⁸ multiply-adds on through XNNPACK (its default is 2²⁶, past the suite's
      // sizes): the suite's products then reach both the backend's own kernel and tfjs' path.
      return (await import("@wdecay/backend-wasm")).createWasmBackend({
        tfjsMatmulThreshold: 2 ** 18,
      });
    case "webgpu": {
      const { swiftShaderIcd } = await import("@wdecay/test-browser");
      const { createNodeWebGpuBackend } = await import("@wdecay/backend-webgpu/node");
      return createNodeWebGpuBackend({ software: true, icd: await swiftShaderIcd() });
    }
    default:
      throw new Error(`unknown backend ${name}`);
  }
}

const root = values["reference-root"];
if (!root) throw new Error("--reference-root is required");
const referenceModule = pathToFileURL(join(root, "packages/backend-cpu/src/index.ts")).href;
const { createCpuBackend: createReference } = (await import(referenceModule)) as {
  createCpuBackend(options?: { precision?: "float64" }): Backend;
};

const report = await runConformance(() => backendUnderTest(values.backend), {
  reference: () => createReference({ precision: "float64" }),
  seed: Number(values.seed ?? 1),
  // Whether a property fails is all a mutation run needs: no time spent shrinking.
  shrink: false,
  ...(values.only ? { only: values.only.split(",") } : {}),
  ...(values.runs ? { numRuns: Number(values.runs) } : {}),
});
const failed = report.properties.filter((p) => !p.passed);
process.stdout.write(
  `${JSON.stringify({
    backend: values.backend,
    properties: report.properties.length,
    failed: failed.map((p) => ({ id: p.id, failure: p.failure })),
  })}\n`,
);
