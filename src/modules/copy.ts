import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { shellQuote } from '../connection/shell.js';
import { DELIVER_OPTIONS, deliverContent, locateControllerFile, validateProblem, type DeliverArgs } from './deliver.js';
import { modeProblem } from './mode.js';
import { execOrThrow } from './remote-file.js';
import { failOnError, withoutUndefined } from './result.js';
import type { FileDiff, ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

type CopyArgs = DeliverArgs & {
  src?: string;
  content?: unknown;
};

/** Ansible writes a non-string `content` (a dict or list from YAML) as JSON. */
function contentText(content: unknown): string {
  return typeof content === 'string' ? content : JSON.stringify(content);
}

/** mode: preserve keeps the controller file's mode, as Ansible does. */
function modeFor(args: CopyArgs, localMode: number): unknown {
  return args.mode === 'preserve' ? localMode.toString(8).padStart(4, '0') : args.mode;
}

async function copyFromController(args: CopyArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const { path, info } = await locateControllerFile(ctx, 'files', args.src!);
  if (info.isDirectory()) return copyTree(args, ctx, path);
  const content = await readFile(path);
  const result = await deliverContent(ctx, { ...args, mode: modeFor(args, info.mode & 0o7777) }, content, basename(args.src!));
  return { ...result, src: path };
}

/** Files and directories below `root`, as paths relative to it, directories before what they hold. */
async function walk(root: string, rel = ''): Promise<{ dirs: string[]; files: string[] }> {
  const found = { dirs: [] as string[], files: [] as string[] };
  for (const entry of (await readdir(join(root, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if ((await stat(join(root, child))).isDirectory()) {
      found.dirs.push(child);
      const below = await walk(root, child);
      found.dirs.push(...below.dirs);
      found.files.push(...below.files);
    } else {
      found.files.push(child);
    }
  }
  return found;
}

/**
 * A directory: `src: dir/` copies what it holds into dest, `src: dir` copies the directory itself,
 * as Ansible does. Missing directories are made in one exec; each file then goes as a single copy would.
 */
async function copyTree(args: CopyArgs, ctx: ModuleContext, root: string): Promise<ModuleResult> {
  const dest = args.dest.replace(/\/+$/, '') || '/';
  const base = args.src!.endsWith('/') ? dest : `${dest}/${basename(root)}`;
  const { dirs, files } = await walk(root);
  const wantedDirs = [base, ...dirs.map((d) => `${base}/${d}`)];
  const make = ctx.check ? '' : ' mkdir -p -- "$d" || exit 1;';
  const made = await execOrThrow(
    ctx,
    `for d in ${wantedDirs.map(shellQuote).join(' ')}; do if [ ! -d "$d" ]; then printf 'made=%s\\n' "$d";${make} fi; done`,
    `creating directories below ${base}`,
  );
  let changed = made.includes('made=');
  const diff: FileDiff[] = [];
  for (const file of files) {
    const local = join(root, file);
    const mode = modeFor(args, (await stat(local)).mode & 0o7777);
    const result = await deliverContent(ctx, { ...args, dest: `${base}/${file}`, mode }, await readFile(local));
    if (result.failed) return { ...result, changed: changed || result.changed };
    changed ||= result.changed;
    diff.push(...((result.diff as FileDiff[] | undefined) ?? []));
  }
  return withoutUndefined({ changed, dest: base, src: root, files: files.length, diff: diff.length ? diff : undefined });
}

export const copyModule: ModuleDefinition<CopyArgs> = {
  name: 'copy',
  schema: {
    ...DELIVER_OPTIONS,
    src: { type: 'path' },
    content: { type: 'raw' },
  },
  validate(args) {
    if (args.src === undefined && args.content === undefined) return 'copy needs either src or content';
    if (args.src !== undefined && args.content !== undefined) return 'copy takes src or content, not both';
    if (args.content !== undefined && args.dest.endsWith('/')) {
      return `dest ${args.dest} must be a file name, not a directory, when content is given`;
    }
    return validateProblem(args.validate) ?? (args.mode === 'preserve' ? undefined : modeProblem(args.mode));
  },
  run(args, ctx) {
    return failOnError(() =>
      args.src !== undefined
        ? copyFromController(args, ctx)
        : deliverContent(ctx, args, Buffer.from(contentText(args.content), 'utf8')),
    );
  },
};
