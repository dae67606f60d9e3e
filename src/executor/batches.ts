/**
 * Split a play's hosts into `serial` batches, as Ansible: each entry is a size or a percentage of all
 * hosts; the last entry repeats until every host is in a batch.
 */
export function serialBatches(hosts: string[], serial: (number | string)[]): string[][] {
  if (serial.length === 0 || hosts.length === 0) return hosts.length ? [hosts] : [];
  const sizes = serial.map((s) => {
    // A size of 0 means the whole play at once; a percentage rounds down but is never below one host.
    if (typeof s === 'number') return s > 0 ? s : hosts.length;
    return Math.max(1, Math.floor((hosts.length * Number(s.replace(/%$/, ''))) / 100));
  });
  const batches: string[][] = [];
  let start = 0;
  for (let i = 0; start < hosts.length; i++) {
    const size = sizes[Math.min(i, sizes.length - 1)];
    batches.push(hosts.slice(start, start + size));
    start += size;
  }
  return batches;
}
