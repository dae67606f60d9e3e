/**
 * Ansible's regexps are Python's. The syntax JavaScript lacks is named groups, `(?P<name>...)`
 * and `(?P=name)`: translated here. Anything else invalid is reported with the pattern.
 */
export function pythonRegex(pattern: string, flags = ''): RegExp {
  const translated = pattern.replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>');
  try {
    return new RegExp(translated, flags);
  } catch (e) {
    throw new Error(`invalid regular expression '${pattern}': ${(e as Error).message}`);
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b', '\\': '\\' };

/** Python's `match.expand(template)`: `\1`, `\g<1>`, `\g<name>` and character escapes; an unmatched group is empty. */
export function expandMatch(template: string, match: RegExpExecArray): string {
  return template.replace(/\\(g<([^>]*)>|\d{1,2}|.)/gs, (whole, escape: string, groupRef: string | undefined) => {
    if (groupRef !== undefined) {
      const value = /^\d+$/.test(groupRef) ? match[Number(groupRef)] : match.groups?.[groupRef];
      return value ?? '';
    }
    if (/^\d+$/.test(escape)) return match[Number(escape)] ?? '';
    return ESCAPES[escape] ?? whole;
  });
}
