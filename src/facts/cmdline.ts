/**
 * Kernel command lines (/proc/cmdline, GRUB_CMDLINE_LINUX, grubby's args) split the way the kernel
 * splits them: on whitespace outside double quotes, with the quotes around a value removed.
 */
export function splitKernelArgs(cmdline: string): string[] {
  const args: string[] = [];
  let current = '';
  let inQuotes = false;
  for (const ch of cmdline) {
    if (ch === '"') inQuotes = !inQuotes;
    if (!inQuotes && /\s/.test(ch)) {
      if (current) args.push(stripQuotes(current));
      current = '';
    } else {
      current += ch;
    }
  }
  if (current) args.push(stripQuotes(current));
  return args;
}

/** `a="x y"` → `a=x y`, `"a=x y"` → `a=x y`: the kernel drops the quotes, keeps what is inside. */
function stripQuotes(arg: string): string {
  return arg.replace(/"/g, '');
}

/** As Ansible's ansible_cmdline: `key` → value, or true for a bare flag; a repeated key keeps its last value. */
export function kernelArgsToDict(args: readonly string[]): Record<string, string | true> {
  const entries = new Map<string, string | true>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq < 0) entries.set(arg, true);
    else entries.set(arg.slice(0, eq), arg.slice(eq + 1));
  }
  // fromEntries defines own properties, so an argument named __proto__ cannot reach the prototype.
  return Object.fromEntries(entries);
}
