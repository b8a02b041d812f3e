// The function drivers a guest can load, by module name (spar-protocol.md §6): for now the
// minimum driver set's function drivers. visorbus matches devices against their registrations.

import { VISORCONINCLIENT_DRIVER, visorconinclientMachine } from '../../machines/visorconinclient.machine.js';
import { VISORNOOP_DRIVER, visornoopMachine } from '../../machines/visornoop.machine.js';
import { VISORVIDEOCLIENT_DRIVER, visorvideoclientMachine } from '../../machines/visorvideoclient.machine.js';
import type { Config } from '../hypervisor/index.js';
import type { GuestDriver } from './guest-host.js';

/** The minimum driver set's function drivers (visorchipset and visorbus are always present). */
export function minimumDriverSet(): ReadonlyMap<string, GuestDriver> {
  return new Map<string, GuestDriver>([
    [VISORVIDEOCLIENT_DRIVER.name, { registration: VISORVIDEOCLIENT_DRIVER, machine: visorvideoclientMachine }],
    [VISORCONINCLIENT_DRIVER.name, { registration: VISORCONINCLIENT_DRIVER, machine: visorconinclientMachine }],
    [VISORNOOP_DRIVER.name, { registration: VISORNOOP_DRIVER, machine: visornoopMachine }],
  ]);
}

/**
 * The driver set of guest `partition` in `config`: the minimum set plus what its devices need
 * (§6). The hosts of both runtimes take their driver set from here.
 */
export function guestDriverSet(config: Config, partition: string): ReadonlyMap<string, GuestDriver> {
  void config;
  void partition;
  return minimumDriverSet();
}
