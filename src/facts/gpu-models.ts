/**
 * NVIDIA data-centre GPUs by PCI device ID (vendor 10de), with what vGPU modes they support.
 * IDs from pci.ids; the MIG and time-sliced lists follow the seed's vGPU appendix
 * (/work/shared/reference/domain.md §4). A card the appendix does not name gets 'unknown',
 * even when it is vGPU-capable elsewhere (L40S, H100 SXM5, Tesla M10).
 */

export const NVIDIA_VENDOR_ID = '10de';

/** 'mig+timesliced': MIG-backed and time-sliced vGPU; 'timesliced': time-sliced only. */
export type VgpuMode = 'mig+timesliced' | 'timesliced' | 'unknown';

export interface GpuModel {
  /** Lower-case hex device ID without 0x, e.g. '1eb8'. */
  deviceId: string;
  name: string;
  vgpuMode: VgpuMode;
}

const MIG: VgpuMode = 'mig+timesliced';
const TIMESLICED: VgpuMode = 'timesliced';
const UNKNOWN: VgpuMode = 'unknown';

export const GPU_MODELS: readonly GpuModel[] = [
  { deviceId: '1eb8', name: 'Tesla T4', vgpuMode: TIMESLICED },
  { deviceId: '1db1', name: 'Tesla V100 SXM2 16GB', vgpuMode: TIMESLICED },
  { deviceId: '1db5', name: 'Tesla V100 SXM2 32GB', vgpuMode: TIMESLICED },
  { deviceId: '1db4', name: 'Tesla V100 PCIe 16GB', vgpuMode: TIMESLICED },
  { deviceId: '1db6', name: 'Tesla V100 PCIe 32GB', vgpuMode: TIMESLICED },
  { deviceId: '1db3', name: 'Tesla V100 FHHL 16GB', vgpuMode: TIMESLICED },
  { deviceId: '1df6', name: 'Tesla V100S PCIe 32GB', vgpuMode: TIMESLICED },
  // The appendix's "A100 HGX" is taken to be the SXM4 parts: an inference, see domain.md §4.
  { deviceId: '20b0', name: 'A100 SXM4 40GB', vgpuMode: MIG },
  { deviceId: '20b2', name: 'A100 SXM4 80GB', vgpuMode: MIG },
  { deviceId: '20b1', name: 'A100 PCIe 40GB', vgpuMode: MIG },
  { deviceId: '20f1', name: 'A100 PCIe 40GB', vgpuMode: MIG },
  { deviceId: '20b5', name: 'A100 PCIe 80GB', vgpuMode: MIG },
  { deviceId: '20b8', name: 'A100X', vgpuMode: MIG },
  { deviceId: '20b7', name: 'A30', vgpuMode: MIG },
  { deviceId: '20b9', name: 'A30X', vgpuMode: MIG },
  { deviceId: '20f3', name: 'A800 SXM4 80GB', vgpuMode: MIG },
  { deviceId: '20f5', name: 'A800 80GB PCIe', vgpuMode: MIG },
  { deviceId: '2331', name: 'H100 PCIe', vgpuMode: MIG },
  { deviceId: '2322', name: 'H800 PCIe', vgpuMode: MIG },
  { deviceId: '2330', name: 'H100 SXM5 80GB', vgpuMode: UNKNOWN },
  { deviceId: '2235', name: 'A40', vgpuMode: TIMESLICED },
  { deviceId: '2236', name: 'A10', vgpuMode: TIMESLICED },
  // One device ID covers both boards; sysfs cannot tell them apart without the subsystem ID.
  { deviceId: '25b6', name: 'A2 / A16', vgpuMode: TIMESLICED },
  { deviceId: '27b8', name: 'L4', vgpuMode: TIMESLICED },
  { deviceId: '26b5', name: 'L40', vgpuMode: TIMESLICED },
  { deviceId: '26b9', name: 'L40S', vgpuMode: UNKNOWN },
  { deviceId: '26b1', name: 'RTX 6000 Ada Generation', vgpuMode: TIMESLICED },
  { deviceId: '2230', name: 'RTX A6000', vgpuMode: TIMESLICED },
  { deviceId: '2231', name: 'RTX A5000', vgpuMode: TIMESLICED },
  { deviceId: '1e30', name: 'Quadro RTX 6000/8000', vgpuMode: TIMESLICED },
  { deviceId: '1e36', name: 'Quadro RTX 6000', vgpuMode: TIMESLICED },
  { deviceId: '1e78', name: 'Quadro RTX 6000/8000 (passive)', vgpuMode: TIMESLICED },
  { deviceId: '13bd', name: 'Tesla M10', vgpuMode: UNKNOWN },
];

const BY_DEVICE_ID = new Map(GPU_MODELS.map((model) => [model.deviceId, model]));

/** The table entry for vendor '10de' / device '1eb8' (any case, with or without 0x), if any. */
export function findGpuModel(vendorId: string, deviceId: string): GpuModel | undefined {
  if (normalizeHexId(vendorId) !== NVIDIA_VENDOR_ID) return undefined;
  return BY_DEVICE_ID.get(normalizeHexId(deviceId));
}

/** '0x10DE' → '10de', the form pci.ids and vfio-pci's `ids=` use. */
export function normalizeHexId(id: string): string {
  return id.trim().toLowerCase().replace(/^0x/, '');
}
