/**
 * The experiment of D2L §4.5 ("Weight Decay"): d = 200 features, 20 training and 100 test
 * examples, batch 5, 100 epochs, lr 0.003, w ~ N(0, 1), b = 0; λ = 0 and λ = 3, each trained
 * from scratch and concisely.
 */
import type { Backend } from "./backend.js";
import { type ProblemSize, syntheticSplit } from "./data.js";
import { METHODS, type Method, type TrainOptions, type TrainResult, train } from "./train.js";

/** The chapter's settings. */
export const CHAPTER = {
  nTrain: 20,
  nTest: 100,
  dims: 200,
  batchSize: 5,
  epochs: 100,
  lr: 0.003,
  evalEvery: 5,
  lambdas: [0, 3],
} as const satisfies ProblemSize & Record<string, unknown>;

/** ‖w‖ the chapter printed for each framework (its runs used their own random data). */
export interface PublishedNorms {
  readonly mxnet: number;
  readonly pytorch: number;
  readonly tensorflow: number;
}

/**
 * The published ‖w‖ after training, by method and λ. The concise TensorFlow figures come from
 * Keras' `l2(wd)` with a mean squared error that has no ½, a different objective.
 */
export const PUBLISHED_NORMS: Readonly<Record<Method, Readonly<Record<0 | 3, PublishedNorms>>>> = {
  scratch: {
    0: { mxnet: 13.259392, pytorch: 13.704124450683594, tensorflow: 19.234095 },
    3: { mxnet: 0.3824922, pytorch: 0.3808456063270569, tensorflow: 0.50853246 },
  },
  concise: {
    0: { mxnet: 15.014069, pytorch: 12.617424964904785, tensorflow: 1.3811033 },
    3: { mxnet: 0.33993134, pytorch: 0.38924914598464966, tensorflow: 0.04088912 },
  },
};

/** One run of the chapter with what was published for it. */
export interface ChapterRun extends TrainResult {
  readonly published: PublishedNorms;
}

/** Options of {@link runChapter}. */
export interface ChapterOptions {
  readonly seed: number;
  /** Called before each run and after each of its epochs. */
  readonly onProgress?: (progress: ChapterProgress) => void | Promise<void>;
  readonly signal?: AbortSignal;
}

export interface ChapterProgress {
  readonly run: number;
  readonly runs: number;
  readonly method: Method;
  readonly lambda: number;
  readonly epoch: number;
  readonly epochs: number;
}

/** Every (method, λ) of the chapter, in the order it presents them. */
export function chapterRuns(): { method: Method; lambda: 0 | 3 }[] {
  return METHODS.flatMap((method) => CHAPTER.lambdas.map((lambda) => ({ method, lambda })));
}

/**
 * Runs the chapter on a backend: one data set from `seed`, then each (method, λ) from the same
 * initial weights and minibatch order, so the runs differ only in how decay is applied.
 */
export async function runChapter(backend: Backend, options: ChapterOptions): Promise<ChapterRun[]> {
  const data = syntheticSplit(options.seed, CHAPTER);
  const runs = chapterRuns();
  const results: ChapterRun[] = [];
  for (const [index, { method, lambda }] of runs.entries()) {
    const report = (epoch: number) =>
      options.onProgress?.({
        run: index + 1,
        runs: runs.length,
        method,
        lambda,
        epoch,
        epochs: CHAPTER.epochs,
      });
    await report(0);
    const settings: TrainOptions = {
      method,
      lambda,
      epochs: CHAPTER.epochs,
      lr: CHAPTER.lr,
      batchSize: CHAPTER.batchSize,
      evalEvery: CHAPTER.evalEvery,
      seed: options.seed,
      onEpoch: (epoch) => report(epoch),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const result = await train(backend, data, settings);
    results.push({ ...result, published: PUBLISHED_NORMS[method][lambda] });
  }
  return results;
}
