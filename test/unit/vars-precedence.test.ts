import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PlayError, type SourcePos } from '../../src/errors.js';
import { buildVars, evaluate, lazyHostvars, PRECEDENCE, renderTemplate, templateValue, withExtraVars, type VarLayers } from '../../src/vars/index.js';

const TASK: SourcePos = { file: 'playbooks/site.yml', line: 40, col: 7 };

type Level = Exclude<keyof VarLayers, 'pos'>;

/** Every level defines `ansible_x` as its own name, so the winner is visible (facts as `x`, injected as `ansible_x`). */
function everyLevel(): VarLayers {
  return {
    roleDefaults: { ansible_x: 'roleDefaults' },
    inventory: { ansible_x: 'inventory' },
    facts: { x: 'facts' },
    playVars: { ansible_x: 'playVars' },
    varsFiles: { ansible_x: 'varsFiles' },
    roleVars: { ansible_x: 'roleVars' },
    blockVars: [{ ansible_x: 'blockVars' }],
    taskVars: { ansible_x: 'taskVars' },
    hostFacts: { ansible_x: 'hostFacts' },
    extraVars: { ansible_x: 'extraVars' },
    overrides: { ansible_x: 'overrides' },
    magic: { ansible_x: 'magic' },
  };
}

test('PRECEDENCE lists every level, lowest first', () => {
  assert.equal(
    PRECEDENCE.map((p) => p.level),
    ['roleDefaults', 'inventory', 'facts', 'playVars', 'varsFiles', 'roleVars', 'blockVars', 'taskVars', 'hostFacts', 'extraVars', 'overrides', 'magic'],
  );
  for (const p of PRECEDENCE) assert.ok(p.description.length > 0);
});

test('a variable set at every level: removing the top level each time reveals the next one down', () => {
  const layers = everyLevel();
  const levels = PRECEDENCE.map((p) => p.level as Level).reverse();
  for (const level of levels) {
    assert.is(buildVars(layers).ansible_x, level, `with ${level} on top`);
    delete layers[level];
  }
  assert.is(buildVars(layers).ansible_x, undefined);
});

test('facts appear as ansible_facts.<name> and as ansible_<name>; play vars override them', () => {
  const facts = { distribution: 'CentOS', gpus: [{ id: '10de:1eb8' }] };
  const vars = buildVars({ facts });
  assert.is(vars.ansible_distribution, 'CentOS');
  assert.equal((vars.ansible_facts as { gpus: unknown }).gpus, facts.gpus);
  assert.is(buildVars({ facts, playVars: { ansible_distribution: 'Rocky' } }).ansible_distribution, 'Rocky');
  assert.is(buildVars({ facts, roleDefaults: { ansible_distribution: 'x' } }).ansible_distribution, 'CentOS');
});

test('inner block vars win over outer ones; task vars over both', () => {
  const blocks = [{ x: 'outer', y: 'outer' }, { x: 'inner' }];
  assert.equal(buildVars({ blockVars: blocks }), { x: 'inner', y: 'outer' });
  assert.equal(buildVars({ blockVars: blocks, taskVars: { y: 'task' } }), { x: 'inner', y: 'task' });
});

test('dicts are replaced whole, not merged (hash_behaviour=replace)', () => {
  const vars = buildVars({ roleDefaults: { vfio: { ids: [], softdep: true } }, playVars: { vfio: { ids: ['10de:1eb8'] } } });
  assert.equal(vars.vfio, { ids: ['10de:1eb8'] });
});

test('magic variables cannot be overridden, not even by extra vars', () => {
  const vars = buildVars({ extraVars: { inventory_hostname: 'evil' }, taskVars: { groups: {} }, magic: { inventory_hostname: 'node1', groups: { all: ['node1'] } } });
  assert.is(vars.inventory_hostname, 'node1');
  assert.equal(vars.groups, { all: ['node1'] });
});

test('templated vars are rendered lazily against all levels, higher ones included', () => {
  const vars = buildVars({
    roleDefaults: { ids_line: 'ids={{ join gpu_ids "," }}', gpu_ids: [] },
    taskVars: { gpu_ids: '{{ detected }}', nic: '{{ default bond_nic "eth0" }}' },
    hostFacts: { detected: ['10de:1eb8', '10de:10f8'] },
    pos: TASK,
  });
  assert.equal(vars.gpu_ids, ['10de:1eb8', '10de:10f8']);
  assert.is(vars.ids_line, 'ids=10de:1eb8,10de:10f8');
  assert.is(vars.nic, 'eth0');
  assert.is(evaluate('gpu_ids | length == 2', vars, TASK), true);
  assert.is(renderTemplate('{{ids_line}}', vars, TASK), 'ids=10de:1eb8,10de:10f8');
  assert.equal(JSON.parse(JSON.stringify(vars)).gpu_ids, ['10de:1eb8', '10de:10f8']);
});

test('registered results are never templated (they are data from hosts)', () => {
  const vars = buildVars({ hostFacts: { out: { stdout: 'literally {{ not_a_var }}' } } });
  assert.equal(vars.out, { stdout: 'literally {{ not_a_var }}' });
});

test('errors in lazily templated vars name the variable, its level and the position', () => {
  const vars = buildVars({ taskVars: { a: '{{ nope }}' }, pos: TASK });
  try {
    void vars.a;
    assert.unreachable('reading a should fail');
  } catch (error) {
    assert.instance(error, PlayError);
    assert.is((error as PlayError).message, "undefined variable 'nope' in playbooks/site.yml:40 (in variable 'a' from task vars)");
    assert.equal((error as PlayError).pos?.line, 40);
  }
  const loop = buildVars({ playVars: { a: '{{ b }}', b: '{{ a }}' }, pos: TASK });
  try {
    void loop.a;
    assert.unreachable('a and b refer to each other');
  } catch (error) {
    assert.match((error as PlayError).message, /^recursive loop: variable 'a' refers to itself/);
  }
});

test('buildVars copies no layer deeply: nested values are shared', () => {
  const inventory = { big: { hosts: Array.from({ length: 1000 }, (_, i) => `n${i}`) } };
  assert.is(buildVars({ inventory }).big, inventory.big);
});

test('withExtraVars adds the loop item on top, and task vars are templated with it', () => {
  const vars = buildVars({
    roleDefaults: { unused: '{{ never_defined }}' },
    taskVars: { dev: '{{ item.addr }}', label: 'gpu {{ item.id }}' },
    pos: TASK,
  });
  const items = [{ id: 'a', addr: '0000:01:00.0' }, { id: 'b', addr: '0000:02:00.0' }];
  const seen = items.map((item) => {
    const itemVars = withExtraVars(vars, { item, ansible_loop: { index0: items.indexOf(item) } });
    return [templateValue('{{ dev }}', itemVars, TASK), evaluate('label', itemVars, TASK), evaluate('ansible_loop.index0', itemVars, TASK)];
  });
  assert.equal(seen, [['0000:01:00.0', 'gpu a', 0], ['0000:02:00.0', 'gpu b', 1]]);
  // The broken default was never read, so it never failed; the item stays out of the base vars.
  assert.is(evaluate('item is defined', vars, TASK), false);
  const registered = withExtraVars(vars, { out: { rc: 0 } });
  assert.is(evaluate('out.rc == 0', registered, TASK), true);
  assert.equal(withExtraVars({ a: 1 }, { b: 2 }), { a: 1, b: 2 });
});

test('a variable named __proto__ is an ordinary key', () => {
  const vars = buildVars({ playVars: JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown> });
  assert.equal(Object.keys(vars), ['__proto__', 'a']);
  assert.is(Object.getPrototypeOf(vars), Object.prototype);
  assert.is((vars as { polluted?: unknown }).polluted, undefined);
});

test('lazyHostvars computes a host only when read, once', () => {
  const computed: string[] = [];
  const hostvars = lazyHostvars(['node1', 'node2'], (host) => {
    computed.push(host);
    return { ansible_host: `10.0.0.${host.slice(-1)}` };
  });
  const vars = buildVars({ magic: { hostvars } });
  assert.equal(computed, []);
  assert.is(renderTemplate('{{hostvars.node2.ansible_host}}', vars, TASK), '10.0.0.2');
  assert.is(evaluate("hostvars['node2'].ansible_host", vars, TASK), '10.0.0.2');
  assert.equal(computed, ['node2']);
  assert.equal(Object.keys(hostvars), ['node1', 'node2']);
  assert.is(evaluate("'node1' in hostvars", vars, TASK), true);
  assert.equal(computed, ['node2']);
});

test.run();
