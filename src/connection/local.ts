import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { putViaExec } from './put.js';
import { buildCommandLine } from './shell.js';
import type { Connection, ExecOptions, ExecResult, PutOptions, PutResult } from './types.js';

/** Runs commands on the controller itself (`ansible_connection: local`, and `localhost`). */
export class LocalConnection implements Connection {
  readonly transport = 'local';
  private readonly user = userInfo().username;

  constructor(readonly host: string) {}

  async connect(): Promise<void> {}

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const { line, stdinPrefix } = buildCommandLine(command, options, this.user);
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', line], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        resolve({
          rc: code ?? (signal ? 128 + 9 : 1),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
      child.stdin.on('error', () => {}); // the command may exit without reading stdin
      if (stdinPrefix) child.stdin.write(stdinPrefix);
      if (options.stdin !== undefined) child.stdin.write(options.stdin);
      child.stdin.end();
    });
  }

  put(path: string, content: Buffer, options: PutOptions = {}): Promise<PutResult> {
    return putViaExec(this, path, content, options);
  }

  async reconnect(): Promise<void> {}

  async close(): Promise<void> {}
}
