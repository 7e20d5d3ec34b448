/**
 * Node only: WebGPU through Dawn (the optional `webgpu` package). Browsers use `navigator.gpu`
 * and never load this module.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createWebGpuBackend, type WebGpuBackend, type WebGpuBackendOptions } from "./backend.js";

/** The Vulkan ICD of SwiftShader that Debian's `chromium` package ships. */
export const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
/** Where that package keeps the Vulkan loader SwiftShader needs (`libvulkan.so.1`). */
export const SWIFTSHADER_LIB_DIR = "/usr/lib/chromium";

/**
 * Which adapters {@link nodeGpu} looks at: `false` the system's (a real GPU through Vulkan, Metal
 * or D3D12), `true` SwiftShader only, `"fallback"` the system's if there is one, else
 * SwiftShader.
 */
export type SoftwareMode = boolean | "fallback";

/** Options of {@link nodeGpu}. */
export interface NodeGpuOptions {
  /**
   * Use the SwiftShader software adapter (CPU, no GPU needed), always or as a fallback: sets
   * `VK_ICD_FILENAMES` to {@link SWIFTSHADER_ICD} unless it is set already. The Vulkan loader must
   * still be found: start Node with `LD_LIBRARY_PATH=/usr/lib/chromium` on a machine without a
   * system `libvulkan.so.1`. Default: `$WDECAY_WEBGPU_SOFTWARE` (`1` or `fallback`), else false.
   */
  readonly software?: SoftwareMode;
  /** Dawn toggles passed to `create()`, e.g. `["backend=vulkan"]`. */
  readonly flags?: readonly string[];
}

// Dawn aborts the process if the object returned by create() is garbage-collected while a device
// made from it lives: one instance per kind, held here for the process lifetime.
const instances = new Map<string, GPU>();

/** How to get an adapter on this machine, for error messages. */
export function adapterHint(): string {
  const how = `WDECAY_WEBGPU_SOFTWARE=1 LD_LIBRARY_PATH=${SWIFTSHADER_LIB_DIR}`;
  return existsSync(SWIFTSHADER_ICD)
    ? `without a GPU, use SwiftShader: run with ${how}`
    : `without a GPU, install Debian's chromium (it ships SwiftShader) and run with ${how}`;
}

/**
 * Whether the dynamic linker can find a Vulkan loader (Linux only; elsewhere Dawn uses Metal or
 * D3D12). Checked before Dawn is loaded: without a loader Dawn can only fail, after printing
 * warnings to stderr, which a command-line tool that merely tried the backend should not show.
 */
export function hasVulkanLoader(): boolean {
  if (process.platform !== "linux") return true;
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
    "/usr/local/lib",
  ];
  if (dirs.some((dir) => existsSync(join(dir, "libvulkan.so.1")))) return true;
  try {
    // The linker's cache lists every library it knows by name.
    return readFileSync("/etc/ld.so.cache").includes("libvulkan.so.1");
  } catch {
    return false;
  }
}

function modeFromEnv(): SoftwareMode {
  const value = process.env.WDECAY_WEBGPU_SOFTWARE;
  return value === "1" || value === "true" ? true : value === "fallback" ? "fallback" : false;
}

async function instance(kind: "system" | "software", flags: readonly string[]): Promise<GPU> {
  const key = `${kind} ${flags.join(" ")}`;
  const cached = instances.get(key);
  if (cached) return cached;
  if (kind === "software" && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    // Read by the Vulkan loader when Dawn creates its instance, i.e. after this point.
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  if (!hasVulkanLoader()) {
    throw new Error(`no Vulkan loader (libvulkan.so.1) on this machine; ${adapterHint()}`);
  }
  let dawn: { create(flags: string[]): GPU };
  try {
    dawn = (await import("webgpu")) as unknown as { create(flags: string[]): GPU };
  } catch (error) {
    throw new Error(
      `the optional dependency "webgpu" (Dawn for Node) could not be loaded: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  const gpu = dawn.create([...flags]);
  instances.set(key, gpu);
  return gpu;
}

/** Dawn's `GPU` object (one per kind and process); see {@link NodeGpuOptions}. */
export async function nodeGpu(options: NodeGpuOptions = {}): Promise<GPU> {
  const mode = options.software ?? modeFromEnv();
  const flags = options.flags ?? [];
  if (mode === true) return instance("software", flags);
  const system = await instance("system", flags);
  if (mode === "fallback" && !(await system.requestAdapter())) {
    return instance("software", flags);
  }
  return system;
}

/**
 * A WebGPU backend in Node: Dawn's adapter (a real GPU through Vulkan, Metal or D3D12, or
 * SwiftShader with `software`). Rejects with what to do when there is no adapter.
 */
export async function createNodeWebGpuBackend(
  options: WebGpuBackendOptions & NodeGpuOptions = {},
): Promise<WebGpuBackend> {
  const gpu = options.gpu ?? (await nodeGpu(options));
  try {
    return await createWebGpuBackend({ ...options, gpu, keepAlive: gpu });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}; ${adapterHint()}`);
  }
}
