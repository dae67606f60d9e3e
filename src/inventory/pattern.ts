/**
 * The syntax of Ansible host patterns (`hosts:` and `--limit`): splitting `a:b,c`, putting
 * `&` and `!` terms after the plain ones, globs with fnmatch semantics, `~regex`, and
 * `[i]`/`[i:j]` subscripts.
 */
import { PlayError, ExitCode } from '../errors.js';
import { parseAddress } from './host-address.js';

/** Ansible's split_host_pattern: commas always separate; colons only when the whole is no host address. */
export function splitHostPattern(pattern: string): string[] {
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else if (parseAddress(pattern, true)) parts = [pattern];
  else parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** Plain terms first, then intersections, then exclusions; only `&`/`!` terms imply `all` first. */
export function orderPatterns(patterns: string[]): string[] {
  const plain = patterns.filter((p) => p[0] !== '&' && p[0] !== '!');
  const intersections = patterns.filter((p) => p[0] === '&');
  const exclusions = patterns.filter((p) => p[0] === '!');
  return [...(plain.length ? plain : ['all']), ...intersections, ...exclusions];
}

const REGEX_SPECIALS = /[.*+?^${}()|[\]\\/]/g;

/** Python's fnmatch.translate: `*`, `?`, `[seq]`, `[!seq]`, matched against the whole name. */
export function fnmatchToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; ) {
    const c = glob[i++];
    if (c === '*') {
      if (!out.endsWith('.*')) out += '.*';
    } else if (c === '?') {
      out += '.';
    } else if (c === '[') {
      let j = i;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) {
        out += '\\[';
        continue;
      }
      let set = glob.slice(i, j).replace(/\\/g, '\\\\');
      i = j + 1;
      if (set === '!') {
        out += '.';
        continue;
      }
      if (set[0] === '!') set = '^' + set.slice(1);
      else if (set[0] === '^' || set[0] === '[') set = '\\' + set;
      out += `[${set}]`;
    } else {
      out += c.replace(REGEX_SPECIALS, '\\$&');
    }
  }
  return new RegExp(`^(?:${out})$`, 's');
}

/** A `~regex` term: Python `re.match` semantics (anchored at the start only). */
export function pythonRegExp(source: string): RegExp {
  let body = source;
  let flags = '';
  const inline = /^\(\?([aiLmsux]+)\)/.exec(body);
  if (inline) {
    body = body.slice(inline[0].length);
    flags = [...new Set(inline[1].replace(/[aLux]/g, ''))].join('');
  }
  body = body
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$');
  try {
    return new RegExp(`^(?:${body})`, flags);
  } catch (err) {
    throw new PlayError(`invalid regular expression in host pattern '~${source}': ${(err as Error).message}`, undefined, ExitCode.ERROR);
  }
}

/** A term's matcher: `~` makes it a regex, anything else is an fnmatch glob. */
export function termMatcher(term: string): RegExp {
  return term.startsWith('~') ? pythonRegExp(term.slice(1)) : fnmatchToRegExp(term);
}

/** `[3]` or `[-1]` picks one host; `[1:3]` (inclusive) or `[2:]` a slice. */
export interface Subscript {
  start: number;
  end?: number;
}

const WITH_SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/s;

export function splitSubscript(term: string): { expr: string; subscript?: Subscript } {
  if (term.startsWith('~')) return { expr: term };
  const m = WITH_SUBSCRIPT.exec(term);
  if (!m) return { expr: term };
  if (m[2] !== undefined) return { expr: m[1], subscript: { start: Number(m[2]) } };
  return { expr: m[1], subscript: { start: Number(m[3]), end: m[5] ? Number(m[5]) : -1 } };
}

export function applySubscript(hosts: string[], subscript: Subscript | undefined, term: string): string[] {
  if (!subscript || hosts.length === 0) return hosts;
  const { start, end } = subscript;
  if (end) return hosts.slice(start, end === -1 ? hosts.length : end + 1);
  const index = start < 0 ? hosts.length + start : start;
  if (index < 0 || index >= hosts.length) {
    throw new PlayError(
      `no hosts matched the subscripted pattern '${term}': it selects ${hosts.length} host(s), numbered 0 to ${hosts.length - 1}`,
      undefined,
      ExitCode.ERROR,
    );
  }
  return [hosts[index]];
}
