import { basename } from 'node:path';
import { DELIVER_OPTIONS, deliverContent, readControllerFile, validateProblem, type DeliverArgs } from './deliver.js';
import { modeProblem } from './mode.js';
import { failOnError } from './result.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

type CopyArgs = DeliverArgs & {
  src?: string;
  content?: unknown;
};

/** Ansible writes a non-string `content` (a dict or list from YAML) as JSON. */
function contentText(content: unknown): string {
  return typeof content === 'string' ? content : JSON.stringify(content);
}

async function copyFromController(args: CopyArgs, ctx: ModuleContext): Promise<ModuleResult> {
  const local = await readControllerFile(ctx, 'files', args.src!);
  // mode: preserve keeps the controller file's mode, as Ansible does.
  const mode = args.mode === 'preserve' ? local.mode.toString(8).padStart(4, '0') : args.mode;
  const result = await deliverContent(ctx, { ...args, mode }, local.content, basename(args.src!));
  return { ...result, src: local.path };
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
