/**
 * A reader for Python literals, as `ast.literal_eval` reads them.
 *
 * Ansible's INI inventory passes every `key=value` value through `ast.literal_eval` and keeps the
 * raw text when that fails, so `port=22` is a number, `flag=True` a boolean, `x=true` stays the
 * string "true" and `range=10-5` stays "10-5". We mirror that subset: numbers, strings (with
 * prefixes, escapes and implicit concatenation), True/False/None, lists, tuples, dicts and sets.
 * Values Python can hold but JSON cannot (complex numbers, integers past 2^53) count as
 * failures, so the caller keeps the original text rather than a silently different value.
 */

export type LiteralResult = { ok: true; value: unknown } | { ok: false };

class NotALiteral extends Error {}

const NUMBER = new RegExp(
  [
    '0[xX](?:_?[0-9a-fA-F])+',
    '0[oO](?:_?[0-7])+',
    '0[bB](?:_?[01])+',
    '(?:\\d(?:_?\\d)*)?\\.\\d(?:_?\\d)*(?:[eE][+-]?\\d(?:_?\\d)*)?',
    '\\d(?:_?\\d)*\\.(?:[eE][+-]?\\d(?:_?\\d)*)?',
    '\\d(?:_?\\d)*[eE][+-]?\\d(?:_?\\d)*',
    '[1-9](?:_?\\d)*',
    '0(?:_?0)*',
  ].join('|'),
  'y',
);
const STRING_PREFIX = /(?:[rR][bB]|[bB][rR]|[rRuUbB])?(?='|")/y;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '',
};

class LiteralParser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parseTop(): unknown {
    const { items, sawComma } = this.parseItems(undefined);
    this.skipSpace();
    if (this.pos !== this.src.length || items.length === 0) throw new NotALiteral();
    return sawComma ? items : items[0];
  }

  private peek(): string {
    return this.src[this.pos] ?? '';
  }

  private skipSpace(): void {
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t' || c === '\f' || c === '\n' || c === '\r') this.pos++;
      else if (c === '#') this.pos = this.src.length;
      else break;
    }
  }

  private expect(c: string): void {
    this.skipSpace();
    if (this.peek() !== c) throw new NotALiteral();
    this.pos++;
  }

  /** Comma-separated values up to `close` (or the end of input); trailing comma allowed. */
  private parseItems(close: string | undefined): { items: unknown[]; sawComma: boolean } {
    const items: unknown[] = [];
    let sawComma = false;
    for (;;) {
      this.skipSpace();
      if (this.atClose(close)) break;
      items.push(this.parseValue());
      this.skipSpace();
      if (this.peek() !== ',') break;
      this.pos++;
      sawComma = true;
    }
    return { items, sawComma };
  }

  private atClose(close: string | undefined): boolean {
    return close === undefined ? this.pos >= this.src.length : this.peek() === close;
  }

  private parseValue(): unknown {
    this.skipSpace();
    const c = this.peek();
    if (c === '+' || c === '-') {
      this.pos++;
      this.skipSpace();
      const n = this.parseNumber();
      return c === '-' ? -n : n;
    }
    const value = this.parseAtom();
    this.skipSpace();
    // `10-5` is a BinOp in Python, which literal_eval refuses unless it builds a complex number.
    if (this.peek() === '+' || this.peek() === '-') throw new NotALiteral();
    return value;
  }

  private parseAtom(): unknown {
    const c = this.peek();
    if (c === '[') {
      this.pos++;
      const { items } = this.parseItems(']');
      this.expect(']');
      return items;
    }
    if (c === '(') {
      this.pos++;
      const { items, sawComma } = this.parseItems(')');
      this.expect(')');
      if (items.length === 1 && !sawComma) return items[0];
      return items;
    }
    if (c === '{') return this.parseBrace();
    if (/[0-9.]/.test(c)) return this.parseNumber();
    STRING_PREFIX.lastIndex = this.pos;
    if (STRING_PREFIX.test(this.src)) return this.parseStrings();
    IDENTIFIER.lastIndex = this.pos;
    const m = IDENTIFIER.exec(this.src);
    if (m) {
      this.pos += m[0].length;
      if (m[0] === 'True') return true;
      if (m[0] === 'False') return false;
      if (m[0] === 'None') return null;
    }
    throw new NotALiteral();
  }

  private parseBrace(): unknown {
    this.pos++;
    this.skipSpace();
    if (this.peek() === '}') {
      this.pos++;
      return {};
    }
    const first = this.parseValue();
    this.skipSpace();
    if (this.peek() !== ':') {
      // A set: Ansible turns it into a list; duplicates collapse as they would in Python.
      const items = [first];
      if (this.peek() === ',') {
        this.pos++;
        items.push(...this.parseItems('}').items);
      }
      this.expect('}');
      return items.filter((v, i) => items.findIndex((w) => w === v) === i);
    }
    const dict: Record<string, unknown> = {};
    let key = first;
    for (;;) {
      this.expect(':');
      dict[String(key)] = this.parseValue();
      this.skipSpace();
      if (this.peek() !== ',') break;
      this.pos++;
      this.skipSpace();
      if (this.peek() === '}') break;
      key = this.parseValue();
    }
    this.expect('}');
    return dict;
  }

  private parseNumber(): number {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.src);
    if (!m) throw new NotALiteral();
    this.pos += m[0].length;
    // `010`, `56L`, `1j`, `1x` are syntax errors (or complex numbers) in Python 3.
    if (/[A-Za-z0-9_.]/.test(this.peek())) throw new NotALiteral();
    const text = m[0].replace(/_/g, '');
    const radix = /^0[xX]/.test(text) ? 16 : /^0[oO]/.test(text) ? 8 : /^0[bB]/.test(text) ? 2 : 10;
    if (radix !== 10) return this.safeInteger(parseInt(text.slice(2), radix));
    const value = Number(text);
    return /[.eE]/.test(text) ? value : this.safeInteger(value);
  }

  private safeInteger(value: number): number {
    if (!Number.isSafeInteger(value)) throw new NotALiteral();
    return value;
  }

  /** One or more adjacent string literals, concatenated as Python does. */
  private parseStrings(): string {
    let out = '';
    do {
      out += this.parseString();
      this.skipSpace();
      STRING_PREFIX.lastIndex = this.pos;
    } while (STRING_PREFIX.test(this.src));
    return out;
  }

  private parseString(): string {
    STRING_PREFIX.lastIndex = this.pos;
    const prefix = STRING_PREFIX.exec(this.src)![0].toLowerCase();
    this.pos += prefix.length;
    const raw = prefix.includes('r');
    const bytes = prefix.includes('b');
    const quote = this.src.startsWith(this.peek().repeat(3), this.pos) ? this.peek().repeat(3) : this.peek();
    this.pos += quote.length;
    let out = '';
    for (;;) {
      if (this.pos >= this.src.length) throw new NotALiteral();
      if (this.src.startsWith(quote, this.pos)) {
        this.pos += quote.length;
        return out;
      }
      const c = this.src[this.pos++];
      if (c === '\n' && quote.length === 1) throw new NotALiteral();
      if (c !== '\\') {
        out += c;
      } else if (raw) {
        out += c + (this.src[this.pos++] ?? '');
      } else {
        out += this.parseEscape(bytes);
      }
    }
  }

  private parseEscape(bytes: boolean): string {
    const c = this.src[this.pos++] ?? '';
    if (c in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[c];
    const octal = /^[0-7]{1,3}/.exec(this.src.slice(this.pos - 1));
    if (octal) {
      this.pos += octal[0].length - 1;
      return String.fromCodePoint(parseInt(octal[0], 8));
    }
    const width = c === 'x' ? 2 : bytes ? 0 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
    if (width > 0) {
      const hex = this.src.slice(this.pos, this.pos + width);
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) throw new NotALiteral();
      this.pos += width;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) throw new NotALiteral();
      return String.fromCodePoint(code);
    }
    if (c === 'N' && !bytes) throw new NotALiteral();
    return '\\' + c;
  }
}

/** Reads `text` as a Python literal; `{ ok: false }` when Python's literal_eval would refuse it. */
export function literalEval(text: string): LiteralResult {
  // literal_eval strips leading spaces and tabs before parsing.
  const src = text.replace(/^[ \t]+/, '');
  try {
    return { ok: true, value: new LiteralParser(src).parseTop() };
  } catch (err) {
    if (err instanceof NotALiteral) return { ok: false };
    throw err;
  }
}

/** An INI value as Ansible stores it: the literal when there is one, the text otherwise. */
export function iniValue(text: string): unknown {
  const result = literalEval(text);
  return result.ok ? result.value : text;
}
