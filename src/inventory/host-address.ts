/**
 * Host names as Ansible reads them in inventories: `name[:port]`, `[ipv6]:port`, and ranges such
 * as `node[01:50]`, `node[1:10:2]` or `db-[a:f]` that expand to many hosts.
 */

export class HostRangeError extends Error {}

const NUMERIC_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const IPV6_PART = `(?:[0-9a-f]{1,4}|${NUMERIC_RANGE})`;
const IPV4_PART = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
/** A host name label: letters, digits, `_` and `-` (not last); `characters` is that class's content. */
const label = (characters: string) => `(?:[${characters}_]|${ALNUM_RANGE})(?:[${characters}_-]|${ALNUM_RANGE})*(?<![_-])`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;
const IPV4 = new RegExp(`^(?:${IPV4_PART}\\.){3}${IPV4_PART}$`, 'i');
const IPV6 = new RegExp(
  '^(?:' +
    [
      `(?:${IPV6_PART}:){7}${IPV6_PART}`,
      `(?:${IPV6_PART}:){1,6}:`,
      `(?:${IPV6_PART}:)(?::${IPV6_PART}){1,6}`,
      `(?:${IPV6_PART}:){2}(?::${IPV6_PART}){1,5}`,
      `(?:${IPV6_PART}:){3}(?::${IPV6_PART}){1,4}`,
      `(?:${IPV6_PART}:){4}(?::${IPV6_PART}){1,3}`,
      `(?:${IPV6_PART}:){5}(?::${IPV6_PART}){1,2}`,
      `(?:${IPV6_PART}:){6}(?::${IPV6_PART})`,
      `:(?::${IPV6_PART}){1,6}`,
      `${IPV6_PART}?::`,
      `(?:0:){6}(?:${IPV6_PART}\\.){3}${IPV6_PART}`,
      `::(?:ffff:)?(?:${IPV6_PART}\\.){3}${IPV6_PART}`,
      `(?:0:){5}ffff:(?:${IPV6_PART}\\.){3}${IPV6_PART}`,
    ].join('|') +
    ')$',
  'i',
);
const hostName = (characters: string, flags: string) =>
  new RegExp(`^${label(characters)}(?:\\.${label(characters)})*$`, flags);
const ASCII_HOSTNAME = hostName('a-z0-9', 'i');
/** Unicode letters and digits as Ansible allows; compiling it costs milliseconds, so ASCII names skip it. */
let unicodeHostName: RegExp | undefined;
function isUnicodeHostName(text: string): boolean {
  if (!/[^\x00-\x7f]/.test(text)) return false;
  unicodeHostName ??= hostName('\\p{L}\\p{N}', 'iu');
  return unicodeHostName.test(text);
}

export interface HostAddress {
  host: string;
  port?: number;
}

/**
 * Ansible's parse_address: splits off a `:port` and checks that what is left is an IPv4/IPv6
 * address or a host name (ranges allowed when `allowRanges`). Undefined when it is none of these.
 */
export function parseAddress(address: string, allowRanges: boolean): HostAddress | undefined {
  let rest = address;
  let port: number | undefined;
  for (const form of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = form.exec(rest);
    if (m) {
      rest = m[1];
      port = Number(m[2]);
    }
  }
  // Plain names first: most inventories never need the large IPv6 expression compiled.
  if (!ASCII_HOSTNAME.test(rest) && !IPV4.test(rest) && !IPV6.test(rest) && !isUnicodeHostName(rest)) return undefined;
  if (!allowRanges && rest.includes('[')) return undefined;
  return { host: rest, port };
}

const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

function toInteger(text: string, what: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(text)) throw new HostRangeError(`host range ${what} '${text}' is not a number`);
  return Number(text);
}

/** Expands the first `[begin:end(:step)]` of `pattern`, recursively, as Ansible does. */
export function expandHostRange(pattern: string): string[] {
  const open = pattern.indexOf('[');
  const close = pattern.indexOf(']', open);
  if (open < 0) return [pattern];
  if (close < 0) throw new HostRangeError(`host range in '${pattern}' has no closing ']'`);
  const head = pattern.slice(0, open);
  const tail = pattern.slice(close + 1);
  const bounds = pattern.slice(open + 1, close).split(':');
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new HostRangeError(`host range '[${bounds.join(':')}]' must be begin:end or begin:end:step`);
  }
  const begin = bounds[0] || '0';
  const end = bounds[1];
  const step = bounds.length === 3 ? toInteger(bounds[2], 'step') : 1;
  if (!end) throw new HostRangeError(`host range '[${bounds.join(':')}]' must specify an end value`);
  if (step <= 0) throw new HostRangeError(`host range step must be a positive number, got ${step}`);

  let sequence: string[];
  if (begin.length === 1 && end.length === 1 && ASCII_LETTERS.includes(begin) && ASCII_LETTERS.includes(end)) {
    const from = ASCII_LETTERS.indexOf(begin);
    const to = ASCII_LETTERS.indexOf(end);
    if (from > to) throw new HostRangeError(`host range '[${begin}:${end}]' must have begin <= end`);
    sequence = [];
    for (let i = from; i <= to; i += step) sequence.push(ASCII_LETTERS[i]);
  } else {
    const width = begin.length > 1 && begin.startsWith('0') ? begin.length : 0;
    if (width && end.length !== width) {
      throw new HostRangeError(`host range '[${begin}:${end}]' must specify equal-length begin and end formats`);
    }
    const from = toInteger(begin, 'begin');
    const to = toInteger(end, 'end');
    // Python's range() would silently give no hosts at all; that is always a typo in an inventory.
    if (from > to) throw new HostRangeError(`host range '[${begin}:${end}]' must have begin <= end`);
    sequence = [];
    for (let i = from; i <= to; i += step) sequence.push(String(i).padStart(width, '0'));
  }
  return sequence.flatMap((item) => expandHostRange(head + item + tail));
}

/** A host entry of an inventory (`name`, `name:port`, `node[1:3]`) → host names and port. */
export function expandHostPattern(pattern: string): { hosts: string[]; port?: number } {
  const address = parseAddress(pattern, true);
  const name = address ? address.host : pattern;
  return { hosts: name.includes('[') ? expandHostRange(name) : [name], port: address?.port };
}
