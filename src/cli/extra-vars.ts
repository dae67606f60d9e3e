import { existsSync } from 'node:fs';
import path from 'node:path';
import { OptionsError, PlayError } from '../errors.js';
import { parseKeyValue } from '../playbook/kv.js';
import type { Vars } from '../playbook/types.js';
import { parseYamlFile, parseYamlText, toPlain } from '../playbook/yaml-source.js';

function asMapping(value: unknown, given: string): Vars {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OptionsError(`invalid extra vars '${given}': it must give a mapping of names to values`);
  }
  return value as Vars;
}

/**
 * One -e value, as ansible-playbook reads it: `@file` (YAML or JSON), inline JSON/YAML starting
 * with `{` or `[`, or `key=value` words (values stay strings).
 */
export function parseExtraVarsValue(given: string, cwd: string): Vars {
  const text = given.trim();
  if (text === '') return {};
  if (text.startsWith('@')) {
    const file = path.resolve(cwd, text.slice(1));
    if (!existsSync(file)) throw new OptionsError(`extra vars file not found: ${text.slice(1)}`);
    // Errors inside the file are parse errors with a position (exit 4), not option errors.
    return asMapping(toPlain(parseYamlFile(file, text.slice(1))), given);
  }
  if (text.startsWith('/') || text.startsWith('.')) {
    throw new OptionsError(`extra vars '${given}' looks like a file name: write it as '@${given}'`);
  }
  if (text.startsWith('{') || text.startsWith('[')) {
    let value: unknown;
    try {
      value = toPlain(parseYamlText(text, '-e'));
    } catch (error) {
      const reason = error instanceof PlayError ? error.message : String(error);
      throw new OptionsError(`invalid JSON/YAML in extra vars '${given}': ${reason}`);
    }
    return asMapping(value, given);
  }
  let parsed;
  try {
    parsed = parseKeyValue(text);
  } catch (error) {
    throw new OptionsError(`invalid extra vars '${given}': ${(error as Error).message}`);
  }
  if (parsed.raw !== '') {
    throw new OptionsError(
      `invalid extra vars '${given}': '${parsed.raw}' is not KEY=VALUE; use KEY=VALUE words, JSON such as '{"k": 1}', or @file.yml`,
    );
  }
  return parsed.options;
}

/** Every -e in order; later values replace earlier ones (Ansible's hash_behaviour=replace). */
export function parseExtraVars(values: readonly string[], cwd: string): Vars {
  return Object.assign({}, ...values.map((value) => parseExtraVarsValue(value, cwd))) as Vars;
}
