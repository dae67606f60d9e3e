import { shellQuote } from '../connection/shell.js';
import type { Connection } from '../connection/types.js';
import { failOnError, failure } from './result.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from './types.js';

type RebootArgs = {
  reboot_timeout: number;
  connect_timeout?: number;
  pre_reboot_delay: number;
  post_reboot_delay: number;
  test_command: string;
  msg: string;
  reboot_command?: string;
};

const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id';

/** Time and sleeping, passed in so the waiting logic can be tested without real minutes going by. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Waits between attempts: 1 s, 2 s, 4 s… never more than 10 s. */
export function backoffDelay(attempt: number): number {
  return Math.min(10_000, 1000 * 2 ** Math.min(attempt, 10));
}

export interface WaitOptions {
  oldBootId: string;
  deadline: number;
  /** Upper bound for one reconnect attempt, in ms. */
  connectTimeout: number;
  testCommand: string;
  exec: (conn: Connection, command: string) => ReturnType<Connection['exec']>;
}

/**
 * After the reboot was started: reconnect and poll until the boot id differs from the old one and the
 * test command succeeds. Any error in between (connection refused, dropped, sshd not up yet) means "not yet".
 */
export async function waitForNewBoot(conn: Connection, options: WaitOptions, clock: Clock): Promise<string> {
  let lastProblem = 'the host never came back';
  for (let attempt = 0; clock.now() < options.deadline; attempt++) {
    await clock.sleep(Math.min(backoffDelay(attempt), Math.max(0, options.deadline - clock.now())));
    try {
      await conn.reconnect(Math.min(options.deadline, clock.now() + options.connectTimeout));
      const boot = await options.exec(conn, BOOT_ID);
      const bootId = boot.stdout.trim();
      if (boot.rc !== 0 || bootId === '') {
        lastProblem = `reading the boot id failed: ${boot.stderr.trim()}`;
        continue;
      }
      if (bootId === options.oldBootId) {
        lastProblem = 'the boot id has not changed yet';
        continue;
      }
      const test = await options.exec(conn, options.testCommand);
      if (test.rc === 0) return bootId;
      lastProblem = `test command failed (rc=${test.rc}): ${test.stderr.trim()}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
  }
  throw new Error(`Timed out waiting for the host to come back: ${lastProblem}`);
}

/** Started detached, so the exec returns before the machine goes down. */
export function rebootCommand(args: RebootArgs): string {
  const command = args.reboot_command ?? `shutdown -r now ${shellQuote(args.msg)}`;
  return `nohup sh -c ${shellQuote(`sleep 1; ${command}`)} >/dev/null 2>&1 &`;
}

async function runReboot(args: RebootArgs, ctx: ModuleContext, clock: Clock): Promise<ModuleResult> {
  if (ctx.check) return { changed: true, rebooted: false, msg: 'Running reboot in check mode: nothing done' };
  const started = clock.now();
  const exec = (conn: Connection, command: string) => conn.exec(command, { become: ctx.become });
  const before = await exec(ctx.conn, BOOT_ID);
  const oldBootId = before.stdout.trim();
  if (before.rc !== 0 || !oldBootId) return failure(`cannot read the boot id: ${before.stderr.trim()}`);
  if (args.pre_reboot_delay > 0) await clock.sleep(args.pre_reboot_delay * 1000);
  try {
    const r = await exec(ctx.conn, rebootCommand(args));
    if (r.rc !== 0) return failure(`Reboot command failed (rc=${r.rc}): ${r.stderr.trim()}`);
  } catch {
    // The connection dropping while the reboot starts is expected.
  }
  const deadline = started + args.reboot_timeout * 1000;
  await waitForNewBoot(
    ctx.conn,
    { oldBootId, deadline, connectTimeout: (args.connect_timeout ?? 30) * 1000, testCommand: args.test_command, exec },
    clock,
  );
  if (args.post_reboot_delay > 0) await clock.sleep(args.post_reboot_delay * 1000);
  return { changed: true, rebooted: true, elapsed: Math.round((clock.now() - started) / 1000) };
}

export function createRebootModule(clock: Clock = realClock): ModuleDefinition<RebootArgs> {
  return {
    name: 'reboot',
    schema: {
      reboot_timeout: { type: 'int', default: 600 },
      connect_timeout: { type: 'int' },
      pre_reboot_delay: { type: 'int', default: 0 },
      post_reboot_delay: { type: 'int', default: 0 },
      test_command: { type: 'str', default: 'whoami' },
      msg: { type: 'str', default: 'Reboot initiated by Ansible' },
      reboot_command: { type: 'str' },
    },
    validate(args) {
      if (args.reboot_timeout < 1) return 'reboot_timeout must be at least 1 second';
      if (args.pre_reboot_delay < 0 || args.post_reboot_delay < 0) return 'reboot delays must not be negative';
      return undefined;
    },
    run: (args, ctx) => failOnError(() => runReboot(args, ctx, clock)),
  };
}

export const rebootModule = createRebootModule();
