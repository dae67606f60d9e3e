import type { HostStats } from './types.js';

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}

/** Per-host counters for PLAY RECAP, kept for the whole run across plays. */
export class RunStats {
  private readonly byHost = new Map<string, HostStats>();

  of(host: string): HostStats {
    let stats = this.byHost.get(host);
    if (!stats) {
      stats = emptyStats();
      this.byHost.set(host, stats);
    }
    return stats;
  }

  /** Hosts sorted by name, as in Ansible's recap. */
  snapshot(): Record<string, HostStats> {
    const names = [...this.byHost.keys()].sort();
    return Object.fromEntries(names.map((n) => [n, { ...this.byHost.get(n)! }]));
  }

  /** ansible-playbook's exit code: unreachable wins over failed. */
  exitCode(): number {
    let failed = false;
    for (const s of this.byHost.values()) {
      if (s.unreachable > 0) return 4;
      if (s.failed > 0) failed = true;
    }
    return failed ? 2 : 0;
  }
}
