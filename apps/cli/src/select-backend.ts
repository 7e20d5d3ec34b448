/**
 * Picks the backend a command runs on. Without --backend the registry's priority order decides,
 * falling back past backends that cannot start; a named backend is that one or a failure, never
 * a silent substitute.
 */
import {
  type Backend,
  BackendUnavailableError,
  type Registry,
  UnknownBackendError,
} from "@wdecay/core";
import { RuntimeError, UsageError } from "./errors.js";

function unknownBackend(name: string, known: readonly string[]): UsageError {
  const list = known.length > 0 ? known.join(", ") : "none";
  return new UsageError(
    `--backend ${JSON.stringify(name)} is not a registered backend (registered: ${list})`,
  );
}

/**
 * Rejects a --backend nobody registered, before anything slow happens (creating directories,
 * starting a GPU): a typo is a usage error and should cost nothing.
 */
export function checkBackendName(registry: Registry, name: string | undefined): void {
  if (name !== undefined && !registry.has(name)) throw unknownBackend(name, registry.names());
}

/** Starts the backend: the named one, or the first of the registry's that starts. */
export async function selectBackend(registry: Registry, name?: string): Promise<Backend> {
  try {
    return name === undefined
      ? await registry.resolve()
      : await registry.resolve([name], { fallback: false });
  } catch (error) {
    if (error instanceof UnknownBackendError) throw unknownBackend(error.backendName, error.known);
    if (error instanceof BackendUnavailableError && name !== undefined) {
      const reason = error.failures[0]?.reason ?? error.message;
      throw new RuntimeError(`backend "${name}" could not start: ${reason}`, { cause: error });
    }
    throw error;
  }
}
