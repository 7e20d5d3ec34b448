/**
 * The WGSL compute kernels, as strings. Every kernel reads its parameters from one slot of a
 * shared read-only storage buffer (bound with a dynamic offset, so a whole submission's
 * parameters go to the device in one write), and is dispatched over a 2-D grid of workgroups so
 * that sizes past `maxComputeWorkgroupsPerDimension` still fit.
 *
 * Why the primitives carry their own float arithmetic: WGSL lets an implementation flush
 * subnormal inputs and results to zero, and SwiftShader (the software adapter CI runs on) does.
 * The conformance suite holds float32 results to IEEE gradual underflow (an absolute error of a
 * few times 2⁻¹⁴⁹), so the primitive kernels route every operation that can meet a subnormal
 * through helpers that rescale by 2⁶⁴ and round onto the subnormal grid by hand. Values away from
 * zero take the plain hardware path (one compare), so the fused training kernels use the same
 * helpers: the suite also trains on data at the edge of the subnormal range.
 */

/** Bindings and index helpers shared by every kernel; `WG` is substituted per device. */
function header(bindings: string): string {
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> P: array<u32>;
${bindings}
fn pu(i: u32) -> u32 { return P[i]; }
fn pf(i: u32) -> f32 { return bitcast<f32>(P[i]); }
const WG: u32 = __WG__u;
fn flatIndex(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}
`;
}

/** IEEE-faithful float32 helpers for devices that flush subnormals (see the module comment). */
const CAREFUL = /* wgsl */ `
fn expo(x: f32) -> u32 { return (bitcast<u32>(x) >> 23u) & 0xffu; }
// |x| < 2^-62, zero and subnormals included.
fn tiny(x: f32) -> bool { return expo(x) < 65u; }
// |x| >= 2^62.
fn huge(x: f32) -> bool { return expo(x) >= 189u; }
fn fneg(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ 0x80000000u); }
fn fabs(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) & 0x7fffffffu); }
// x * 2^64, exactly, for |x| < 2^64; a subnormal x is decoded from its bits, not flushed.
fn up(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  if (((b >> 23u) & 0xffu) == 0u) {
    let m = f32(b & 0x7fffffu) * 0x1p-85f;
    return select(m, -m, (b >> 31u) != 0u);
  }
  return x * 0x1p64f;
}
// q * 2^-s for s = 64 or 128, rounded to nearest even onto the subnormal grid where it underflows.
fn down(q: f32, s: u32) -> f32 {
  let b = bitcast<u32>(q);
  let e = (b >> 23u) & 0xffu;
  if (e == 0u) { return bitcast<f32>(b & 0x80000000u); }
  if (e == 255u || e > s) { return select(bitcast<f32>(b - (s << 23u)), q, e == 255u); }
  let a = fabs(q) * select(0x1p85f, 0x1p21f, s == 128u);
  return bitcast<f32>((b & 0x80000000u) | u32(round(a)));
}
fn fmul(x: f32, y: f32) -> f32 {
  let tx = tiny(x);
  let ty = tiny(y);
  if (!tx && !ty) { return x * y; }
  if (tx && ty) { return down(up(x) * up(y), 128u); }
  let t = select(y, x, tx);
  let o = select(x, y, tx);
  if (huge(o)) { return up(t) * (o * 0x1p-64f); }
  return down(up(t) * o, 64u);
}
// Sign-and-magnitude bits of 2^k, k in [-126, 127].
fn pow2(k: i32) -> f32 { return bitcast<f32>(u32(k + 127) << 23u); }
// m·2^e with gradual underflow and overflow, for a normal (or zero) m and any e.
fn scale2(m: f32, e: i32) -> f32 {
  let b = bitcast<u32>(m);
  let em = i32((b >> 23u) & 0xffu);
  if (em == 0 || em == 255) { return m; }
  let E = em + e;
  let sign = b & 0x80000000u;
  if (E >= 255) { return bitcast<f32>(sign | 0x7f800000u); }
  if (E >= 1) { return bitcast<f32>((b & 0x807fffffu) | (u32(E) << 23u)); }
  if (E < -24) { return bitcast<f32>(sign); }
  // The significand as an integer in [2^23, 2^24), scaled to units of 2^-149, rounded to even.
  let units = f32((b & 0x7fffffu) | 0x800000u) * pow2(E - 1);
  return bitcast<f32>(sign | u32(round(units)));
}
// A host scalar s = m·2^e (m in [1, 2], sign included, e any integer: so that scalars outside
// float32's range still multiply exactly like the float64 host) times x.
fn fmulScalar(m: f32, e: i32, x: f32) -> f32 {
  let b = bitcast<u32>(x);
  let ex = (b >> 23u) & 0xffu;
  let mant = b & 0x7fffffu;
  if (m == 0.0 || (ex == 0u && mant == 0u) || ex == 255u) { return m * x; }
  var frac: f32;
  var k: i32;
  if (ex == 0u) {
    let p = i32(31u - countLeadingZeros(mant));
    frac = f32(mant) * pow2(-p);
    k = p - 149;
  } else {
    frac = bitcast<f32>(mant | 0x3f800000u);
    k = i32(ex) - 127;
  }
  frac = select(frac, -frac, (b >> 31u) != 0u);
  return scale2(m * frac, e + k);
}
fn fadd(x: f32, y: f32) -> f32 {
  if ((!tiny(x) && !tiny(y)) || huge(x) || huge(y)) { return x + y; }
  return down(up(x) + up(y), 64u);
}
fn fsub(x: f32, y: f32) -> f32 { return fadd(x, fneg(y)); }
fn fdiv(x: f32, y: f32) -> f32 {
  let tx = tiny(x);
  let ty = tiny(y);
  if (tx && ty) { return up(x) / up(y); }
  if (ty) { return (x / up(y)) * 0x1p64f; }
  if (tx) { return down(up(x) / y, 64u); }
  let q = x / y;
  if (tiny(q) && !huge(x)) { return down(up(x) / y, 64u); }
  return q;
}
fn fsqrt(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7fffffffu) == 0u) { return x; }
  // A NaN built at run time: WGSL rejects NaN constants.
  if ((b >> 31u) != 0u) { return bitcast<f32>(0x7fc00000u | (b & 0x80000000u)); }
  if (tiny(x)) { return sqrt(up(x)) * 0x1p-32f; }
  return sqrt(x);
}
fn fsign(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7fffffffu) == 0u) { return x; }
  return select(1.0, -1.0, (b >> 31u) != 0u);
}
// Strict x > y on the bits, so that subnormals compare as the numbers they are.
fn key(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7fffffffu) == 0u) { return 0x80000000u; }
  return select(b | 0x80000000u, ~b, (b >> 31u) != 0u);
}
fn fgt(x: f32, y: f32) -> bool { return key(x) > key(y); }
fn fsoft(v: f32, t: f32) -> f32 {
  if (fgt(v, t)) { return fsub(v, t); }
  if (fgt(fneg(t), v)) { return fadd(v, t); }
  return 0.0;
}
// A sum held as (terms ≥ 2^-59 in plain float32, smaller terms scaled by 2^128), so that tiny
// terms neither flush nor need a subnormal partial sum.
fn accValue(acc: vec2<f32>, x: f32) -> vec2<f32> {
  if (expo(x) >= 68u) { return vec2<f32>(acc.x + x, acc.y); }
  return vec2<f32>(acc.x, acc.y + up(x) * 0x1p64f);
}
fn accProduct(acc: vec2<f32>, x: f32, y: f32) -> vec2<f32> {
  let ex = expo(x);
  let ey = expo(y);
  if (ex + ey >= 195u) { return vec2<f32>(acc.x + x * y, acc.y); }
  var q: f32;
  if (ex < 191u && ey < 191u) {
    q = up(x) * up(y);
  } else if (ex >= 191u) {
    q = (x * up(y)) * 0x1p64f;
  } else {
    q = (up(x) * y) * 0x1p64f;
  }
  return vec2<f32>(acc.x, acc.y + q);
}
fn accFinish(acc: vec2<f32>) -> f32 { return fadd(acc.x, down(acc.y, 128u)); }
`;

const DISPATCH = /* wgsl */ `
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = flatIndex(wid, nwg, lid);
`;

const RO = (binding: number, name: string, type = "f32") =>
  `@group(0) @binding(${binding}) var<storage, read> ${name}: array<${type}>;`;
const RW = (binding: number, name: string, type = "f32") =>
  `@group(0) @binding(${binding}) var<storage, read_write> ${name}: array<${type}>;`;

/** A kernel: its WGSL and how many read-only and read-write buffers it binds after the params. */
export interface KernelSource {
  readonly code: string;
  readonly inputs: number;
  readonly outputs: number;
}

const BINARY_EXPR = {
  add: "fadd(x, y)",
  sub: "fsub(x, y)",
  mul: "fmul(x, y)",
  div: "fdiv(x, y)",
} as const;

/** out = a op b, b broadcast; P = [total, cols, bRows, bCols]. */
export function binaryKernel(op: keyof typeof BINARY_EXPR): KernelSource {
  return {
    inputs: 2,
    outputs: 1,
    code: `${header(`${RO(1, "a")}\n${RO(2, "b")}\n${RW(3, "o")}`)}${CAREFUL}${DISPATCH}
  if (i >= pu(0u)) { return; }
  let c = pu(1u);
  let row = select(i / c, 0u, pu(2u) == 1u);
  let col = select(i % c, 0u, pu(3u) == 1u);
  let x = a[i];
  let y = b[row * pu(3u) + col];
  o[i] = ${BINARY_EXPR[op]};
}`,
  };
}

const UNARY_EXPR = {
  neg: "fneg(x)",
  abs: "fabs(x)",
  sign: "fsign(x)",
  square: "fmul(x, x)",
  sqrt: "fsqrt(x)",
} as const;

/** out = op(a); P = [total]. */
export function unaryKernel(op: keyof typeof UNARY_EXPR): KernelSource {
  return {
    inputs: 1,
    outputs: 1,
    code: `${header(`${RO(1, "a")}\n${RW(2, "o")}`)}${CAREFUL}${DISPATCH}
  if (i >= pu(0u)) { return; }
  let x = a[i];
  o[i] = ${UNARY_EXPR[op]};
}`,
  };
}

const NETWORK_UNARY_EXPR = {
  exp: "fexp(x)",
  log: "flog(x)",
  relu: "select(select(0.0, x, fgt(x, 0.0)), x, isNan(x))",
  step: "select(0.0, 1.0, fgt(x, 0.0) && !isNan(x))",
} as const;

/**
 * exp and log that keep gradual underflow: a result (of exp) or an argument (of log) below
 * 2^-62 goes through a 2^64 rescaling, so a flushing device neither returns 0 for exp(−100)
 * nor −∞ for log of a subnormal. 44.3614195558365 is 64·ln 2.
 */
const NETWORK_HELPERS = /* wgsl */ `
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
// A NaN built from a run-time value: WGSL rejects NaN constants.
fn nanLike(x: f32) -> f32 { return bitcast<f32>(0x7fc00000u | (bitcast<u32>(x) & 0x80000000u)); }
fn fexp(x: f32) -> f32 {
  if (x < -42.0 && x > -200.0) { return down(exp(x + 44.3614195558365), 64u); }
  return exp(x);
}
fn flog(x: f32) -> f32 {
  // −∞ from the bits of ±0 (a constant would be rejected, and some devices give −88 here).
  if ((bitcast<u32>(x) & 0x7fffffffu) == 0u) { return bitcast<f32>(0xff800000u | bitcast<u32>(x)); }
  if (tiny(x) && fgt(x, 0.0)) { return log(up(x)) - 44.3614195558365; }
  if (fgt(0.0, x)) { return nanLike(x); }
  return log(x);
}
`;

/** out = op(a) for a network op; P = [total]. */
export function networkUnaryKernel(op: keyof typeof NETWORK_UNARY_EXPR): KernelSource {
  return {
    inputs: 1,
    outputs: 1,
    code: `${header(`${RO(1, "a")}\n${RW(2, "o")}`)}${CAREFUL}${NETWORK_HELPERS}${DISPATCH}
  if (i >= pu(0u)) { return; }
  let x = a[i];
  o[i] = ${NETWORK_UNARY_EXPR[op]};
}`,
  };
}

/**
 * Maximum over an axis, one thread per output: P = [outputs, terms, distance between outputs,
 * distance between terms], as SUM_AXIS. Compared on the bits (subnormals are numbers); a NaN
 * term makes the output NaN.
 */
export const MAX_AXIS: KernelSource = {
  inputs: 1,
  outputs: 1,
  code: `${header(`${RO(1, "a")}\n${RW(2, "o")}`)}${CAREFUL}${NETWORK_HELPERS}${DISPATCH}
  if (i >= pu(0u)) { return; }
  let base = i * pu(2u);
  var m = a[base];
  var nan = isNan(m);
  for (var k = 1u; k < pu(1u); k++) {
    let v = a[base + k * pu(3u)];
    nan = nan || isNan(v);
    if (fgt(v, m)) { m = v; }
  }
  o[i] = select(m, nanLike(m), nan);
}`,
};

/**
 * out = alpha·x + beta·y; P = [total, alpha mantissa, alpha exponent, beta mantissa, beta
 * exponent] (host scalars as m·2^e, see `fmulScalar`).
 */
export const AXPBY: KernelSource = {
  inputs: 2,
  outputs: 1,
  code: `${header(`${RO(1, "x")}\n${RO(2, "y")}\n${RW(3, "o")}`)}${CAREFUL}${DISPATCH}
  if (i >= pu(0u)) { return; }
  let ax = fmulScalar(pf(1u), bitcast<i32>(pu(2u)), x[i]);
  let by = fmulScalar(pf(3u), bitcast<i32>(pu(4u)), y[i]);
  o[i] = fadd(ax, by);
}`,
};

/** out = S_t(a); P = [total, t]. */
export const SOFT_THRESHOLD: KernelSource = {
  inputs: 1,
  outputs: 1,
  code: `${header(`${RO(1, "a")}\n${RW(2, "o")}`)}${CAREFUL}${DISPATCH}
  if (i >= pu(0u)) { return; }
  o[i] = fsoft(a[i], pf(1u));
}`,
};

/**
 * One output per invocation, each a sequential sum: over rows for axis 0 (P = [outputs, rows,
 * cols, stride 1 between outputs, stride cols between terms]) or columns for axis 1.
 * P = [outputs, terms, outStride, termStride].
 */
export const SUM_AXIS: KernelSource = {
  inputs: 1,
  outputs: 1,
  code: `${header(`${RO(1, "a")}\n${RW(2, "o")}`)}${CAREFUL}${DISPATCH}
  if (i >= pu(0u)) { return; }
  var acc = vec2<f32>(0.0, 0.0);
  let base = i * pu(2u);
  for (var k = 0u; k < pu(1u); k++) { acc = accValue(acc, a[base + k * pu(3u)]); }
  o[i] = accFinish(acc);
}`,
};

/** Sum of all elements in one workgroup: strided partial sums, then a tree. P = [total]. */
export const SUM_ALL: KernelSource = {
  inputs: 1,
  outputs: 1,
  code: `${header(`${RO(1, "a")}\n${RW(2, "o")}`)}${CAREFUL}
var<workgroup> part: array<vec2<f32>, WG>;
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = vec2<f32>(0.0, 0.0);
  for (var k = lid; k < pu(0u); k += WG) { acc = accValue(acc, a[k]); }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { o[0] = accFinish(part[0]); }
}`,
};

/**
 * C = op(A)·op(B), one output per invocation. P = [m, n, k, aI, aK, bK, bJ]: element (i, p) of
 * op(A) is a[i·aI + p·aK], element (p, j) of op(B) is b[p·bK + j·bJ].
 */
export const MATMUL: KernelSource = {
  inputs: 2,
  outputs: 1,
  code: `${header(`${RO(1, "a")}\n${RO(2, "b")}\n${RW(3, "o")}`)}${CAREFUL}${DISPATCH}
  let m = pu(0u);
  let n = pu(1u);
  if (i >= m * n) { return; }
  let r = i / n;
  let c = i % n;
  var acc = vec2<f32>(0.0, 0.0);
  for (var p = 0u; p < pu(2u); p++) {
    acc = accProduct(acc, a[r * pu(3u) + p * pu(4u)], b[p * pu(5u) + c * pu(6u)]);
  }
  o[i] = accFinish(acc);
}`,
};

/** Side of a square output tile of {@link MATMUL_TILED}: 16 × 16 = 256 invocations. */
export const MATMUL_TILE = 16;

/**
 * C = op(A)·op(B) by 16 × 16 output tiles, one workgroup per tile (the workgroup size must be
 * 256): each step stages a 16 × 16 block of op(A) and of op(B) in workgroup memory, so every
 * element read from storage serves 16 products instead of one. Same parameters as
 * {@link MATMUL}; the products enter each output's sum in the same order (p ascending, blocks
 * padded with zeros, which add exactly nothing), so the two kernels give the same bits.
 */
export const MATMUL_TILED: KernelSource = {
  inputs: 2,
  outputs: 1,
  code: `${header(`${RO(1, "a")}\n${RO(2, "b")}\n${RW(3, "o")}`)}${CAREFUL}
const T: u32 = 16u;
var<workgroup> tileA: array<f32, 256>;
var<workgroup> tileB: array<f32, 256>;
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let m = pu(0u);
  let n = pu(1u);
  let k = pu(2u);
  let tilesN = (n + T - 1u) / T;
  let tile = wid.y * nwg.x + wid.x;
  // Whole workgroups past the last tile (a 2-D grid's last row) leave together: uniform.
  if (tile >= ((m + T - 1u) / T) * tilesN) { return; }
  let lr = lid / T;
  let lc = lid % T;
  let r = (tile / tilesN) * T + lr;
  let c = (tile % tilesN) * T + lc;
  var acc = vec2<f32>(0.0, 0.0);
  for (var p0 = 0u; p0 < k; p0 += T) {
    let pa = p0 + lc;
    let pb = p0 + lr;
    tileA[lid] = select(0.0, a[r * pu(3u) + pa * pu(4u)], r < m && pa < k);
    tileB[lid] = select(0.0, b[pb * pu(5u) + c * pu(6u)], pb < k && c < n);
    workgroupBarrier();
    for (var q = 0u; q < T; q++) {
      acc = accProduct(acc, tileA[lr * T + q], tileB[q * T + lc]);
    }
    workgroupBarrier();
  }
  if (r < m && c < n) { o[r * n + c] = accFinish(acc); }
}`,
};

/** Rows idx[offset .. offset + count) of a, copied as bits (float or int32). P = [total, cols, offset]. */
export const GATHER: KernelSource = {
  inputs: 2,
  outputs: 1,
  code: `${header(`${RO(1, "a", "u32")}\n${RO(2, "idx", "i32")}\n${RW(3, "o", "u32")}`)}${DISPATCH}
  if (i >= pu(0u)) { return; }
  let c = pu(1u);
  let row = u32(idx[pu(2u) + i / c]);
  o[i] = a[row * c + i % c];
}`,
};

/**
 * Parameter slot of the fused SGD step, in 32-bit words: 0 offset, 1 count, 2 d, 3 L, 4 yCols,
 * 5 lr, 6 1/count, 7 hasL1; then per column l: [8 + l] 1 − lr·weightDecay, [8 + L + l]
 * 1 − lr·biasDecay, [8 + 2L + l] lr·weightL1, [8 + 3L + l] weightPenalty.
 */
export const SGD_HEADER_WORDS = 8;

const SGD_PARAMS = /* wgsl */ `
fn offset() -> u32 { return pu(0u); }
fn count() -> u32 { return pu(1u); }
fn dims() -> u32 { return pu(2u); }
fn cols() -> u32 { return pu(3u); }
fn yCol(l: u32) -> u32 { return select(l, 0u, pu(4u) == 1u); }
`;

/**
 * Step, part 1: residuals of the minibatch, gathered on the fly through the row order (no copy
 * of X): r[t, l] = x_{order[offset+t]}·w_l + b_l − y_{order[offset+t], l}, one per invocation.
 */
export const SGD_RESIDUAL: KernelSource = {
  inputs: 5,
  outputs: 1,
  code: `${header(
    `${RO(1, "X")}\n${RO(2, "Y")}\n${RO(3, "order", "i32")}\n${RO(4, "w")}\n${RO(5, "bias")}\n${RW(6, "r")}`,
  )}${CAREFUL}${SGD_PARAMS}${DISPATCH}
  let L = cols();
  if (i >= count() * L) { return; }
  let t = i / L;
  let l = i % L;
  let d = dims();
  let row = u32(order[offset() + t]);
  var z = vec2<f32>(0.0, 0.0);
  for (var j = 0u; j < d; j++) { z = accProduct(z, X[row * d + j], w[j * L + l]); }
  let yc = select(L, 1u, pu(4u) == 1u);
  r[i] = fsub(fadd(accFinish(z), bias[l]), Y[row * yc + yCol(l)]);
}`,
};

/**
 * Step, part 2: the gradient and the update, fused: invocation (j, l) sums x_{·j}·r_{·l} over the
 * batch, adds the coupled penalty, applies the decoupled decay and the L1 prox, and writes w in
 * place; the last L invocations do the same for the biases.
 */
export const SGD_UPDATE: KernelSource = {
  inputs: 3,
  outputs: 2,
  code: `${header(
    `${RO(1, "X")}\n${RO(2, "order", "i32")}\n${RO(3, "r")}\n${RW(4, "w")}\n${RW(5, "bias")}`,
  )}${CAREFUL}${SGD_PARAMS}${DISPATCH}
  let L = cols();
  let d = dims();
  if (i >= (d + 1u) * L) { return; }
  let lr = pf(5u);
  let inv = pf(6u);
  let n = count();
  let off = offset();
  if (i < d * L) {
    let j = i / L;
    let l = i % L;
    var s = vec2<f32>(0.0, 0.0);
    for (var t = 0u; t < n; t++) { s = accProduct(s, X[u32(order[off + t]) * d + j], r[t * L + l]); }
    let wv = w[i];
    let g = fadd(fmul(accFinish(s), inv), fmul(pf(8u + 3u * L + l), wv));
    var v = fsub(fmul(pf(8u + l), wv), fmul(lr, g));
    let th = pf(8u + 2u * L + l);
    if (th > 0.0) { v = fsoft(v, th); }
    w[i] = v;
  } else {
    let l = i - d * L;
    var s = vec2<f32>(0.0, 0.0);
    for (var t = 0u; t < n; t++) { s = accValue(s, r[t * L + l]); }
    bias[l] = fsub(fmul(pf(8u + L + l), bias[l]), fmul(lr, fmul(accFinish(s), inv)));
  }
}`,
};

/**
 * Mean squared loss per column, one workgroup per column: each invocation takes rows
 * lid, lid + WG, … and sums r² (carefully: squares of small residuals underflow), then a tree.
 * P = [n, d, L, yCols, 0.5/n].
 */
export const LINEAR_LOSS: KernelSource = {
  inputs: 4,
  outputs: 1,
  code: `${header(`${RO(1, "X")}\n${RO(2, "Y")}\n${RO(3, "w")}\n${RO(4, "bias")}\n${RW(5, "o")}`)}${CAREFUL}
var<workgroup> part: array<vec2<f32>, WG>;
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let l = wid.y * nwg.x + wid.x;
  let n = pu(0u);
  let d = pu(1u);
  let L = pu(2u);
  let yc = pu(3u);
  var acc = vec2<f32>(0.0, 0.0);
  if (l < L) {
    for (var i = lid; i < n; i += WG) {
      var z = vec2<f32>(0.0, 0.0);
      for (var j = 0u; j < d; j++) { z = accProduct(z, X[i * d + j], w[j * L + l]); }
      let r = fsub(fadd(accFinish(z), bias[l]), Y[i * yc + select(l, 0u, yc == 1u)]);
      acc = accProduct(acc, r, r);
    }
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u && l < L) { o[l] = fmul(pf(4u), accFinish(part[0])); }
}`,
};
