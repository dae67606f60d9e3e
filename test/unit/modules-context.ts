// Shared by the modules-*.test.ts files: a real LocalConnection in a temp dir, and a ModuleContext around it.
import { mkdtempSync, mkdirSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { LocalConnection } from '../../src/connection/local.js';
import type { ExecOptions, ExecResult } from '../../src/connection/types.js';
import { coerceArgs } from '../../src/modules/args.js';
import type { ModuleContext, ModuleDefinition, ModuleResult } from '../../src/modules/types.js';

/** LocalConnection with extra environment on every exec (a PATH holding fake systemctl/rpm/…). */
export class EnvConnection extends LocalConnection {
  constructor(private readonly extraEnv: Record<string, string>) {
    super('localhost');
  }

  override exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return super.exec(command, { ...options, env: { ...this.extraEnv, ...options.env } });
  }
}

export function tempDir(prefix = 'play-mod-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes executable shell scripts into `dir/bin` and returns a PATH that finds them first. */
export function fakeTools(dir: string, tools: Record<string, string>): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, body] of Object.entries(tools)) {
    const path = join(bin, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
  }
  return `${bin}:${process.env.PATH}`;
}

export interface ContextOptions {
  check?: boolean;
  diff?: boolean;
  vars?: Record<string, unknown>;
  /** Where findFile looks: <root>/files/NAME and <root>/templates/NAME. */
  root?: string;
  env?: Record<string, string>;
}

export function makeContext(options: ContextOptions = {}): ModuleContext {
  const vars = options.vars ?? {};
  return {
    conn: options.env ? new EnvConnection(options.env) : new LocalConnection('localhost'),
    check: options.check ?? false,
    diff: options.diff ?? false,
    vars,
    inventoryHostname: 'localhost',
    findFile: (kind, name) => join(options.root ?? '/nonexistent', kind, name),
    renderTemplate: (text) => Handlebars.compile(text, { strict: true, noEscape: true })(vars),
    // A plain variable name stands for "this variable is truthy": enough for assert's tests.
    evaluate: (expression) => Boolean(vars[expression]),
  };
}

/** Checks the arguments exactly as the executor will, then runs the module. */
export async function runModule<A>(def: ModuleDefinition<A>, args: Record<string, unknown>, ctx: ModuleContext): Promise<ModuleResult> {
  const checked = coerceArgs(def as unknown as ModuleDefinition, args);
  if (checked.errors.length) throw new Error(`bad test arguments: ${checked.errors.join('; ')}`);
  return def.run(checked.args as A, ctx);
}
