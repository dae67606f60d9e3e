import { findGpuModel, normalizeHexId } from './gpu-models.js';
import type { GpuFact, PciFunctionFact } from './types.js';

/** One PCI function as the facts script reports it from sysfs. */
export interface PciRecord {
  /** "0000:3b:00.0". */
  addr: string;
  /** Without 0x: "10de". */
  vendorId: string;
  deviceId: string;
  /** As sysfs writes it: "0x030200". */
  class: string;
  subsystemVendorId: string | null;
  subsystemDeviceId: string | null;
  /** The group's directory name under kernel/iommu_groups; null without an IOMMU. */
  iommuGroup: string | null;
  driver: string | null;
}

/** A `pci=` line: addr, vendor, device, class, subsystem vendor and device, group, driver, TAB-separated. */
export function parsePciRecord(value: string): PciRecord | undefined {
  const [addr, vendor, device, cls, subVendor, subDevice, group, driver] = value.split('\t');
  if (!addr || !vendor || !device || !cls) return undefined;
  return {
    addr,
    vendorId: normalizeHexId(vendor),
    deviceId: normalizeHexId(device),
    class: cls.trim().toLowerCase(),
    subsystemVendorId: subVendor ? normalizeHexId(subVendor) : null,
    subsystemDeviceId: subDevice ? normalizeHexId(subDevice) : null,
    iommuGroup: group || null,
    driver: driver || null,
  };
}

const DISPLAY_CLASS_PREFIX = '0x03';
const BRIDGE_CLASS_PREFIX = '0x0604';

/**
 * A record per display-class function (class 0x03, any subclass), with what decides whether it can be passed through:
 * VFIO takes whole IOMMU groups, so every other member must be a function of the same slot (bound to
 * vfio-pci with it) or a PCI bridge, which needs no binding.
 */
export function buildGpuFacts(devices: readonly PciRecord[], iommuEnabled: boolean): GpuFact[] {
  return devices.filter((d) => d.class.startsWith(DISPLAY_CLASS_PREFIX)).map((gpu) => {
    const members = gpu.iommuGroup === null ? [] : devices.filter((d) => d.iommuGroup === gpu.iommuGroup);
    const slot = slotOf(gpu.addr);
    const blockers = members
      .filter((d) => slotOf(d.addr) !== slot && !d.class.startsWith(BRIDGE_CLASS_PREFIX))
      .map((d) => d.addr);
    const model = findGpuModel(gpu.vendorId, gpu.deviceId);
    const vgpuMode = model?.vgpuMode ?? 'unknown';
    return {
      ...functionFact(gpu),
      vendor_id: gpu.vendorId,
      device_id: gpu.deviceId,
      subsystem_id:
        gpu.subsystemVendorId && gpu.subsystemDeviceId ? `${gpu.subsystemVendorId}:${gpu.subsystemDeviceId}` : null,
      model: model?.name ?? null,
      kind: kindOf(gpu.class),
      iommu_group: gpu.iommuGroup !== null && /^\d+$/.test(gpu.iommuGroup) ? Number(gpu.iommuGroup) : null,
      group_members: members.map(functionFact),
      slot_functions: devices.filter((d) => d.addr !== gpu.addr && slotOf(d.addr) === slot).map(functionFact),
      passthrough_ok: iommuEnabled && gpu.iommuGroup !== null && blockers.length === 0,
      passthrough_blockers: blockers,
      mig_capable: vgpuMode === 'mig+timesliced',
      vgpu_mode: vgpuMode,
    };
  });
}

function functionFact(d: PciRecord): PciFunctionFact {
  return { addr: d.addr, id: `${d.vendorId}:${d.deviceId}`, class: d.class, driver: d.driver };
}

/** "0000:3b:00.1" → "0000:3b:00": domain, bus and device, without the function number. */
function slotOf(addr: string): string {
  return addr.replace(/\.[0-7]$/, '');
}

function kindOf(cls: string): GpuFact['kind'] {
  if (cls.startsWith('0x0302')) return '3d';
  if (cls.startsWith('0x0300')) return 'vga';
  return 'other';
}
