/**
 * The report has a documented schema (report.schema.json, shipped with the package): a
 * runConformance report, as JSON, validates against its backendReport definition — passed,
 * failed, skipped and expected-to-fail properties alike.
 */
import { readFileSync } from "node:fs";
import { runConformance } from "@wdecay/conformance";
import { createMinimalBackend, MinimalBackend } from "@wdecay/conformance/minimal-backend";
import type { Axis, Tensor } from "@wdecay/core";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";

const schema = JSON.parse(readFileSync(new URL("../report.schema.json", import.meta.url), "utf8"));

/** The example backend with a sum that is off by one: a failing property for the report. */
class OffByOneSum extends MinimalBackend {
  override sum(a: Tensor, axis?: Axis): Tensor {
    const s = super.sum(a, axis);
    const data = this.storage(s, "sum");
    data[0] = (data[0] as number) + 1;
    return s;
  }
}

describe("report.schema.json", () => {
  it("describes runConformance's report: passed, failed, skipped and expected-to-fail properties", async () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    ajv.addSchema(schema);
    const validate = ajv.getSchema(`${schema.$id}#/$defs/backendReport`);
    if (!validate) throw new Error("no backendReport definition");
    const report = await runConformance(() => new OffByOneSum("off-by-one"), {
      reference: () => createMinimalBackend(),
      seed: 4,
      numRuns: 3,
      only: ["op-sum", "op-matmul", "fused-linear-sgd", "op-axpby"],
      expectations: { xfail: { "op-axpby": "a known gap" } },
    });
    const statuses = report.properties.map((p) => p.status).sort();
    expect(statuses).toEqual(["failed", "passed", "skipped", "xpass"]);
    const json = JSON.parse(JSON.stringify(report));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    // And it is strict: a field the schema does not document is an error.
    json.properties[0].extra = 1;
    expect(validate(json)).toBe(false);
  });
});
