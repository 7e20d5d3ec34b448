/**
 * The backends a page can run on: cpu and cpu-f32 always, and each optional backend of
 * site.config.ts whose package builds and whose factory starts in this browser. Everything goes
 * through core's default registry, so the reasons shown are the backends' own.
 */
import "@wdecay/backend-cpu/register";
import { optionalBackends } from "virtual:wdecay/optional-backends";
import { type Backend, defaultRegistry, type Precision } from "@wdecay/core";

/** One backend as the picker shows it. */
export interface BackendChoice {
  readonly name: string;
  readonly available: boolean;
  readonly precision?: Precision;
  /** Why it is not available. */
  readonly reason?: string;
  /** The threads it computes on, when it is available. */
  readonly threads?: number;
  /** Why it uses one thread where the machine has more (a page that is not cross-origin isolated). */
  readonly threadsNote?: string;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let loading: Promise<Map<string, string>> | undefined;

/**
 * Imports every optional backend once (each registers itself); resolves with the reason of each
 * import that failed. A backend is picked by name, so it must be registered before `get`.
 */
function loadOptionalBackends(): Promise<Map<string, string>> {
  loading ??= (async () => {
    const importFailures = new Map<string, string>();
    await Promise.all(
      optionalBackends.map(async (entry) => {
        try {
          await entry.load();
        } catch (error) {
          importFailures.set(entry.name, reasonOf(error));
        }
      }),
    );
    return importFailures;
  })();
  return loading;
}

let listing: Promise<BackendChoice[]> | undefined;

/** Every backend the site knows, started once to learn whether it runs here (cached). */
export function listBackends(): Promise<BackendChoice[]> {
  listing ??= (async () => {
    const importFailures = await loadOptionalBackends();
    // The reader picks a backend by name, so each is started as named: WebGPU on a software
    // adapter is listed (a default choice by priority would pass it by).
    const listed = await defaultRegistry.list({ named: true });
    const choices: BackendChoice[] = listed.map((l) => ({
      name: l.name,
      available: l.available,
      ...(l.precision ? { precision: l.precision } : {}),
      ...(l.reason ? { reason: l.reason } : {}),
      ...(l.available ? { threads: l.threads ?? 1 } : {}),
      ...(l.threadsNote ? { threadsNote: l.threadsNote } : {}),
    }));
    for (const entry of optionalBackends) {
      if (choices.some((c) => c.name === entry.name)) continue;
      choices.push({
        name: entry.name,
        available: false,
        reason:
          importFailures.get(entry.name) ??
          `${entry.module} loaded but registered no backend named "${entry.name}"`,
      });
    }
    // cpu first (the reference), then the rest in the registry's priority order.
    return choices.sort((a, b) => Number(b.name === "cpu") - Number(a.name === "cpu"));
  })();
  return listing;
}

/** The started backend of that name (shared by the page; never destroy it). */
export async function getBackend(name: string): Promise<Backend> {
  await loadOptionalBackends();
  return defaultRegistry.get(name);
}

/** A new instance of the named backend, the caller's to destroy. */
export async function startNewBackend(name: string): Promise<Backend> {
  await loadOptionalBackends();
  return defaultRegistry.startNew(name);
}
