import type { Block, MetaTask, Task, TaskNode } from './types.js';

/** What the user asked to run: --tags, --skip-tags, --start-at-task. */
export interface TaskSelection {
  tags: string[];
  skipTags: string[];
  startAtTask?: string;
}

/**
 * Carried across sections and plays: once --start-at-task has matched, everything after it runs,
 * in this play and the following ones (as Ansible). Start with `started: startAtTask === undefined`.
 */
export interface SelectionState {
  started: boolean;
  /**
   * Sections already selected. Selecting the same section again (the next serial batch, another host
   * under strategy free) gives the same tasks, so every batch starts at the --start-at-task match.
   */
  memo?: WeakMap<readonly TaskNode[], TaskNode[]>;
}

/**
 * Ansible's tag rule (Taggable.evaluate_tags): with --tags, a task runs when tagged `always`, when
 * `all` is asked and it is not tagged `never`, when it shares a tag, or when `tagged` is asked and it
 * has tags (and not `never`); `untagged` matches tasks without tags. --skip-tags then removes tasks
 * sharing a skipped tag (`all` skips everything but `always`, unless `always` is skipped too).
 */
export function shouldRunByTags(taskTags: readonly string[], only: readonly string[], skip: readonly string[]): boolean {
  const tags = new Set(taskTags.length > 0 ? taskTags : ['untagged']);
  const untagged = taskTags.length === 0;
  const asked = only.length > 0 ? only : ['all'];
  const shares = (list: readonly string[]) => list.some((tag) => tags.has(tag));
  let run =
    tags.has('always') ||
    (asked.includes('all') && !tags.has('never')) ||
    shares(asked) ||
    (asked.includes('tagged') && !untagged && !tags.has('never'));
  if (run && skip.length > 0) {
    if (skip.includes('all')) {
      if (!tags.has('always') || skip.includes('always')) run = false;
    } else if (shares(skip)) {
      run = false;
    } else if (skip.includes('tagged') && !untagged) {
      run = false;
    }
  }
  return run;
}

/** The name output shows in `TASK [...]`: "role : name", or the module when the task has no name. */
export function taskLabel(task: Task | MetaTask): string {
  const own = task.name ?? (task.kind === 'task' ? task.module : 'meta');
  return task.role ? `${task.role.name} : ${own}` : own;
}

/** Python fnmatch: `*`, `?`, `[seq]`, `[!seq]`; every other character literal. */
export function fnmatchToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (ch === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      source += `[${negate ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\^/g, '\\^')}]`;
      i = close;
    } else source += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

/** --start-at-task matches the task's name or its "role : name" label, exactly or as an fnmatch glob. */
export function matchesStartAt(task: Task | MetaTask, pattern: string): boolean {
  const glob = fnmatchToRegExp(pattern);
  const candidates = [task.name, taskLabel(task)].filter((c): c is string => c !== undefined);
  return candidates.some((c) => c === pattern || glob.test(c));
}

/**
 * The nodes of one section that should run: tasks before the --start-at-task match are dropped, then
 * the tag rule applies to each task (blocks keep what remains inside them, and vanish when empty).
 */
export function selectTasks(nodes: readonly TaskNode[], selection: TaskSelection, state: SelectionState): TaskNode[] {
  state.memo ??= new WeakMap();
  const known = state.memo.get(nodes);
  if (known) return known;
  const kept: TaskNode[] = [];
  for (const node of nodes) {
    if (node.kind === 'block') {
      const block = selectBlock(node, selection, state);
      if (block) kept.push(block);
      continue;
    }
    if (!state.started) {
      if (selection.startAtTask === undefined || !matchesStartAt(node, selection.startAtTask)) continue;
      state.started = true;
    }
    if (shouldRunByTags(node.tags, selection.tags, selection.skipTags)) kept.push(node);
  }
  state.memo.set(nodes, kept);
  return kept;
}

function selectBlock(block: Block, selection: TaskSelection, state: SelectionState): Block | undefined {
  const body = selectTasks(block.block, selection, state);
  const rescue = selectTasks(block.rescue, selection, state);
  const always = selectTasks(block.always, selection, state);
  if (body.length + rescue.length + always.length === 0) return undefined;
  return { ...block, block: body, rescue, always };
}
