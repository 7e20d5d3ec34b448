/**
 * The list of mutants Stryker's score leaves out as equivalent (`equivalent-mutants.json`, read
 * by `scripts/mutation-score.mjs`) stays in step with the code without a mutation run: every
 * entry names a line that is still in its file, a mutator Stryker has, and a reason the list
 * explains. The bug this catches: a line edited or removed under a listed mutant, so that the
 * entry silently matches nothing (the score script would fail only after a 10-minute run).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");
const list = JSON.parse(read("equivalent-mutants.json")) as {
  reasons: Record<string, string>;
  mutants: {
    file: string;
    line: string;
    mutator: string;
    replacement: string;
    reason: string;
    occurrence?: number;
    span: string;
  }[];
};
const MUTATORS = new Set([
  "ArithmeticOperator",
  "ArrayDeclaration",
  "ArrowFunction",
  "BlockStatement",
  "BooleanLiteral",
  "ConditionalExpression",
  "EqualityOperator",
  "LogicalOperator",
  "MethodExpression",
  "ObjectLiteral",
  "OptionalChaining",
  "StringLiteral",
  "UpdateOperator",
]);

describe("equivalent-mutants.json", () => {
  it("explains every reason it uses, and uses every reason it explains", () => {
    const used = new Set(list.mutants.map((m) => m.reason));
    expect([...used].filter((r) => !(r in list.reasons))).toEqual([]);
    expect(Object.keys(list.reasons).filter((r) => !used.has(r))).toEqual([]);
  });

  it("names lines that are in their files (as often as it counts them), with a known mutator", () => {
    const missing = list.mutants.filter((m) => {
      const same = read(m.file)
        .split("\n")
        .filter((l) => l.trim() === m.line).length;
      return same < (m.occurrence ?? 1) || !MUTATORS.has(m.mutator);
    });
    expect(missing.map((m) => `${m.file}: ${m.mutator} in "${m.line}"`)).toEqual([]);
  });
});
