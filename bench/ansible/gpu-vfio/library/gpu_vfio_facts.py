#!/usr/bin/python3
# Bench only: the facts the gpu-vfio role reads, which Ansible's setup module does not gather (GPUs,
# IOMMU groups, the next boot's kernel, the grub.cfg the firmware reads). Same sources and the same
# meaning as play's facts script and parser (src/facts/), with the same names under ansible_facts.
import os
import subprocess

from ansible.module_utils.basic import AnsibleModule

SYS = '/var/lib/play-lab/sys' if os.path.isdir('/var/lib/play-lab/sys') else '/sys'


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def link_name(path):
    return os.path.basename(os.readlink(path)) if os.path.islink(path) else None


def run(argv):
    try:
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
    except OSError:
        return None


def hex_id(value):
    return (value or '').lower().replace('0x', '')


def pci_functions():
    root = os.path.join(SYS, 'bus/pci/devices')
    names = sorted(os.listdir(root)) if os.path.isdir(root) else []
    functions = []
    for name in names:
        d = os.path.join(root, name)
        functions.append({
            'addr': name,
            'vendor_id': hex_id(read(d + '/vendor')),
            'device_id': hex_id(read(d + '/device')),
            'class': (read(d + '/class') or '').lower(),
            'group': link_name(d + '/iommu_group'),
            'driver': link_name(d + '/driver'),
        })
    return functions


def slot_of(addr):
    return addr.rsplit('.', 1)[0]


def public(fn):
    return {'addr': fn['addr'], 'id': fn['vendor_id'] + ':' + fn['device_id'], 'class': fn['class'], 'driver': fn['driver']}


def gpus(functions):
    result = []
    for gpu in (f for f in functions if f['class'].startswith('0x03')):
        members = [f for f in functions if gpu['group'] is not None and f['group'] == gpu['group']]
        slot = [f for f in functions if f['addr'] != gpu['addr'] and slot_of(f['addr']) == slot_of(gpu['addr'])]
        result.append(dict(public(gpu), vendor_id=gpu['vendor_id'], group_members=[public(f) for f in members],
                           slot_functions=[public(f) for f in slot]))
    return result


def cpu():
    vendor, flags = None, []
    for line in (read('/proc/cpuinfo') or '').splitlines():
        key, _, value = line.partition(':')
        key = key.strip()
        if key == 'vendor_id' and vendor is None:
            vendor = value.strip()
        elif key == 'flags' and not flags:
            flags = value.split()
    return vendor, 'vmx' if 'vmx' in flags else 'svm' if 'svm' in flags else None


def os_id():
    for line in (read('/etc/os-release') or '').splitlines():
        if line.startswith('ID='):
            return line[3:].strip('"\'').lower()
    return None


def grub_cfg_path():
    if not os.path.isdir(SYS + '/firmware/efi'):
        return '/boot/grub2/grub.cfg'
    vendors = ['redhat', 'centos'] if os_id() == 'rhel' else ['centos', 'redhat']
    candidates = ['/boot/efi/EFI/%s/grub.cfg' % v for v in vendors]
    return next((c for c in candidates if os.path.isfile(c)), candidates[0])


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    vendor, virt_flag = cpu()
    grubby = run(['grubby', '--default-kernel'])
    default_kernel = grubby.stdout.split('\n')[0] if grubby and grubby.returncode == 0 else ''
    kernel_version = default_kernel.split('vmlinuz-', 1)[1] if 'vmlinuz-' in default_kernel else None
    modinfo = run(['modinfo', '-k', kernel_version or os.uname().release, 'vfio_virqfd'])
    lsmod = run(['lsmod'])
    proc_cmdline = read('/proc/cmdline')
    module.exit_json(changed=False, ansible_facts={
        'cpu_vendor': vendor,
        'virt_flag': virt_flag,
        'default_kernel_version': kernel_version,
        'grub_cfg_path': grub_cfg_path(),
        'vfio_virqfd_available': None if modinfo is None else modinfo.returncode == 0,
        'proc_cmdline': proc_cmdline,
        'cmdline_args': (proc_cmdline or '').split(),
        'loaded_modules': [line.split()[0] for line in (lsmod.stdout if lsmod else '').splitlines()[1:] if line.strip()],
        'gpus': gpus(pci_functions()),
    })


if __name__ == '__main__':
    main()
