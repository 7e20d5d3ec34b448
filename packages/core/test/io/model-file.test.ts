import { describe, expect, it } from "vitest";
import {
  MODEL_VERSION,
  MODEL_VERSIONS_READ,
  ModelFileError,
  parseModel,
  predict,
  type SavedModel,
  serializeModel,
} from "../../src/io/model-file.js";

const model: SavedModel = {
  weights: Float64Array.from([0.1, -2.5, 1 / 3]),
  bias: 0.05,
  featureNames: ["x1", "x2", "x3"],
  target: "y",
  penalty: "l2",
  lambda: 3,
  lambdaConvention: "canonical",
  standardization: {
    mean: Float64Array.from([1, 2, 3]),
    std: Float64Array.from([0.5, 1, 2]),
  },
  backend: "cpu",
  seed: 42,
  createdAt: "2024-05-01T12:00:00.000Z",
};

const FIELDS =
  "format, version, weights, bias, featureNames, target, penalty, lambda, lambdaConvention, statedLambda, alpha, standardization, backend, seed, createdAt";

/** The model's file as a plain object, with `changes` applied (undefined deletes a field). */
function fileWith(changes: Record<string, unknown>): string {
  const object: Record<string, unknown> = JSON.parse(serializeModel(model));
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete object[key];
    else object[key] = value;
  }
  return JSON.stringify(object);
}

function errorOf(text: string): ModelFileError {
  try {
    parseModel(text, "model.json");
  } catch (error) {
    expect(error).toBeInstanceOf(ModelFileError);
    return error as ModelFileError;
  }
  throw new Error("expected a ModelFileError, but the file was accepted");
}

describe("serializeModel / parseModel", () => {
  it("round-trips every field and every bit of the numbers", () => {
    const text = serializeModel(model);
    expect(text.endsWith("}\n")).toBe(true);
    const parsed = parseModel(text, "model.json");
    expect(parsed).toEqual(model);
    expect(parsed.weights[2]).toBe(1 / 3);
    const object = JSON.parse(text);
    expect(Object.keys(object)).toEqual([
      "format",
      "version",
      "weights",
      "bias",
      "featureNames",
      "target",
      "penalty",
      "lambda",
      "lambdaConvention",
      "standardization",
      "backend",
      "seed",
      "createdAt",
    ]);
    expect([object.format, object.version]).toEqual(["wdecay-model", 2]);
  });

  it("stores the λ as stated in another convention beside the canonical one (version 2)", () => {
    // scikit-learn's Ridge(alpha) is λ = alpha/n: alpha 60 on 20 rows is canonical λ 3.
    const stated: SavedModel = {
      ...model,
      statedLambda: { value: 60, convention: "sklearn-ridge", n: 20 },
    };
    const text = serializeModel(stated);
    expect(JSON.parse(text).statedLambda).toEqual({
      value: 60,
      convention: "sklearn-ridge",
      n: 20,
    });
    expect(parseModel(text, "m.json")).toEqual(stated);
    // The two λ must be the same number: an edit of one of them is caught.
    expect(
      errorOf(fileWith({ statedLambda: { value: 70, convention: "sklearn-ridge", n: 20 } }))
        .message,
    ).toBe(
      'model.json: field "statedLambda" is 70 in the sklearn-ridge convention, which is canonical λ 3.5, but "lambda" is 3',
    );
    expect(
      errorOf(fileWith({ statedLambda: { value: 60, convention: "sklearn", n: 20 } })).message,
    ).toMatch(
      /^model\.json: field "statedLambda\.convention" must be one of "canonical", "pytorch", .*, got "sklearn"$/,
    );
    expect(
      errorOf(fileWith({ statedLambda: { value: 60, convention: "sklearn-ridge", n: 0 } })).message,
    ).toBe('model.json: field "statedLambda.n" must be an integer ≥ 1, got 0');
    expect(
      errorOf(fileWith({ statedLambda: { value: 60, convention: "sklearn-ridge" } })).message,
    ).toBe('model.json: field "statedLambda.n" is missing');
    // A convention for another penalty (Lasso's alpha weighs L1) is refused with core's reason.
    expect(
      errorOf(fileWith({ statedLambda: { value: 3, convention: "sklearn-lasso", n: 20 } })).field,
    ).toBe("statedLambda.convention");
  });

  it("still reads version 1 files, which have no statedLambda", () => {
    const v1 = fileWith({ version: 1 });
    expect(parseModel(v1, "old.json")).toEqual(model);
    expect(
      errorOf(fileWith({ version: 1, statedLambda: { value: 3, convention: "canonical", n: 5 } }))
        .message,
    ).toMatch(/^model\.json: field "statedLambda" is not part of a version 1 model file/);
  });

  it("keeps alpha for the elastic net, and omits absent optional fields", () => {
    const elastic: SavedModel = { ...model, penalty: "elastic", alpha: 0.5 };
    expect(parseModel(serializeModel(elastic), "m.json").alpha).toBe(0.5);
    const { standardization: _, ...plain } = model;
    const text = serializeModel(plain);
    expect(text).not.toContain("standardization");
    expect(text).not.toContain("alpha");
    expect(parseModel(text, "m.json")).toEqual(plain);
  });

  it("names the versions it reads when the file's version differs", () => {
    expect(MODEL_VERSION).toBe(2);
    expect(MODEL_VERSIONS_READ).toEqual([1, 2]);
    const error = errorOf(fileWith({ version: 3, futureField: true }));
    expect(error.message).toBe(
      'model.json: field "version" is 3, but this wdecay reads only version 1 and 2 model files',
    );
    expect([error.file, error.field]).toEqual(["model.json", "version"]);
    expect(errorOf(fileWith({ version: "1" })).message).toBe(
      'model.json: field "version" is "1", but this wdecay reads only version 1 and 2 model files',
    );
  });

  it("rejects text that is not a model file", () => {
    expect(errorOf("{ nope").message).toMatch(/^model\.json: is not valid JSON \(.+\)$/);
    expect(errorOf("[1, 2]").message).toBe("model.json: expected a JSON object, got an array");
    expect(errorOf(fileWith({ format: "other" })).message).toBe(
      'model.json: field "format" must be "wdecay-model", got "other"; is this a wdecay model file?',
    );
    expect(errorOf(fileWith({ format: undefined })).message).toBe(
      'model.json: field "format" is missing',
    );
  });

  it("reads a file with a BOM", () => {
    expect(parseModel(`\ufeff${serializeModel(model)}`, "model.json")).toEqual(model);
  });

  it.each([
    [{ lamda: 3 }, `field "lamda" is not part of a version 2 model file (its fields: ${FIELDS})`],
    [{ weights: undefined }, 'field "weights" is missing'],
    [{ weights: "0.1" }, 'field "weights" must be an array of numbers, got "0.1"'],
    [{ weights: [0.1, null, 2] }, 'field "weights[1]" must be a finite number, got null'],
    [{ weights: [] }, 'field "weights" must hold at least one weight'],
    [{ bias: true }, 'field "bias" must be a finite number, got true'],
    [
      { featureNames: ["x1", "x2"] },
      'field "featureNames" has 2 names but "weights" has 3 entries',
    ],
    [
      { featureNames: ["x1", "", "x3"] },
      'field "featureNames[1]" must be a non-empty string, got ""',
    ],
    [{ featureNames: ["x1", "x2", "x1"] }, 'field "featureNames[2]" repeats the name "x1"'],
    [{ target: "x2" }, 'field "target" is "x2", which is also a feature name'],
    [{ penalty: "L2" }, 'field "penalty" must be one of "l2", "l1", "elastic", got "L2"'],
    [{ lambda: -1 }, 'field "lambda" must be a number ≥ 0, got -1'],
    [
      { lambdaConvention: "sklearn" },
      'field "lambdaConvention" must be one of "canonical", got "sklearn"',
    ],
    [{ alpha: 0.5 }, 'field "alpha" applies only to penalty "elastic", not "l2"'],
    [{ penalty: "elastic" }, 'field "alpha" is missing'],
    [{ penalty: "elastic", alpha: 1.5 }, 'field "alpha" must be a number in [0, 1], got 1.5'],
    [
      { standardization: [1] },
      'field "standardization" must be an object {mean, std}, got an array',
    ],
    [{ standardization: { mean: [0, 0, 0] } }, 'field "standardization.std" is missing'],
    [
      { standardization: { mean: [0, 0, 0], std: [1, 1] } },
      'field "standardization.std" has 2 entries but "weights" has 3',
    ],
    [
      { standardization: { mean: [0, 0, 0], std: [1, -1, 1] } },
      'field "standardization.std[1]" must be ≥ 0, got -1',
    ],
    [
      { standardization: { mean: [0, 0, 0], std: [1, 0, 1] } },
      'field "weights[1]" is -2.5, but standardization.std[1] is 0 (a dropped constant column), so it must be 0',
    ],
    [
      { standardization: { mean: [0, 0, 0], std: [1, 1, 1], scale: 2 } },
      'field "standardization.scale" is not part of a version 2 model file (its fields: mean, std)',
    ],
    [{ backend: "" }, 'field "backend" must be a non-empty string, got ""'],
    [{ seed: 1.5 }, 'field "seed" must be a non-negative integer, got 1.5'],
    [{ seed: -1 }, 'field "seed" must be a non-negative integer, got -1'],
    [
      { createdAt: "2024-05-01 12:00" },
      'field "createdAt" must be an ISO 8601 date and time with a time zone (e.g. "2024-05-01T12:00:00.000Z"), got "2024-05-01 12:00"',
    ],
    [
      { createdAt: "2024-13-45T12:00:00Z" },
      'field "createdAt" must be an ISO 8601 date and time with a time zone (e.g. "2024-05-01T12:00:00.000Z"), got "2024-13-45T12:00:00Z"',
    ],
  ])("rejects %j", (changes, reason) => {
    const error = errorOf(fileWith(changes));
    expect(error.message).toBe(`model.json: ${reason}`);
    expect(error.field).toBe(/^field "([^"]+)"/.exec(reason)?.[1]);
  });

  it("refuses to serialize what it could not read back", () => {
    const bad = { ...model, weights: Float64Array.from([0.1, Number.NaN, 0]) };
    expect(() => serializeModel(bad, "out/model.json")).toThrow(
      'out/model.json: field "weights[1]" must be a finite number, got NaN',
    );
    expect(() => serializeModel(bad)).toThrow(ModelFileError);
  });
});

describe("predict", () => {
  it("computes Xw + b from row-major values or from rows", () => {
    const m = { weights: Float64Array.from([2, -1]), bias: 0.5 };
    expect(Array.from(predict(m, Float64Array.from([1, 1, 3, 0])))).toEqual([1.5, 6.5]);
    expect(
      Array.from(
        predict(m, [
          [1, 1],
          [3, 0],
        ]),
      ),
    ).toEqual([1.5, 6.5]);
    expect(() => predict(m, Float64Array.from([1, 2, 3]))).toThrow(
      "3 values are not whole rows of the model's 2 features",
    );
    expect(() => predict(m, [[1, 2], [3]])).toThrow(
      "row 1 has 1 values but the model has 2 features",
    );
  });

  it("predicts from a parsed file on the original scale", () => {
    const parsed = parseModel(serializeModel(model), "model.json");
    const [p] = predict(parsed, [[1, 2, 3]]);
    expect(p).toBeCloseTo(0.05 + 0.1 - 5 + 1, 14);
  });
});
