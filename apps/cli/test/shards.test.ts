/**
 * The documented sharded run, on this machine: the `stats` command line of
 * deploy/kubernetes/stats-job.yaml (the same line as the Slurm script's and the AWS Batch job
 * definition's, which deploy-manifests.test.ts holds identical) runs as N separate processes,
 * each given its index the way its engine gives it (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID,
 * AWS_BATCH_JOB_ARRAY_INDEX, in turn), with /data a temporary directory; then the merge Job's
 * `merge` and `select` lines. The merged statistics must equal one pass over the whole file
 * within core's derived float64 bound (momentsAgreement), and select from them must pick what
 * select picks from the single pass. Planted bug (TESTING.md): a shard reading one record past
 * its end (rows counted twice: the row count differs).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { momentsAgreement, parseStats } from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { regressionCsv } from "./data-fixtures.js";
import { run, spawnWdecay, tempDir } from "./helpers.js";

const deploy = new URL("../../../deploy/kubernetes/", import.meta.url);

/** The argv of a container of a Job manifest, without the image's entrypoint (wdecay). */
async function containerArgs(file: string, name: string): Promise<string[]> {
  const [doc] = parseAllDocuments(await readFile(new URL(file, deploy), "utf8"), {
    version: "1.1",
  });
  const job = doc?.toJS() as {
    spec: {
      template: {
        spec: {
          containers: { name: string; args: string[] }[];
          initContainers?: { name: string; args: string[] }[];
        };
      };
    };
  };
  const pod = job.spec.template.spec;
  const found = [...(pod.initContainers ?? []), ...pod.containers].find((c) => c.name === name);
  if (found === undefined) throw new Error(`${file}: no container ${name}`);
  return found.args;
}

const ENGINES = [
  "JOB_COMPLETION_INDEX",
  "SLURM_ARRAY_TASK_ID",
  "AWS_BATCH_JOB_ARRAY_INDEX",
] as const;

describe("the documented sharded run", () => {
  it("N shard processes, indexed by each engine's variable, merge to the single pass", async () => {
    const stats = await containerArgs("stats-job.yaml", "wdecay");
    const merge = await containerArgs("merge-job.yaml", "merge");
    const select = await containerArgs("merge-job.yaml", "select");
    const shards = Number(stats[stats.indexOf("--shards") + 1]);
    expect(shards).toBeGreaterThanOrEqual(2);
    const dir = await tempDir();
    const local = (args: string[]) => args.map((a) => a.replaceAll("/data/", `${dir}/`));
    const input = stats[stats.indexOf("--data") + 1] as string;
    // The manifest's target and data path; rows without a text column (every column a feature).
    await writeFile(
      local([input])[0] as string,
      regressionCsv(4000, 6, 11).replace(/^[^,\n]*,/gm, ""),
    );
    await mkdir(join(dir, "stats"), { recursive: true });

    const runs = [];
    for (let index = 0; index < shards; index++) {
      const variable = ENGINES[index % ENGINES.length] as string;
      runs.push(spawnWdecay(local(stats), { env: { [variable]: String(index) } }));
    }
    for (const [index, result] of (await Promise.all(runs)).entries()) {
      expect(result.stderr, `shard ${index}`).toBe("");
      expect(result.code, `shard ${index}`).toBe(0);
      expect(result.stdout).toContain(`shard ${index}/${shards}`);
    }
    const merged = await run(local(merge));
    expect(merged.stdout).toContain(`shards ${shards} of ${shards} (complete)`);
    const chosen = JSON.parse((await run(local(select))).stdout) as Record<string, unknown>;

    // The same command line without sharding: one pass over the whole file.
    const single = local(stats).filter(
      (_, k, all) => all[k] !== "--shards" && all[k - 1] !== "--shards",
    );
    const out = single.indexOf("--out") + 1;
    single[out] = join(dir, "single.json");
    expect((await run(single)).code).toBe(0);
    const a = parseStats(await readFile(join(dir, "single.json"), "utf8"), "single");
    const b = parseStats(await readFile(join(dir, "stats.json"), "utf8"), "merged");
    expect([...b.folds.keys()]).toEqual([...a.folds.keys()]);
    for (const [f, m] of a.folds) {
      const other = b.folds.get(f);
      expect(other?.n).toBe(m.n);
      if (other !== undefined) expect(momentsAgreement(m, other, 4096)).toBeLessThanOrEqual(1);
    }
    const fromSingle = JSON.parse(
      (await run(["select", "--stats", join(dir, "single.json"), "--json"])).stdout,
    ) as Record<string, unknown>;
    const grid = (r: Record<string, unknown>) =>
      (r.curve as { lambda: number }[]).map((p) => p.lambda);
    expect(grid(chosen).indexOf(chosen.lambdaMin as number)).toBe(
      grid(fromSingle).indexOf(fromSingle.lambdaMin as number),
    );
    expect(grid(chosen).indexOf(chosen.lambda1se as number)).toBe(
      grid(fromSingle).indexOf(fromSingle.lambda1se as number),
    );
  }, 180_000);
});
