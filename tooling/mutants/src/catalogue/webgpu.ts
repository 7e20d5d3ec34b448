import type { Mutant } from "../mutant.js";

const WGSL = "packages/backend-webgpu/src/wgsl.ts";
const BACKEND = "packages/backend-webgpu/src/backend.ts";
const POOL = "packages/backend-webgpu/src/pool.ts";

/**
 * Bugs of the WebGPU backend: its WGSL kernels and the TypeScript that sizes dispatches, packs
 * the parameter arena, pools buffers and orders submissions. Most only show past the sizes the
 * suite draws (one 256-wide workgroup, the 65535-workgroup dispatch cap, λ grids of 15+
 * columns, tensors over 1 MiB) or in call sequences it never makes (a write before a read
 * resolves, an upload into a buffer released while encoded work still reads it).
 */
export const WEBGPU_MUTANTS: readonly Mutant[] = [
  {
    id: "webgpu-sum-all-one-element-per-invocation",
    bug: "the sum of all elements reads one element per invocation instead of striding by the workgroup, so elements past the first 256 are dropped",
    file: WGSL,
    find: "  for (var k = lid; k < pu(0u); k += WG) { acc = accValue(acc, a[k]); }",
    replace: "  if (lid < pu(0u)) { acc = accValue(acc, a[lid]); }",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-loss-rows-grid-stride",
    bug: "the fused loss strides its rows like a grid-stride loop (workgroup size × workgroups), but it runs one workgroup per column: with L > 1, rows past the first 256 are skipped",
    file: WGSL,
    find: "    for (var i = lid; i < n; i += WG) {",
    replace: "    for (var i = lid; i < n; i += WG * nwg.x) {",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-workgroups-rounded-down",
    bug: "the workgroup count of a dispatch is rounded down, so the last partial workgroup of every elementwise op, matmul, gather and axis sum past 256 outputs is never run",
    file: BACKEND,
    find: "    return Math.max(1, Math.ceil(invocations / this.workgroupSize));",
    replace: "    return Math.max(1, Math.floor(invocations / this.workgroupSize));",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-grid-second-row-rounded-down",
    bug: "past the 65535-workgroup limit the 2-D grid's row count is rounded down, so the workgroups of the last partial row never run",
    file: BACKEND,
    find: "    return [this.maxGroups, Math.ceil(groups / this.maxGroups)];",
    replace: "    return [this.maxGroups, Math.floor(groups / this.maxGroups)];",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-sgd-update-dispatch-forgets-bias",
    bug: "the fused SGD update is dispatched for the d×L weights only, forgetting the L bias invocations after them: when d·L fills whole workgroups the biases never move",
    file: BACKEND,
    find: "        pass.dispatchWorkgroups(...this.grid(this.groupsFor((d + 1) * L)));",
    replace: "        pass.dispatchWorkgroups(...this.grid(this.groupsFor(d * L)));",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-sgd-residual-dispatch-forgets-columns",
    bug: "the fused SGD residual pass is dispatched for one residual per row, not per row and column: past one workgroup, with L > 1, the last residuals keep the previous step's values",
    file: BACKEND,
    find: "        pass.dispatchWorkgroups(...this.grid(this.groupsFor(count * L)));",
    replace: "        pass.dispatchWorkgroups(...this.grid(this.groupsFor(count)));",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-sgd-slot-forgets-penalty-block",
    bug: "the SGD parameter slot is sized for three per-column blocks, not four (the coupled penalty block, added last, is left out): for L in 15–18 or 31–40 the last columns' penalties fall past the bound slot, and the kernel reads another column's",
    file: BACKEND,
    find: "    const words = SGD_HEADER_WORDS + 4 * L;",
    replace: "    const words = SGD_HEADER_WORDS + 3 * L;",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-sgd-l1-threshold-of-column-zero",
    bug: "the fused SGD step's L1 prox reads column 0's threshold for every column",
    file: WGSL,
    find: "    let th = pf(8u + 2u * L + l);",
    replace: "    let th = pf(8u + 2u * L);",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-pool-release-skips-limbo",
    bug: "a released buffer goes straight back to the free list, so an upload can take it and overwrite it (queue.writeBuffer runs first) while encoded, unsubmitted work still reads it",
    file: POOL,
    find: "    this.inUse--;\n    this.limbo.push(buffer);",
    replace:
      "    this.inUse--;\n    const size = this.sizes.get(buffer) ?? buffer.size;\n    const list = this.free.get(size);\n    if (list) list.push(buffer);\n    else this.free.set(size, [buffer]);",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-pool-large-size-class-rounded-down",
    bug: "past 1 MiB the pool's size class rounds down to whole MiB, so a tensor of more than 262144 floats that is not a whole number of MiB gets a buffer too small for it",
    file: POOL,
    find: "    return Math.ceil(min / (1 << 20)) * (1 << 20);",
    replace: "    return Math.floor(min / (1 << 20)) * (1 << 20);",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-read-does-not-mark-use",
    bug: "read does not mark its tensor as used by the encoder, so a write issued before the read resolves is not preceded by a submission: it lands first and the read returns the new values",
    file: BACKEND,
    find: "    this.enc().copyBufferToBuffer(t.buffer, 0, staging, 0, bytes);\n    t.gen = this.gen;\n",
    replace: "    this.enc().copyBufferToBuffer(t.buffer, 0, staging, 0, bytes);\n",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-zeros-does-not-mark-use",
    bug: "zeros does not mark its encoded clear as pending work on the tensor, so a write right after zeros lands first and the clear then wipes it",
    file: BACKEND,
    find: "    this.enc().clearBuffer(t.buffer, 0, t.length * 4);\n    t.gen = this.gen;\n",
    replace: "    this.enc().clearBuffer(t.buffer, 0, t.length * 4);\n",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-div-flushes-underflowing-quotient",
    bug: "div takes the careful path only for a tiny operand, so a quotient of normal operands that underflows (x/y with y of magnitude 2⁶⁴ or more) is flushed to zero by the device instead of rounded onto the subnormal grid",
    file: WGSL,
    find: "  let q = x / y;\n  if (tiny(q) && !huge(x)) { return down(up(x) / y, 64u); }\n  return q;",
    replace: "  return x / y;",
    backends: ["webgpu"],
  },
  {
    id: "webgpu-matmul-bounds-off-by-one",
    bug: "matmul's bounds check is off by one (i > m·n): invocation m·n computes a row past A and writes one element past C, which the device clamps onto C's last element when C fills its buffer exactly",
    file: WGSL,
    find: "  if (i >= m * n) { return; }",
    replace: "  if (i > m * n) { return; }",
    backends: ["webgpu"],
  },
];
