import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PlayError } from '../../src/errors.js';
import {
  expandPathTokens,
  hostConfig,
  loadSshConfig,
  matchPattern,
  matchPatternList,
  parseJumpHosts,
  parseSshConfig,
  planHops,
  type TokenValues,
} from '../../src/connection/ssh-config.js';

test('matchPattern: * and ?, case-insensitive, anchored', () => {
  assert.ok(matchPattern('*', 'anything'));
  assert.ok(matchPattern('node?.lab', 'node7.lab'));
  assert.not.ok(matchPattern('node?.lab', 'node17.lab'));
  assert.ok(matchPattern('*.LAB.example', 'gpu1.lab.EXAMPLE'));
  assert.ok(matchPattern('a*b*c', 'aXXbYYbZc'));
  assert.not.ok(matchPattern('a*b*c', 'aXXbYYbZ'));
  assert.not.ok(matchPattern('web', 'web1'));
  assert.ok(matchPattern('10.0.*.1', '10.0.12.1'));
});

test('matchPatternList: a matching negation excludes the host whatever else matches', () => {
  assert.ok(matchPatternList(['*.lab', '!db.lab'], 'web.lab'));
  assert.not.ok(matchPatternList(['*.lab', '!db.lab'], 'db.lab'));
  assert.not.ok(matchPatternList(['!db.lab'], 'web.lab'), 'negation alone matches nothing');
});

const CONFIG = `# leading comments and globals apply to every host
IdentityFile ~/.ssh/global_%u

Host bastion
  HostName 192.0.2.10
  User jump
  Port=2200

Host gpu? !gpu9
    HostName %h.lab.example
    User admin
    IdentityFile ~/.ssh/%r@%h:%p
    ProxyJump bastion

Host gpu*
  User ignored-because-first-value-wins
  Port 2222
  IdentityFile "/keys/with space"

Match host gpu1
  User never-applied

Host *
  User fallback
  ProxyJump none
`;

test('first obtained value wins; IdentityFile accumulates in order; %h in HostName; Match blocks skipped', () => {
  const config = parseSshConfig(CONFIG, '/home/u/.ssh/config');
  const gpu1 = hostConfig(config, 'gpu1');
  assert.is(gpu1.hostName?.value, '%h.lab.example');
  assert.is(gpu1.user?.value, 'admin');
  assert.is(gpu1.port?.value, 2222);
  assert.equal(
    gpu1.identityFiles.map((f) => f.value),
    ['~/.ssh/global_%u', '~/.ssh/%r@%h:%p', '/keys/with space'],
  );
  assert.is(gpu1.proxyJump?.value, 'bastion');
  assert.equal(gpu1.identityFiles[1]!.pos, { file: '/home/u/.ssh/config', line: 12, col: 5 });

  const gpu9 = hostConfig(config, 'gpu9');
  assert.is(gpu9.user?.value, 'ignored-because-first-value-wins', 'the negated Host block does not apply');
  assert.is(gpu9.proxyJump, undefined, 'ProxyJump none disables jumping');

  const bastion = hostConfig(config, 'bastion');
  assert.equal([bastion.hostName?.value, bastion.user?.value, bastion.port?.value], ['192.0.2.10', 'jump', 2200]);
  assert.is(bastion.proxyJump, undefined);

  const other = hostConfig(config, 'db1');
  assert.is(other.user?.value, 'fallback');
  assert.is(other.port, undefined);
});

test('Match all applies to every host', () => {
  const config = parseSshConfig('Match all\n  User everyone\n', 'cfg');
  assert.is(hostConfig(config, 'x').user?.value, 'everyone');
});

test('a bad Port is a PlayError naming file:line:col and what was expected', () => {
  const config = parseSshConfig('Host a\n  Port twenty\n', '/cfg');
  try {
    hostConfig(config, 'a');
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, PlayError);
    assert.is((err as PlayError).describe(), "/cfg:2:3: bad Port 'twenty': expected a number from 1 to 65535");
  }
});

const TOKENS: TokenValues = {
  home: '/home/ops',
  hostName: 'gpu1.lab.example',
  originalHost: 'gpu1',
  port: 2222,
  remoteUser: 'admin',
  localUser: 'ops',
};

test('expandPathTokens: ~ and %d %h %n %p %r %u %%', () => {
  const pos = { file: 'cfg', line: 1, col: 1 };
  assert.is(expandPathTokens('~/.ssh/%r@%h:%p', TOKENS, pos), '/home/ops/.ssh/admin@gpu1.lab.example:2222');
  assert.is(expandPathTokens('%d/keys/%n_%u_100%%', TOKENS, pos), '/home/ops/keys/gpu1_ops_100%');
  assert.is(expandPathTokens('/abs/~not-home', TOKENS, pos), '/abs/~not-home');
  assert.throws(() => expandPathTokens('~/.ssh/%z', TOKENS, { file: 'cfg', line: 7, col: 3 }), (err: PlayError) =>
    err.describe().startsWith("cfg:7:3: unknown token '%z'"),
  );
});

test('parseJumpHosts: user@host:port, ssh:// form, several hops', () => {
  const pos = { file: 'cfg', line: 1, col: 1 };
  assert.equal(parseJumpHosts('bastion', pos), [{ host: 'bastion' }]);
  assert.equal(parseJumpHosts('ops@10.0.0.1:2200,ssh://root@[::1]:22', pos), [
    { host: '10.0.0.1', user: 'ops', port: 2200 },
    { host: '::1', user: 'root', port: 22 },
  ]);
  assert.throws(() => parseJumpHosts('a@b:c:d', pos), /expected \[user@\]host\[:port\]/);
});

test('malformed lines and unbalanced quotes are PlayErrors with positions', () => {
  assert.throws(() => parseSshConfig('Host a\n  =oops\n', '/c'), (e: PlayError) => e.describe().startsWith('/c:2:3:'));
  assert.throws(() => parseSshConfig('IdentityFile "/a b\n', '/c'), (e: PlayError) => e.describe().startsWith('/c:1:1: unbalanced quote'));
});

test('planHops: inventory over config, jump hosts from their own Host blocks, default keys only when none named', () => {
  const config = parseSshConfig(
    [
      'Host gpu*',
      '  HostName %h.lab',
      '  User admin',
      '  Port 2222',
      '  IdentityFile ~/.ssh/lab_%r',
      '  ProxyJump ops@bastion',
      'Host bastion',
      '  HostName 192.0.2.1',
      '  IdentityFile ~/.ssh/bastion',
      '',
    ].join('\n'),
    'cfg',
  );
  const [jump, target] = planHops({ hostname: 'gpu1', user: 'root', privateKeyFiles: ['~/inv.key'] }, config, '/h');
  assert.equal(target, {
    label: 'root@gpu1.lab port 2222',
    address: 'gpu1.lab',
    port: 2222,
    user: 'root',
    keyFiles: [
      { path: '/h/inv.key', optional: false },
      { path: '/h/.ssh/lab_root', optional: false },
    ],
  });
  assert.equal(jump, {
    label: 'ops@192.0.2.1 port 22',
    address: '192.0.2.1',
    port: 22,
    user: 'ops',
    keyFiles: [
      { path: '/h/.ssh/bastion', optional: false },
      { path: '/h/inv.key', optional: false },
    ],
  });

  const direct = planHops({ hostname: 'gpu1', proxyJump: 'none', password: 'pw' }, config, '/h');
  assert.is(direct.length, 1);
  assert.is(direct[0]!.password, 'pw');

  const viaCommand = planHops({ hostname: 'gpu1', proxyCommand: 'nc -x proxy %h %p' }, config, '/h');
  assert.equal(viaCommand.map((h) => h.proxyCommand), ['nc -x proxy gpu1.lab 2222']);

  const [plain] = planHops({ hostname: 'db1' }, config, '/h');
  assert.equal(plain!.keyFiles, [
    { path: '/h/.ssh/id_ed25519', optional: true },
    { path: '/h/.ssh/id_ecdsa', optional: true },
    { path: '/h/.ssh/id_rsa', optional: true },
  ]);
});

test('Include: relative to ~/.ssh, wildcards in lexical order, conditional inside Host, missing files ignored', async () => {
  const home = await mkdtemp(join(tmpdir(), 'play-sshcfg-'));
  try {
    await mkdir(join(home, '.ssh', 'config.d'), { recursive: true });
    await writeFile(
      join(home, '.ssh', 'config'),
      [
        'Include config.d/*.conf ~/.ssh/not-there',
        'Host lab-*',
        '  Include lab-only',
        '  Port 2200',
        'Host *',
        '  User last-resort',
        '',
      ].join('\n'),
    );
    await writeFile(join(home, '.ssh', 'config.d', '20-b.conf'), 'Host web1\n  User from-20\n  HostName 10.0.0.20\n');
    await writeFile(join(home, '.ssh', 'config.d', '10-a.conf'), 'Host web1\n  User from-10\n');
    await writeFile(join(home, '.ssh', 'config.d', '.hidden.conf'), 'Host web1\n  Port 1\n');
    await writeFile(join(home, '.ssh', 'lab-only'), 'User lab-user\nIdentityFile ~/.ssh/lab\n');
    const config = await loadSshConfig(join(home, '.ssh', 'config'), home);

    const web1 = hostConfig(config, 'web1');
    assert.is(web1.user?.value, 'from-10', '10-a.conf is read before 20-b.conf');
    assert.is(web1.hostName?.value, '10.0.0.20');
    assert.is(web1.port, undefined, 'dot files do not match a wildcard');
    assert.equal(web1.identityFiles, [], 'the lab-only include applies to lab-* hosts only');

    const lab = hostConfig(config, 'lab-3');
    assert.is(lab.user?.value, 'lab-user');
    assert.is(lab.port?.value, 2200, 'the including Host block continues after the Include');
    assert.equal(lab.identityFiles[0]!.pos, { file: join(home, '.ssh', 'lab-only'), line: 2, col: 1 });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('an Include loop is stopped with a PlayError', async () => {
  const home = await mkdtemp(join(tmpdir(), 'play-sshcfg-'));
  try {
    await mkdir(join(home, '.ssh'));
    await writeFile(join(home, '.ssh', 'config'), 'Include config\n');
    try {
      await loadSshConfig(join(home, '.ssh', 'config'), home);
      assert.unreachable('should have thrown');
    } catch (err) {
      assert.instance(err, PlayError);
      assert.match((err as PlayError).describe(), /config:1:1: Include nested more than 16 levels deep/);
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test.run();
