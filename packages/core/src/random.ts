/**
 * Seeded random numbers, generated on the host so that every backend trains on identical data,
 * initial weights and minibatch order.
 *
 * Algorithm (fixed: changing it changes every result a seed gives):
 * - Generator: xoshiro128** (Blackman & Vigna, 2018), 128-bit state, 32-bit outputs.
 * - Seeding: the state's four words are successive outputs of SplitMix32 (the 32-bit variant of
 *   SplitMix64's increment-and-mix, with MurmurHash3's fmix32 finaliser), started from
 *   `fmix32(seedLow) ^ fmix32(seedHigh ^ 0x85ebca6b) ^ fmix32(stream + 0x9e3779b9)`. Different
 *   streams of one seed are independent generators (data, initial weights, shuffling…).
 * - Uniform in [0, 1): 53 bits from two outputs, `(a >>> 5)·2²⁶ + (b >>> 6)` scaled by 2⁻⁵³.
 * - Normal: Box–Muller on two uniforms, both results used (cosine first, then sine).
 * - Integers in [0, k): `x mod k`, rejecting the last partial block of 2³² so it is unbiased.
 * - Permutation: Fisher–Yates from the last position down.
 */

function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Named streams of one seed, so that e.g. the number of epochs never changes the data. */
export const Stream = {
  trainData: 1,
  testData: 2,
  init: 3,
  shuffle: 4,
  split: 5,
} as const;

/** A seeded xoshiro128** generator (see the module comment for the exact algorithm). */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | undefined;

  /**
   * @param seed a non-negative safe integer
   * @param stream selects an independent generator for the same seed
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
    }
    const low = seed % 0x1_0000_0000;
    const high = Math.floor(seed / 0x1_0000_0000);
    let sm = (fmix32(low) ^ fmix32(high ^ 0x85ebca6b) ^ fmix32(stream + 0x9e3779b9)) >>> 0;
    const next = () => {
      sm = (sm + 0x9e3779b9) >>> 0;
      return fmix32(sm);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32-bit unsigned output. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** A normal draw with the given mean and standard deviation. */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + std * z;
    }
    // 1 − u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spareNormal = radius * Math.sin(angle);
    return mean + std * radius * Math.cos(angle);
  }

  /** Fills `out` with normal draws. */
  fillNormal(out: Float64Array, mean = 0, std = 1): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** An unbiased integer in [0, k) for 1 ≤ k ≤ 2³². */
  below(k: number): number {
    if (!(k >= 1 && k <= 0x1_0000_0000) || !Number.isInteger(k)) {
      throw new RangeError(`bound must be an integer in [1, 2^32], got ${k}`);
    }
    // Reject the top partial block of 2³² so every residue is equally likely.
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % k);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % k;
    }
  }

  /** A uniformly random permutation of 0..n−1 written into `out` (Fisher–Yates). */
  permutation(n: number, out: Int32Array = new Int32Array(n)): Int32Array {
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const tmp = out[i] as number;
      out[i] = out[j] as number;
      out[j] = tmp;
    }
    return out;
  }
}
