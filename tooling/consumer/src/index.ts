/**
 * @wdecay/consumer: the published packages as a user gets them. Every package of the workspace
 * that is not private is packed by pnpm (which turns `workspace:` ranges into versions) and the
 * tarballs are installed by npm into a folder outside the workspace, as a project's dependencies
 * or globally (`npm i -g`). Used by this package's consumer test and by the bench's startup
 * workload.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository root. */
export const WORKSPACE_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
}

/** A package users install. */
export interface PublishedPackage {
  readonly name: string;
  readonly version: string;
  /** Its folder in the workspace. */
  readonly dir: string;
}

/** Every non-private package of the workspace (its `packages/`, `apps/` and `tooling/`). */
export function publishedPackages(root = WORKSPACE_ROOT): PublishedPackage[] {
  const out: PublishedPackage[] = [];
  for (const group of ["packages", "apps", "tooling"]) {
    for (const name of readdirSync(join(root, group))) {
      const dir = join(root, group, name);
      let manifest: Manifest;
      try {
        manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      } catch {
        continue;
      }
      if (!manifest.private) out.push({ name: manifest.name, version: manifest.version, dir });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** pnpm as the README calls it: through npx, at the version the root package.json pins. */
function pnpmCommand(root: string): string[] {
  const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager;
  return ["npx", "-y", String(pinned)];
}

/**
 * Packs every published package into `dest` (their `dist/` must be built: `pnpm build`) and
 * returns the tarballs' paths, one per package.
 */
export async function packPublished(dest: string, root = WORKSPACE_ROOT): Promise<string[]> {
  const packages = publishedPackages(root);
  await mkdir(dest, { recursive: true });
  const [command, ...args] = pnpmCommand(root);
  const filters = packages.flatMap((p) => ["--filter", p.name]);
  await run(command as string, [...args, "-r", ...filters, "pack", "--pack-destination", dest], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  const tarballs = packages.map((p) =>
    join(dest, `${p.name.replace(/^@/, "").replace("/", "-")}-${p.version}.tgz`),
  );
  const made = new Set(readdirSync(dest).map((f) => join(dest, f)));
  const missing = tarballs.filter((t) => !made.has(t));
  if (missing.length > 0) throw new Error(`pnpm pack made no ${missing.join(", ")}`);
  return tarballs;
}

/**
 * Installs the tarballs with npm: as the dependencies of a new project in `dir` (its
 * package.json is written here), or with `global`, as `npm i -g` does, under the prefix `dir`
 * (commands in `dir/bin`). Third-party dependencies come from the registry (or npm's cache).
 */
export async function npmInstall(
  dir: string,
  tarballs: readonly string[],
  options: { global?: boolean } = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const where = options.global ? ["--global", "--prefix", dir] : [];
  if (!options.global) {
    writeFileSync(
      join(dir, "package.json"),
      `${JSON.stringify({ name: "wdecay-consumer", private: true, type: "module" }, null, 2)}\n`,
    );
  }
  await run(
    "npm",
    [
      "install",
      ...where,
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      "--loglevel=error",
      // Paths, not "dir/file.tgz", which npm would read as a GitHub repository.
      ...tarballs.map((t) => (t.startsWith("/") ? t : `./${t}`)),
    ],
    { cwd: dir, maxBuffer: 64 * 1024 * 1024 },
  );
}
