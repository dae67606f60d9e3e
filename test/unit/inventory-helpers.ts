import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlayError } from '../../src/errors.js';

/** Absolute path of a file or folder under test/fixtures/inventory. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/inventory/${name}`, import.meta.url));
}

/** Writes `files` (relative path → content) under a fresh temporary directory and returns it. */
export function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'play-inventory-'));
  for (const [name, content] of Object.entries(files)) {
    const full = path.join(root, name);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return root;
}

/** The PlayError a promise rejects with; fails the test if it resolves or throws something else. */
export async function playErrorOf(promise: Promise<unknown>): Promise<PlayError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PlayError) return err;
    throw err;
  }
  throw new Error('expected a PlayError, but the call succeeded');
}
