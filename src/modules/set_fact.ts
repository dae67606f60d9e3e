import type { ModuleDefinition } from './types.js';

/** Every option except `cacheable` becomes a host variable. */
export const setFactModule: ModuleDefinition = {
  name: 'set_fact',
  controllerOnly: true,
  anyOptions: true,
  schema: { cacheable: { type: 'bool', default: false } },
  validate(args) {
    const names = Object.keys(args).filter((k) => k !== 'cacheable');
    if (names.length === 0) return 'set_fact needs at least one variable to set';
    const bad = names.find((k) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
    return bad === undefined ? undefined : `'${bad}' is not a valid variable name`;
  },
  async run(args) {
    const facts = Object.fromEntries(Object.entries(args).filter(([k]) => k !== 'cacheable'));
    return { changed: false, facts, ansible_facts: facts };
  },
};
