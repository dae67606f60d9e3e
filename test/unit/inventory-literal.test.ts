import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expandHostPattern, expandHostRange, parseAddress } from '../../src/inventory/host-address.js';
import { iniValue, literalEval } from '../../src/inventory/python-literal.js';
import { shlexSplit } from '../../src/connection/shlex.js';

test('INI values become Python literals when literal_eval accepts them', () => {
  assert.is(iniValue('22'), 22);
  assert.is(iniValue('-3'), -3);
  assert.is(iniValue('1.5'), 1.5);
  assert.is(iniValue('1e3'), 1000);
  assert.is(iniValue('0x1F'), 31);
  assert.is(iniValue('1_000'), 1000);
  assert.is(iniValue('True'), true);
  assert.is(iniValue('False'), false);
  assert.is(iniValue('None'), null);
  assert.is(iniValue("'03#pa33w0rd'"), '03#pa33w0rd');
  assert.is(iniValue('"a" \'b\''), 'ab');
  assert.is(iniValue("r'C:\\temp'"), 'C:\\temp');
  assert.is(iniValue("'tab\\there'"), 'tab\there');
  assert.is(iniValue("'\\x41\\u00e9'"), 'Aé');
  assert.equal(iniValue('[1, "two", [3]]'), [1, 'two', [3]]);
  assert.equal(iniValue("{'a': 1, 'b': [True, None],}"), { a: 1, b: [true, null] });
  assert.equal(iniValue('(1,)'), [1]);
  assert.equal(iniValue('1, 2'), [1, 2]);
  assert.equal(iniValue('{1, 1, 2}'), [1, 2]);
  assert.is(iniValue('(5)'), 5);
  // Python ignores a trailing comment, which is how `x=23 # note` in [g:vars] becomes 23.
  assert.is(iniValue('23 # defined in a :vars section'), 23);
});

test('INI values stay strings when Python would refuse them', () => {
  for (const text of ['true', 'FALSE', 'yes', '10-5', '010', '56L', '1j', 'a b', '1.2.3', 'foo(', "'open", '--1', 'web01', '12345678901234567890', '']) {
    assert.is(iniValue(text), text, text);
  }
  assert.equal(literalEval('foo'), { ok: false });
});

test('shlex splits host lines as Python does in POSIX mode', () => {
  assert.equal(shlexSplit(`web1 x='a b' y="c \\"d\\" \\e" z=e\\ f # comment`, { comments: true }), ['web1', 'x=a b', 'y=c "d" \\e', 'z=e f']);
  assert.equal(shlexSplit('h a=1#no-space-comment', { comments: true }), ['h', 'a=1']);
  assert.equal(shlexSplit("h empty=''", { comments: true }), ['h', 'empty=']);
  assert.equal(shlexSplit('   ', { comments: true }), []);
  assert.throws(() => shlexSplit("h x='open"), /No closing quotation/);
  assert.throws(() => shlexSplit('h x=\\'), /No escaped character/);
});

test('parse_address splits ports and accepts names, IPv4, IPv6 and ranges', () => {
  assert.equal(parseAddress('node1:2222', false), { host: 'node1', port: 2222 });
  assert.equal(parseAddress('10.0.0.1', false), { host: '10.0.0.1', port: undefined });
  assert.equal(parseAddress('[fe80::1]:22', false), { host: 'fe80::1', port: 22 });
  assert.equal(parseAddress('fe80::1', false), { host: 'fe80::1', port: undefined });
  assert.equal(parseAddress('node[01:03].lab:22', true), { host: 'node[01:03].lab', port: 22 });
  assert.is(parseAddress('node[01:03]', false), undefined);
  assert.is(parseAddress('web:db', true), undefined);
  assert.is(parseAddress('-bad', true), undefined);
  // Letters and digits beyond ASCII, as Python's \w in Ansible's pattern.
  assert.equal(parseAddress('nöde1.läb', false), { host: 'nöde1.läb', port: undefined });
  assert.is(parseAddress('grüße-', false), undefined);
  assert.is(parseAddress('bad_', false), undefined);
});

test('host ranges expand numerically (zero-padded, stepped), alphabetically and nested', () => {
  assert.equal(expandHostRange('node[01:03]'), ['node01', 'node02', 'node03']);
  assert.equal(expandHostRange('node[1:10:3]'), ['node1', 'node4', 'node7', 'node10']);
  assert.equal(expandHostRange('db-[a:c]'), ['db-a', 'db-b', 'db-c']);
  assert.equal(expandHostRange('r[1:2]n[a:b]'), ['r1na', 'r1nb', 'r2na', 'r2nb']);
  assert.equal(expandHostRange('n[:2]'), ['n0', 'n1', 'n2']);
  assert.equal(expandHostPattern('gpu[1:2].lab:2222'), { hosts: ['gpu1.lab', 'gpu2.lab'], port: 2222 });
  assert.throws(() => expandHostRange('n[01:5]'), /equal-length/);
  assert.throws(() => expandHostRange('n[5:1]'), /begin <= end/);
  assert.throws(() => expandHostRange('n[1]'), /begin:end or begin:end:step/);
  assert.throws(() => expandHostRange('n[1:]'), /end value/);
  assert.throws(() => expandHostRange('n[1:3'), /closing/);
  assert.throws(() => expandHostRange('n[1:3:0]'), /step/);
});

test.run();
