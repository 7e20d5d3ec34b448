/** The real executable, spawned: exit statuses and a stdout that holds nothing but the JSON. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { lines, tempDir } from "./helpers.js";

const CLI_DIR = fileURLToPath(new URL("..", import.meta.url));
const TSX = fileURLToPath(new URL("../../../node_modules/.bin/tsx", import.meta.url));

function wdecay(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      ["--conditions=@wdecay/source", "src/bin.ts", ...args],
      // Generous: a cold tsx start on a loaded 2-core machine takes several seconds; the limit
      // only stops a hung child, it measures nothing.
      { cwd: CLI_DIR, timeout: 90_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("the wdecay executable", { timeout: 120_000 }, () => {
  it("demo --json exits 0 with exactly one JSON object on stdout", async () => {
    const out = await tempDir();
    const { code, stdout } = await wdecay(["demo", "--json", "--out", out]);
    expect(code).toBe(0);
    expect(lines(stdout)).toHaveLength(1);
    const report = JSON.parse(stdout);
    // The executable registers webgpu, wasm and cpu; without a GPU adapter (or where webgpu is
    // not opted into the software one) the registry falls back to wasm, the fastest CPU path.
    expect(["webgpu", "wasm"]).toContain(report.backend);
    expect(report.precision).toBe("float32");
    expect(report.runs).toHaveLength(4);
  });

  it("backends lists all three, and --backend cpu is the float64 reference", async () => {
    const listed = await wdecay(["backends", "--json"]);
    expect(listed.code).toBe(0);
    const names = JSON.parse(listed.stdout).backends.map((b: { name: string }) => b.name);
    expect(names).toEqual(["webgpu", "wasm", "cpu", "cpu-f32"]);
    const out = await tempDir();
    const cpu = await wdecay(["demo", "--json", "--backend", "cpu", "--out", out]);
    expect(JSON.parse(cpu.stdout)).toMatchObject({ backend: "cpu", precision: "float64" });
  });

  it("a usage error exits 2 with one line on stderr and nothing on stdout", async () => {
    const { code, stdout, stderr } = await wdecay(["train", "--lambda", "-1"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe('wdecay: --lambda must be a number ≥ 0 (got "-1")\n');
  });
});
