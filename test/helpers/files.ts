import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { PlayError } from '../../src/errors.js';

/** Writes files (relative path → content) under a fresh temporary directory and returns it. */
export function writeTree(files: Record<string, string>, prefix = 'play-test-'): string {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return root;
}

/** The PlayError `fn` throws; fails the test when it returns or throws anything else. */
export function playErrorFrom(fn: () => unknown): PlayError {
  try {
    fn();
  } catch (error) {
    assert.instance(error, PlayError);
    return error as PlayError;
  }
  throw new Error('expected a PlayError, but the call succeeded');
}

/** The PlayError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function playErrorOf(promise: Promise<unknown>): Promise<PlayError> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, PlayError);
    return error as PlayError;
  }
  throw new Error('expected a PlayError, but the call succeeded');
}
