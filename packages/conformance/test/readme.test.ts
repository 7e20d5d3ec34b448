/** The README cannot drift from the code: its tables and its example are checked here. */
import { readFileSync } from "node:fs";
import { ALL_PROPERTIES } from "@wdecay/conformance";
import { describe, expect, it } from "vitest";
import { PLANTED_BUGS } from "./planted-bugs.js";

const read = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");
const readme = read("../README.md");

/** The rows of every markdown table of the README, by the table's first header cell. */
function tables(markdown: string): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  let rows: string[][] | undefined;
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("|")) {
      rows = undefined;
      continue;
    }
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replaceAll("\\|", "|"));
    if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
    if (rows) {
      rows.push(cells);
    } else {
      rows = [];
      out.set(cells[0] as string, rows);
    }
  }
  return out;
}
/** A table's rows keyed by their first cell, without its backticks. */
const keyed = (rows: string[][] | undefined) =>
  new Map((rows ?? []).map((r) => [(r[0] as string).replaceAll("`", ""), r.slice(1)]));
const properties = keyed(tables(readme).get("id"));
const bugs = keyed(tables(readme).get("planted bug"));
const code = (ids: readonly string[]) => ids.map((id) => `\`${id}\``).join(", ");

describe("README.md", () => {
  it("lists every property, and only those, with its name and source as the code declares them", () => {
    for (const p of ALL_PROPERTIES) expect(properties.get(p.id), p.id).toEqual([p.name, p.source]);
    expect([...properties.keys()].sort()).toEqual(ALL_PROPERTIES.map((p) => p.id).sort());
  });

  it("lists every planted bug, and only those, with the properties its test asserts", () => {
    for (const bug of PLANTED_BUGS) {
      expect(bugs.get(bug.id), bug.id).toEqual([bug.bug, code(bug.caughtBy)]);
    }
    expect([...bugs.keys()].sort()).toEqual(PLANTED_BUGS.map((b) => b.id).sort());
  });

  it("links only to files the package ships (its npm tarball holds dist, src and report.schema.json)", () => {
    const pkg = JSON.parse(read("../package.json")) as { files: string[] };
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1] as string)
      .filter((href) => !/^[a-z]+:/.test(href));
    expect(links.length).toBeGreaterThan(0);
    for (const href of links) {
      const shipped = pkg.files.some((f) => href === f || href.startsWith(`${f}/`));
      expect(shipped, `README links to ${href}, which the package does not ship`).toBe(true);
      expect(() => read(`../${href}`), href).not.toThrow();
    }
  });

  it("shows the example backend's test file verbatim", () => {
    expect(readme).toContain(`\`\`\`ts\n${read("./example-backend.test.ts")}\`\`\``);
  });
});
