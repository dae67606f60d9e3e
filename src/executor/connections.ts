import { connectionSettingsFromVars, createConnection } from '../connection/index.js';
import { LocalConnection } from '../connection/local.js';
import type { Connection } from '../connection/types.js';
import type { Vars } from '../playbook/types.js';

export interface ConnectionDefaults {
  remoteUser?: string;
  privateKey?: string;
  acceptNewHostKeys: boolean;
}

/** One connection per host for the whole run, opened on first use and reused by every task. */
export class ConnectionPool {
  private readonly open = new Map<string, Promise<Connection>>();
  /** For controller-side work and `delegate_to: localhost`. */
  readonly local = new LocalConnection('localhost');

  constructor(private readonly defaults: ConnectionDefaults) {}

  get(host: string, vars: Vars): Promise<Connection> {
    let pending = this.open.get(host);
    if (!pending) {
      pending = this.connect(host, vars);
      this.open.set(host, pending);
      // A failed attempt is not cached: a later play may try again.
      pending.catch(() => this.open.delete(host));
    }
    return pending;
  }

  private async connect(host: string, vars: Vars): Promise<Connection> {
    const conn = createConnection(connectionSettingsFromVars(host, vars, this.defaults));
    await conn.connect();
    return conn;
  }

  /** Drop a host's connection (`meta: reset_connection`); the next task opens a new one. */
  async reset(host: string): Promise<void> {
    const pending = this.open.get(host);
    this.open.delete(host);
    if (pending) await pending.then((c) => c.close(), () => undefined);
  }

  /** The end of a run: every connection says goodbye, and nothing waits a round trip for the servers' answers. */
  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close({ awaitServer: false }), () => undefined)));
  }
}
