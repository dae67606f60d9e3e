import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseShellAssignments, unquoteShellWord } from '../../src/facts/assignments.js';
import { kernelArgsToDict, splitKernelArgs } from '../../src/facts/cmdline.js';
import { GPU_MODELS, findGpuModel } from '../../src/facts/gpu-models.js';
import { parsePciRecord } from '../../src/facts/gpus.js';
import { parseFacts } from '../../src/facts/parse.js';
import { filterFacts } from '../../src/modules/setup.js';

test('shell words: double, single and mixed quoting, escapes, trailing comment', () => {
  assert.is(unquoteShellWord('"crashkernel=auto rhgb quiet"'), 'crashkernel=auto rhgb quiet');
  assert.is(unquoteShellWord(`'a "b" c'`), 'a "b" c');
  assert.is(unquoteShellWord(`"a"'b'c`), 'abc');
  assert.is(unquoteShellWord('"say \\"hi\\" \\$HOME"'), 'say "hi" $HOME');
  assert.is(unquoteShellWord('enforcing # was permissive'), 'enforcing');
  assert.is(unquoteShellWord(''), '');
});

test('assignments: the last one wins, export and blanks tolerated, expansions kept literal', () => {
  const vars = parseShellAssignments([
    'GRUB_CMDLINE_LINUX="rhgb quiet"',
    '',
    '# GRUB_ENABLE_BLSCFG=false',
    'export GRUB_ENABLE_BLSCFG=true',
    `GRUB_DISTRIBUTOR="$(sed 's, release .*$,,g' /etc/system-release)"`,
    'GRUB_CMDLINE_LINUX="rhgb quiet intel_iommu=on"',
  ]);
  assert.is(vars.get('GRUB_CMDLINE_LINUX'), 'rhgb quiet intel_iommu=on');
  assert.is(vars.get('GRUB_ENABLE_BLSCFG'), 'true');
  assert.is(vars.get('GRUB_DISTRIBUTOR'), `$(sed 's, release .*$,,g' /etc/system-release)`);
  assert.is(vars.size, 3);
});

test('kernel args: quoted values keep their spaces, quotes dropped', () => {
  assert.equal(splitKernelArgs('  ro  dyndbg="file x.c +p"   quiet\n'), ['ro', 'dyndbg=file x.c +p', 'quiet']);
  assert.equal(kernelArgsToDict(['ro', 'video=efifb:off', 'video=vesafb:off', 'a=b=c']), {
    ro: true,
    video: 'vesafb:off',
    a: 'b=c',
  });
  const dict = kernelArgsToDict(['__proto__=x']);
  assert.is(Object.getPrototypeOf(dict), Object.prototype);
  assert.is(dict['__proto__' as keyof typeof dict], 'x');
});

test('GPU model table: unique IDs, lookup by vendor and device in any notation', () => {
  const ids = GPU_MODELS.map((m) => m.deviceId);
  assert.is(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => /^[0-9a-f]{4}$/.test(id)));
  assert.is(findGpuModel('0x10DE', '0x1EB8')?.name, 'Tesla T4');
  assert.is(findGpuModel('10de', '20b7')?.vgpuMode, 'mig+timesliced');
  assert.is(findGpuModel('10de', '2331')?.vgpuMode, 'mig+timesliced');
  assert.is(findGpuModel('10de', '1db4')?.vgpuMode, 'timesliced');
  assert.is(findGpuModel('1002', '1eb8'), undefined, 'the same device ID from another vendor is not a T4');
  assert.is(findGpuModel('10de', '2204'), undefined, 'consumer cards are not in the table');
});

test('PCI records: missing subsystem, group and driver become null; short lines are dropped', () => {
  assert.equal(parsePciRecord('0000:00:1f.0\t0x8086\t0xa1c2\t0x060100\t\t\t\t'), {
    addr: '0000:00:1f.0',
    vendorId: '8086',
    deviceId: 'a1c2',
    class: '0x060100',
    subsystemVendorId: null,
    subsystemDeviceId: null,
    iommuGroup: null,
    driver: null,
  });
  assert.is(parsePciRecord('0000:00:1f.0\t0x8086'), undefined);
});

test('filter: globs on ansible_-prefixed names, no pattern or * keeps everything', () => {
  const facts = parseFacts('play_facts_begin=1\nkernel=4.18.0\narchitecture=x86_64\nplay_facts_end=1\n');
  assert.equal(Object.keys(filterFacts(facts, ['kern*'])), ['kernel', 'kernel_version']);
  assert.equal(Object.keys(filterFacts(facts, ['ansible_arch*'])), ['architecture']);
  assert.equal(Object.keys(filterFacts(facts, ['nothing_like_this'])), []);
  assert.is(filterFacts(facts, []), facts);
  assert.is(filterFacts(facts, ['*']), facts);
});

test.run();
