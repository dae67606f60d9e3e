import { failOnError, failure } from './result.js';
import type { ModuleDefinition } from './types.js';

/** One round trip to the target: proves the connection and the shell work. */
export const pingModule: ModuleDefinition<{ data: string }> = {
  name: 'ping',
  schema: { data: { type: 'str', default: 'pong' } },
  run(args, ctx) {
    return failOnError(async () => {
      if (args.data === 'crash') throw new Error('boom');
      const result = await ctx.conn.exec('echo pong', { become: ctx.become });
      if (result.rc !== 0 || result.stdout.trim() !== 'pong') {
        return failure(`ping failed (rc=${result.rc}): ${result.stderr.trim()}`);
      }
      return { changed: false, ping: args.data };
    });
  },
};
