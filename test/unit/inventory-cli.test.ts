import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse as parseYaml } from 'yaml';
import { inventoryCommand } from '../../src/cli/inventory-command.js';
import { ExitCode } from '../../src/errors.js';
import { fixture } from './inventory-helpers.js';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await inventoryCommand(argv, (s) => (out += s), { err: (s) => (err += s), cwd: fixture('') });
  return { code, out, err };
}

test('--list prints the inventory-script JSON of ansible-inventory for the docs YAML example', async () => {
  const { code, out, err } = await run('-i', 'docs-yaml/inventory.yml', '--list');
  assert.is(err, '');
  assert.is(code, ExitCode.OK);
  assert.is(
    out,
    `{
    "_meta": {
        "hostvars": {}
    },
    "all": {
        "children": [
            "ungrouped",
            "webservers",
            "dbservers",
            "east",
            "west",
            "prod",
            "test"
        ]
    },
    "dbservers": {
        "hosts": [
            "one.example.com",
            "two.example.com",
            "three.example.com"
        ]
    },
    "east": {
        "hosts": [
            "foo.example.com",
            "one.example.com",
            "two.example.com"
        ]
    },
    "prod": {
        "children": [
            "east"
        ]
    },
    "test": {
        "children": [
            "west"
        ]
    },
    "ungrouped": {
        "hosts": [
            "mail.example.com"
        ]
    },
    "webservers": {
        "hosts": [
            "foo.example.com",
            "bar.example.com"
        ]
    },
    "west": {
        "hosts": [
            "bar.example.com",
            "three.example.com"
        ]
    }
}
`,
  );
});

test('--list: merged host vars in _meta, empty groups left out but still listed as children', async () => {
  const { code, out } = await run('-i', 'docs-ini/hosts', '--list');
  assert.is(code, 0);
  const list = JSON.parse(out);
  assert.equal(list.all, { children: ['ungrouped', 'web'] });
  assert.not.ok('ungrouped' in list);
  assert.equal(list.web, { hosts: ['host1', 'host2'], children: ['apache', 'nginx'] });
  assert.equal(list._meta.hostvars.tomcat3, { has_java: false, http_port: 8080, myvar: 23, mysecret: '03#pa33w0rd' });
  assert.equal(list._meta.hostvars.host2, { ansible_port: 222, has_java: false, http_port: 8080, myvar: 23 });
  assert.equal(Object.keys(list._meta.hostvars), ['host1', 'host2', 'jenkins1', 'tomcat1', 'tomcat2', 'tomcat3']);
});

test('--list --limit keeps only the limited hosts; -y prints YAML', async () => {
  const limited = JSON.parse((await run('-i', 'fleet', '--list', '--limit', 'gpu0[1-3]*')).out);
  assert.equal(limited.gpu, { hosts: ['gpu01', 'gpu02', 'gpu03'] });
  assert.equal(limited.kvm, { children: ['compute', 'gpu'] });
  assert.not.ok('compute' in limited);
  assert.equal(Object.keys(limited._meta.hostvars), ['gpu01', 'gpu02', 'gpu03']);

  const { code, out } = await run('-i', 'docs-ini/hosts', '--list', '-y');
  assert.is(code, 0);
  const yaml = parseYaml(out);
  assert.equal(Object.keys(yaml.all.children), ['web']);
  assert.equal(yaml.all.children.web.hosts.host2, { ansible_port: 222, has_java: false, http_port: 8080, myvar: 23 });
  assert.equal(Object.keys(yaml.all.children.web.children), ['apache', 'nginx']);
  assert.ok(out.startsWith('all:\n  children:\n    web:\n      children:\n        apache:\n'));
});

test('--graph draws the @group tree with |-- and, with --vars, {name = value} lines', async () => {
  const { code, out } = await run('-i', 'docs-yaml/inventory.yml', '--graph');
  assert.is(code, 0);
  assert.is(
    out,
    `@all:
  |--@ungrouped:
  |  |--mail.example.com
  |--@webservers:
  |  |--foo.example.com
  |  |--bar.example.com
  |--@dbservers:
  |  |--one.example.com
  |  |--two.example.com
  |  |--three.example.com
  |--@east:
  |  |--foo.example.com
  |  |--one.example.com
  |  |--two.example.com
  |--@west:
  |  |--bar.example.com
  |  |--three.example.com
  |--@prod:
  |  |--@east:
  |  |  |--foo.example.com
  |  |  |--one.example.com
  |  |  |--two.example.com
  |--@test:
  |  |--@west:
  |  |  |--bar.example.com
  |  |  |--three.example.com
`,
  );
  const nginx = await run('-i', 'docs-ini/hosts', '--graph', 'nginx', '--vars');
  assert.is(
    nginx.out,
    `@nginx:
  |--jenkins1
  |  |--{has_java = True}
  |  |--{http_port = 8080}
  |  |--{myvar = 23}
  |--{has_java = True}
`,
  );
  const priority = await run('-i', 'precedence/hosts.ini', '--graph', 'alpha', '--vars');
  assert.ok(priority.out.endsWith('  |--{ansible_group_priority = 10}\n  |--{tier = alpha}\n'), priority.out);
});

test('--host prints one host\'s merged variables; it must name exactly one host', async () => {
  const { code, out } = await run('-i', 'fleet', '--host', 'gpu01');
  assert.is(code, 0);
  assert.equal(JSON.parse(out), {
    base_repo: 'http://vault.centos.org',
    gpu_ids: ['10de:20b5'],
    kernel_args: ['intel_iommu=on', 'iommu=pt', 'rd.driver.pre=vfio-pci'],
    ntp_server: 'ntp.example.com',
    ovs_bridge: 'br-ex',
    vfio: true,
    vfio_blacklist: 'nouveau',
    zjmf_component: 'node',
  });
  const many = await run('-i', 'fleet', '--host', 'gpu');
  assert.is(many.code, ExitCode.BAD_OPTIONS);
  assert.match(many.err, "--host needs a pattern naming exactly one host; 'gpu' matches 4");
});

test('--list-hosts prints the selection one host a line, honouring --limit and @file', async () => {
  const { code, out } = await run('-i', 'fleet', '--list-hosts', 'kvm', '--limit', '!node0*:!gpu10');
  assert.is(code, 0);
  assert.is(out, 'gpu01\ngpu02\ngpu03\n');
  const fromFile = await run('-i', 'fleet', '--list-hosts', '-l', '@limits/some-hosts');
  assert.is(fromFile.out, 'ctl01\nnode01\ngpu01\ngpu02\ngpu03\n');
  const none = await run('-i', 'fleet', '--list-hosts', 'nothing');
  assert.is(none.code, 0);
  assert.match(none.err, 'No hosts matched');
});

test('bad options exit 5 with a message', async () => {
  for (const argv of [['--bogus'], ['-i', 'fleet'], ['-i', 'fleet', '--list', '--graph'], ['--list'], ['-i', 'fleet', '--graph', 'nosuch']]) {
    const { code, err, out } = await run(...argv);
    assert.is(code, ExitCode.BAD_OPTIONS, argv.join(' '));
    assert.is(out, '');
    assert.ok(err.length > 0, argv.join(' '));
  }
  assert.match((await run('-i', 'fleet')).err, 'no action selected');
  assert.match((await run('-i', 'fleet', '--graph', 'nosuch')).err, "there is no group 'nosuch'");
});

test('an inventory error exits 4 naming file:line:col and showing the line', async () => {
  const { code, err, out } = await run('-i', 'malformed/section-space.ini', '--list');
  assert.is(code, ExitCode.PARSE_ERROR);
  assert.is(out, '');
  assert.ok(err.startsWith(`ERROR! ${fixture('malformed/section-space.ini')}:4:1: invalid section header '[db servers]'`), err);
  assert.match(err, '[db servers]\n^ here');
});

test.run();
