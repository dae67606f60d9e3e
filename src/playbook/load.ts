import path from 'node:path';
import { OptionsError, PlayError } from '../errors.js';
import { isFile, LoadContext, type LoadOptions } from './context.js';
import { checkKeys, expectMap, expectSeq, expectTags, findEntry } from './nodes.js';
import { parsePlay, type ImportedAttributes } from './play.js';
import { readVars, staticName } from './tasks.js';
import type { Play, Playbook } from './types.js';

const IMPORT_KEYS = ['import_playbook', 'name', 'vars', 'tags'];
const IMPORT_KEY_ALIASES = ['import_playbook', 'ansible.builtin.import_playbook', 'ansible.legacy.import_playbook'];

/**
 * Loads a playbook file into the checked plan: plays, roles, tasks and handlers, every module
 * argument validated and every expression syntax-checked. Nothing here contacts a host.
 * Plays of `import_playbook` are flattened into the result, in order.
 */
export function loadPlaybook(file: string, options: LoadOptions = {}): Playbook {
  const ctx = new LoadContext(options);
  const absPath = playbookPath(file, ctx.cwd);
  return { path: absPath, dir: path.dirname(absPath), plays: loadPlays(absPath, ctx, { vars: {}, tags: [] }, []) };
}

/** The playbook's absolute path; a missing file is a bad command-line value (exit 5), as ansible-playbook. */
export function playbookPath(file: string, cwd: string): string {
  const absPath = path.resolve(cwd, file);
  if (!isFile(absPath)) throw new OptionsError(`the playbook: ${file} could not be found`);
  return absPath;
}

function loadPlays(absPath: string, ctx: LoadContext, imported: ImportedAttributes, stack: string[]): Play[] {
  const root = ctx.readYaml(absPath);
  if (!root) throw new PlayError('the playbook is empty; expected a list of plays', { file: ctx.display(absPath), line: 1, col: 1 });
  const dir = path.dirname(absPath);
  return expectSeq(root, 'a playbook (a list of plays)').items.flatMap((item) => {
    const map = expectMap(item, 'a play');
    const importEntry = map.entries.find((e) => IMPORT_KEY_ALIASES.includes(e.key));
    if (!importEntry) return [parsePlay(item, ctx, dir, imported)];
    checkKeys({ ...map, entries: map.entries.map((e) => (e === importEntry ? { ...e, key: 'import_playbook' } : e)) }, IMPORT_KEYS, "'import_playbook'");
    const name = staticName(importEntry.value, 'the file of import_playbook');
    const target = path.resolve(dir, name);
    if (!isFile(target)) throw new PlayError(`playbook '${name}' for import_playbook not found (${ctx.display(target)})`, importEntry.value.pos);
    if (stack.includes(target) || target === absPath) {
      throw new PlayError(`playbooks import each other in a cycle: ${[...stack, absPath, target].map((f) => ctx.display(f)).join(' -> ')}`, importEntry.value.pos);
    }
    const tagsEntry = findEntry(map, 'tags');
    const inner: ImportedAttributes = {
      vars: { ...imported.vars, ...readVars(findEntry(map, 'vars')?.value, "import_playbook's 'vars'") },
      tags: [...imported.tags, ...(tagsEntry ? expectTags(tagsEntry.value, "'tags'") : [])],
    };
    return loadPlays(target, ctx, inner, [...stack, absPath]);
  });
}
