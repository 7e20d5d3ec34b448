/**
 * deploy/: the files that run `stats` on a batch engine, one shard per task, then `merge` and
 * `select`. Both Kubernetes manifests are validated against the batch/v1 Job schema of
 * Kubernetes v1.33 (kubernetes-models 4.5, generated from the upstream OpenAPI spec; its 5.x
 * line carries v1.36 but requires Node 22), read as Kubernetes reads YAML: version 1.1, where an
 * unquoted `y` is the boolean true. That schema holds the API's types only, so the rules the API
 * server adds for Jobs are asserted by hand, and so are the promises of deploy/README.md:
 * Indexed completion, one shard count N in the Job, the array sizes and `--shards N`, and the
 * same command lines in the manifests, the sbatch scripts and the AWS Batch job definitions.
 *
 * Planted bugs, each made by hand in the real file and seen to fail this test:
 *   completionMode: Indexd          the schema (enum)
 *   completions: "8"                the schema (integer)
 *   `- y` for `- "y"` in args       the schema (YAML 1.1 reads true; args are strings)
 *   the stats image line removed    not the schema (image is optional in the API's types; the
 *                                   API server requires it): the image assertion
 *   restartPolicy: Always           not the schema (valid for a Pod, not for a Job's pods): the
 *                                   restartPolicy assertion
 *   completionMod: Indexed          not the schema (upstream allows unknown fields; the API
 *                                   server's strict field validation refuses them): the
 *                                   completionMode assertion. A typo in a field nothing here
 *                                   names would pass; `kubectl apply --dry-run=server` catches it
 *   parallelism: 4                  completions == parallelism == N
 *   --shards 7 in stats.sbatch      the identical command lines
 *   "Y" for "y" in the AWS stats    the identical command lines
 *   part-7 left out of the k8s      the part-0…part-(N−1) assertion (and the identical lines;
 *   merge (or the AWS merge)        for AWS, those alone)
 *   --array=0-8, size=4 in README   the array-size assertion
 *   claimName: wdecay-dat, a        the /data volume assertion; the mount's name also the
 *   volumeMount named dta           volume-reference assertion
 */
import { readFileSync } from "node:fs";
import { type IJob, Job } from "kubernetes-models/batch/v1/Job";
import type { IContainer } from "kubernetes-models/v1/Container";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const deploy = new URL("../../../deploy/", import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, deploy), "utf8");

/** The one document of a manifest, as Kubernetes' YAML 1.1 reader sees it. */
function manifest(path: string): Record<string, unknown> {
  const docs = parseAllDocuments(read(path), { version: "1.1", uniqueKeys: true });
  expect(docs, `${path}: one document`).toHaveLength(1);
  const [doc] = docs;
  expect(doc?.errors ?? [], `${path}: YAML errors`).toEqual([]);
  return doc?.toJS() as Record<string, unknown>;
}

/** The manifest as a Job model, whose `validate` throws with every violation listed. */
function job(path: string): Job {
  const data = manifest(path);
  expect([data.apiVersion, data.kind], `${path}: apiVersion, kind`).toEqual(["batch/v1", "Job"]);
  return new Job(data as ConstructorParameters<typeof Job>[0]);
}

function podSpec(j: IJob) {
  const spec = j.spec?.template.spec;
  if (!spec) throw new Error(`${j.metadata?.name}: no pod template spec`);
  return spec;
}

function container(j: IJob, name: string): IContainer {
  const spec = podSpec(j);
  const found = [...(spec.initContainers ?? []), ...spec.containers].find((c) => c.name === name);
  if (!found) throw new Error(`${j.metadata?.name}: no container ${name}`);
  return found;
}

/** argv as the container runs it: command replaces the image's entrypoint, args follow it. */
const argv = (c: IContainer): string[] => [...(c.command ?? []), ...(c.args ?? [])];

/**
 * The `wdecay …` lines of an sbatch script, by subcommand. Continued lines are joined first; a
 * line must be plain words, so that what it runs is what it says.
 */
function sbatchCommands(path: string): Map<string, string[]> {
  const lines = read(path).replace(/\\\n/g, " ").split("\n");
  const commands = new Map<string, string[]>();
  for (const line of lines) {
    if (line.trimStart().startsWith("#")) continue;
    const words = line.trim().split(/\s+/);
    const at = words.indexOf("wdecay");
    if (at < 0) continue;
    const command = words.slice(at);
    for (const word of command) expect(word, `${path}: a plain word`).toMatch(/^[\w./{}=,-]+$/);
    const sub = command[1] ?? "";
    expect(commands.has(sub), `${path}: wdecay ${sub} once`).toBe(false);
    commands.set(sub, command);
  }
  return commands;
}

/** An AWS Batch job definition's command, behind the image's entrypoint. */
function batchCommand(path: string): string[] {
  const definition = JSON.parse(read(path));
  expect(definition.type).toBe("container");
  const props = definition.containerProperties;
  expect(props.mountPoints).toContainEqual(
    expect.objectContaining({ sourceVolume: props.volumes[0].name, containerPath: "/data" }),
  );
  return [...entrypoint, ...props.command];
}

const entrypoint: string[] = JSON.parse(
  /^ENTRYPOINT (.+)$/m.exec(read("Dockerfile"))?.[1] ?? "null",
);

function flag(command: readonly string[], name: string): string {
  const at = command.indexOf(name);
  expect(at, `${command.join(" ")}: ${name}`).toBeGreaterThan(0);
  return command[at + 1] ?? "";
}

const stats = job("kubernetes/stats-job.yaml");
const merge = job("kubernetes/merge-job.yaml");
const statsCommand = argv(container(stats, "wdecay"));
const mergeCommand = argv(container(merge, "merge"));
const selectCommand = argv(container(merge, "select"));
const shards = Number(flag(statsCommand, "--shards"));

describe("deploy/kubernetes", () => {
  it("are batch/v1 Jobs valid against the Kubernetes schema", () => {
    expect(() => stats.validate()).not.toThrow();
    expect(() => merge.validate()).not.toThrow();
  });

  it("keep the rules the API server adds for a Job's pods", () => {
    for (const j of [stats, merge]) {
      const spec = podSpec(j);
      expect(["Never", "OnFailure"], `${j.metadata?.name}: restartPolicy`).toContain(
        spec.restartPolicy,
      );
      const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(c.image, `${j.metadata?.name}/${c.name}: image`).toMatch(/\S/);
        for (const mount of c.volumeMounts ?? []) expect(volumes).toContain(mount.name);
      }
    }
    // A pod failure policy needs pods that are not restarted in place.
    expect(podSpec(stats).restartPolicy).toBe("Never");
  });

  it("run one Indexed pod per shard: completions == parallelism == --shards N", () => {
    expect(stats.spec?.completionMode).toBe("Indexed");
    expect(Number.isInteger(shards) && shards > 0).toBe(true);
    expect(stats.spec?.completions).toBe(shards);
    expect(stats.spec?.parallelism).toBe(shards);
  });

  it("give every wdecay container the shared volume at /data", () => {
    for (const [j, name] of [
      [stats, "wdecay"],
      [merge, "merge"],
      [merge, "select"],
    ] as const) {
      const mount = container(j, name).volumeMounts?.find((m) => m.mountPath === "/data");
      const volume = podSpec(j).volumes?.find((v) => v.name === mount?.name);
      expect(volume?.persistentVolumeClaim?.claimName, `${name}: /data`).toBe("wdecay-data");
    }
  });

  it("merge exactly the N shard files stats writes, then select from the merged file", () => {
    const out = flag(statsCommand, "--out");
    expect(out).toContain("{index}");
    const parts = Array.from({ length: shards }, (_, i) => out.replace("{index}", String(i)));
    expect(mergeCommand.slice(0, 2)).toEqual(["wdecay", "merge"]);
    const merged = flag(mergeCommand, "--out");
    expect(mergeCommand.slice(2)).toEqual(["--out", merged, ...parts]);
    expect(selectCommand.slice(0, 2)).toEqual(["wdecay", "select"]);
    expect(flag(selectCommand, "--stats")).toBe(merged);
  });
});

describe("deploy/slurm and deploy/aws-batch", () => {
  it("run the same stats, merge and select command lines as the Kubernetes Jobs", () => {
    expect(entrypoint).toEqual(["wdecay"]);
    const statsScript = sbatchCommands("slurm/stats.sbatch");
    const mergeScript = sbatchCommands("slurm/merge.sbatch");
    expect([...statsScript.keys()]).toEqual(["stats"]);
    expect([...mergeScript.keys()]).toEqual(["merge", "select"]);
    expect(statsScript.get("stats")).toEqual(statsCommand);
    expect(mergeScript.get("merge")).toEqual(mergeCommand);
    expect(mergeScript.get("select")).toEqual(selectCommand);
    expect(batchCommand("aws-batch/stats-job-definition.json")).toEqual(statsCommand);
    expect(batchCommand("aws-batch/merge-job-definition.json")).toEqual(mergeCommand);
    expect(batchCommand("aws-batch/select-job-definition.json")).toEqual(selectCommand);
  });

  it("size the Slurm array and the AWS Batch array job to the N of --shards N", () => {
    expect(read("slurm/stats.sbatch")).toMatch(
      new RegExp(`^#SBATCH --array=0-${shards - 1}$`, "m"),
    );
    const sizes = [...read("README.md").matchAll(/--array-properties size=(\d+)/g)];
    expect(sizes.length).toBeGreaterThan(0);
    for (const [, size] of sizes) expect(Number(size)).toBe(shards);
  });
});
