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
  /**
   * The four state words as int32 bit patterns. A typed array keeps them raw 32-bit integers; in
   * object fields, values ≥ 2³¹ would be boxed doubles (2.5× slower shuffles).
   */
  private readonly s = new Int32Array(4);
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
    const s = this.s;
    for (let i = 0; i < 4; i++) s[i] = next();
    if (s.every((word) => word === 0)) s[0] = 1;
  }

  /** The next 32-bit unsigned output. */
  nextUint32(): number {
    const s = this.s;
    const s0 = s[0] as number;
    const s1 = s[1] as number;
    const s2 = (s[2] as number) ^ s0;
    const s3 = (s[3] as number) ^ s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    s[0] = s0 ^ s3;
    s[1] = s1 ^ s2;
    s[2] = s2 ^ (s1 << 9);
    s[3] = rotl(s3, 11);
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
    // Reject the top partial block of 2³² so every residue is equally likely. `%` on numbers
    // past int32 is a floating-point remainder (a library call in V8); the quotient by floor
    // division is exact here (x, k ≤ 2³²: a non-integer x/k is at least 1/k from an integer,
    // far more than a double's spacing), so these give the same integers 3× faster.
    const limit = Math.floor(0x1_0000_0000 / k) * k;
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x - Math.floor(x / k) * k;
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
