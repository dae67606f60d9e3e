import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../modules/types.js';

/** A unified diff the way `ansible-playbook --diff` shows a file change. */
export function formatFileDiff(change: FileDiff): string {
  const parts: string[] = [];
  for (const attribute of change.attributes ?? []) parts.push(`${change.path}: ${attribute}\n`);
  if (change.before !== change.after) {
    const patch = createTwoFilesPatch(
      `before: ${change.path}`,
      `after: ${change.path}`,
      change.before,
      change.after,
      undefined,
      undefined,
      { context: 3 },
    );
    // The first line is jsdiff's "Index:"/"===" banner; Ansible starts at the --- line.
    parts.push(patch.slice(patch.indexOf('---')));
  }
  return parts.join('');
}
