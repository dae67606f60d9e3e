import type { ModuleDefinition } from './types.js';

export const failModule: ModuleDefinition<{ msg: string }> = {
  name: 'fail',
  controllerOnly: true,
  schema: { msg: { type: 'str', default: 'Failed as requested from task' } },
  run: async (args) => ({ changed: false, failed: true, msg: args.msg }),
};
