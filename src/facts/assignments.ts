/**
 * Reading the shell-assignment files facts come from (/etc/os-release, /etc/default/grub,
 * /etc/selinux/config) the way sh would assign them, without running them.
 */

/**
 * `NAME=value` lines as variables: quotes removed, the last assignment of a name winning (as when
 * the file is sourced). Expansions such as `$(sed ...)` are kept as literal text.
 */
export function parseShellAssignments(lines: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of lines) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) values.set(match[1], unquoteShellWord(match[2]));
  }
  return values;
}

/** The first shell word of `text` with its quoting removed: `"a b"'c'd # x` → `a bcd`. */
export function unquoteShellWord(text: string): string {
  let word = '';
  let quote: '' | "'" | '"' = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote === "'") {
      if (ch === "'") quote = '';
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = '';
      else if (ch === '\\' && i + 1 < text.length && '$`"\\'.includes(text[i + 1])) word += text[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '\\' && i + 1 < text.length) {
      word += text[++i];
    } else if (/\s/.test(ch)) {
      break;
    } else {
      word += ch;
    }
  }
  return word;
}
