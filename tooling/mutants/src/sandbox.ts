/**
 * A copy of the repository to plant mutants in, so that the working tree is never edited: the
 * files git knows (tracked, and untracked ones it does not ignore, as they are on disk), each
 * package's `node_modules` links (relative, so they point into the copy), the generated wasm
 * kernels, and a link to the root `node_modules` (third-party code, never mutated).
 */
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Package folders: each holds a package.json and, after an install, its node_modules links. */
function packageDirs(root: string): string[] {
  return ["packages", "apps", "tooling"].flatMap((group) =>
    existsSync(join(root, group))
      ? readdirSync(join(root, group))
          .map((name) => join(group, name))
          .filter((dir) => existsSync(join(root, dir, "package.json")))
      : [],
  );
}

/** Recreates the symlinks of a node_modules folder (and of its @scope folders), nothing else. */
function copyLinks(from: string, to: string): void {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    const source = join(from, entry);
    const stat = lstatSync(source);
    if (stat.isSymbolicLink()) symlinkSync(readlinkSync(source), join(to, entry));
    else if (entry.startsWith("@") && stat.isDirectory()) copyLinks(source, join(to, entry));
  }
}

export interface Sandbox {
  readonly dir: string;
  dispose(): void;
}

/** Makes the copy of the repository at `root` in a new temporary folder. */
export function makeSandbox(root: string): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), "wdecay-mutants-"));
  const files = execFileSync("git", ["ls-files", "-z", "-co", "--exclude-standard"], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  })
    .toString("utf8")
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(root, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(root, file), join(dir, file));
  }
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  for (const pkg of packageDirs(root))
    copyLinks(join(root, pkg, "node_modules"), join(dir, pkg, "node_modules"));
  // Generated on install (git ignores it): the wasm backend's compiled kernels.
  const kernels = join("packages", "backend-wasm", "build");
  if (existsSync(join(root, kernels)))
    cpSync(join(root, kernels), join(dir, kernels), { recursive: true });
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
