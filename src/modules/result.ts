import { UnreachableError } from '../connection/types.js';
import { PlayError } from '../errors.js';
import type { ModuleResult } from './types.js';

export function failure(msg: string, extra: Record<string, unknown> = {}): ModuleResult {
  return { changed: false, failed: true, msg, ...extra };
}

/** An object without the keys that have no value, so registered results hold only what is known. */
export function withoutUndefined<T extends Record<string, unknown>>(result: T): T {
  return Object.fromEntries(Object.entries(result).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Runs a module body, turning an error on the target (a failed write, a bad template) into a failed
 * result for this host. An unreachable host is not a module failure: that error goes up to the executor.
 */
export async function failOnError(body: () => Promise<ModuleResult>): Promise<ModuleResult> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UnreachableError) throw error;
    if (error instanceof PlayError) return failure(error.describe());
    if (error instanceof Error) return failure(error.message);
    throw error;
  }
}
