import type { SourcePos } from '../errors.js';
import type { FileDiff, ModuleResult } from '../modules/types.js';
import type { Vars } from '../playbook/types.js';

/** What the CLI hands the executor; every field already validated. */
export interface RunOptions {
  /** --limit pattern, applied on top of each play's `hosts`. */
  limit?: string;
  tags: string[];
  skipTags: string[];
  check: boolean;
  diff: boolean;
  /** Upper bound of hosts worked on at once (default 50). */
  forks: number;
  extraVars: Vars;
  startAtTask?: string;
  /** -b/--become: become on every play. */
  become: boolean;
  becomeUser?: string;
  /** -u: default remote user. */
  remoteUser?: string;
  /** --private-key: default key file. */
  privateKey?: string;
  verbosity: number;
  /** Trust and record host keys never seen before (changed keys are always refused). */
  acceptNewHostKeys: boolean;
  forceHandlers: boolean;
}

/** A task or handler as the output shows it. */
export interface TaskInfo {
  /** "role : name" style label, as Ansible prints inside TASK [...]. */
  label: string;
  module: string;
  pos: SourcePos;
  handler: boolean;
}

export type HostStatus = 'ok' | 'changed' | 'skipped' | 'failed' | 'unreachable';

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

/** The typed stream the executor emits; console output is one renderer of it. */
export type RunEvent =
  | { type: 'run.start'; playbooks: string[]; check: boolean; diff: boolean }
  | { type: 'play.start'; name: string; hosts: string[] }
  | { type: 'task.start'; task: TaskInfo }
  | {
      type: 'host.result';
      host: string;
      task: TaskInfo;
      status: HostStatus;
      /** Censored (`no_log`) before it is emitted. */
      result: ModuleResult;
      /** The loop item's label when the task loops. */
      item?: string;
      /** A failure that `ignore_errors` turned into a non-fatal one. */
      ignored: boolean;
      delegatedTo?: string;
      diff?: FileDiff[];
    }
  | { type: 'warning'; message: string; host?: string }
  | { type: 'play.end'; name: string }
  | { type: 'recap'; stats: Record<string, HostStats> }
  | { type: 'run.end'; exitCode: number };

export type EventSink = (event: RunEvent) => void;
