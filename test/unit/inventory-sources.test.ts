import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { loadInventory } from '../../src/inventory/index.js';
import { fixture, writeTree } from './inventory-helpers.js';

test('INI: the docs example gives groups, children, inline and [g:vars] values as Ansible reads them', async () => {
  const inv = await loadInventory([fixture('docs-ini/hosts')]);
  assert.equal([...inv.hosts.keys()], ['host1', 'host2', 'tomcat1', 'tomcat2', 'tomcat3', 'jenkins1']);
  const web = inv.groups.get('web')!;
  assert.equal(web.hosts, ['host1', 'host2']);
  assert.equal(web.children, ['apache', 'nginx']);
  assert.equal(inv.groups.get('apache')!.parents, ['web']);
  assert.equal(inv.groups.get('all')!.children, ['ungrouped', 'web']);
  assert.equal(inv.hosts.get('host2')!.vars.ansible_port, 222);
  assert.is(inv.hosts.get('tomcat3')!.vars.mysecret, '03#pa33w0rd');
  // [g:vars] values go through literal_eval too (the docs say strings; the ini plugin's code does not).
  assert.is(inv.groups.get('web')!.vars.myvar, 23);
  assert.is(inv.groups.get('nginx')!.vars.has_java, true);
  assert.is(inv.hostVars('jenkins1').has_java, true);
  assert.is(inv.hostVars('tomcat1').has_java, false);
  assert.is(inv.hostVars('tomcat2').myvar, 34);
  assert.is(inv.hostVars('host1').inventory_file, fixture('docs-ini/hosts'));
  assert.is(inv.hostVars('host1').inventory_dir, fixture('docs-ini'));
});

test('INI: ungrouped host lines, a host in two groups, comments with ; and #', async () => {
  const inv = await loadInventory([fixture('docs-ini/example2')]);
  assert.equal(inv.groups.get('ungrouped')!.hosts, ['host1', 'host2', 'host3']);
  assert.equal(inv.hosts.get('host4')!.groups, ['g1', 'g2']);
  assert.equal(inv.groupNames('host4'), ['g1', 'g2']);
  // Ansible's group_names keeps 'ungrouped' (only 'all' is left out).
  assert.equal(inv.groupNames('host1'), ['ungrouped']);
  assert.equal(inv.hostVars('host3'), {
    inventory_file: fixture('docs-ini/example2'),
    inventory_dir: fixture('docs-ini'),
    ansible_host: '127.0.0.1',
    ansible_port: 45,
  });
});

test('INI: ranges with steps and ports, a child named before its section, a host leaving ungrouped', async () => {
  const dir = writeTree({
    hosts: [
      'stray',
      '[kvm:children]',
      'compute',
      '[compute]',
      'node[1:5:2]:2200 rack=A',
      'stray',
      '[dbs]',
      'db-[a:b].lab',
    ].join('\n'),
  });
  const inv = await loadInventory([path.join(dir, 'hosts')]);
  assert.equal(inv.groups.get('compute')!.hosts, ['node1', 'node3', 'node5', 'stray']);
  assert.equal(inv.groups.get('kvm')!.children, ['compute']);
  assert.equal(inv.groups.get('ungrouped')!.hosts, []);
  assert.equal(inv.groups.get('dbs')!.hosts, ['db-a.lab', 'db-b.lab']);
  assert.is(inv.hostVars('node3').ansible_port, 2200);
  assert.is(inv.hostVars('node3').rack, 'A');
});

test('YAML: nested children to any depth, hosts in several groups, the docs example', async () => {
  const inv = await loadInventory([fixture('docs-yaml/inventory.yml')]);
  assert.equal(inv.groups.get('all')!.children, ['ungrouped', 'webservers', 'dbservers', 'east', 'west', 'prod', 'test']);
  assert.equal(inv.groups.get('prod')!.children, ['east']);
  assert.equal(inv.groupNames('foo.example.com'), ['east', 'prod', 'webservers']);
  assert.equal(inv.groupsMap().prod, ['foo.example.com', 'one.example.com', 'two.example.com']);
  // A host listed only under all.hosts is ungrouped, as in Ansible.
  assert.equal(inv.groups.get('ungrouped')!.hosts, ['mail.example.com']);
});

test('YAML: group and host vars with YAML 1.1 booleans, ranges in host names, null hosts', async () => {
  const inv = await loadInventory([fixture('docs-yaml/vars.yaml')]);
  assert.equal(inv.groups.get('webservers')!.hosts, [
    'www01.example.com', 'www02.example.com', 'www03.example.com',
    'db-a-node.example.com', 'db-b-node.example.com', 'db-c-node.example.com',
  ]);
  assert.is(inv.hostVars('db-b-node.example.com').ansible_user, 'admin');
  const host2 = inv.hostVars('host2');
  assert.is(host2.http_port, 303);
  assert.is(host2.enabled, true);
  assert.equal(host2.modes, ['a', 'b']);
  assert.is(inv.hostVars('jumper').ansible_port, 5555);
  assert.equal(inv.groups.get('atlanta')!.parents, ['all']);
});

test('a directory: INI and YAML files merged in name order, ignored files skipped, group_vars/host_vars (files and folders)', async () => {
  const inv = await loadInventory([fixture('fleet')]);
  assert.equal(inv.select('all'), [
    'ctl01', 'node01', 'node02', 'node03', 'node04', 'node05.lab', 'node07.lab', 'node09.lab',
    'gpu01', 'gpu02', 'gpu03', 'gpu10',
  ]);
  assert.equal(inv.groups.get('kvm')!.children, ['compute', 'gpu']);
  const gpu02 = inv.hostVars('gpu02');
  // group_vars/gpu/ is a folder: 10-base.yml then 20-override.yml, and notes.txt is skipped.
  assert.equal(gpu02.kernel_args, ['intel_iommu=on', 'iommu=pt', 'rd.driver.pre=vfio-pci']);
  assert.is(gpu02.vfio_blacklist, 'nouveau');
  assert.equal(gpu02.gpu_ids, ['10de:1eb8', '10de:10f8']);
  assert.is(gpu02.vfio, true);
  assert.equal(inv.hostVars('gpu01').gpu_ids, ['10de:20b5']);
  // group_vars/kvm.yaml beats [kvm:vars]; host_vars/node01 (no extension) beats the inline var.
  assert.is(gpu02.ovs_bridge, 'br-ex');
  assert.is(inv.hostVars('node01').ansible_user, 'admin');
  assert.is(inv.hostVars('node02').ansible_user, 'root');
  assert.is(inv.hostVars('node07.lab').os, 'stream 8');
  assert.is(inv.hostVars('ctl01').zjmf_component, 'master');
  assert.is(inv.hostVars('node02').zjmf_component, 'node');
  assert.is(inv.hostVars('ctl01').ntp_server, 'ntp.example.com');
  assert.equal(inv.hosts.get('gpu01')!.vars.gpu_ids, ['10de:20b5']);
  assert.equal(inv.groups.get('gpu')!.vars.kernel_args, ['intel_iommu=on', 'iommu=pt', 'rd.driver.pre=vfio-pci']);
});

test('group_vars beside a file inventory count, and only the first of NAME, NAME.yml, NAME.yaml, NAME.json is read', async () => {
  const dir = writeTree({
    'inv/hosts.ini': '[web]\nweb1\n',
    'inv/group_vars/web.yml': 'from: yml\n',
    'inv/group_vars/web.json': '{"from": "json", "json_only": 1}\n',
    'inv/host_vars/web1.json': '{"port": 8080}\n',
  });
  const inv = await loadInventory(['inv/hosts.ini'], { cwd: dir });
  assert.equal(inv.hostVars('web1'), {
    from: 'yml',
    inventory_file: path.join(dir, 'inv/hosts.ini'),
    inventory_dir: path.join(dir, 'inv'),
    port: 8080,
  });
});

test('-i host lists and several sources merge in order', async () => {
  const dir = writeTree({ 'a.ini': '[web]\nweb1 color=red\n', 'b.yml': 'web:\n  hosts:\n    web1: {color: blue}\n    web2:\n' });
  const inv = await loadInventory(['a.ini', 'b.yml', 'extra1,extra2:2201,web1,'], { cwd: dir });
  assert.equal([...inv.hosts.keys()], ['web1', 'web2', 'extra1', 'extra2']);
  assert.is(inv.hostVars('web1').color, 'blue');
  assert.is(inv.hostVars('web1').inventory_file, path.join(dir, 'a.ini'));
  assert.is(inv.hostVars('extra2').ansible_port, 2201);
  assert.equal(inv.groups.get('ungrouped')!.hosts, ['extra1', 'extra2']);
  assert.equal(inv.hosts.get('web1')!.groups, ['web']);
});

test('an extension-less YAML file is recognised by its content', async () => {
  const dir = writeTree({ hosts: '---\nall:\n  hosts:\n    h1:\n' });
  const inv = await loadInventory([path.join(dir, 'hosts')]);
  assert.equal([...inv.hosts.keys()], ['h1']);
});

test('implicit localhost: local connection, all vars, host_vars file, not in all', async () => {
  const inv = await loadInventory([fixture('fleet')]);
  assert.equal(inv.select('localhost'), ['localhost']);
  assert.equal(inv.hostVars('localhost'), {
    ntp_server: 'ntp.example.com',
    base_repo: 'http://vault.centos.org',
    ansible_connection: 'local',
    local_tag: 'control',
  });
  assert.equal(inv.groupNames('localhost'), []);
  assert.not.ok(inv.select('all').includes('localhost'));
  assert.not.ok(inv.hosts.has('localhost'));
  assert.is(inv.host('localhost')!.vars.ansible_connection, 'local');
  assert.not.ok(inv.groupsMap().all.includes('localhost'));
});

test('a localhost defined in the inventory is used as is, and answers for 127.0.0.1 too', async () => {
  const inv = await loadInventory(['localhost,other,']);
  assert.equal(inv.select('localhost'), ['localhost']);
  assert.equal(inv.select('127.0.0.1'), ['localhost']);
  assert.ok(inv.select('all').includes('localhost'));
});

test.run();
