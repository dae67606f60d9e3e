import { assertModule } from './assert.js';
import { commandModule } from './command.js';
import { copyModule } from './copy.js';
import { debugModule } from './debug.js';
import { failModule } from './fail.js';
import { fileModule } from './file.js';
import { firewalldModule } from './firewalld.js';
import { getUrlModule } from './get_url.js';
import { iptablesModule } from './iptables.js';
import { kernelCmdlineModule } from './kernel_cmdline.js';
import { lineinfileModule } from './lineinfile.js';
import { modprobeModule } from './modprobe.js';
import { packageModule } from './package.js';
import { pingModule } from './ping.js';
import { rebootModule } from './reboot.js';
import { serviceModule } from './service.js';
import { setFactModule } from './set_fact.js';
import { setupModule } from './setup.js';
import { shellModule } from './shell.js';
import { statModule } from './stat.js';
import { sysctlModule } from './sysctl.js';
import { templateModule } from './template.js';
import type { ModuleDefinition } from './types.js';
import { waitForModule } from './wait_for.js';

export { coerceArgs, validateModuleArgs, type CheckedArgs } from './args.js';

/** Collections whose module names we answer to, e.g. `ansible.builtin.copy`, `ansible.posix.sysctl`. */
const COLLECTION_PREFIXES = ['ansible.builtin.', 'ansible.legacy.', 'ansible.posix.'];

const MODULES: readonly ModuleDefinition[] = [
  assertModule,
  commandModule,
  copyModule,
  debugModule,
  failModule,
  fileModule,
  firewalldModule,
  getUrlModule,
  iptablesModule,
  kernelCmdlineModule,
  lineinfileModule,
  modprobeModule,
  packageModule,
  pingModule,
  rebootModule,
  serviceModule,
  setFactModule,
  setupModule,
  shellModule,
  statModule,
  sysctlModule,
  templateModule,
  waitForModule,
];

const BY_NAME = new Map<string, ModuleDefinition>();
for (const def of MODULES) {
  for (const name of [def.name, ...(def.aliases ?? [])]) BY_NAME.set(name, def);
}

/** A module by its name, an alias, or a collection-qualified name. */
export function findModule(name: string): ModuleDefinition | undefined {
  const direct = BY_NAME.get(name);
  if (direct) return direct;
  const prefix = COLLECTION_PREFIXES.find((p) => name.startsWith(p));
  return prefix ? BY_NAME.get(name.slice(prefix.length)) : undefined;
}

/** Canonical module names, sorted (for "did you mean" on unknown modules and for docs). */
export function moduleNames(): string[] {
  return MODULES.map((m) => m.name).sort();
}
