import pLimit from 'p-limit';
import type { Inventory } from '../inventory/index.js';
import type { Handler, MetaTask, Play, Playbook, Task, TaskNode } from '../playbook/types.js';
import { evaluateCondition } from '../vars/index.js';
import { serialBatches } from './batches.js';
import type { ConnectionPool } from './connections.js';
import type { HostState } from './host-state.js';
import { VarScope } from './scope.js';
import type { RunStats } from './stats.js';
import { TaskRunner, taskLabel, type TaskOutcome } from './task-runner.js';
import type { EventSink, RunOptions, TaskInfo } from './types.js';

export interface PlayRunnerDeps {
  inventory: Inventory;
  playbook: Playbook;
  options: RunOptions;
  pool: ConnectionPool;
  stats: RunStats;
  emit: EventSink;
  /** Every host the run has touched, shared by all plays (failures and facts carry over). */
  hosts: Map<string, HostState>;
  /** Bounds the hosts worked on at once, for the whole run (--forks). */
  limit: ReturnType<typeof pLimit>;
  /** Picks the tasks of a section that --tags/--skip-tags/--start-at-task leave. */
  select: (nodes: TaskNode[]) => TaskNode[];
}

/** Why a play stopped early: any_errors_fatal, max_fail_percentage or `meta: end_play`. */
type StopReason = 'fatal' | 'end_play';

function gatherFactsTask(play: Play): Task {
  return {
    kind: 'task',
    name: 'Gathering Facts',
    module: 'setup',
    args: {},
    pos: play.pos,
    when: [],
    tags: ['always'],
    vars: {},
    loopVar: 'item',
    notify: [],
  };
}

/** Runs one play: host selection, serial batches, facts, sections, handlers — linear or free. */
export class PlayRunner {
  private readonly scope: VarScope;
  private readonly runner: TaskRunner;
  private readonly handlersByName = new Map<string, Handler>();
  private readonly handlersByTopic = new Map<string, Handler[]>();
  private stopped?: StopReason;

  constructor(
    private readonly play: Play,
    private readonly deps: PlayRunnerDeps,
  ) {
    this.scope = new VarScope(deps.inventory, deps.playbook, play, deps.hosts, deps.options);
    this.runner = new TaskRunner({
      playbook: deps.playbook,
      options: deps.options,
      pool: deps.pool,
      emit: deps.emit,
      playBecome: play.become,
      playBecomeUser: play.becomeUser,
    });
    for (const handler of play.handlers) {
      if (handler.name !== undefined) {
        this.handlersByName.set(handler.name, handler);
        if (handler.role) this.handlersByName.set(`${handler.role.name} : ${handler.name}`, handler);
      }
      for (const topic of handler.listen) {
        this.handlersByTopic.set(topic, [...(this.handlersByTopic.get(topic) ?? []), handler]);
      }
    }
  }

  private stateOf(host: string): HostState {
    return this.deps.hosts.get(host)!;
  }

  /** Hosts the play targets: its pattern narrowed by --limit, in inventory order. */
  targetHosts(): string[] {
    return this.deps.inventory.select(this.play.hosts, this.deps.options.limit);
  }

  async run(hosts: string[]): Promise<void> {
    const { emit } = this.deps;
    emit({ type: 'play.start', name: this.play.name, hosts });
    const playHosts = hosts.filter((h) => {
      const state = this.stateOf(h);
      return !state.unreachable && !state.failed;
    });
    // Selected once per play: --start-at-task is met in the first batch and every batch runs the same tasks.
    const sections = [this.play.preTasks, this.play.tasks, this.play.postTasks].map(this.deps.select);
    for (const batch of serialBatches(playHosts, this.play.serial)) {
      this.scope.setHosts(playHosts, batch);
      await this.runBatch(sections, batch.map((h) => this.stateOf(h)));
      if (this.stopped) break;
    }
    for (const host of playHosts) this.stateOf(host).notified.clear();
    emit({ type: 'play.end', name: this.play.name });
  }

  private async runBatch(sections: TaskNode[][], batch: HostState[]): Promise<void> {
    for (const host of batch) host.ended = false;
    if (this.play.strategy === 'free') {
      await Promise.all(batch.map((host) => this.runSections(sections, [host], batch)));
    } else {
      await this.runSections(sections, batch, batch);
    }
    if (!this.stopped) this.checkFailPercentage(batch);
  }

  private async runSections(sections: TaskNode[][], hosts: HostState[], batch: HostState[]): Promise<void> {
    if (this.play.gatherFacts) await this.runNodes([gatherFactsTask(this.play)], hosts, batch);
    for (const section of sections) {
      await this.runNodes(section, hosts, batch);
      await this.flushHandlers(hosts);
      if (this.stopped) return;
    }
  }

  /**
   * Runs nodes in order on the hosts still active; returns the hosts that failed in them.
   * `rescuable`: inside a block with a rescue, where a failure counts as rescued, not failed (Ansible's recap).
   */
  private async runNodes(nodes: TaskNode[], hosts: HostState[], batch: HostState[], rescuable = false): Promise<Set<HostState>> {
    const failed = new Set<HostState>();
    let active = hosts.filter((h) => h.active);
    for (const node of nodes) {
      if (this.stopped || active.length === 0) break;
      const nodeFailed = await this.runNode(node, active, batch, rescuable);
      for (const host of nodeFailed) failed.add(host);
      active = active.filter((h) => h.active && !nodeFailed.has(h));
    }
    return failed;
  }

  private async runNode(node: TaskNode, hosts: HostState[], batch: HostState[], rescuable: boolean): Promise<Set<HostState>> {
    switch (node.kind) {
      case 'task':
        return this.runTask(node, hosts, taskLabel(node), batch, rescuable);
      case 'meta':
        await this.runMeta(node, hosts);
        return new Set();
      case 'block': {
        const failedInBlock = await this.runNodes(node.block, hosts, batch, rescuable || node.rescue.length > 0);
        let stillFailed = failedInBlock;
        const toRescue = [...failedInBlock].filter((h) => !h.unreachable);
        if (node.rescue.length > 0 && toRescue.length > 0) {
          for (const host of toRescue) {
            host.failed = false;
            this.deps.stats.of(host.name).rescued++;
          }
          this.scope.hostsChanged();
          const failedInRescue = await this.runNodes(node.rescue, toRescue, batch, rescuable);
          stillFailed = new Set([...failedInBlock].filter((h) => h.unreachable || failedInRescue.has(h)));
        }
        // `always` runs on every host that entered the block, failed in it or not.
        for (const host of stillFailed) host.failed = false;
        this.scope.hostsChanged();
        const alwaysHosts = hosts.filter((h) => !h.unreachable && !h.ended);
        const failedInAlways = await this.runNodes(node.always, alwaysHosts, batch, rescuable);
        for (const host of stillFailed) host.failed = true;
        this.scope.hostsChanged();
        return new Set([...stillFailed, ...failedInAlways]);
      }
    }
  }

  private async runMeta(node: MetaTask, hosts: HostState[]): Promise<void> {
    const applies = (host: HostState) =>
      node.when.every((c) => evaluateCondition(c, this.scope.forHost(host.name), node.pos));
    switch (node.action) {
      case 'flush_handlers':
        await this.flushHandlers(hosts);
        break;
      case 'end_play':
        if (hosts.some(applies)) this.stopped = 'end_play';
        break;
      case 'end_host':
        for (const host of hosts.filter(applies)) host.ended = true;
        this.scope.hostsChanged();
        break;
      case 'clear_facts':
        for (const host of hosts.filter(applies)) host.facts = {};
        break;
      case 'reset_connection':
        await Promise.all(hosts.filter(applies).map((h) => this.deps.pool.reset(h.name)));
        break;
      case 'noop':
      case 'refresh_inventory':
        break;
    }
  }

  /** A task on every given host (or the first, with run_once); returns the hosts it failed on. */
  private async runTask(
    task: Task,
    hosts: HostState[],
    info: TaskInfo,
    batch: HostState[],
    rescuable = false,
  ): Promise<Set<HostState>> {
    const { emit, limit } = this.deps;
    emit({ type: 'task.start', task: info });
    const targets = task.runOnce ? hosts.slice(0, 1) : hosts;
    const outcomes = await Promise.all(
      targets.map((host) =>
        limit(async () => {
          const vars = this.scope.forTask(host.name, task);
          return [host, await this.runner.run(task, host, vars, info)] as const;
        }),
      ),
    );
    if (task.runOnce && outcomes.length > 0) this.shareRunOnce(task, outcomes[0][0], hosts);
    const failed = new Set<HostState>();
    for (const [host, outcome] of outcomes) {
      this.count(host, outcome, rescuable);
      if (outcome.result.changed && outcome.status !== 'failed' && outcome.status !== 'unreachable') {
        this.notify(task, host);
      }
      if (outcome.status === 'unreachable') {
        host.unreachable = true;
        failed.add(host);
      } else if (outcome.fatal) {
        host.failed = true;
        failed.add(host);
      }
    }
    if (failed.size > 0) {
      this.scope.hostsChanged();
      if (this.play.anyErrorsFatal && [...failed].some((h) => !h.unreachable)) this.stopped = 'fatal';
      else this.checkFailPercentage(batch);
    }
    return failed;
  }

  /** run_once: the one result is registered on every host of the batch, as Ansible does. */
  private shareRunOnce(task: Task, first: HostState, hosts: HostState[]): void {
    if (!task.register) return;
    for (const host of hosts) if (host !== first) host.hostFacts[task.register] = first.hostFacts[task.register];
  }

  private count(host: HostState, outcome: TaskOutcome, rescuable: boolean): void {
    const stats = this.deps.stats.of(host.name);
    switch (outcome.status) {
      case 'ok':
        stats.ok++;
        break;
      case 'changed':
        stats.ok++;
        stats.changed++;
        break;
      case 'skipped':
        stats.skipped++;
        break;
      case 'unreachable':
        stats.unreachable++;
        break;
      case 'failed':
        if (outcome.fatal) {
          if (!rescuable) stats.failed++;
        } else {
          stats.ok++;
          stats.ignored++;
          if (outcome.result.changed) stats.changed++;
        }
        break;
    }
  }

  /** A name reaches the handler defined last under it (Ansible's rule); a listen topic reaches them all. */
  private notify(task: Task, host: HostState): void {
    for (const name of task.notify) {
      const named = this.handlersByName.get(name);
      if (named) host.notified.add(named);
      for (const handler of this.handlersByTopic.get(name) ?? []) host.notified.add(handler);
    }
  }

  /** max_fail_percentage is per batch and must be exceeded, as in Ansible. */
  private checkFailPercentage(batch: HostState[]): void {
    const max = this.play.maxFailPercentage;
    if (max === undefined || batch.length === 0) return;
    const failed = batch.filter((h) => h.failed || h.unreachable).length;
    if ((failed / batch.length) * 100 > max) this.stopped = 'fatal';
  }

  /** Each notified handler once, in definition order, on the hosts that notified it. */
  private async flushHandlers(hosts: HostState[]): Promise<void> {
    const force = this.deps.options.forceHandlers || this.play.forceHandlers;
    const eligible = (h: HostState) => !h.unreachable && (h.active || (force && h.failed));
    for (const handler of this.play.handlers) {
      const targets = hosts.filter((h) => h.notified.has(handler) && eligible(h));
      for (const host of targets) host.notified.delete(handler);
      if (targets.length === 0) continue;
      await this.runHandler(handler, targets);
    }
  }

  private async runHandler(handler: Handler, targets: HostState[]): Promise<void> {
    const failedBefore = new Set(targets.filter((h) => h.failed));
    const failed = await this.runTask(handler, targets, taskLabel(handler, true), targets);
    // A failed host forced to run its handlers stays failed; the others fail now.
    for (const host of failed) if (!failedBefore.has(host)) host.failed = true;
  }
}
