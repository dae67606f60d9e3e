import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  grubbyCommand,
  kernelCmdlineModule,
  mergeKernelArgs,
  parseGrubbyInfo,
  parseGrubDefaults,
  renderGrubDefaults,
  splitKernelArgs,
} from '../../src/modules/kernel_cmdline.js';
import { coerceArgs } from '../../src/modules/args.js';
import { fakeTools, makeContext, removeDir, runModule, tempDir } from './modules-context.js';

const STREAM8_GRUB = `GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="$(sed 's, release .*$,,g' /etc/system-release)"
GRUB_DEFAULT=saved
GRUB_DISABLE_SUBMENU=true
GRUB_TERMINAL_OUTPUT="console"
GRUB_CMDLINE_LINUX="crashkernel=auto resume=/dev/mapper/cs-swap rd.lvm.lv=cs/root rd.lvm.lv=cs/swap rhgb quiet"
GRUB_DISABLE_RECOVERY="true"
GRUB_ENABLE_BLSCFG=true
`;

const INTEL_ARGS = ['intel_iommu=on', 'iommu=pt', 'rd.driver.pre=vfio-pci', 'video=efifb:off', 'video=vesafb:off'];

// As grubby prints it on Stream 8: quoted values, a rescue entry, root= split out of args.
const STREAM8_INFO = `index=0
kernel="/boot/vmlinuz-4.18.0-553.el8.x86_64"
args="ro crashkernel=auto resume=/dev/mapper/cs-swap rd.lvm.lv=cs/root rd.lvm.lv=cs/swap rhgb quiet"
root="/dev/mapper/cs-root"
initrd="/boot/initramfs-4.18.0-553.el8.x86_64.img $tuned_initrd"
title="CentOS Stream (4.18.0-553.el8.x86_64) 8"
id="5b5fa1c0d2f34b7e9b3f0c6a1e2d4f80-4.18.0-553.el8.x86_64"
index=1
kernel="/boot/vmlinuz-0-rescue-5b5fa1c0d2f34b7e9b3f0c6a1e2d4f80"
args="ro crashkernel=auto resume=/dev/mapper/cs-swap rd.lvm.lv=cs/root rd.lvm.lv=cs/swap rhgb quiet"
root="/dev/mapper/cs-root"
initrd="/boot/initramfs-0-rescue-5b5fa1c0d2f34b7e9b3f0c6a1e2d4f80.img"
title="CentOS Stream (0-rescue-5b5fa1c0d2f34b7e9b3f0c6a1e2d4f80) 8"
id="5b5fa1c0d2f34b7e9b3f0c6a1e2d4f80-0-rescue"
`;

// EL7's C grubby: unquoted kernel, and a non-Linux entry without a kernel.
const CENTOS7_INFO = `index=0
kernel=/boot/vmlinuz-3.10.0-1160.el7.x86_64
args="ro crashkernel=auto rd.lvm.lv=centos/root rd.lvm.lv=centos/swap rhgb quiet LANG=en_US.UTF-8"
root=/dev/mapper/centos-root
initrd=/boot/initramfs-3.10.0-1160.el7.x86_64.img
title=CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)
index=1
non linux entry
`;

test('GRUB_CMDLINE_LINUX is read from the last assignment, quotes and comments respected', () => {
  const parsed = parseGrubDefaults(STREAM8_GRUB);
  assert.is(parsed.lineIndex, 5);
  assert.equal(parsed.args, ['crashkernel=auto', 'resume=/dev/mapper/cs-swap', 'rd.lvm.lv=cs/root', 'rd.lvm.lv=cs/swap', 'rhgb', 'quiet']);
  const twice = parseGrubDefaults(`GRUB_CMDLINE_LINUX="a"\nexport GRUB_CMDLINE_LINUX='b c' # why\n`);
  assert.is(twice.lineIndex, 1);
  assert.equal(twice.args, ['b', 'c']);
  assert.is(twice.trailer, ' # why');
  assert.equal(parseGrubDefaults('GRUB_CMDLINE_LINUX=quiet\n').args, ['quiet']);
  assert.is(parseGrubDefaults('GRUB_TIMEOUT=5\n').lineIndex, -1);
});

test('kernel arguments split on blanks except inside (escaped) double quotes', () => {
  assert.equal(splitKernelArgs('  ro  quiet\tacpi_osi=\\"!Windows 2012\\" x=1 '), ['ro', 'quiet', 'acpi_osi=\\"!Windows 2012\\"', 'x=1']);
  assert.equal(splitKernelArgs('a="b c" d'), ['a="b c"', 'd']);
});

test('merge keeps order, replaces differing key= values in place, appends missing, keeps multi-valued keys', () => {
  assert.equal(
    mergeKernelArgs(['ro', 'iommu=soft', 'quiet', 'video=efifb:off'], ['intel_iommu=on', 'iommu=pt', 'video=efifb:off', 'video=vesafb:off']),
    ['ro', 'iommu=pt', 'quiet', 'video=efifb:off', 'intel_iommu=on', 'video=vesafb:off'],
  );
  // Already in place: the same list comes back (the caller then writes nothing).
  const done = ['rhgb', 'quiet', ...INTEL_ARGS];
  assert.equal(mergeKernelArgs(done, INTEL_ARGS), done);
  // A key repeated in the file collapses to the one wanted value.
  assert.equal(mergeKernelArgs(['iommu=soft', 'x', 'iommu=off'], ['iommu=pt']), ['iommu=pt', 'x']);
});

test('remove takes exact key=value, or every value of a bare key', () => {
  assert.equal(mergeKernelArgs(['rhgb', 'quiet', 'nomodeset', 'video=efifb:off', 'video=vga16:off'], [], ['rhgb', 'video']), ['quiet', 'nomodeset']);
  assert.equal(mergeKernelArgs(['video=efifb:off', 'video=vga16:off'], [], ['video=vga16:off']), ['video=efifb:off']);
});

test('rendering touches only the GRUB_CMDLINE_LINUX line, or appends one', () => {
  const args = mergeKernelArgs(parseGrubDefaults(STREAM8_GRUB).args, INTEL_ARGS);
  const out = renderGrubDefaults(STREAM8_GRUB, args);
  const expected = STREAM8_GRUB.replace(
    'rhgb quiet"',
    'rhgb quiet intel_iommu=on iommu=pt rd.driver.pre=vfio-pci video=efifb:off video=vesafb:off"',
  );
  assert.is(out, expected);
  assert.is(renderGrubDefaults(out, args), out);
  assert.is(renderGrubDefaults('GRUB_TIMEOUT=5', ['iommu=pt']), 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="iommu=pt"\n');
  assert.is(renderGrubDefaults("GRUB_CMDLINE_LINUX='quiet' # keep\n", ['quiet', 'iommu=pt']), 'GRUB_CMDLINE_LINUX="quiet iommu=pt" # keep\n');
});

test('grubby --info=ALL: entries with kernels and args, non-Linux entries dropped', () => {
  const stream = parseGrubbyInfo(STREAM8_INFO);
  assert.equal(stream.map((e) => e.index), [0, 1]);
  assert.is(stream[0]!.kernel, '/boot/vmlinuz-4.18.0-553.el8.x86_64');
  assert.is(stream[1]!.args.length, 7);
  const el7 = parseGrubbyInfo(CENTOS7_INFO);
  assert.is(el7.length, 1);
  assert.is(el7[0]!.kernel, '/boot/vmlinuz-3.10.0-1160.el7.x86_64');
  assert.ok(el7[0]!.args.includes('LANG=en_US.UTF-8'));
});

test('grubby is asked for every wanted argument at once, and only when an entry lacks one', () => {
  const entries = parseGrubbyInfo(STREAM8_INFO);
  assert.is(
    grubbyCommand(entries, INTEL_ARGS, ['rhgb']),
    "grubby --update-kernel=ALL '--args=intel_iommu=on iommu=pt rd.driver.pre=vfio-pci video=efifb:off video=vesafb:off' --remove-args=rhgb",
  );
  const current = entries.map((e) => ({ ...e, args: [...e.args.filter((a) => a !== 'rhgb'), ...INTEL_ARGS] }));
  assert.is(grubbyCommand(current, INTEL_ARGS, ['rhgb']), undefined);
});

test('unsafe or contradictory arguments are refused before running', () => {
  const check = (args: Record<string, unknown>) => coerceArgs(kernelCmdlineModule as never, args).errors.join('; ');
  assert.match(check({ args: ['a b'] }), "kernel argument 'a b' must be one word");
  assert.match(check({ args: ['x=$(reboot)'] }), 'must be one word');
  assert.match(check({ args: ['iommu=pt'], remove: ['iommu'] }), "'iommu=pt' is both in args and in remove");
  assert.match(check({}), 'needs args or remove');
  assert.is(check({ args: INTEL_ARGS }), '');
});

// A grubby that keeps its entries in a file and edits them like EL8's grubby-bls: every argument of
// an added key is dropped first, then the added ones are appended.
const FAKE_GRUBBY = `
state="$FAKE_GRUBBY_STATE"
case "$1" in
  --info=ALL) cat "$state" ;;
  --update-kernel=ALL)
    add=; rm=
    for a in "$@"; do case "$a" in --args=*) add="\${a#--args=}" ;; --remove-args=*) rm="\${a#--remove-args=}" ;; esac; done
    echo "$add|$rm" >> "$state.calls"
    awk -v add="$add" -v rm="$rm" '
      function key(w) { sub(/=.*/, "", w); return w }
      /^args="/ {
        v = substr($0, 7, length($0) - 7); n = split(v, w, " "); na = split(add, a, " "); nr = split(rm, r, " "); out = ""
        for (i = 1; i <= n; i++) { drop = 0
          for (j = 1; j <= na; j++) if (key(w[i]) == key(a[j])) drop = 1
          for (j = 1; j <= nr; j++) if (w[i] == r[j] || key(w[i]) == r[j]) drop = 1
          if (!drop) out = out (out == "" ? "" : " ") w[i] }
        for (j = 1; j <= na; j++) out = out (out == "" ? "" : " ") a[j]
        print "args=\\"" out "\\""; next }
      { print }' "$state" > "$state.new" && mv "$state.new" "$state" ;;
  *) echo "fake grubby: unexpected $*" >&2; exit 64 ;;
esac`;

function setup(info: string) {
  const dir = tempDir('play-kcl-');
  const grub = join(dir, 'grub');
  writeFileSync(grub, STREAM8_GRUB);
  const state = join(dir, 'grubby-entries');
  writeFileSync(state, info);
  const env = { PATH: fakeTools(dir, { grubby: FAKE_GRUBBY }), FAKE_GRUBBY_STATE: state };
  return { dir, grub, state, env };
}

test('for real: first run edits the defaults (with a backup) and the entries; the second changes nothing', async () => {
  const { dir, grub, state, env } = setup(STREAM8_INFO);
  try {
    const args = { args: INTEL_ARGS, grub_defaults: grub };
    const first = await runModule(kernelCmdlineModule, args, makeContext({ env, diff: true }));
    assert.is(first.changed, true, String(first.msg));
    assert.is(first.grub_defaults_changed, true);
    assert.match(readFileSync(grub, 'utf8'), 'rhgb quiet intel_iommu=on iommu=pt rd.driver.pre=vfio-pci video=efifb:off video=vesafb:off"\n');
    assert.ok(existsSync(String(first.backup_file)), 'backup of /etc/default/grub kept');
    assert.is(readFileSync(String(first.backup_file), 'utf8'), STREAM8_GRUB);
    const diff = (first.diff as { path: string; before: string; after: string }[])[0]!;
    assert.is(diff.path, grub);
    assert.is(diff.before, STREAM8_GRUB);
    for (const entry of parseGrubbyInfo(readFileSync(state, 'utf8'))) {
      assert.ok(INTEL_ARGS.every((a) => entry.args.includes(a)), `entry ${entry.kernel} has every argument`);
    }

    const second = await runModule(kernelCmdlineModule, args, makeContext({ env }));
    assert.is(second.changed, false);
    assert.is(second.msg, 'kernel arguments already in place');
    assert.is(readFileSync(`${state}.calls`, 'utf8').trim().split('\n').length, 1, 'grubby ran once in all');
    assert.is(readdirSync(dir).filter((f) => f.startsWith('grub.')).length, 1, 'one backup only');
  } finally {
    removeDir(dir);
  }
});

test('for real: check mode reports the change and changes nothing', async () => {
  const { dir, grub, state, env } = setup(STREAM8_INFO);
  try {
    const result = await runModule(kernelCmdlineModule, { args: INTEL_ARGS, grub_defaults: grub }, makeContext({ env, check: true }));
    assert.is(result.changed, true);
    assert.match(String(result.grubby_command), '--update-kernel=ALL');
    assert.is(readFileSync(grub, 'utf8'), STREAM8_GRUB);
    assert.is(readFileSync(state, 'utf8'), STREAM8_INFO);
    assert.not.ok(existsSync(`${state}.calls`));
  } finally {
    removeDir(dir);
  }
});

test('for real: entries already right but the defaults file stale → only the file is written', async () => {
  const updated = STREAM8_INFO.replace(/rhgb quiet"/g, `rhgb quiet ${INTEL_ARGS.join(' ')}"`);
  const { dir, grub, state, env } = setup(updated);
  try {
    const result = await runModule(kernelCmdlineModule, { args: INTEL_ARGS, grub_defaults: grub }, makeContext({ env }));
    assert.is(result.changed, true);
    assert.is(result.grubby_command, null);
    assert.not.ok(existsSync(`${state}.calls`));
  } finally {
    removeDir(dir);
  }
});

test('for real: a missing defaults file or grubby fails the host with the reason', async () => {
  const { dir, env } = setup(STREAM8_INFO);
  try {
    const missing = await runModule(kernelCmdlineModule, { args: ['iommu=pt'], grub_defaults: join(dir, 'nope') }, makeContext({ env }));
    assert.is(missing.failed, true);
    assert.match(String(missing.msg), `${join(dir, 'nope')} does not exist`);
    const noGrubby = await runModule(
      kernelCmdlineModule,
      { args: ['iommu=pt'], grub_defaults: join(dir, 'grub') },
      makeContext({ env: { PATH: '/nonexistent:/usr/bin:/bin' } }),
    );
    assert.is(noGrubby.failed, true);
    assert.match(String(noGrubby.msg), 'grubby is not installed; install grubby or set grubby: false');
    const withoutGrubby = await runModule(
      kernelCmdlineModule,
      { args: ['iommu=pt'], grub_defaults: join(dir, 'grub'), grubby: false },
      makeContext({ env: { PATH: '/nonexistent:/usr/bin:/bin' } }),
    );
    assert.is(withoutGrubby.changed, true);
    assert.match(readFileSync(join(dir, 'grub'), 'utf8'), 'quiet iommu=pt"');
  } finally {
    removeDir(dir);
  }
});

test.run();
