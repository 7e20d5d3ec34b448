import type { Backend, Tensor } from "@wdecay/core";

/** Registers a tensor for disposal at the end of the scope and returns it. */
export type Keep = <T extends Tensor>(tensor: T) => T;

/**
 * Runs `body` and disposes every tensor it kept, even when it throws, so that a failing check
 * cannot leave tensors behind and make the leak accounting blame the backend.
 */
export async function scoped<R>(backend: Backend, body: (keep: Keep) => Promise<R>): Promise<R> {
  const kept: Tensor[] = [];
  try {
    return await body((t) => {
      kept.push(t);
      return t;
    });
  } finally {
    for (const t of kept) {
      try {
        backend.dispose(t);
      } catch {
        // Already disposed by the code under test: the leak and misuse checks report that.
      }
    }
  }
}

/** The values a float tensor of this precision holds after an upload of `values`. */
export function stored(values: readonly number[], precision: "float32" | "float64"): number[] {
  return precision === "float32" ? values.map(Math.fround) : [...values];
}
