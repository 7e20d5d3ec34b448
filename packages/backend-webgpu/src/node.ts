/**
 * Node only: WebGPU through Dawn (the optional `webgpu` package). Browsers use `navigator.gpu`
 * and never load this module.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createWebGpuBackend, type WebGpuBackend, type WebGpuBackendOptions } from "./backend.js";

/** The Vulkan ICD of SwiftShader that Debian's `chromium` package ships. */
export const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";

/**
 * Which adapters {@link nodeGpu} looks at: `false` the system's (a real GPU through Vulkan, Metal
 * or D3D12), `true` SwiftShader only, `"fallback"` the system's if there is one, else
 * SwiftShader.
 */
export type SoftwareMode = boolean | "fallback";

/** Options of {@link nodeGpu}. */
export interface NodeGpuOptions {
  /**
   * Use the SwiftShader software adapter (CPU, no GPU needed), always or as a fallback.
   * Default: `$WDECAY_WEBGPU_SOFTWARE` (`1` or `fallback`), else false.
   */
  readonly software?: SoftwareMode;
  /**
   * The software adapter's Vulkan driver file (an ICD json): default `$VK_ICD_FILENAMES`, else
   * {@link SWIFTSHADER_ICD}. On Linux without a system Vulkan loader, the `libvulkan.so.1`
   * beside it is loaded (SwiftShader's distributions ship one there).
   */
  readonly icd?: string;
  /** Dawn toggles passed to `create()`, e.g. `["backend=vulkan"]`. */
  readonly flags?: readonly string[];
}

// Dawn aborts the process if the object returned by create() is garbage-collected while a device
// made from it lives: one instance per kind, held here for the process lifetime.
const instances = new Map<string, GPU>();

/** How to get an adapter on this machine, for error messages. */
export function adapterHint(): string {
  const how = "WDECAY_WEBGPU_SOFTWARE=1";
  return existsSync(SWIFTSHADER_ICD)
    ? `without a GPU, use SwiftShader: run with ${how}`
    : `without a GPU, use SwiftShader: run with ${how} and VK_ICD_FILENAMES set to its vk_swiftshader_icd.json (Debian's chromium package ships it in /usr/lib/chromium)`;
}

/** The Vulkan loader loaded by {@link preloadVulkanLoader}, if any. */
let preloaded: string | undefined;

/**
 * Whether the dynamic linker can find a Vulkan loader (Linux only; elsewhere Dawn uses Metal or
 * D3D12). Checked before Dawn is loaded: without a loader Dawn can only fail, after printing
 * warnings to stderr, which a command-line tool that merely tried the backend should not show.
 */
export function hasVulkanLoader(): boolean {
  if (process.platform !== "linux" || preloaded !== undefined) return true;
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

/** glibc's (and musl's) RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE; os.constants lacks NODELETE. */
const PRELOAD_FLAGS = 0x2 | 0x100 | 0x1000;

/**
 * Loads `dir/libvulkan.so.1` into the process by its path (Linux), so that Dawn's later
 * `dlopen("libvulkan.so.1")` finds it by its soname without `LD_LIBRARY_PATH`, which the
 * dynamic linker reads only when a process starts. `process.dlopen` then refuses the library as
 * a Node addon; RTLD_NODELETE keeps it loaded. Does nothing where there is none.
 */
function preloadVulkanLoader(dir: string): void {
  const file = join(dir, "libvulkan.so.1");
  if (process.platform !== "linux" || !existsSync(file)) return;
  try {
    process.dlopen({ exports: {} }, file, PRELOAD_FLAGS);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!message.includes("did not self-register")) {
      throw new Error(`cannot load the Vulkan loader ${file}: ${message}`);
    }
  }
  preloaded = file;
}

function modeFromEnv(): SoftwareMode {
  const value = process.env.WDECAY_WEBGPU_SOFTWARE;
  return value === "1" || value === "true" ? true : value === "fallback" ? "fallback" : false;
}

/** Points the Vulkan loader at the software driver, and finds a loader if the system has none. */
function useSoftwareDriver(icd: string | undefined): void {
  const file = icd ?? process.env.VK_ICD_FILENAMES ?? SWIFTSHADER_ICD;
  if (!existsSync(file)) {
    throw new Error(`no software Vulkan driver at ${file}; ${adapterHint()}`);
  }
  // Read by the Vulkan loader when Dawn creates its instance, i.e. after this point.
  process.env.VK_ICD_FILENAMES = file;
  if (!hasVulkanLoader()) preloadVulkanLoader(dirname(file));
}

async function instance(
  kind: "system" | "software",
  flags: readonly string[],
  icd: string | undefined,
): Promise<GPU> {
  const key = `${kind} ${flags.join(" ")}`;
  const cached = instances.get(key);
  if (cached) return cached;
  if (kind === "software") useSoftwareDriver(icd);
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
  if (mode === true) return instance("software", flags, options.icd);
  if (mode === false) return instance("system", flags, undefined);
  const system = await instance("system", flags, undefined).catch(() => undefined);
  if (system && (await system.requestAdapter())) return system;
  return instance("software", flags, options.icd);
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
