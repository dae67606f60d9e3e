import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { ExitCode, OptionsError, PlayError } from '../../src/errors.js';
import { loadInventory, splitHostPattern, type Inventory } from '../../src/inventory/index.js';
import { fnmatchToRegExp } from '../../src/inventory/pattern.js';
import { fixture, writeTree } from './inventory-helpers.js';

let fleet: Inventory;
const GPUS = ['gpu01', 'gpu02', 'gpu03', 'gpu10'];
const COMPUTE = ['node01', 'node02', 'node03', 'node04', 'node05.lab', 'node07.lab', 'node09.lab'];

test.before(async () => {
  fleet = await loadInventory([path.dirname(fixture('fleet/01-nodes.ini'))], { cwd: fixture('limits') });
});

test('splitting: commas and colons separate, but not inside ranges, IPv6 or host:port', () => {
  assert.equal(splitHostPattern('web:db'), ['web', 'db']);
  assert.equal(splitHostPattern(' web , db ,'), ['web', 'db']);
  assert.equal(splitHostPattern('web:&db:!x'), ['web', '&db', '!x']);
  assert.equal(splitHostPattern('node[1:3]'), ['node[1:3]']);
  assert.equal(splitHostPattern('gpu[0]:gpu[1:2]'), ['gpu[0]', 'gpu[1:2]']);
  assert.equal(splitHostPattern('fe80::1'), ['fe80::1']);
  assert.equal(splitHostPattern('~node(1|2)'), ['~node(1|2)']);
});

test('fnmatch globs: *, ?, [seq], [!seq], literal dots and unclosed brackets', () => {
  assert.ok(fnmatchToRegExp('node0*').test('node05.lab'));
  assert.not.ok(fnmatchToRegExp('node0?').test('node10'));
  assert.ok(fnmatchToRegExp('gpu0[1-3]').test('gpu02'));
  assert.not.ok(fnmatchToRegExp('gpu0[!1]').test('gpu01'));
  assert.not.ok(fnmatchToRegExp('a.b').test('axb'));
  assert.ok(fnmatchToRegExp('a[b').test('a[b'));
  assert.not.ok(fnmatchToRegExp('gpu').test('gpu01'));
});

test('all, *, a group, a host, and a group that includes child groups', () => {
  const all = [...fleet.hosts.keys()];
  assert.equal(fleet.select('all'), ['ctl01', ...COMPUTE, ...GPUS]);
  assert.equal(new Set(fleet.select('*')), new Set(all));
  assert.equal(fleet.select('gpu'), GPUS);
  assert.equal(fleet.select('node03'), ['node03']);
  assert.equal(fleet.select('kvm'), [...COMPUTE, ...GPUS]);
});

test('globs and regexes match groups and hosts', () => {
  assert.equal(fleet.select('node0*'), COMPUTE);
  assert.equal(fleet.select('gpu0[1-3]*'), ['gpu01', 'gpu02', 'gpu03']);
  assert.equal(fleet.select('gpu0[!1]'), ['gpu02', 'gpu03']);
  assert.equal(fleet.select('gpu0?'), ['gpu01', 'gpu02', 'gpu03']);
  assert.equal(fleet.select('~node0(1|2)'), ['node01', 'node02']);
  assert.equal(fleet.select('~(?i)GPU1'), ['gpu10']);
  // A regex that names a group gives the group's hosts, then any host it matches as well.
  assert.equal(fleet.select('~gp'), GPUS);
  assert.equal(fleet.select('*.lab'), ['node05.lab', 'node07.lab', 'node09.lab']);
});

test('union keeps the order written; exclusion and intersection apply after every plain term', () => {
  assert.equal(fleet.select('gpu:master'), [...GPUS, 'ctl01']);
  assert.equal(fleet.select('gpu,master'), [...GPUS, 'ctl01']);
  assert.equal(fleet.select('gpu:gpu01:gpu02'), GPUS);
  assert.equal(fleet.select('kvm:!gpu'), COMPUTE);
  assert.equal(fleet.select('kvm:&gpu'), GPUS);
  assert.equal(fleet.select('!gpu01:kvm:&gpu'), ['gpu02', 'gpu03', 'gpu10']);
  assert.equal(fleet.select('kvm:!node0*:!gpu1*'), ['gpu01', 'gpu02', 'gpu03']);
  assert.equal(fleet.select('!kvm'), ['ctl01']);
  assert.equal(fleet.select('&gpu:&~gpu0'), ['gpu01', 'gpu02', 'gpu03']);
});

test('subscripts pick hosts of a group by position', () => {
  assert.equal(fleet.select('gpu[0]'), ['gpu01']);
  assert.equal(fleet.select('gpu[-1]'), ['gpu10']);
  assert.equal(fleet.select('gpu[1:2]'), ['gpu02', 'gpu03']);
  assert.equal(fleet.select('gpu[2:]'), ['gpu03', 'gpu10']);
  assert.equal(fleet.select('compute[0]:gpu[-1]'), ['node01', 'gpu10']);
  assert.equal(fleet.select('kvm:!gpu[0:2]'), [...COMPUTE, 'gpu10']);
  try {
    fleet.select('gpu[9]');
    assert.unreachable('an out-of-range subscript must fail');
  } catch (err) {
    assert.instance(err, PlayError);
    assert.match((err as PlayError).message, "no hosts matched the subscripted pattern 'gpu[9]'");
    assert.is((err as PlayError).exitCode, ExitCode.ERROR);
  }
});

test('a pattern matching nothing gives an empty list; unmatched terms of a union are ignored', () => {
  assert.equal(fleet.select('nosuchgroup'), []);
  assert.equal(fleet.select('node01:nosuchgroup'), ['node01']);
  assert.equal(fleet.select('gpu:&master'), []);
});

test('--limit keeps the selection order and reads @file one pattern per line', () => {
  assert.equal(fleet.select('all', 'gpu*'), GPUS);
  assert.equal(fleet.select('kvm', 'master:node01'), ['node01']);
  assert.equal(fleet.select('all', '@some-hosts'), ['ctl01', 'node01', 'gpu01', 'gpu02', 'gpu03']);
  assert.equal(fleet.select('gpu:node01', '!gpu0[!3]*'), ['gpu03', 'gpu10', 'node01']);
  // As in Ansible, a term ending in [digits] is a subscript, not a glob: 'gpu0[12]' is item 12 of 'gpu0'.
  assert.equal(fleet.select('gpu:node01', '!gpu0[12]'), [...GPUS, 'node01']);
  try {
    fleet.select('all', '@missing-file');
    assert.unreachable('a missing limit file must fail');
  } catch (err) {
    assert.instance(err, OptionsError);
    assert.match((err as Error).message, 'missing-file');
  }
});

test("order is Ansible's: a group's own hosts first, then its children's, level by level", async () => {
  const inv = await loadInventory([fixture('precedence/hosts.ini')]);
  // n1 sits three levels down (dc > rack1 > gpu_nodes); n2 is also directly in alpha.
  assert.equal(inv.select('all'), ['n2', 'n1']);
  assert.equal(inv.groupsMap().all, ['n2', 'n1']);
  const dir = writeTree({ hosts: '[p:children]\nc\n[c]\nc1\n[p]\np1\n' });
  const nested = await loadInventory([path.join(dir, 'hosts')]);
  assert.equal(nested.select('p'), ['p1', 'c1']);
  assert.equal(nested.groupsMap(), { all: ['p1', 'c1'], ungrouped: [], p: ['p1', 'c1'], c: ['c1'] });
});

test('a host and a group of the same name: the exact name picks the host', async () => {
  const dir = writeTree({ hosts: '[web]\nweb\nweb2\n' });
  const inv = await loadInventory([path.join(dir, 'hosts')]);
  assert.equal(inv.select('web'), ['web']);
  assert.equal(inv.select('we*'), ['web', 'web2']);
});

test.run();
