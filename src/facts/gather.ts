import { shellQuote } from '../connection/shell.js';
import type { BecomeSpec, Connection } from '../connection/types.js';
import { FactGatheringError, parseFacts } from './parse.js';
import { FACTS_SCRIPT } from './script.js';
import type { Facts } from './types.js';

/**
 * Gathers a host's facts in one round trip. The script is handed to /bin/sh explicitly because the
 * remote user's login shell may not be POSIX. An unreachable host surfaces as the connection's
 * UnreachableError; anything else that goes wrong as FactGatheringError.
 */
export async function gatherFacts(conn: Connection, become?: BecomeSpec): Promise<Facts> {
  const result = await conn.exec(`/bin/sh -c ${shellQuote(FACTS_SCRIPT)}`, { become });
  if (result.rc !== 0) {
    throw new FactGatheringError(`fact gathering failed (rc=${result.rc}): ${result.stderr.trim() || 'no error output'}`);
  }
  return parseFacts(result.stdout);
}
