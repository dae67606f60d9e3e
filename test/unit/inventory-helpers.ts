import { fileURLToPath } from 'node:url';
import { playErrorOf, writeTree as writeSharedTree } from '../helpers/files.js';

/** Absolute path of a file or folder under test/fixtures/inventory. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/inventory/${name}`, import.meta.url));
}

/** Writes `files` (relative path → content) under a fresh temporary directory and returns it. */
export function writeTree(files: Record<string, string>): string {
  return writeSharedTree(files, 'play-inventory-');
}

export { playErrorOf };
