import { describe, expect, it } from "vitest";
import {
  describeGrouping,
  groupParameters,
  type NetworkSpec,
  networkParameters,
} from "../../src/index.js";

const MLP: NetworkSpec = { inputs: 4, hidden: [3, 2], outputs: 2, loss: "softmax" };
const params = networkParameters(MLP);

describe("groupParameters", () => {
  it("names parameters as PyTorch's nn.Linear stack does, weights inputs × units", () => {
    expect(params.map((p) => [p.name, p.shape, p.ndim])).toEqual([
      ["layers.0.weight", [4, 3], 2],
      ["layers.0.bias", [1, 3], 1],
      ["layers.1.weight", [3, 2], 2],
      ["layers.1.bias", [1, 2], 1],
      ["layers.2.weight", [2, 2], 2],
      ["layers.2.bias", [1, 2], 1],
    ]);
  });

  it("by default decays the weight matrices and exempts the biases (timm's ndim ≤ 1 rule)", () => {
    const g = groupParameters(params, { weightDecay: 0.5 });
    expect(g.groupOf).toEqual(["decay", "no_decay", "decay", "no_decay", "decay", "no_decay"]);
    expect(g.groups.map((x) => [x.name, x.weightDecay, x.lrMultiplier, x.l1])).toEqual([
      ["decay", 0.5, 1, 0],
      ["no_decay", 0, 1, 0],
    ]);
    expect(g.groups[0]?.indices).toEqual([0, 2, 4]);
  });

  it("keeps a d×1 weight (one output) in the decayed group: the rank is logical, not the shape's", () => {
    const linear = networkParameters({ inputs: 5, hidden: [], outputs: 1, loss: "squared" });
    expect(groupParameters(linear, { weightDecay: 1 }).groupOf).toEqual(["decay", "no_decay"]);
  });

  it("takes the first matching rule, then the no-decay list, then the default", () => {
    const g = groupParameters(params, {
      weightDecay: 0.1,
      base: { lrMultiplier: 2 },
      rules: [
        { name: "head", match: "layers.2.*", weightDecay: 0.01, lrMultiplier: 0.5, l1: 0.001 },
        { name: "first", match: /^layers\.0\.weight$/, decay: "decoupled" },
      ],
      noDecay: ["layers.1.weight"],
    });
    expect(g.groupOf).toEqual(["first", "no_decay", "no_decay", "no_decay", "head", "head"]);
    const byName = Object.fromEntries(g.groups.map((x) => [x.name, x]));
    expect(byName.head).toMatchObject({ weightDecay: 0.01, lrMultiplier: 0.5, l1: 0.001 });
    expect(byName.first).toMatchObject({ weightDecay: 0.1, lrMultiplier: 2, decay: "decoupled" });
    expect(byName.no_decay).toMatchObject({ weightDecay: 0, lrMultiplier: 2 });
    expect(describeGrouping(g)[0]).toBe("first (λ 0.1, lr ×2, decoupled): layers.0.weight");
  });

  it("decays the biases too with defaultRule all (PyTorch's default without groups)", () => {
    const g = groupParameters(params, { weightDecay: 1, defaultRule: "all" });
    expect(g.groupOf.every((x) => x === "decay")).toBe(true);
  });

  it("refuses a rule or a no-decay entry that matches nothing, and bad settings", () => {
    expect(() =>
      groupParameters(params, { weightDecay: 1, rules: [{ name: "x", match: "layer.0.*" }] }),
    ).toThrow(/rules\[0\] \("x"\) matches no parameter/);
    expect(() => groupParameters(params, { weightDecay: 1, noDecay: ["*.gamma"] })).toThrow(
      /"\*\.gamma" matches no parameter/,
    );
    expect(() =>
      groupParameters(params, { weightDecay: 1, rules: [{ name: "x", match: "*", l1: -1 }] }),
    ).toThrow(/l1 must be a finite number ≥ 0/);
    expect(() =>
      groupParameters(params, {
        weightDecay: 1,
        rules: [
          { name: "x", match: "layers.0.*", weightDecay: 1 },
          { name: "x", match: "layers.1.*", weightDecay: 2 },
        ],
      }),
    ).toThrow(/group "x" is given two different settings/);
  });
});
