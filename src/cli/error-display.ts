import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, PlayError } from '../errors.js';

/** Reads a line of a file named in an error (undefined when it cannot be read). */
export function sourceLineReader(cwd: string): (file: string, line: number) => string | undefined {
  return (file, line) => {
    try {
      return readFileSync(path.resolve(cwd, file), 'utf8').split(/\r?\n/)[line - 1];
    } catch {
      return undefined;
    }
  };
}

/** The offending line with a caret under the column; tabs are kept so the caret lines up. */
function pointAt(sourceLine: string, col: number): string {
  const indent = sourceLine.slice(0, Math.max(0, col - 1)).replace(/[^\t]/g, ' ');
  return `\nThe offending line appears to be:\n\n${sourceLine}\n${indent}^ here\n`;
}

/**
 * How an error ends the program, like ansible-playbook: `ERROR! file:line:col: message` and the
 * offending line, with PlayError's exit code; anything else is a bug (exit 1).
 */
export function describeError(
  error: unknown,
  readLine: (file: string, line: number) => string | undefined,
  verbosity = 0,
): { text: string; exitCode: number } {
  if (error instanceof PlayError) {
    let text = `ERROR! ${error.describe()}\n`;
    const line = error.pos ? readLine(error.pos.file, error.pos.line) : undefined;
    if (error.pos && line !== undefined && line.trim() !== '') text += pointAt(line, error.pos.col);
    return { text, exitCode: error.exitCode };
  }
  const err = error instanceof Error ? error : new Error(String(error));
  const detail = verbosity > 0 && err.stack ? `\n${err.stack}` : '';
  return { text: `ERROR! Unexpected Exception, this is probably a bug: ${err.message}${detail}\n`, exitCode: ExitCode.ERROR };
}
