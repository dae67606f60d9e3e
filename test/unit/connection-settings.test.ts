import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectionSettingsFromVars, createConnection } from '../../src/connection/index.js';
import { LocalConnection } from '../../src/connection/local.js';
import { SshConnection } from '../../src/connection/ssh.js';
import { PlayError } from '../../src/errors.js';

const defaults = { acceptNewHostKeys: false };

test('inventory variables map to settings; inventory wins over command-line defaults', () => {
  const settings = connectionSettingsFromVars(
    'gpu1',
    {
      ansible_host: '10.0.0.5',
      ansible_port: '2222',
      ansible_user: 'admin',
      ansible_ssh_private_key_file: '~/.ssh/lab',
      ansible_ssh_pass: 'secret',
      ansible_ssh_known_hosts_file: '/etc/play/known_hosts, ~/.ssh/known_hosts',
      ansible_ssh_timeout: 30,
    },
    { remoteUser: 'cli-user', privateKey: '/cli/key', acceptNewHostKeys: true },
  );
  assert.equal(settings, {
    host: 'gpu1',
    hostname: '10.0.0.5',
    transport: 'ssh',
    acceptNewHostKeys: true,
    port: 2222,
    user: 'admin',
    privateKeyFiles: ['~/.ssh/lab'],
    password: 'secret',
    knownHostsFiles: ['/etc/play/known_hosts', '~/.ssh/known_hosts'],
    connectTimeoutMs: 30_000,
  });
});

test('command-line defaults fill what the inventory leaves out; the host name is the address', () => {
  const settings = connectionSettingsFromVars('web1', {}, { remoteUser: 'ops', privateKey: '/k', acceptNewHostKeys: false });
  assert.equal(settings, {
    host: 'web1',
    hostname: 'web1',
    transport: 'ssh',
    acceptNewHostKeys: false,
    user: 'ops',
    privateKeyFiles: ['/k'],
  });
  assert.equal(connectionSettingsFromVars('web1', { ansible_password: 'p' }, defaults).password, 'p');
  assert.equal(connectionSettingsFromVars('web1', { ansible_ssh_known_hosts_file: ['/a', '/b'] }, defaults).knownHostsFiles, ['/a', '/b']);
});

test('localhost is local unless told otherwise; ansible_connection picks the transport', () => {
  assert.is(connectionSettingsFromVars('localhost', {}, defaults).transport, 'local');
  assert.is(connectionSettingsFromVars('localhost', { ansible_connection: 'ssh' }, defaults).transport, 'ssh');
  assert.is(connectionSettingsFromVars('box', { ansible_connection: 'local' }, defaults).transport, 'local');
  assert.is(connectionSettingsFromVars('box', { ansible_connection: 'smart' }, defaults).transport, 'ssh');
  assert.instance(createConnection(connectionSettingsFromVars('localhost', {}, defaults)), LocalConnection);
  const ssh = createConnection(connectionSettingsFromVars('box', {}, defaults));
  assert.instance(ssh, SshConnection);
  assert.is(ssh.host, 'box');
  assert.is(ssh.transport, 'ssh');
});

test('bad values are PlayErrors saying what was expected', () => {
  assert.throws(
    () => connectionSettingsFromVars('box', { ansible_connection: 'winrm' }, defaults),
    (e: Error) => e instanceof PlayError && e.message === "host box: ansible_connection 'winrm' is not supported: expected 'ssh' or 'local'",
  );
  assert.throws(
    () => connectionSettingsFromVars('box', { ansible_port: '22x' }, defaults),
    (e: Error) => e instanceof PlayError && e.message === "host box: ansible_port is '22x': expected a whole number from 1 to 65535",
  );
  assert.throws(
    () => connectionSettingsFromVars('box', { ansible_user: { name: 'x' } }, defaults),
    (e: Error) => e instanceof PlayError && /ansible_user must be a string/.test(e.message),
  );
});

test('a bastion from ansible_ssh_common_args / ansible_ssh_extra_args (-J, -o ProxyJump=, -o ProxyCommand=)', () => {
  const proxyOf = (vars: Record<string, string>) => {
    const { proxyJump, proxyCommand } = connectionSettingsFromVars('gpu1', vars, defaults);
    return { proxyJump, proxyCommand };
  };
  const jump = (value: string) => ({ proxyJump: value, proxyCommand: undefined });
  assert.equal(proxyOf({ ansible_ssh_common_args: '-J ops@bastion:2200' }), jump('ops@bastion:2200'));
  assert.equal(proxyOf({ ansible_ssh_common_args: '-C -Jbastion' }), jump('bastion'));
  assert.equal(proxyOf({ ansible_ssh_common_args: `-o 'ProxyJump=ops@b1,b2' -o StrictHostKeyChecking=no` }), jump('ops@b1,b2'));
  assert.equal(proxyOf({ ansible_ssh_extra_args: '-oProxyJump="root@10.0.0.1"' }), jump('root@10.0.0.1'));
  assert.equal(proxyOf({ ansible_ssh_common_args: '-o ServerAliveInterval=30' }), { proxyJump: undefined, proxyCommand: undefined });
  assert.equal(proxyOf({ ansible_ssh_common_args: `-o ProxyCommand="ssh -W %h:%p -q user@bastion" -J other` }), {
    proxyJump: undefined,
    proxyCommand: 'ssh -W %h:%p -q user@bastion',
  });
  assert.equal(proxyOf({ ansible_ssh_common_args: `-o 'ProxyCommand nc -X connect -x proxy:3128 %h %p'` }), {
    proxyJump: undefined,
    proxyCommand: 'nc -X connect -x proxy:3128 %h %p',
  });
  assert.throws(
    () => proxyOf({ ansible_ssh_common_args: '-J a@b:c:d' }),
    (e: Error) => e instanceof PlayError && /host gpu1: ansible_ssh_common_args: bad ProxyJump 'a@b:c:d'/.test(e.message),
  );
  assert.throws(() => proxyOf({ ansible_ssh_common_args: `-o 'ProxyJump=x` }), /unbalanced quote/);
});

test.run();
