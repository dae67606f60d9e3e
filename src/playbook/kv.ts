/**
 * Ansible's `key=value` argument strings (`copy: src=a dest=b`, `command: ls chdir=/tmp`, `-e a=1 b=2`):
 * words split on blanks except inside quotes or `{{ }}` / `{% %}`, then `key=value` words picked out.
 */

const OPEN_BLOCKS: Record<string, string> = { '{{': '}}', '{%': '%}', '{#': '#}' };

/** A word of an argument string and where it sits in the text. */
interface Word {
  text: string;
  start: number;
  end: number;
}

/** Splits on whitespace, keeping quoted text and template blocks whole (quotes are kept in the word). */
function words(text: string): Word[] {
  const found: Word[] = [];
  let start = -1;
  let quote: string | undefined;
  let blockEnd: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const pair = text.slice(i, i + 2);
    if (blockEnd) {
      if (pair === blockEnd) {
        i++;
        blockEnd = undefined;
      }
      continue;
    }
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (/\s/.test(ch)) {
      if (start >= 0) found.push({ text: text.slice(start, i), start, end: i });
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    if (OPEN_BLOCKS[pair]) {
      blockEnd = OPEN_BLOCKS[pair];
      i++;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    }
  }
  if (quote) throw new Error(`unbalanced ${quote} quote in: ${text}`);
  if (blockEnd) throw new Error(`unclosed template block (missing '${blockEnd}') in: ${text}`);
  if (start >= 0) found.push({ text: text.slice(start), start, end: text.length });
  return found;
}

export function splitArgs(text: string): string[] {
  return words(text).map((word) => word.text);
}

function unquote(value: string): string {
  if (value.length >= 2) {
    const first = value[0];
    if ((first === '"' || first === "'") && value.endsWith(first)) {
      const inner = value.slice(1, -1);
      return first === '"' ? inner.replace(/\\(["\\])/g, '$1') : inner;
    }
  }
  return value;
}

export interface KeyValueArgs {
  options: Record<string, string>;
  /** The text without the `key=value` words taken as options, otherwise as written (newlines and spacing kept). */
  raw: string;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Picks `key=value` words out of `text`. With `acceptKey`, only those keys are options and every
 * other word stays raw text (free-form modules: `command: echo a=b chdir=/tmp`); a multi-line
 * `shell: |` script keeps its lines.
 */
export function parseKeyValue(text: string, acceptKey: (key: string) => boolean = () => true): KeyValueArgs {
  const options: Record<string, string> = {};
  let raw = '';
  let kept = 0;
  for (const word of words(text)) {
    const eq = word.text.indexOf('=');
    const key = eq > 0 ? word.text.slice(0, eq) : '';
    if (!KEY.test(key) || !acceptKey(key)) continue;
    options[key] = unquote(word.text.slice(eq + 1));
    raw += text.slice(kept, word.start);
    kept = word.end;
    // The blanks after a removed word go with it, so "a k=v b" leaves "a b".
    while (kept < text.length && /[ \t]/.test(text[kept]!)) kept++;
  }
  raw += text.slice(kept);
  return { options, raw: raw.trim() };
}
