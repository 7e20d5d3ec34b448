/**
 * The stats-file reader fuzzed: random text, and valid files with one random edit (cut short,
 * a swapped delimiter, a stray quote, a BOM, huge numbers, NaN spellings, a duplicated key,
 * a number turned into text). Never a crash other than StatsFileError, never a number misread:
 * whatever parses again must be exactly what JSON.parse reads from the edited text, field by
 * field, and every refusal names the file. Planted bugs (TESTING.md): accepting non-finite
 * numbers (1e400 read as Infinity: 2 failures); not checking an array's length (1). (Dropping
 * the check n ≥ 1 is not caught: the check of "rows" against the folds' sum refuses the same
 * files.)
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Moments } from "../../src/solvers/moments.js";
import { type FoldRule, StatsAccumulator } from "../../src/stats/accumulate.js";
import { parseStats, StatsFileError, serializeStats } from "../../src/stats/stats-file.js";

const SOURCE = "part-3.json";

function validText(d: number, rows: number, seed: number): string {
  const rule: FoldRule = { kind: "hash", folds: 3, seed };
  const acc = new StatsAccumulator(d, rule);
  const X = Float64Array.from({ length: rows * d }, (_, k) => Math.sin(k * 12.9898 + seed) * 1e3);
  const y = Float64Array.from({ length: rows }, (_, i) => Math.cos(i * 78.233 + seed));
  acc.add({ X, y, n: rows, d });
  return serializeStats({
    source: { file: "data.csv", bytes: 123456, format: "csv" },
    target: "y",
    features: Array.from({ length: d }, (_, j) => `x${j}`),
    foldRule: rule,
    standardize: true,
    shards: { count: 8, covered: [3] },
    folds: acc.folds(),
  });
}

const valid = fc
  .record({
    d: fc.integer({ min: 1, max: 4 }),
    rows: fc.integer({ min: 1, max: 30 }),
    seed: fc.nat(1000),
  })
  .map(({ d, rows, seed }) => validText(d, rows, seed));

type Edit =
  | { kind: "truncate" | "delimiter" | "quote" | "bom" | "duplicate" | "drop"; at: number }
  | { kind: "number"; at: number; what: string };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("truncate", "delimiter", "quote", "bom", "duplicate", "drop"),
    at: fc.nat(),
  }) as fc.Arbitrary<Edit>,
  fc.record({
    kind: fc.constant("number" as const),
    at: fc.nat(),
    what: fc.constantFrom(
      "1e400",
      "-1e400",
      "NaN",
      "nan",
      "Infinity",
      "-inf",
      "null",
      '"1"',
      "1e-400",
      "-0",
      "0x10",
      "true",
      "-3",
      "0",
      "2.5",
    ),
  }),
);

/** Applies one edit; number edits replace the `at`-th number of the text. */
function apply(text: string, e: Edit): string {
  const at = e.at % (text.length + 1);
  switch (e.kind) {
    case "truncate":
      return text.slice(0, at);
    case "delimiter": {
      const k = text.indexOf(",", at);
      return k < 0 ? text : `${text.slice(0, k)};${text.slice(k + 1)}`;
    }
    case "quote":
      return `${text.slice(0, at)}"${text.slice(at)}`;
    case "bom":
      return `\ufeff${text}`;
    case "drop": {
      // One element fewer in an array: "[a,b" → "[b", or ",a]" → "]".
      const numbers = [...text.matchAll(/[[,]-?\d[^,\]]*(?=[,\]])/g)];
      const m = numbers[e.at % Math.max(1, numbers.length)];
      if (m === undefined || m.index === undefined) return text;
      const opens = m[0].startsWith("[");
      const end = m.index + m[0].length;
      return opens && text[end] === ","
        ? `${text.slice(0, m.index + 1)}${text.slice(end + 1)}`
        : text.slice(0, m.index) + text.slice(end);
    }
    case "duplicate":
      // A second "rows" key: JSON.parse keeps the last, and the reader must check it.
      return text.replace('"rows":', '"rows":0,"rows":');
    case "number": {
      const numbers = [...text.matchAll(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi)];
      const m = numbers[e.at % Math.max(1, numbers.length)];
      if (m === undefined || m.index === undefined) return text;
      return text.slice(0, m.index) + e.what + text.slice(m.index + m[0].length);
    }
  }
}

function parseOutcome(
  text: string,
): { ok: ReturnType<typeof parseStats> } | { error: StatsFileError } {
  try {
    return { ok: parseStats(text, SOURCE) };
  } catch (error) {
    if (!(error instanceof StatsFileError)) throw error;
    return { error };
  }
}

/** The fold objects of the JSON text as JSON.parse reads them (the independent reading). */
function foldsOfJson(
  text: string,
): { fold: number; n: number; xMean: number[]; sxxUpper: number[]; syy: number }[] {
  const value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as {
    folds: never[];
  };
  return value.folds;
}

describe("parseStats (fuzzed)", () => {
  it("refuses random text with a StatsFileError naming the file, never anything else", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.uint8Array().map((b) => new TextDecoder().decode(b)),
        ),
        (text) => {
          const outcome = parseOutcome(text);
          if ("error" in outcome)
            expect(outcome.error.message.startsWith(`${SOURCE}: `)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("reads valid files exactly, and edited ones as JSON.parse reads them or not at all", () => {
    fc.assert(
      fc.property(valid, edit, (text, e) => {
        const original = parseOutcome(text);
        expect(original).toHaveProperty("ok");
        const edited = apply(text, e);
        const outcome = parseOutcome(edited);
        if ("error" in outcome) {
          expect(outcome.error.message.startsWith(`${SOURCE}: `)).toBe(true);
          expect(outcome.error.message).not.toMatch(/\n/);
          return;
        }
        // Accepted: every number is the one the JSON text holds, finite, and the invariants hold.
        const json = foldsOfJson(edited);
        const d = outcome.ok.features.length;
        for (const f of json) {
          const m = outcome.ok.folds.get(f.fold) as Moments;
          expect(m.n).toBe(f.n);
          expect(Number.isInteger(m.n) && m.n >= 1).toBe(true);
          expect(f.xMean).toHaveLength(d);
          expect(f.sxxUpper).toHaveLength((d * (d + 1)) / 2);
          expect([...m.xMean]).toEqual(f.xMean);
          expect(m.syy).toBe(f.syy);
          expect(m.syy).toBeGreaterThanOrEqual(0);
          let u = 0;
          for (let j = 0; j < d; j++) {
            for (let l = j; l < d; l++) {
              expect(m.sxx[j * d + l]).toBe(f.sxxUpper[u]);
              expect(m.sxx[l * d + j]).toBe(f.sxxUpper[u++]);
            }
          }
          for (const v of [...m.sxx, ...m.xMean, ...m.sxy, m.yMean])
            expect(Number.isFinite(v)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("names the field at fault", () => {
    const text = validText(2, 5, 1);
    expect(() => parseStats(text.replace(/"syy":[^,]+/, '"syy":1e400'), SOURCE)).toThrow(
      /^part-3\.json: field "folds\[\d\]\.syy" must be a finite number, got Infinity$/,
    );
    expect(() => parseStats(text.replace('"rows":', '"rows":0,"rows":'), SOURCE)).not.toThrow();
    expect(() => parseStats(text.replace(/"rows":\d+/, '"rows":4'), SOURCE)).toThrow(
      'part-3.json: field "rows" is 4 but the folds hold 5 rows',
    );
    expect(() => parseStats(text.replace('"covered":[3]', '"covered":[8]'), SOURCE)).toThrow(
      'part-3.json: field "shards.covered[0]" must be an integer in [0, 7], got 8',
    );
  });
});
