import picomatch from 'picomatch';
import { gatherFacts } from '../facts/gather.js';
import type { Facts } from '../facts/types.js';
import { failOnError } from './result.js';
import type { ModuleDefinition } from './types.js';

type SetupArgs = {
  /** Accepted for Ansible compatibility and ignored: every fact comes from the same single round trip. */
  gather_subset: string[];
  /** Accepted for Ansible compatibility and ignored: the script bounds its only slow call itself. */
  gather_timeout: number;
  /** Shell-style globs on fact names, `ansible_` prefix optional ("ansible_distribution*", "gpus"). */
  filter: string[];
};

/** Gathers facts with one `exec` of FACTS_SCRIPT. Read-only, so it runs the same in check mode. */
export const setupModule: ModuleDefinition<SetupArgs> = {
  name: 'setup',
  aliases: ['ansible.builtin.setup'],
  schema: {
    gather_subset: { type: 'list', elements: 'str', default: ['all'] },
    gather_timeout: { type: 'int', default: 10 },
    filter: { type: 'list', elements: 'str', default: [] },
  },
  run(args, ctx) {
    return failOnError(async () => {
      const facts = await gatherFacts(ctx.conn, ctx.become);
      return { changed: false, facts: { ansible_facts: filterFacts(facts, args.filter ?? []) } };
    });
  },
};

/**
 * Keeps the facts whose `ansible_`-prefixed name matches one of `patterns` (all of them when there is
 * none). As Ansible, a pattern without the prefix is tried both as written and with it.
 */
export function filterFacts(facts: Facts, patterns: readonly string[]): Partial<Facts> {
  if (patterns.length === 0 || patterns.includes('*')) return facts;
  const matchers = patterns.flatMap((pattern) => {
    const globs = pattern.startsWith('ansible_') ? [pattern] : [pattern, `ansible_${pattern}`];
    return globs.map((glob) => picomatch(glob, { dot: true }));
  });
  return Object.fromEntries(
    Object.entries(facts).filter(([name]) => matchers.some((matches) => matches(`ansible_${name}`))),
  ) as Partial<Facts>;
}
