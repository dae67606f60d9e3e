import { selectTasks, taskLabel, type TaskSelection } from '../playbook/select.js';
import type { Play, Playbook, TaskNode } from '../playbook/types.js';

export interface ListingRequest {
  hosts: boolean;
  tasks: boolean;
  tags: boolean;
}

/** The tasks a play would run after tag selection (--start-at-task does not apply, as in Ansible). */
function selectedTasks(play: Play, tags: Pick<TaskSelection, 'tags' | 'skipTags'>): TaskNode[] {
  const state = { started: true };
  const selection = { tags: tags.tags, skipTags: tags.skipTags };
  return [play.preTasks, play.tasks, play.postTasks].flatMap((section) => selectTasks(section, selection, state));
}

/** Only block bodies are listed (rescue/always run on failure or after), as ansible-playbook does. */
function listedTasks(nodes: readonly TaskNode[]): Exclude<TaskNode, { kind: 'block' }>[] {
  return nodes.flatMap((node) => (node.kind === 'block' ? listedTasks(node.block) : [node]));
}

function listingLabel(task: Exclude<TaskNode, { kind: 'block' }>): string {
  if (task.name !== undefined) return taskLabel(task);
  return task.kind === 'task' ? task.module : 'meta';
}

/**
 * ansible-playbook's --list-hosts / --list-tasks / --list-tags output for one playbook, line for line:
 * `playbook: X`, then per play `  play #N (hosts): name<TAB>TAGS: [...]` and what was asked.
 */
export function formatListing(
  shownPath: string,
  playbook: Playbook,
  request: ListingRequest,
  selection: Pick<TaskSelection, 'tags' | 'skipTags'>,
  hostsOf: (play: Play) => string[],
): string {
  let text = `\nplaybook: ${shownPath}\n`;
  playbook.plays.forEach((play, index) => {
    let message = `\n  play #${index + 1} (${play.hosts}): ${play.name}\tTAGS: [${play.tags.join(',')}]`;
    if (request.hosts) {
      const hosts = hostsOf(play);
      message += `\n    pattern: ['${play.hosts}']\n    hosts (${hosts.length}):`;
      for (const host of hosts) message += `\n      ${host}`;
    }
    text += `${message}\n`;
    if (!request.tasks && !request.tags) return;
    let taskMessage = request.tasks ? '    tasks:\n' : '';
    const allTags = new Set(play.tags);
    for (const task of listedTasks(selectedTasks(play, selection))) {
      for (const tag of task.tags) allTags.add(tag);
      if (request.tasks) {
        const tags = [...new Set([...play.tags, ...task.tags])].sort();
        taskMessage += `      ${listingLabel(task)}\tTAGS: [${tags.join(', ')}]\n`;
      }
    }
    if (request.tags) taskMessage += `      TASK TAGS: [${[...allTags].sort().join(', ')}]\n`;
    text += taskMessage;
  });
  return text;
}
