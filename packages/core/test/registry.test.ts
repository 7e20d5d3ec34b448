import { describe, expect, it } from "vitest";
import type { Backend } from "../src/backend.js";
import { BackendUnavailableError, createRegistry, UnknownBackendError } from "../src/registry.js";

// Registry tests only need backends' identities, so each factory returns a tagged object; no
// op is called on it.
function fakeBackend(name: string, destroyed: string[] = []): Backend {
  return { name, precision: "float64", destroy: () => destroyed.push(name) } as unknown as Backend;
}

describe("registry", () => {
  it("resolves the caller's preference first, then falls back by priority", async () => {
    const registry = createRegistry();
    registry.register("low", () => fakeBackend("low"), 1);
    registry.register("high", () => fakeBackend("high"), 5);
    registry.register(
      "broken",
      () => {
        throw new Error("no adapter");
      },
      9,
    );
    expect(registry.names()).toEqual(["broken", "high", "low"]);
    expect((await registry.resolve(["low"])).name).toBe("low");
    expect((await registry.resolve()).name).toBe("high");
    expect((await registry.resolve(["broken"])).name).toBe("high");
  });

  it("lists the threads a backend declares, with its reason for one", async () => {
    const registry = createRegistry();
    const threaded = (count: number, note?: string) =>
      ({
        ...fakeBackend(`t${count}`),
        capabilities: { threads: { count, ...(note !== undefined ? { note } : {}) } },
      }) as unknown as Backend;
    registry.register("many", () => threaded(4), 3);
    registry.register("one", () => threaded(1, "no shared memory"), 2);
    registry.register("plain", () => fakeBackend("plain"), 1);
    const listing = await registry.list();
    expect(listing.map((l) => [l.name, l.threads, l.threadsNote])).toEqual([
      ["many", 4, undefined],
      ["one", 1, "no shared memory"],
      ["plain", undefined, undefined],
    ]);
  });

  it("lists every failure in one error when nothing starts", async () => {
    const registry = createRegistry();
    registry.register("a", () => Promise.reject(new Error("no SIMD")), 2);
    registry.register(
      "b",
      () => {
        throw new Error("no adapter");
      },
      1,
    );
    const error = await registry.resolve().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).failures).toEqual([
      { name: "a", reason: "no SIMD" },
      { name: "b", reason: "no adapter" },
    ]);
    expect((error as Error).message).toContain("a: no SIMD; b: no adapter");
  });

  it("does not fall back when asked not to", async () => {
    const registry = createRegistry();
    registry.register(
      "gpu",
      () => {
        throw new Error("no adapter");
      },
      5,
    );
    registry.register("cpu", () => fakeBackend("cpu"), 1);
    await expect(registry.resolve(["gpu"], { fallback: false })).rejects.toThrow("gpu: no adapter");
  });

  it("tells each factory whether its backend was named, so an emulated one can decline", async () => {
    const registry = createRegistry();
    const requests: Array<[string, boolean]> = [];
    // Like webgpu on a software adapter: runs when asked for by name, declines a default pick.
    registry.register(
      "emulated",
      ({ named }) => {
        requests.push(["emulated", named]);
        if (!named) throw new Error("software adapter; name it to use it");
        return fakeBackend("emulated");
      },
      9,
    );
    registry.register(
      "native",
      ({ named }) => {
        requests.push(["native", named]);
        return fakeBackend("native");
      },
      5,
    );
    expect((await registry.resolve()).name).toBe("native");
    const listing = await registry.list();
    expect(listing.find((l) => l.name === "emulated")?.reason).toMatch(/name it/);
    expect((await registry.resolve(["emulated"], { fallback: false })).name).toBe("emulated");
    registry.reset();
    const picker = await registry.list({ named: true });
    expect(picker.every((l) => l.available)).toBe(true);
    registry.reset();
    expect((await registry.get("emulated")).name).toBe("emulated");
    expect(requests).toEqual([
      ["emulated", false],
      ["native", false],
      ["emulated", false],
      ["emulated", true],
      ["emulated", true],
      ["native", true],
      ["emulated", true],
    ]);
  });

  it("starts a new instance on each startNew, apart from the shared one, as named", async () => {
    const registry = createRegistry();
    const requests: boolean[] = [];
    registry.register("cpu", ({ named }) => {
      requests.push(named);
      return fakeBackend("cpu");
    });
    const shared = await registry.get("cpu");
    const [a, b] = [await registry.startNew("cpu"), await registry.startNew("cpu")];
    expect(new Set([shared, a, b]).size).toBe(3);
    expect(await registry.get("cpu")).toBe(shared);
    expect(requests).toEqual([true, true, true]);
    await expect(registry.startNew("gpu")).rejects.toThrow(UnknownBackendError);
  });

  it("rejects unknown names, naming the registered ones", async () => {
    const registry = createRegistry();
    registry.register("cpu", () => fakeBackend("cpu"));
    const error = await registry.resolve(["tpu"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownBackendError);
    expect((error as Error).message).toBe('unknown backend "tpu" (registered: cpu)');
  });

  it("starts a backend once, retries one that failed, and lists availability", async () => {
    const registry = createRegistry();
    let starts = 0;
    let attempts = 0;
    registry.register(
      "ok",
      () => {
        starts++;
        return fakeBackend("ok");
      },
      2,
    );
    registry.register(
      "flaky",
      () => {
        attempts++;
        if (attempts === 1) throw new Error("busy");
        return fakeBackend("flaky");
      },
      1,
    );
    expect(await registry.list()).toEqual([
      { name: "ok", priority: 2, available: true, precision: "float64" },
      { name: "flaky", priority: 1, available: false, reason: "busy" },
    ]);
    await registry.get("ok");
    expect(starts).toBe(1);
    expect((await registry.get("flaky")).name).toBe("flaky");
    expect(attempts).toBe(2);
  });

  it("keeps registries apart and destroys started backends on reset", async () => {
    const destroyed: string[] = [];
    const one = createRegistry();
    const two = createRegistry();
    one.register("cpu", () => fakeBackend("cpu", destroyed));
    expect(two.has("cpu")).toBe(false);
    await one.get("cpu");
    one.reset();
    await Promise.resolve();
    await Promise.resolve();
    expect(destroyed).toEqual(["cpu"]);
    expect(() => one.register("Bad Name", () => fakeBackend("x"))).toThrow(/lower-case/);
  });
});
