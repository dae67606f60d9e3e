import type { BecomeSpec, ExecOptions } from './types.js';

/** POSIX shell quoting: the result is always one word, whatever `value` holds. */
export function shellQuote(value: unknown): string {
  const text = String(value);
  if (text !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The user a connection runs commands as, so that becoming that same user needs no sudo. */
export function needsSudo(become: BecomeSpec | undefined, connectedUser: string): become is BecomeSpec {
  return become !== undefined && become.user !== connectedUser;
}

/**
 * The full command line for `exec`: env, cwd and become applied around `command`.
 * Returns the line and the bytes that must precede the caller's stdin (the sudo password).
 */
export function buildCommandLine(
  command: string,
  options: ExecOptions,
  connectedUser: string,
): { line: string; stdinPrefix: string } {
  let inner = command;
  if (options.env) {
    const exports = Object.entries(options.env).map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name '${k}'`);
      return `${k}=${shellQuote(v)}`;
    });
    if (exports.length) inner = `export ${exports.join(' ')}; ${inner}`;
  }
  if (options.cwd) inner = `cd ${shellQuote(options.cwd)} && ${inner}`;
  if (!needsSudo(options.become, connectedUser)) return { line: inner, stdinPrefix: '' };
  const { user, password } = options.become;
  if (password === undefined) {
    return { line: `sudo -n -H -u ${shellQuote(user)} -- /bin/sh -c ${shellQuote(inner)}`, stdinPrefix: '' };
  }
  // The password reaches sudo on stdin only: never in argv, where `ps` would show it.
  return {
    line: `sudo -S -p '' -H -u ${shellQuote(user)} -- /bin/sh -c ${shellQuote(inner)}`,
    stdinPrefix: `${password}\n`,
  };
}
