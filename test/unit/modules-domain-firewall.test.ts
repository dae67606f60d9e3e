import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { coerceArgs } from '../../src/modules/args.js';
import { firewallCommand, firewalldModule, itemFlag, parseProbe, targetsOf } from '../../src/modules/firewalld.js';
import { iptablesCommand, iptablesModule, ruleWords } from '../../src/modules/iptables.js';
import type { ModuleDefinition } from '../../src/modules/types.js';
import { fakeTools, makeContext, removeDir, runModule, tempDir } from './modules-context.js';

function errorsOf(def: ModuleDefinition<never>, args: Record<string, unknown>): string {
  return coerceArgs(def as unknown as ModuleDefinition, args).errors.join('; ');
}

test('firewalld: runtime is changed when immediate or not permanent, as Ansible decides', () => {
  assert.equal(targetsOf({ permanent: true, immediate: false }), { permanent: true, runtime: false });
  assert.equal(targetsOf({ permanent: true, immediate: true }), { permanent: true, runtime: true });
  assert.equal(targetsOf({ permanent: undefined, immediate: false }), { permanent: false, runtime: true });
});

test('firewalld: commands quote every user word', () => {
  assert.is(itemFlag('add', { port: '10000-30000/tcp' }), '--add-port=10000-30000/tcp');
  assert.is(itemFlag('query', { service: 'ssh' }), '--query-service=ssh');
  assert.is(firewallCommand('firewall-cmd', true, 'public', '--add-port=4432/tcp'), 'firewall-cmd --permanent --zone=public --add-port=4432/tcp');
  assert.is(firewallCommand('firewall-offline-cmd', true, undefined, '--add-service=ssh'), 'firewall-offline-cmd --add-service=ssh');
});

test('firewalld: probe answers parsed; an error code is an error, with its text', () => {
  assert.equal(parseProbe('running=1\npermanent=0 yes\nruntime=1 no\n'), { installed: true, running: true, permanent: true, runtime: false });
  assert.equal(parseProbe('installed=0\n'), { installed: false, running: false });
  const bad = parseProbe('running=1\npermanent=112 Error: INVALID_ZONE: nope\nruntime=112 Error: INVALID_ZONE: nope\n');
  assert.is(bad.error, 'permanent query failed (rc=112): Error: INVALID_ZONE: nope');
});

test('firewalld: bad ports, both or neither item, hostile zone are refused up front', () => {
  const check = (args: Record<string, unknown>) => errorsOf(firewalldModule as never, { state: 'enabled', ...args });
  assert.match(check({ port: '4432' }), "port '4432' must look like 4432/tcp");
  assert.match(check({ port: '4432/tcp', service: 'ssh' }), 'exactly one of port or service');
  assert.match(check({}), 'exactly one of port or service');
  assert.match(check({ service: 'ssh', zone: 'public; reboot' }), 'is not a firewalld zone name');
  assert.is(check({ port: '10000-30000/tcp', permanent: true, immediate: true }), '');
});

// firewall-cmd and firewall-offline-cmd sharing one state dir: `running` exists while firewalld runs;
// `permanent` and `runtime` hold one item per line ("port 4432/tcp", "service ssh").
const FAKE_FIREWALL_CMD = `
d="$FAKE_FW"; echo "$(basename "$0") $*" >> "$d/calls"
store=runtime; [ "$(basename "$0")" = firewall-offline-cmd ] && store=permanent
for a in "$@"; do
  case "$a" in
    --state) if [ -e "$d/running" ]; then echo running; exit 0; else echo 'not running'; exit 252; fi ;;
    --permanent) store=permanent ;;
    --zone=public) ;;
    --zone=*) echo "Error: INVALID_ZONE: \${a#--zone=}" >&2; exit 112 ;;
    --*-port=*|--*-service=*)
      verb=\${a%%-port=*}; verb=\${verb%%-service=*}; verb=\${verb#--}
      kind=port; case "$a" in *-service=*) kind=service ;; esac
      item="$kind \${a#*=}" ;;
  esac
done
[ "$store" = runtime ] && [ ! -e "$d/running" ] && { echo 'FirewallD is not running'; exit 252; }
touch "$d/$store"
case "$verb" in
  query) grep -qxF "$item" "$d/$store" && { echo yes; exit 0; }; echo no; exit 1 ;;
  add) grep -qxF "$item" "$d/$store" || echo "$item" >> "$d/$store"; echo success ;;
  remove) grep -vxF "$item" "$d/$store" > "$d/$store.new"; mv "$d/$store.new" "$d/$store"; echo success ;;
esac`;

function firewallHost(running: boolean) {
  const dir = tempDir('play-fw-');
  const state = join(dir, 'state');
  mkdirSync(state);
  if (running) writeFileSync(join(state, 'running'), '');
  const env = { PATH: fakeTools(dir, { 'firewall-cmd': FAKE_FIREWALL_CMD, 'firewall-offline-cmd': FAKE_FIREWALL_CMD }), FAKE_FW: state };
  const read = (name: string) => (existsSync(join(state, name)) ? readFileSync(join(state, name), 'utf8') : '');
  return { dir, env, read };
}

test('firewalld for real: opens a range permanently and now, then changes nothing; two execs at most', async () => {
  const host = firewallHost(true);
  try {
    const args = { port: '10000-30000/tcp', zone: 'public', permanent: true, immediate: true, state: 'enabled' };
    const first = await runModule(firewalldModule, args, makeContext({ env: host.env }));
    assert.is(first.changed, true);
    assert.is(first.msg, 'Permanent and Non-Permanent(immediate) operation, Changed port 10000-30000/tcp to enabled');
    assert.is(host.read('permanent'), 'port 10000-30000/tcp\n');
    assert.is(host.read('runtime'), 'port 10000-30000/tcp\n');
    assert.not.match(host.read('calls'), '--reload');
    const second = await runModule(firewalldModule, args, makeContext({ env: host.env }));
    assert.is(second.changed, false);
    const calls = host.read('calls').trim().split('\n');
    // first run: --state, 2 queries, 2 adds; second run: --state, 2 queries.
    assert.is(calls.filter((c) => c.includes('--add-port')).length, 2);
    assert.is(calls.length, 8);
  } finally {
    removeDir(host.dir);
  }
});

test('firewalld for real: only the configuration that differs is changed; disabled removes', async () => {
  const host = firewallHost(true);
  try {
    writeFileSync(join(host.env.FAKE_FW, 'permanent'), 'service ssh\n');
    const enable = { service: 'ssh', permanent: true, immediate: true, state: 'enabled' };
    const result = await runModule(firewalldModule, enable, makeContext({ env: host.env }));
    assert.equal(result.commands, ['firewall-cmd --add-service=ssh']);
    const disable = await runModule(firewalldModule, { ...enable, state: 'disabled' }, makeContext({ env: host.env }));
    assert.is(disable.changed, true);
    assert.is(host.read('permanent'), '');
    assert.is(host.read('runtime'), '');
  } finally {
    removeDir(host.dir);
  }
});

test('firewalld for real: stopped firewalld needs offline, then firewall-offline-cmd writes permanent config', async () => {
  const host = firewallHost(false);
  try {
    const args = { port: '4432/tcp', permanent: true, state: 'enabled' };
    const refused = await runModule(firewalldModule, args, makeContext({ env: host.env }));
    assert.is(refused.failed, true);
    assert.match(String(refused.msg), 'firewalld is not running; set offline: true');
    const offline = await runModule(firewalldModule, { ...args, offline: true }, makeContext({ env: host.env }));
    assert.is(offline.changed, true);
    assert.match(String(offline.msg), '(offline)');
    assert.is(host.read('permanent'), 'port 4432/tcp\n');
    assert.match(host.read('calls'), 'firewall-offline-cmd --add-port=4432/tcp');
  } finally {
    removeDir(host.dir);
  }
});

test('firewalld for real: check mode changes nothing; a bad zone fails naming it', async () => {
  const host = firewallHost(true);
  try {
    const checked = await runModule(firewalldModule, { port: '80/tcp', permanent: true, state: 'enabled' }, makeContext({ env: host.env, check: true }));
    assert.is(checked.changed, true);
    assert.is(host.read('permanent'), '');
    const bad = await runModule(firewalldModule, { port: '80/tcp', zone: 'dmz', permanent: true, state: 'enabled' }, makeContext({ env: host.env }));
    assert.is(bad.failed, true);
    assert.match(String(bad.msg), 'INVALID_ZONE: dmz');
  } finally {
    removeDir(host.dir);
  }
});

test('iptables: rule words in Ansible order, ranges with a colon, everything quoted', () => {
  const args = { table: 'filter', chain: 'INPUT', protocol: 'tcp', destination_port: '10000:30000', jump: 'ACCEPT', comment: 'ZJMF VNC', action: 'insert' as const, state: 'present' as const };
  assert.equal(ruleWords(args), ['-p', 'tcp', '-j', 'ACCEPT', '--destination-port', '10000:30000', '-m', 'comment', '--comment', 'ZJMF VNC']);
  assert.is(iptablesCommand(args, '-C'), "iptables -t filter -C INPUT -p tcp -j ACCEPT --destination-port 10000:30000 -m comment --comment 'ZJMF VNC'");
  assert.is(iptablesCommand({ ...args, rule_num: 1 }, '-I'), "iptables -t filter -I INPUT 1 -p tcp -j ACCEPT --destination-port 10000:30000 -m comment --comment 'ZJMF VNC'");
  assert.match(iptablesCommand({ ...args, comment: "x'; reboot #" }, '-A'), `--comment 'x'\\''; reboot #'`);
});

test('iptables: bad ports and a port without a protocol are refused up front', () => {
  const check = (args: Record<string, unknown>) => errorsOf(iptablesModule as never, { chain: 'INPUT', ...args });
  assert.match(check({ protocol: 'tcp', destination_port: '10000-30000' }), "destination_port '10000-30000' must be a port or a range like 10000:30000");
  assert.match(check({ destination_port: '22' }), 'destination_port needs protocol');
  assert.match(check({ protocol: 'tcp', destination_port: '22', rule_num: 1 }), 'rule_num is only used with action: insert');
  assert.is(check({ protocol: 'tcp', destination_port: '22', jump: 'ACCEPT', action: 'insert' }), '');
});

// iptables keeping "CHAIN rule words" lines in a file; only the three filter chains exist.
const FAKE_IPTABLES = `
f="$FAKE_IPT"; touch "$f"; echo "iptables $*" >> "$f.calls"
[ "$1" = -t ] && shift 2
op=$1; chain=$2; shift 2
case "$chain" in INPUT|FORWARD|OUTPUT) ;; *) echo 'iptables: No chain/target/match by that name.' >&2; exit 1 ;; esac
[ "$op" = -I ] && case "$1" in [0-9]*) shift ;; esac
rule="$chain $*"
case "$op" in
  -C) grep -qxF "$rule" "$f" && exit 0; echo 'iptables: Bad rule (does a matching rule exist in that chain?).' >&2; exit 1 ;;
  -A) echo "$rule" >> "$f" ;;
  -I) { echo "$rule"; cat "$f"; } > "$f.new"; mv "$f.new" "$f" ;;
  -D) grep -vxF "$rule" "$f" > "$f.new"; mv "$f.new" "$f" ;;
esac`;

test('iptables for real: probe with -C, insert once, delete with state absent; a missing chain fails', async () => {
  const dir = tempDir('play-ipt-');
  try {
    const rules = join(dir, 'rules');
    writeFileSync(rules, 'INPUT -j REJECT\n');
    const env = { PATH: fakeTools(dir, { iptables: FAKE_IPTABLES }), FAKE_IPT: rules };
    const args = { chain: 'INPUT', protocol: 'tcp', destination_port: '4432', jump: 'ACCEPT', action: 'insert' };
    const first = await runModule(iptablesModule, args, makeContext({ env }));
    assert.is(first.changed, true);
    assert.is(readFileSync(rules, 'utf8'), 'INPUT -p tcp -j ACCEPT --destination-port 4432\nINPUT -j REJECT\n');
    const second = await runModule(iptablesModule, args, makeContext({ env }));
    assert.is(second.changed, false);
    const checked = await runModule(iptablesModule, { ...args, state: 'absent' }, makeContext({ env, check: true }));
    assert.is(checked.changed, true);
    assert.match(readFileSync(rules, 'utf8'), '4432');
    const removed = await runModule(iptablesModule, { ...args, state: 'absent' }, makeContext({ env }));
    assert.is(removed.changed, true);
    assert.is(readFileSync(rules, 'utf8'), 'INPUT -j REJECT\n');
    const noChain = await runModule(iptablesModule, { ...args, chain: 'ZJMF' }, makeContext({ env }));
    assert.is(noChain.failed, true);
    assert.match(String(noChain.msg), 'No chain/target/match by that name');
  } finally {
    removeDir(dir);
  }
});

test.run();
