/**
 * Ansible's `key=value` argument strings (`copy: src=a dest=b`, `command: ls chdir=/tmp`, `-e a=1 b=2`):
 * words split on blanks except inside quotes or `{{ }}` / `{% %}`, then `key=value` words picked out.
 */

const OPEN_BLOCKS: Record<string, string> = { '{{': '}}', '{%': '%}', '{#': '#}' };

/** Splits on whitespace, keeping quoted text and template blocks whole (quotes are kept in the word). */
export function splitArgs(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  let blockEnd: string | undefined;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const pair = text.slice(i, i + 2);
    if (blockEnd) {
      current += ch;
      if (pair === blockEnd) {
        current += text[i + 1];
        i++;
        blockEnd = undefined;
      }
      continue;
    }
    if (quote) {
      current += ch;
      if (ch === '\\' && quote === '"' && i + 1 < text.length) {
        current += text[++i];
      } else if (ch === quote) {
        quote = undefined;
      }
      continue;
    }
    if (OPEN_BLOCKS[pair]) {
      blockEnd = OPEN_BLOCKS[pair];
      current += pair;
      started = true;
      i++;
      continue;
    }
    if (/\s/.test(ch)) {
      if (started) words.push(current);
      current = '';
      started = false;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    current += ch;
    started = true;
  }
  if (quote) throw new Error(`unbalanced ${quote} quote in: ${text}`);
  if (blockEnd) throw new Error(`unclosed template block (missing '${blockEnd}') in: ${text}`);
  if (started) words.push(current);
  return words;
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
  /** Words that are not `key=value` (or whose key is not accepted), joined by one space as Ansible does. */
  raw: string;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Picks `key=value` words out of `text`. With `acceptKey`, only those keys are options and every
 * other word stays raw text (free-form modules: `command: echo a=b chdir=/tmp`).
 */
export function parseKeyValue(text: string, acceptKey: (key: string) => boolean = () => true): KeyValueArgs {
  const options: Record<string, string> = {};
  const raw: string[] = [];
  for (const word of splitArgs(text)) {
    const eq = word.indexOf('=');
    const key = eq > 0 ? word.slice(0, eq) : '';
    if (KEY.test(key) && acceptKey(key)) {
      options[key] = unquote(word.slice(eq + 1));
    } else {
      raw.push(word);
    }
  }
  return { options, raw: raw.join(' ') };
}
