import { shellQuote } from '../connection/shell.js';
import { FILE_ATTRIBUTE_OPTIONS, fileAttributes, validateProblem } from './deliver.js';
import { editLines } from './line-edit.js';
import { modeProblem } from './mode.js';
import { applyFile, execOrThrow, probeRemoteFile } from './remote-file.js';
import { failOnError, failure, withoutUndefined } from './result.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

type LineinfileArgs = {
  path: string;
  state: 'present' | 'absent';
  regexp?: string;
  search_string?: string;
  line?: string;
  insertafter?: string;
  insertbefore?: string;
  backrefs: boolean;
  firstmatch: boolean;
  create: boolean;
  backup: boolean;
  validate?: string;
  mode?: unknown;
  owner?: string;
  group?: string;
};

/** The whole file is edited on the controller; files larger than this are refused rather than streamed. */
const EDIT_LIMIT = 16 * 1024 * 1024;

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '' : path.slice(0, i);
}

async function runLineinfile(args: LineinfileArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const probed = await probeRemoteFile(ctx, args.path, { contentLimit: EDIT_LIMIT, follow: true });
  // Like Ansible, edit the file a symlink points to and keep the link.
  const current = probed.linkSource ? { ...probed, path: probed.linkSource } : probed;
  if (current.type === 'directory') return failure(`Path ${args.path} is a directory !`, { rc: 256 });
  if (current.contentTooLarge) return failure(`${args.path} is larger than ${EDIT_LIMIT} bytes; lineinfile edits files up to that size`);
  if (current.type === 'absent') {
    if (args.state === 'absent') return { changed: false, msg: 'file not present', path: args.path };
    if (!args.create) return failure(`Destination ${args.path} does not exist !`, { rc: 257 });
  }
  const before = current.content?.toString('utf8') ?? '';
  const edit = editLines(before, {
    state: args.state,
    line: args.line,
    regexp: args.regexp,
    searchString: args.search_string,
    insertafter: args.insertafter,
    insertbefore: args.insertbefore,
    backrefs: args.backrefs,
    firstmatch: args.firstmatch,
  });
  const parent = parentOf(args.path);
  if (current.type === 'absent' && parent && !ctx.check) {
    await execOrThrow(ctx, `mkdir -p -- ${shellQuote(parent)}`, `creating ${parent}`);
  }
  const content = edit.changed ? Buffer.from(edit.content, 'utf8') : undefined;
  const change = await applyFile(ctx, current, content, fileAttributes(args), { backup: args.backup, validate: args.validate });
  const attributesOnly = change.changed && !edit.changed;
  return withoutUndefined({
    changed: change.changed,
    msg: attributesOnly ? 'ownership, perms or SE linux context changed' : edit.msg,
    path: current.path,
    found: edit.found,
    backup: change.backupFile ?? '',
    backup_file: change.backupFile,
    diff: change.diff ? [change.diff] : undefined,
  });
}

export const lineinfileModule: ModuleDefinition<LineinfileArgs> = {
  name: 'lineinfile',
  schema: {
    ...FILE_ATTRIBUTE_OPTIONS,
    path: { type: 'path', required: true, aliases: ['dest', 'destfile', 'name'] },
    state: { type: 'str', default: 'present', choices: ['present', 'absent'] },
    regexp: { type: 'str', aliases: ['regex'] },
    search_string: { type: 'str' },
    line: { type: 'str', aliases: ['value'] },
    insertafter: { type: 'str' },
    insertbefore: { type: 'str' },
    backrefs: { type: 'bool', default: false },
    firstmatch: { type: 'bool', default: false },
    create: { type: 'bool', default: false },
    backup: { type: 'bool', default: false },
    validate: { type: 'str' },
  },
  validate(args) {
    if (args.insertafter !== undefined && args.insertbefore !== undefined) return 'insertafter and insertbefore are mutually exclusive';
    if (args.regexp !== undefined && args.search_string !== undefined) return 'regexp and search_string are mutually exclusive';
    if (args.backrefs && args.search_string !== undefined) return 'backrefs and search_string are mutually exclusive';
    if (args.state === 'present') {
      if (args.backrefs && args.regexp === undefined) return 'regexp is required with backrefs=true';
      if (args.line === undefined) return 'line is required with state=present';
    } else if (args.line === undefined && args.regexp === undefined && args.search_string === undefined) {
      return 'one of line, search_string, or regexp is required with state=absent';
    }
    return validateProblem(args.validate) ?? modeProblem(args.mode);
  },
  run: (args, ctx) => failOnError(() => runLineinfile(args, ctx)),
};
