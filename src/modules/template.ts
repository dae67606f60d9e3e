import { DELIVER_OPTIONS, deliverContent, readControllerFile, validateProblem, type DeliverArgs } from './deliver.js';
import { modeProblem } from './mode.js';
import { failOnError } from './result.js';
import type { ModuleDefinition } from './types.js';

type TemplateArgs = DeliverArgs & { src: string };

export const templateModule: ModuleDefinition<TemplateArgs> = {
  name: 'template',
  schema: {
    ...DELIVER_OPTIONS,
    src: { type: 'path', required: true },
  },
  validate: (args) => validateProblem(args.validate) ?? modeProblem(args.mode),
  run(args, ctx) {
    return failOnError(async () => {
      const local = await readControllerFile(ctx, 'templates', args.src);
      // Rendered on the controller: the target only ever receives the finished file.
      const rendered = ctx.renderTemplate(local.content.toString('utf8'), local.path);
      const result = await deliverContent(ctx, args, Buffer.from(rendered, 'utf8'));
      return { ...result, src: local.path };
    });
  },
};
