// The function drivers a guest loads, by module name (spar-protocol.md §6): visorbus matches
// devices against their registrations; the guest-partition machine spawns their actors.

import type { Config } from '../hypervisor/index.js';
import { VISORCONINCLIENT_DRIVER } from '../../machines/visorconinclient.machine.js';
import { VISORNOOP_DRIVER } from '../../machines/visornoop.machine.js';
import { VISORVIDEOCLIENT_DRIVER } from '../../machines/visorvideoclient.machine.js';
import type { GuestDriver } from './guest-host.js';

/** The minimum driver set's function drivers (visorchipset and visorbus are always present). */
export function minimumDriverSet(): ReadonlyMap<string, GuestDriver> {
  const drivers = [VISORVIDEOCLIENT_DRIVER, VISORCONINCLIENT_DRIVER, VISORNOOP_DRIVER];
  return new Map(drivers.map((registration) => [registration.name, { registration }]));
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
