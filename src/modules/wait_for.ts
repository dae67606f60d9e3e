import { shellQuote } from '../connection/shell.js';
import { failOnError, failure } from './result.js';
import type { ModuleDefinition, ModuleResult } from './types.js';

type WaitState = 'started' | 'stopped' | 'present' | 'absent' | 'drained';

type WaitForArgs = {
  host: string;
  port?: number;
  path?: string;
  state: WaitState;
  timeout: number;
  delay: number;
  sleep: number;
  connect_timeout: number;
  search_regex?: string;
  msg?: string;
};

const TIMED_OUT = 3;

/** A shell function `ready` that succeeds once the awaited condition holds on the target. */
export function readinessCheck(args: WaitForArgs): string {
  if (args.port !== undefined) {
    const h = shellQuote(args.host);
    const p = shellQuote(args.port);
    // Host and port reach bash as positional arguments, never as code.
    const open =
      `port_open() { if command -v bash >/dev/null 2>&1; then timeout ${args.connect_timeout} bash -c 'exec 3<>"/dev/tcp/$0/$1"' ${h} ${p} 2>/dev/null;` +
      ` else nc -z -w ${args.connect_timeout} ${h} ${p} >/dev/null 2>&1; fi; }`;
    if (args.state === 'drained') {
      const hex = args.port.toString(16).toUpperCase().padStart(4, '0');
      return (
        `ready() { cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p=${hex} ` +
        `'{ n = split($2, a, ":"); if (a[n] == p && $4 == "01") c++ } END { exit c > 0 }'; }`
      );
    }
    return args.state === 'stopped' ? `${open}\nready() { ! port_open; }` : `${open}\nready() { port_open; }`;
  }
  if (args.path !== undefined) {
    const f = shellQuote(args.path);
    if (args.state === 'absent' || args.state === 'stopped') return `ready() { [ ! -e ${f} ]; }`;
    const search = args.search_regex !== undefined ? ` && grep -Pq -- ${shellQuote(args.search_regex)} ${f} 2>/dev/null` : '';
    return `ready() { [ -e ${f} ]${search}; }`;
  }
  // Neither port nor path: Ansible just waits out the timeout.
  return 'ready() { false; }';
}

function waitScript(args: WaitForArgs): string {
  return [
    readinessCheck(args),
    `sleep ${args.delay}`,
    's=$(date +%s)',
    `e=$((s + ${args.timeout}))`,
    'while :; do',
    '  if ready; then echo "elapsed=$(($(date +%s) - s))"; exit 0; fi',
    `  if [ "$(date +%s)" -ge "$e" ]; then echo "elapsed=$(($(date +%s) - s))"; exit ${TIMED_OUT}; fi`,
    `  sleep ${args.sleep}`,
    'done',
  ].join('\n');
}

function timeoutMessage(args: WaitForArgs): string {
  if (args.port !== undefined) {
    const where = `${args.host}:${args.port}`;
    if (args.state === 'stopped') return `Timeout when waiting for ${where} to stop.`;
    if (args.state === 'drained') return `Timeout when waiting for ${where} to drain`;
    return `Timeout when waiting for ${where}`;
  }
  if (args.state === 'absent' || args.state === 'stopped') return `Timeout when waiting for ${args.path} to be absent.`;
  if (args.search_regex !== undefined) return `Timeout when waiting for search string ${args.search_regex} in ${args.path}`;
  return `Timeout when waiting for file ${args.path}`;
}

/** Polls on the target in one exec, so a slow or far host costs one round trip, not one per try. */
export const waitForModule: ModuleDefinition<WaitForArgs> = {
  name: 'wait_for',
  schema: {
    host: { type: 'str', default: '127.0.0.1' },
    port: { type: 'int' },
    path: { type: 'path' },
    state: { type: 'str', default: 'started', choices: ['started', 'stopped', 'present', 'absent', 'drained'] },
    timeout: { type: 'int', default: 300 },
    delay: { type: 'int', default: 0 },
    sleep: { type: 'int', default: 1 },
    connect_timeout: { type: 'int', default: 5 },
    search_regex: { type: 'str' },
    msg: { type: 'str' },
  },
  validate(args) {
    if (args.port !== undefined && args.path !== undefined) return 'port and path are mutually exclusive';
    if (args.port !== undefined && (args.port < 1 || args.port > 65535)) return `port must be 1-65535; got ${args.port}`;
    if (args.search_regex !== undefined && args.path === undefined) return 'search_regex is supported with path only';
    if (args.state === 'drained' && args.port === undefined) return 'state=drained needs port';
    if (args.timeout < 0 || args.delay < 0 || args.sleep < 1) return 'timeout and delay must be >= 0 and sleep >= 1';
    return undefined;
  },
  run(args, ctx) {
    return failOnError(async (): Promise<ModuleResult> => {
      const r = await ctx.conn.exec(waitScript(args), { become: ctx.become });
      const elapsed = Number(/elapsed=(\d+)/.exec(r.stdout)?.[1] ?? args.timeout);
      const where = args.port !== undefined ? { port: args.port } : args.path !== undefined ? { path: args.path } : {};
      const neitherGiven = args.port === undefined && args.path === undefined;
      if (r.rc === 0 || (r.rc === TIMED_OUT && neitherGiven)) return { changed: false, elapsed, state: args.state, ...where };
      if (r.rc === TIMED_OUT) return failure(args.msg ?? timeoutMessage(args), { elapsed, ...where });
      return failure(`wait_for failed (rc=${r.rc}): ${r.stderr.trim()}`);
    });
  },
};
