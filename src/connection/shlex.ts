/**
 * Python's `shlex.split(text, comments)` in POSIX mode: '...' is literal, "..." honours \" and \\, a
 * backslash outside quotes escapes any character, and with `comments` a `#` outside quotes ends the line.
 * Ansible cuts INI host lines with it (comments on) and `command`'s free form (comments off). Nothing is
 * expanded: `;`, `|`, `$()` and backticks are ordinary characters.
 */

export class ShlexError extends Error {}

const WHITESPACE = ' \t\r\n';

export function shlexSplit(line: string, options: { comments?: boolean } = {}): string[] {
  const tokens: string[] = [];
  let token = '';
  let quoted = false;
  let inToken = false;
  let i = 0;

  const emit = (): void => {
    if (inToken && (token !== '' || quoted)) tokens.push(token);
    token = '';
    quoted = false;
    inToken = false;
  };

  while (i < line.length) {
    const c = line[i++];
    if (WHITESPACE.includes(c)) {
      emit();
    } else if (c === '#' && options.comments) {
      break;
    } else if (c === "'") {
      inToken = quoted = true;
      const end = line.indexOf("'", i);
      if (end < 0) throw new ShlexError('No closing quotation');
      token += line.slice(i, end);
      i = end + 1;
    } else if (c === '"') {
      inToken = quoted = true;
      for (;;) {
        if (i >= line.length) throw new ShlexError('No closing quotation');
        const d = line[i++];
        if (d === '"') break;
        if (d === '\\') {
          if (i >= line.length) throw new ShlexError('No escaped character');
          const next = line[i++];
          token += next === '"' || next === '\\' ? next : '\\' + next;
        } else {
          token += d;
        }
      }
    } else if (c === '\\') {
      if (i >= line.length) throw new ShlexError('No escaped character');
      inToken = true;
      token += line[i++];
    } else {
      inToken = true;
      token += c;
    }
  }
  emit();
  return tokens;
}
