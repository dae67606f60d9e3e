/**
 * File modes as users write them. Following Ansible's guidance: a string is read as octal
 * ('0644', '644', '1777'); an integer is taken as already converted (YAML 1.1 reads `mode: 0644`
 * as 420), so 420 means 0644. An unquoted `0644` read by a YAML 1.2 parser becomes decimal 644,
 * which is mode 01204: quote modes in playbooks. Symbolic modes (`u+x`, `u=rw,g=r,o=`) are kept
 * as written and resolved against the file's current mode by `resolveMode`.
 */
export function normalizeMode(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 0o7777) {
      throw new Error(`mode must be between 0 and 07777 (octal); got ${value}`);
    }
    return value.toString(8).padStart(4, '0');
  }
  if (typeof value === 'string' && /^0?[0-7]{3,4}$/.test(value.trim())) {
    const digits = value.trim().replace(/^0(?=[0-7]{4}$)/, '');
    return digits.padStart(4, '0');
  }
  if (typeof value === 'string' && SYMBOLIC.test(value)) return value;
  throw new Error(`mode must be an octal string such as '0644' or a symbolic mode such as 'u=rw,g=r,o='; got '${String(value)}'`);
}

/** Cross-option check shared by modules taking `mode`: a bad mode is a load-time error. */
export function modeProblem(value: unknown): string | undefined {
  if (typeof value === 'string' && value.includes('{{')) return undefined;
  try {
    normalizeMode(value);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const SYMBOLIC = /^[ugoa]*([-+=]([rwxXst]*|[ugo]))+(,[ugoa]*([-+=]([rwxXst]*|[ugo]))+)*$/;

export const isSymbolicMode = (mode: string) => !/^[0-7]{4}$/.test(mode);

/** Per class: the rwx bits (shift) and the special bit that `s`/`t` set. */
const CLASSES = { u: { shift: 6, special: 0o4000 }, g: { shift: 3, special: 0o2000 }, o: { shift: 0, special: 0o1000 } } as const;
type ClassName = keyof typeof CLASSES;

/** The bits one clause's permission letters stand for, for one class. */
function clauseBits(perms: string, who: ClassName, current: number, isDir: boolean): number {
  if (perms === 'u' || perms === 'g' || perms === 'o') {
    return ((current >> CLASSES[perms].shift) & 7) << CLASSES[who].shift;
  }
  let bits = 0;
  for (const p of perms) {
    if (p === 'r') bits |= 4 << CLASSES[who].shift;
    else if (p === 'w') bits |= 2 << CLASSES[who].shift;
    else if (p === 'x') bits |= 1 << CLASSES[who].shift;
    else if (p === 'X' && (isDir || (current & 0o111) !== 0)) bits |= 1 << CLASSES[who].shift;
    else if (p === 's' && who !== 'o') bits |= CLASSES[who].special;
    else if (p === 't' && who === 'o') bits |= 0o1000;
  }
  return bits;
}

/** chmod's symbolic modes applied to `current`; no class letter means all three (as Ansible does). */
export function applySymbolicMode(current: number, spec: string, isDir: boolean): number {
  let mode = current;
  for (const clause of spec.split(',')) {
    const whoPart = /^[ugoa]*/.exec(clause)![0];
    const who: ClassName[] = whoPart === '' || whoPart.includes('a') ? ['u', 'g', 'o'] : [...new Set(whoPart)] as ClassName[];
    for (const [, op, perms] of clause.slice(whoPart.length).matchAll(/([-+=])([rwxXstugo]*)/g)) {
      const base = mode;
      for (const w of who) {
        const bits = clauseBits(perms!, w, base, isDir);
        if (op === '=') mode &= ~((7 << CLASSES[w].shift) | CLASSES[w].special);
        mode = op === '-' ? mode & ~bits : mode | bits;
      }
    }
  }
  return mode;
}

/**
 * The octal mode a task's `mode` means for this file: octal as is, symbolic applied to the current
 * mode (or, for a file not there yet, to what it would be created with: 0644, directories 0755).
 */
export function resolveMode(mode: string, current: string | undefined, isDir: boolean): string {
  if (!isSymbolicMode(mode)) return mode;
  const base = current !== undefined ? Number.parseInt(current, 8) : isDir ? 0o755 : 0o644;
  return applySymbolicMode(base, mode, isDir).toString(8).padStart(4, '0');
}
