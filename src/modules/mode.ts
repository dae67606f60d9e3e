/**
 * File modes as users write them. Following Ansible's guidance: a string is read as octal
 * ('0644', '644', '1777'); an integer is taken as already converted (YAML 1.1 reads `mode: 0644`
 * as 420), so 420 means 0644. An unquoted `0644` read by a YAML 1.2 parser becomes decimal 644,
 * which is mode 01204: quote modes in playbooks.
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
  throw new Error(`mode must be an octal string such as '0644'; got '${String(value)}'`);
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
