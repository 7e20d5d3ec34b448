/** GPU errors surface as clear errors, not hangs or wrong numbers. */
import { describe, expect, it } from "vitest";
import { WebGpuDeviceLostError, WebGpuValidationError } from "../src/index.js";
import { makeBackend } from "./gpu.js";

describe("errors (webgpu)", () => {
  it("a validation error inside an error scope is caught by the scope", async () => {
    const backend = await makeBackend();
    const { device } = backend;
    device.pushErrorScope("validation");
    // MAP_READ may only be combined with COPY_DST: invalid.
    device.createBuffer({ size: 16, usage: 1 | 128 });
    const error = await device.popErrorScope();
    expect(error?.message).toBeTruthy();
    // Caught by the scope: the backend still works.
    const t = backend.upload([1, 2], [1, 2]);
    expect([...(await backend.read(t))]).toEqual([1, 2]);
    backend.dispose(t);
    backend.destroy();
  });

  it("an uncaught validation error fails the next call with the device's message", async () => {
    const backend = await makeBackend();
    const t = backend.upload([1, 2], [1, 2]);
    backend.device.createBuffer({ size: 16, usage: 1 | 128 });
    const read = backend.read(t);
    await expect(read).rejects.toThrow(WebGpuValidationError);
    expect(() => backend.unary("neg", t)).toThrow(/WebGPU reported an error/);
    backend.destroy();
  });

  it("a lost device rejects reads and fails every op with the reason, without hanging", async () => {
    const backend = await makeBackend();
    const t = backend.upload([1, 2, 3], [3, 1]);
    const y = backend.unary("square", t);
    backend.device.destroy();
    await expect(backend.read(y)).rejects.toThrow(WebGpuDeviceLostError);
    expect(() => backend.unary("neg", t)).toThrow(/device was lost/);
    backend.destroy();
  });

  it("checks indices on the host: a bad row fails synchronously", async () => {
    const backend = await makeBackend();
    const X = backend.upload([1, 2, 3, 4], [2, 2]);
    const idx = backend.upload([0, 5], [2, 1], "int32");
    expect(() => backend.gatherRows(X, idx, 0, 2)).toThrow(/out of range/);
    expect(() => backend.gatherRows(X, idx, 1, 2)).toThrow(/exceed/);
    expect(() => backend.write(idx, [0, 1.5])).toThrow(/int32/);
    for (const t of [X, idx]) backend.dispose(t);
    expect(backend.liveTensors()).toBe(0);
    backend.destroy();
    expect(() => backend.zeros([1, 1])).toThrow(/destroyed/);
  });
});
