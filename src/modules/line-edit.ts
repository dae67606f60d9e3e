import { expandMatch, pythonRegex } from './regex.js';

/** lineinfile's options that decide the new content. */
export interface LineEditSpec {
  state: 'present' | 'absent';
  line?: string;
  regexp?: string;
  searchString?: string;
  /** A regexp, or 'EOF'. */
  insertafter?: string;
  /** A regexp, or 'BOF'. */
  insertbefore?: string;
  backrefs?: boolean;
  firstmatch?: boolean;
}

export interface LineEditResult {
  content: string;
  changed: boolean;
  msg: string;
  /** With state=absent: how many lines were removed. */
  found?: number;
}

const NL = '\n';

/** Lines with their terminators, as Python's readlines() returns them. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** A line as a regexp sees it: Python's `$` matches before the final newline, so drop it. */
function body(line: string): string {
  return line.endsWith(NL) ? line.slice(0, -1) : line;
}

function stripEol(line: string): string {
  return line.replace(/[\r\n]+$/, '');
}

/** Ansible's lineinfile, on a file's content: the same matching order and insertion rules. */
export function editLines(content: string, spec: LineEditSpec): LineEditResult {
  return spec.state === 'absent' ? removeLines(content, spec) : ensureLine(content, spec);
}

function removeLines(content: string, spec: LineEditSpec): LineEditResult {
  const regexp = spec.regexp !== undefined ? pythonRegex(spec.regexp) : undefined;
  const matches = (line: string): boolean => {
    if (regexp) return regexp.test(body(line));
    if (spec.searchString !== undefined) return line.includes(spec.searchString);
    return stripEol(line) === spec.line;
  };
  const lines = splitLines(content);
  const kept = lines.filter((line) => !matches(line));
  const found = lines.length - kept.length;
  return { content: kept.join(''), changed: found > 0, msg: found > 0 ? `${found} line(s) removed` : '', found };
}

function ensureLine(content: string, spec: LineEditSpec): LineEditResult {
  const line = spec.line ?? '';
  const lines = splitLines(content);
  const insertbefore = spec.insertbefore;
  const insertafter = spec.insertafter ?? (insertbefore === undefined ? 'EOF' : undefined);
  const firstmatch = spec.firstmatch ?? false;
  const regexp = spec.regexp !== undefined ? pythonRegex(spec.regexp) : undefined;
  let insertPattern: RegExp | undefined;
  if (insertafter !== undefined && insertafter !== 'BOF' && insertafter !== 'EOF') insertPattern = pythonRegex(insertafter);
  else if (insertbefore !== undefined && insertbefore !== 'BOF') insertPattern = pythonRegex(insertbefore);

  // matchAt: the line regexp/search_string (or the exact line) found; insertAt: where insertafter/before points.
  let matchAt = -1;
  let insertAt = -1;
  let match: RegExpExecArray | undefined;
  let searchMatched = false;
  let exactLineMatch = false;

  if (regexp) {
    for (let i = 0; i < lines.length; i++) {
      const m = regexp.exec(body(lines[i]!));
      if (m) {
        matchAt = i;
        match = m;
        if (firstmatch) break;
      }
    }
  }
  if (spec.searchString !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.includes(spec.searchString)) {
        matchAt = i;
        searchMatched = true;
        if (firstmatch) break;
      }
    }
  }
  if (!match && !searchMatched) {
    for (let i = 0; i < lines.length; i++) {
      if (stripEol(lines[i]!) === line) {
        matchAt = i;
        exactLineMatch = true;
      } else if (insertPattern && insertPattern.test(body(lines[i]!))) {
        insertAt = insertafter !== undefined ? i + 1 : i;
        if (firstmatch) break;
      }
    }
  }

  const added = (): LineEditResult => ({ content: lines.join(''), changed: true, msg: 'line added' });
  const unchanged = (): LineEditResult => ({ content: lines.join(''), changed: false, msg: '' });
  const ensureLastLineEnds = () => {
    const last = lines.length - 1;
    if (last >= 0 && !/[\r\n]$/.test(lines[last]!)) lines[last] += NL;
  };

  if (matchAt !== -1) {
    let newLine = spec.backrefs && match ? expandMatch(line, match) : line;
    if (!newLine.endsWith(NL)) newLine += NL;
    if (lines[matchAt] === newLine) return unchanged();
    lines[matchAt] = newLine;
    return { content: lines.join(''), changed: true, msg: 'line replaced' };
  }
  // With backrefs the line cannot be built without a match: Ansible leaves the file alone.
  if (spec.backrefs) return unchanged();
  if (insertbefore === 'BOF' || insertafter === 'BOF') {
    lines.unshift(line + NL);
    return added();
  }
  if (insertafter === 'EOF' || insertAt === -1) {
    ensureLastLineEnds();
    lines.push(line + NL);
    return added();
  }
  if (insertafter !== undefined) {
    // Not again if the line already follows the insertafter match.
    if (insertAt === lines.length) {
      if (stripEol(lines[insertAt - 1]!) === line) return unchanged();
      ensureLastLineEnds();
      lines.push(line + NL);
      return added();
    }
    if (stripEol(lines[insertAt]!) === line) return unchanged();
  }
  lines.splice(insertAt, 0, line + NL);
  return added();
}
