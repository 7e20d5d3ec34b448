/**
 * Decodes the MNIST pool that vite.config.ts inlines (see mnist-pool.ts) into the rows a network
 * trains on: pixels as features in [0, 1], one-hot targets. Runs in the page and in the
 * end-to-end test's Node process alike, so both train on the same numbers.
 */
import { type NetworkSpec, type NetworkSplit, oneHot } from "@wdecay/core";

export const MNIST_INPUTS = 28 * 28;
export const MNIST_CLASSES = 10;

/** A part as vite.config.ts encodes it. */
export interface EncodedPart {
  readonly pixels: string;
  readonly labels: readonly number[];
}

function decode(part: EncodedPart): { X: Float64Array; Y: Float64Array; rows: number } {
  const bytes = Uint8Array.from(atob(part.pixels), (c) => c.charCodeAt(0));
  const ints = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  // k/1000 is the double nearest the package's decimal, as JSON.parse gives it.
  const X = Float64Array.from(ints, (k) => k / 1000);
  const rows = part.labels.length;
  if (X.length !== rows * MNIST_INPUTS) throw new Error("the MNIST pool is corrupt");
  return { X, Y: oneHot(part.labels, MNIST_CLASSES), rows };
}

/** The training and test rows of the pool. */
export function mnistSplit(pool: { train: EncodedPart; test: EncodedPart }): NetworkSplit {
  return { train: decode(pool.train), test: decode(pool.test) };
}

/** The "weight decay on every layer" page's run; the end-to-end test repeats it in Node. */
export const EVERY_LAYER = {
  spec: {
    inputs: MNIST_INPUTS,
    hidden: [32],
    outputs: MNIST_CLASSES,
    loss: "softmax",
  } as NetworkSpec,
  epochs: 30,
  lr: 0.1,
  batchSize: 25,
  seed: 42,
  lambda: 0.01,
} as const;
