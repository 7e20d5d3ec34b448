/** The package README cannot drift from the command table: every command, its summary, in order. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../src/commands/index.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README.md", () => {
  it("lists every command with the summary `wdecay --help` shows, in the same order", () => {
    const rows = [...readme.matchAll(/^\| `wdecay ([a-z]+)`\s*\| (.+?)\s*\|$/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(rows).toEqual(COMMANDS.map((c) => [c.name, c.summary]));
  });
});
