import pLimit from 'p-limit';
import type { Inventory } from '../inventory/index.js';
import { selectTasks } from '../playbook/select.js';
import type { Playbook, TaskNode } from '../playbook/types.js';
import { ConnectionPool } from './connections.js';
import { HostState } from './host-state.js';
import { PlayRunner } from './play-runner.js';
import { RunStats } from './stats.js';
import type { EventSink, RunOptions } from './types.js';

export type { RunOptions, RunEvent, EventSink } from './types.js';

/**
 * Runs the playbooks in order against the inventory and returns ansible-playbook's exit code.
 * Everything the run does is told through `emit`; nothing here prints.
 */
export async function runPlaybooks(
  playbooks: Playbook[],
  inventory: Inventory,
  options: RunOptions,
  emit: EventSink,
): Promise<number> {
  const pool = new ConnectionPool({
    remoteUser: options.remoteUser,
    privateKey: options.privateKey,
    acceptNewHostKeys: options.acceptNewHostKeys,
  });
  const stats = new RunStats();
  const hosts = new Map<string, HostState>();
  const limit = pLimit(Math.max(1, options.forks));
  const selection = { tags: options.tags, skipTags: options.skipTags, startAtTask: options.startAtTask };
  const selectionState = { started: options.startAtTask === undefined };
  const select = (nodes: TaskNode[]) => selectTasks(nodes, selection, selectionState);

  emit({ type: 'run.start', playbooks: playbooks.map((p) => p.path), check: options.check, diff: options.diff });
  try {
    for (const playbook of playbooks) {
      for (const play of playbook.plays) {
        const runner = new PlayRunner(play, { inventory, playbook, options, pool, stats, emit, hosts, limit, select });
        const targets = runner.targetHosts();
        if (targets.length === 0) emit({ type: 'warning', message: `no hosts matched '${play.hosts}'` });
        for (const host of targets) if (!hosts.has(host)) hosts.set(host, new HostState(host));
        await runner.run(targets);
      }
    }
  } finally {
    await pool.closeAll();
  }
  emit({ type: 'recap', stats: stats.snapshot() });
  const exitCode = stats.exitCode();
  emit({ type: 'run.end', exitCode });
  return exitCode;
}
