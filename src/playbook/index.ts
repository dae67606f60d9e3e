export { loadPlaybook, playbookPath } from './load.js';
export type { LoadOptions } from './context.js';
export {
  selectTasks,
  shouldRunByTags,
  taskLabel,
  matchesStartAt,
  type TaskSelection,
  type SelectionState,
} from './select.js';
export { parseKeyValue, splitArgs, type KeyValueArgs } from './kv.js';
export { parseYamlText, parseYamlFile, toPlain, type YNode } from './yaml-source.js';
export type * from './types.js';
