import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PLAY_BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface PlayRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `play` binary as a user would, and collects what it printed. */
export function runPlay(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<PlayRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PLAY_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export type Recap = Record<string, Record<string, number>>;

/** The PLAY RECAP lines, as numbers per host. */
export function parseRecap(stdout: string): Recap {
  const recap: Recap = {};
  const start = stdout.lastIndexOf('PLAY RECAP');
  if (start < 0) return recap;
  for (const line of stdout.slice(start).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line);
    if (!m) continue;
    recap[m[1]] = Object.fromEntries(
      [...m[2].matchAll(/(\w+)=(\d+)/g)].map(([, k, v]) => [k, Number(v)]),
    );
  }
  return recap;
}
