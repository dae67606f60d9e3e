import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExitCode, OptionsError } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/index.js';
import { fixture, playErrorOf } from './inventory-helpers.js';

/** [fixture, file the error names (relative to malformed/), line, col, words the message must contain] */
const CASES: [string, string, number, number, string][] = [
  ['section-space.ini', 'section-space.ini', 4, 1, "invalid section header '[db servers]'"],
  ['section-type.ini', 'section-type.ini', 3, 1, "section [web:host] has unknown type 'host'"],
  ['range-width.ini', 'range-width.ini', 3, 1, "'[01:5]' must specify equal-length begin and end"],
  ['range-reversed.ini', 'range-reversed.ini', 2, 1, "'[9:1]' must have begin <= end"],
  ['undefined-child.ini', 'undefined-child.ini', 3, 1, "section [kvm:children] includes undefined group 'gpu'"],
  ['vars-only.ini', 'vars-only.ini', 4, 1, "section [db:vars] is for group 'db', which is never defined"],
  ['cycle.ini', 'cycle.ini', 11, 1, "adding group 'a' as child of 'b' creates a loop: a -> b -> a"],
  ['host-var.ini', 'host-var.ini', 2, 1, "expected key=value host variable after 'web1', got 'nope'"],
  ['quote.ini', 'quote.ini', 2, 1, 'No closing quotation'],
  ['trailing-colon.ini', 'trailing-colon.ini', 2, 1, "invalid host 'web1:'"],
  ['priority.ini', 'priority.ini', 5, 1, "ansible_group_priority of group 'web' must be an integer, got 'high'"],
  ['bad-indent.yml', 'bad-indent.yml', 3, 10, 'YAML syntax error'],
  ['duplicate.yml', 'duplicate.yml', 6, 5, "duplicate key 'web'"],
  ['hosts-list.yml', 'hosts-list.yml', 4, 7, "'hosts' of group 'web' must be a mapping, got a list"],
  ['unknown-key.yml', 'unknown-key.yml', 4, 7, "unexpected key 'host' in group 'web': expected hosts, children or vars"],
  ['cycle.yml', 'cycle.yml', 10, 9, "adding group 'a' as child of 'c' creates a loop: a -> b -> c -> a"],
  ['yaml-range.yml', 'yaml-range.yml', 4, 5, "invalid host range in 'node[a:3]'"],
  ['bad-group-vars', 'bad-group-vars/group_vars/web.yml', 2, 1, 'a variables file must hold a mapping'],
];

for (const [source, file, line, col, words] of CASES) {
  test(`malformed ${source}: error at ${file}:${line}:${col}`, async () => {
    const err = await playErrorOf(loadInventory([fixture(`malformed/${source}`)]));
    assert.equal(err.pos, { file: fixture(`malformed/${file}`), line, col });
    assert.ok(err.message.includes(words), `message was: ${err.message}`);
    assert.is(err.exitCode, ExitCode.PARSE_ERROR);
    assert.ok(err.describe().startsWith(`${fixture(`malformed/${file}`)}:${line}:${col}: `));
  });
}

test('a directory inventory stops at the first broken file in name order and names it', async () => {
  // bad-group-vars/hosts is fine (its group_vars/ folder is not an inventory); bad-indent.yml comes next.
  const err = await playErrorOf(loadInventory([fixture('malformed')]));
  assert.equal(err.pos, { file: fixture('malformed/bad-indent.yml'), line: 3, col: 10 });
});

test('a missing source is a bad option (exit 5); a host list needs a comma', async () => {
  const err = await playErrorOf(loadInventory(['no-such-inventory'], { cwd: fixture('') }));
  assert.instance(err, OptionsError);
  assert.is(err.exitCode, ExitCode.BAD_OPTIONS);
  assert.match(err.message, "inventory source 'no-such-inventory' does not exist");
});

test.run();
