import type { BecomeSpec, Connection } from '../connection/types.js';
import { FactGatheringError, parseFacts } from './parse.js';
import { FACTS_SCRIPT } from './script.js';
import type { Facts } from './types.js';

/**
 * Gathers a host's facts in one round trip (connections run every command line with /bin/sh, whatever
 * the login shell). An unreachable host surfaces as the connection's UnreachableError; anything else
 * that goes wrong as FactGatheringError.
 */
export async function gatherFacts(conn: Connection, become?: BecomeSpec): Promise<Facts> {
  const result = await conn.exec(FACTS_SCRIPT, { become });
  if (result.rc !== 0) {
    throw new FactGatheringError(`fact gathering failed (rc=${result.rc}): ${result.stderr.trim() || 'no error output'}`);
  }
  return parseFacts(result.stdout);
}
