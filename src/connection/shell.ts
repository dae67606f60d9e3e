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
  const sudo = (flags: string): string => `sudo ${flags} -H -u ${shellQuote(user)} -- /bin/sh -c ${shellQuote(inner)}`;
  if (password === undefined) return { line: sudo('-n'), stdinPrefix: '' };
  return { line: sudoWithPasswordLine(user, sudo), stdinPrefix: `${password}\n` };
}

/** How a become command's stderr starts when sudo refused the password (Ansible's words). */
export const SUDO_PASSWORD_REFUSED = 'Incorrect sudo password';

/**
 * The password reaches sudo on stdin only, never in argv (where `ps` shows it), and only when sudo
 * reads it: the first stdin line is taken by `read` into a shell variable. If sudo needs no password
 * (NOPASSWD, or credentials it has cached), the command runs with the rest of stdin and the password
 * is dropped; a password sudo did not ask for would otherwise become the start of the command's
 * stdin (and of files written through it). Otherwise the password is checked on its own first, so
 * that a wrong one fails with a clear message and cannot eat the command's stdin as more tries; then
 * `-k` makes sudo ask again whatever it cached, and the command gets the password line and the rest.
 */
function sudoWithPasswordLine(user: string, sudo: (flags: string) => string): string {
  const u = shellQuote(user);
  return [
    'IFS= read -r play_pw',
    `if sudo -n -u ${u} -- true 2>/dev/null; then exec ${sudo('-n')}; fi`,
    `play_err=$(printf '%s\\n' "$play_pw" | sudo -k -S -p '' -u ${u} -- true 2>&1) || ` +
      `{ printf '${SUDO_PASSWORD_REFUSED} (become %s): %s\\n' ${u} "$play_err" >&2; exit 1; }`,
    `{ printf '%s\\n' "$play_pw"; exec cat; } | ${sudo("-k -S -p ''")}`,
  ].join('\n');
}
