/**
 * Splits a command line into words the way Python's `shlex.split(text)` does (POSIX mode, no comments),
 * which is how Ansible's `command` module reads its free form. Nothing is expanded: `;`, `|`, `$()`
 * and backticks are ordinary characters.
 */
export function shlexSplit(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text[++i];
      else if (ch === '\\' && i + 1 >= text.length) throw new Error('No closing quotation');
      else word += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '\\') {
      if (i + 1 >= text.length) throw new Error('No escaped character');
      word += text[++i];
    } else word += ch;
  }
  if (quote) throw new Error('No closing quotation');
  if (inWord) words.push(word);
  return words;
}
