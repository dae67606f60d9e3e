/** The CLI talks to the lab daemon over a unix socket: one JSON request per line, one JSON reply. */
import { createConnection } from 'node:net';

export const FAULT_KINDS = ['down', 'up', 'slow', 'drop-after', 'no-return', 'rekey', 'clear'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type ControlRequest =
  | { op: 'status' }
  | { op: 'shutdown' }
  | { op: 'fault'; node: string; kind: FaultKind; value?: number };

export type NodeRunState = 'booting' | 'up' | 'down' | 'rebooting' | 'failed';

export interface NodeStatus {
  name: string;
  address: string;
  profile: string;
  state: NodeRunState;
  bootId?: string;
  /** Host PID of the node's namespace init (its sshd). */
  pid?: number;
  faults: string[];
}

export type ControlReply = { ok: true; nodes?: NodeStatus[] } | { ok: false; error: string };

export function sendControl(socket: string, request: ControlRequest, timeoutMs = 10_000): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(socket);
    let buffer = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`the lab daemon did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.on('connect', () => conn.write(JSON.stringify(request) + '\n'));
    conn.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      conn.end();
      resolve(JSON.parse(buffer.slice(0, newline)) as ControlReply);
    });
    conn.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
