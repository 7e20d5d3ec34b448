import type { Backend, Precision } from "./backend.js";

/** How a registry is starting a backend, passed to its factory. */
export interface StartRequest {
  /**
   * Whether the caller asked for this backend by name (`get(name)`, or `resolve` with it among
   * the preferences) rather than the registry trying it in priority order. A backend that can
   * only run here on an emulation slower than the backends below it (WebGPU on a software
   * adapter) declines when it was not named, so that a default choice never lands on it.
   */
  readonly named: boolean;
}

/** Creates a backend; may fail (no WebGPU adapter, no SIMD…) by throwing or rejecting. */
export type BackendFactory = (request: StartRequest) => Backend | Promise<Backend>;

/** One backend as listed by {@link Registry.list}. */
export interface BackendListing {
  readonly name: string;
  readonly priority: number;
  readonly available: boolean;
  /** Its precision, when it started. */
  readonly precision?: Precision;
  /** Why it is not available, when it is not. */
  readonly reason?: string;
  /** The threads it computes on, where it declares them (see `BackendCapabilities.threads`). */
  readonly threads?: number;
  /** Why it uses one thread where the machine has more cores, when it does. */
  readonly threadsNote?: string;
}

/** Thrown when no backend of the ones tried could start; lists every failure. */
export class BackendUnavailableError extends Error {
  readonly failures: ReadonlyArray<{ readonly name: string; readonly reason: string }>;
  constructor(failures: ReadonlyArray<{ name: string; reason: string }>) {
    const detail = failures.map((f) => `${f.name}: ${f.reason}`).join("; ");
    super(
      failures.length === 0 ? "no backend is registered" : `no backend could start (${detail})`,
    );
    this.name = "BackendUnavailableError";
    this.failures = failures;
  }
}

/** Thrown when a caller names a backend nobody registered. */
export class UnknownBackendError extends Error {
  constructor(
    readonly backendName: string,
    readonly known: readonly string[],
  ) {
    super(`unknown backend "${backendName}" (registered: ${known.join(", ") || "none"})`);
    this.name = "UnknownBackendError";
  }
}

/** Options of {@link Registry.resolve}. */
export interface ResolveOptions {
  /**
   * After the preferred backends fail, try the other registered ones by priority (default true).
   * Set false when the user named a backend and would rather see it fail than get another.
   */
  readonly fallback?: boolean;
}

/** A set of backends, started lazily and at most once each. */
export interface Registry {
  /** Registers (or replaces) a backend. Higher priority is tried first when falling back. */
  register(name: string, factory: BackendFactory, priority?: number): void;
  /** Registered names, highest priority first. */
  names(): string[];
  has(name: string): boolean;
  /** Starts (once) and returns the named backend; rejects with its failure reason. */
  get(name: string): Promise<Backend>;
  /**
   * Starts a new instance of the named backend, apart from the shared one `get` returns: the
   * caller owns it and destroys it (the conformance suite destroys one to check `destroy`).
   */
  startNew(name: string): Promise<Backend>;
  /**
   * The first backend that starts: the caller's preferences in order, then (with fallback) the
   * rest by priority. Rejects with a {@link BackendUnavailableError} listing every failure.
   */
  resolve(preferences?: readonly string[], options?: ResolveOptions): Promise<Backend>;
  /**
   * Every registered backend, started to learn whether it is available, and why not: by default
   * as `resolve()` starts it unnamed (can a default choice land on it?); with `named: true` as
   * if the user had named each (a picker from which the user chooses).
   */
  list(options?: { readonly named?: boolean }): Promise<BackendListing[]>;
  /** Destroys every started backend and forgets them (registrations stay). */
  reset(): void;
}

interface Entry {
  readonly factory: BackendFactory;
  readonly priority: number;
  readonly order: number;
  started?: Promise<Backend>;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A registry of its own, for tests and for embedding; nothing is shared with other registries. */
export function createRegistry(): Registry {
  const entries = new Map<string, Entry>();
  let registered = 0;

  const byPriority = () =>
    [...entries.entries()]
      .sort(([, a], [, b]) => b.priority - a.priority || a.order - b.order)
      .map(([name]) => name);

  const start = (name: string, named: boolean): Promise<Backend> => {
    const entry = entries.get(name);
    if (!entry) return Promise.reject(new UnknownBackendError(name, byPriority()));
    if (!entry.started) {
      entry.started = (async () => entry.factory({ named }))();
      // A failed start is retried next time: the cause (a busy GPU, say) may pass.
      entry.started.catch(() => {
        if (entries.get(name) === entry) entry.started = undefined;
      });
    }
    return entry.started;
  };

  return {
    register(name, factory, priority = 0) {
      if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
        throw new Error(`backend name "${name}" must be lower-case letters, digits and dashes`);
      }
      const previous = entries.get(name);
      previous?.started?.then((b) => b.destroy()).catch(() => {});
      entries.set(name, { factory, priority, order: registered++ });
    },
    names: byPriority,
    has: (name) => entries.has(name),
    get: (name) => start(name, true),
    async startNew(name) {
      const entry = entries.get(name);
      if (!entry) throw new UnknownBackendError(name, byPriority());
      return await entry.factory({ named: true });
    },
    async resolve(preferences = [], options = {}) {
      for (const name of preferences) {
        if (!entries.has(name)) throw new UnknownBackendError(name, byPriority());
      }
      const candidates = [...preferences];
      if (options.fallback ?? true) {
        for (const name of byPriority()) if (!candidates.includes(name)) candidates.push(name);
      }
      const failures: { name: string; reason: string }[] = [];
      for (const name of candidates) {
        try {
          return await start(name, preferences.includes(name));
        } catch (error) {
          failures.push({ name, reason: reasonOf(error) });
        }
      }
      throw new BackendUnavailableError(failures);
    },
    async list(options = {}) {
      return Promise.all(
        byPriority().map(async (name): Promise<BackendListing> => {
          const priority = (entries.get(name) as Entry).priority;
          try {
            const backend = await start(name, options.named ?? false);
            const threads = backend.capabilities?.threads;
            return {
              name,
              priority,
              available: true,
              precision: backend.precision,
              ...(threads !== undefined ? { threads: threads.count } : {}),
              ...(threads?.note !== undefined ? { threadsNote: threads.note } : {}),
            };
          } catch (error) {
            return { name, priority, available: false, reason: reasonOf(error) };
          }
        }),
      );
    },
    reset() {
      for (const entry of entries.values()) {
        entry.started?.then((b) => b.destroy()).catch(() => {});
        entry.started = undefined;
      }
    },
  };
}

/**
 * The process-wide registry that backend packages' `register` entries add to. Tests that need
 * isolation use {@link createRegistry} instead, or `defaultRegistry.reset()`.
 */
export const defaultRegistry: Registry = createRegistry();

/** Registers a backend in the {@link defaultRegistry}. */
export function registerBackend(name: string, factory: BackendFactory, priority = 0): void {
  defaultRegistry.register(name, factory, priority);
}
