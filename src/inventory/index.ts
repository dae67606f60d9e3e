/** Ansible-compatible inventories: loading (INI, YAML, directories, host lists) and host patterns. */
export { Inventory, LOCALHOST_NAMES, type InventoryGroup, type InventoryHost } from './inventory.js';
export { loadInventory, type LoadInventoryOptions } from './load.js';
export { splitHostPattern } from './pattern.js';
