import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { loadInventory } from '../../src/inventory/index.js';
import { fixture, writeTree } from './inventory-helpers.js';

test('inventory group vars: all < parent < child < host inline < host_vars file', async () => {
  const inv = await loadInventory([fixture('precedence/hosts.ini')]);
  const n1 = inv.hostVars('n1');
  assert.is(n1.who, 'host_file');
  const dir = writeTree({
    hosts: '[parent:children]\nchild\n[child]\nh1 who=host\nh2\n[all:vars]\nwho=all\nx=all\n[parent:vars]\nwho=parent\nx=parent\n[child:vars]\nwho=child\n',
  });
  const simple = await loadInventory([path.join(dir, 'hosts')]);
  assert.is(simple.hostVars('h1').who, 'host');
  assert.is(simple.hostVars('h2').who, 'child');
  assert.is(simple.hostVars('h2').x, 'parent');
});

test('groups of equal depth: ansible_group_priority first, then name; depth beats priority', async () => {
  const inv = await loadInventory([fixture('precedence/hosts.ini')]);
  const n2 = inv.hostVars('n2');
  // alpha (priority 10) is applied after zeta (priority 1) although 'alpha' < 'zeta'.
  assert.is(n2.tier, 'alpha');
  // gpu_nodes is three levels deep, so it beats alpha whatever alpha's priority.
  assert.is(n2.who, 'gpu_ini');
  // The priority is a property of the group, not a variable.
  assert.not.ok('ansible_group_priority' in n2);
  assert.is(inv.groups.get('alpha')!.priority, 10);
  assert.is(inv.groups.get('zeta')!.priority, 1);
});

test("group_vars/ files rank above every inventory-file group var, as in Ansible's precedence list", async () => {
  const inv = await loadInventory([fixture('precedence/hosts.ini')]);
  const n1 = inv.hostVars('n1');
  // [dc:vars] level=dc_ini loses to group_vars/all.yml (inventory group_vars/all > inventory file group vars).
  assert.is(n1.level, 'all_file');
  // Among group_vars files, the deeper group wins: gpu_nodes.yml over dc.yml over all.yml.
  assert.is(n1.from_file, 'gpu_nodes');
  // Dicts are replaced, not merged.
  assert.equal(n1.dict_var, { a: 1 });
  assert.equal(inv.groups.get('gpu_nodes')!.vars, { who: 'gpu_ini', from_file: 'gpu_nodes', dict_var: { a: 1 } });
});

test('host_vars beat inline host vars; a later source overrides an earlier one for the same host', async () => {
  const dir = writeTree({
    'one/hosts': '[web]\nweb1 port=1 color=red\n',
    'one/host_vars/web1.yml': 'port: 2\n',
    'two/hosts.yml': 'web:\n  hosts:\n    web1:\n      color: blue\n',
    'two/group_vars/web.yml': 'color: green\nsize: L\n',
  });
  const inv = await loadInventory(['one/hosts', 'two/hosts.yml'], { cwd: dir });
  const web1 = inv.hostVars('web1');
  assert.is(web1.port, 2);
  assert.is(web1.color, 'blue');
  assert.is(web1.size, 'L');
  assert.equal(inv.hosts.get('web1')!.vars, {
    inventory_file: path.join(dir, 'one/hosts'),
    inventory_dir: path.join(dir, 'one'),
    port: 2,
    color: 'blue',
  });
});

test('hostVars is cached: the same object comes back for repeated calls', async () => {
  const inv = await loadInventory([fixture('fleet')]);
  assert.ok(inv.hostVars('gpu01') === inv.hostVars('gpu01'));
});

test('a large fleet loads and answers quickly', async () => {
  const groups = Array.from({ length: 60 }, (_, g) => `[rack${g}]\nn${g}-[001:100] rack=${g}\n[rack${g}:vars]\nrow=${g % 6}\n`).join('');
  const children = Array.from({ length: 60 }, (_, g) => `rack${g}`).join('\n');
  const dir = writeTree({ hosts: `${groups}[fleet:children]\n${children}\n` });
  const started = performance.now();
  const inv = await loadInventory([path.join(dir, 'hosts')]);
  const all = inv.select('all');
  for (const host of all) inv.hostVars(host);
  const map = inv.groupsMap();
  assert.is(all.length, 6000);
  assert.is(map.fleet.length, 6000);
  assert.is(inv.hostVars('n59-100').row, 5);
  assert.ok(performance.now() - started < 3000, 'loading 6000 hosts should take well under 3 s');
});

test.run();
