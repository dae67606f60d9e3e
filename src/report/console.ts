import type { HostStats, RunEvent, TaskInfo } from '../executor/types.js';
import type { ModuleResult } from '../modules/types.js';
import { formatFileDiff } from './diff.js';

const WIDTH = 80;

export interface ConsoleOptions {
  verbosity: number;
  /** Show --diff output. */
  diff: boolean;
  write: (text: string) => void;
  /** Colour the status words (a terminal only). */
  color: boolean;
}

const COLORS = { ok: 32, changed: 33, skipped: 36, failed: 31, unreachable: 31, warning: 35 } as const;

/** Ansible's banner: the title padded with stars to the terminal width. */
export function banner(title: string): string {
  return `\n${title} ${'*'.repeat(Math.max(3, WIDTH - title.length - 1))}\n`;
}

/** Keys Ansible leaves out of a host line's JSON because they say nothing new. */
const QUIET_KEYS = new Set(['diff', 'facts', 'skipped']);

function resultJson(result: ModuleResult): string {
  const shown: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(result)) if (!QUIET_KEYS.has(k) && v !== undefined) shown[k] = v;
  return JSON.stringify(shown, null, 4);
}

/** The console renderer: one consumer of the executor's event stream, as Ansible's default callback. */
export class ConsoleReporter {
  private currentTask?: TaskInfo;
  private taskBannerShown = false;

  constructor(private readonly options: ConsoleOptions) {}

  private paint(kind: keyof typeof COLORS, text: string): string {
    return this.options.color ? `\x1b[${COLORS[kind]}m${text}\x1b[0m` : text;
  }

  private showTaskBanner(): void {
    if (this.taskBannerShown || !this.currentTask) return;
    const task = this.currentTask;
    this.options.write(banner(`${task.handler ? 'RUNNING HANDLER' : 'TASK'} [${task.label}]`));
    this.taskBannerShown = true;
  }

  handle = (event: RunEvent): void => {
    const { write, verbosity } = this.options;
    switch (event.type) {
      case 'play.start':
        write(banner(`PLAY [${event.name}]`));
        if (event.hosts.length === 0) write(this.paint('skipped', 'skipping: no hosts matched\n'));
        break;
      case 'task.start':
        this.currentTask = event.task;
        this.taskBannerShown = false;
        this.showTaskBanner();
        break;
      case 'host.result': {
        this.showTaskBanner();
        const target = event.delegatedTo ? `${event.host} -> ${event.delegatedTo}` : event.host;
        const item = event.item !== undefined ? ` => (item=${event.item})` : '';
        if (this.options.diff && event.diff) for (const d of event.diff) write(formatFileDiff(d));
        const failedLine = event.status === 'failed' || event.status === 'unreachable';
        if (failedLine) {
          const word = event.status === 'unreachable' ? 'UNREACHABLE!' : 'FAILED!';
          const prefix = event.status === 'unreachable' ? 'fatal' : event.item !== undefined ? 'failed' : 'fatal';
          write(this.paint(event.status, `${prefix}: [${target}]${item}: ${word} => ${resultJson(event.result)}\n`));
          if (event.ignored) write(this.paint('skipped', '...ignoring\n'));
          break;
        }
        const word = event.status === 'skipped' ? 'skipping' : event.status;
        const msg = this.messageOf(event.result, event.task, verbosity);
        write(this.paint(event.status, `${word}: [${target}]${item}${msg}\n`));
        break;
      }
      case 'warning':
        write(this.paint('warning', `[WARNING]: ${event.host ? `[${event.host}] ` : ''}${event.message}\n`));
        break;
      case 'recap':
        write(banner('PLAY RECAP'));
        for (const [host, stats] of Object.entries(event.stats)) write(`${recapLine(host, stats)}\n`);
        write('\n');
        break;
      default:
        break;
    }
  };

  /** What follows `ok: [host]`: debug's message always, the whole result with -v. */
  private messageOf(result: ModuleResult, task: TaskInfo, verbosity: number): string {
    if (verbosity > 0) return ` => ${resultJson(result)}`;
    if (task.module === 'debug') {
      const shown: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(result)) if (k !== 'changed' && !QUIET_KEYS.has(k)) shown[k] = v;
      return ` => ${JSON.stringify(shown, null, 4)}`;
    }
    return '';
  }
}

/** One PLAY RECAP line, column-aligned like Ansible's. */
export function recapLine(host: string, s: HostStats): string {
  const cell = (name: string, n: number) => `${name}=${n}`.padEnd(name.length + 6);
  return (
    `${host.padEnd(26)} : ` +
    [
      cell('ok', s.ok),
      cell('changed', s.changed),
      cell('unreachable', s.unreachable),
      cell('failed', s.failed),
      cell('skipped', s.skipped),
      cell('rescued', s.rescued),
      cell('ignored', s.ignored),
    ]
      .join('')
      .trimEnd()
  );
}
