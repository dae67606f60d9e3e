// Jinja/Ansible tests available after `is` (`x is defined`, `result is failed`).
import { isMapping, typeName } from './values.js';

type Test = (value: unknown, ...args: unknown[]) => boolean;

/** Ansible's result tests need a registered result, a dict; anything else is a mistake worth naming. */
function result(value: unknown, test: string): Record<string, unknown> {
  if (!isMapping(value)) throw new TypeError(`the '${test}' test expects a registered result (a dict), not ${typeName(value)}`);
  return value;
}

const failed: Test = (value) => result(value, 'failed')['failed'] === true;
const succeeded: Test = (value) => result(value, 'succeeded')['failed'] !== true;
const skipped: Test = (value) => result(value, 'skipped')['skipped'] === true;
const changed: Test = (value) => {
  const registered = result(value, 'changed');
  if (registered['changed'] === true) return true;
  // A looped task's result holds one result per item under `results`.
  const items = registered['results'];
  return Array.isArray(items) && items.some((item) => isMapping(item) && item['changed'] === true);
};

export const TESTS: ReadonlyMap<string, Test> = new Map<string, Test>([
  ['defined', (value) => value !== undefined],
  ['undefined', (value) => value === undefined],
  ['none', (value) => value === null],
  ['true', (value) => value === true],
  ['false', (value) => value === false],
  ['boolean', (value) => typeof value === 'boolean'],
  ['string', (value) => typeof value === 'string'],
  ['number', (value) => typeof value === 'number'],
  ['mapping', (value) => isMapping(value)],
  ['sequence', (value) => Array.isArray(value) || typeof value === 'string'],
  ['failed', failed],
  ['failure', failed],
  ['succeeded', succeeded],
  ['success', succeeded],
  ['changed', changed],
  ['change', changed],
  ['skipped', skipped],
  ['skip', skipped],
]);

/** Tests that look at whether a value exists, so they must not fail on an undefined one. */
export const LENIENT_TESTS: ReadonlySet<string> = new Set(['defined', 'undefined']);
