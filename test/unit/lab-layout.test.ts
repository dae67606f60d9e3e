import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labLayout, nodeAddress, nodeName, type LabManifest } from '../../src/lab/layout.js';
import { parseProfileChoice, profileForNode } from '../../src/lab/profiles.js';
import { parse as parseYaml } from 'yaml';
import { inventoryIni, inventoryYaml } from '../../src/lab/setup.js';

test('node addresses fill 127.0.<subnet>.1-254, then the next /24, never .0 or .255', () => {
  assert.equal([1, 2, 254, 255, 508].map((i) => nodeAddress(1, i)), ['127.0.1.1', '127.0.1.2', '127.0.1.254', '127.0.2.1', '127.0.2.254']);
  assert.throws(() => nodeAddress(255, 255), /does not fit/);
});

test('the inventory puts masters, KVM nodes and GPU nodes in their groups with connection vars', () => {
  const lab = labLayout('/srv/lab');
  const profiles = parseProfileChoice('mixed')!;
  const manifest: LabManifest = {
    subnet: 1,
    installerUrl: 'http://127.0.0.1:4000/cloud/scripts/install-zjmf-cloud_new',
    nodes: [1, 2, 6].map((index) => ({ name: nodeName(index), index, address: nodeAddress(1, index), profile: profileForNode(profiles, index) })),
  };
  assert.is(inventoryIni(lab, manifest), `# play lab inventory (/srv/lab)
[master]
node1 ansible_host=127.0.1.1 ansible_user=root ansible_ssh_private_key_file=/srv/lab/id_ed25519 ansible_ssh_known_hosts_file=/srv/lab/known_hosts lab_profile=master

[kvm_nodes]
node2 ansible_host=127.0.1.2 ansible_user=root ansible_ssh_private_key_file=/srv/lab/id_ed25519 ansible_ssh_known_hosts_file=/srv/lab/known_hosts lab_profile=intel-gpu
node6 ansible_host=127.0.1.6 ansible_user=root ansible_ssh_private_key_file=/srv/lab/id_ed25519 ansible_ssh_known_hosts_file=/srv/lab/known_hosts lab_profile=novirt

[gpu_nodes]
node2 ansible_host=127.0.1.2 ansible_user=root ansible_ssh_private_key_file=/srv/lab/id_ed25519 ansible_ssh_known_hosts_file=/srv/lab/known_hosts lab_profile=intel-gpu

[all:vars]
ansible_ssh_common_args='-o StrictHostKeyChecking=yes'
installer_url=http://127.0.0.1:4000/cloud/scripts/install-zjmf-cloud_new
`);
  const yaml = parseYaml(inventoryYaml(lab, manifest));
  assert.equal(Object.keys(yaml.all.children.kvm_nodes.hosts), ['node2', 'node6']);
  assert.equal(yaml.all.children.gpu_nodes.hosts.node2, {
    ansible_host: '127.0.1.2', ansible_user: 'root', ansible_ssh_private_key_file: '/srv/lab/id_ed25519',
    ansible_ssh_known_hosts_file: '/srv/lab/known_hosts', lab_profile: 'intel-gpu',
  });
  assert.is(yaml.all.vars.ansible_ssh_common_args, '-o StrictHostKeyChecking=yes');
});

test.run();
