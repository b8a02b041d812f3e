// The function drivers a guest loads, by module name (spar-protocol.md §6): visorbus drivers are
// matched by visorbus against device channel types; virtpci drivers (Era A virthba, virtnic) are
// reached through visorclientbus, uislib and virtpci (§5.11, §5.12). A guest with either kind of
// IO device gets the Era A client bus: the final visorhba/visornic are not modelled, and Era A is
// what §6.2 lists as the disk-booting guest's minimum set.

import type { Config } from '../hypervisor/index.js';
import type { DriverRegistration } from '../../machines/visorbus.logic.js';
import {
  VIRTHBA_DRIVER,
  VIRTNIC_DRIVER,
  type VirtpciDriverRegistration,
} from '../../machines/virtpci-driver.logic.js';
import { VISORCONINCLIENT_DRIVER } from '../../machines/visorconinclient.machine.js';
import { VISORNOOP_DRIVER } from '../../machines/visornoop.machine.js';
import { VISORVIDEOCLIENT_DRIVER } from '../../machines/visorvideoclient.machine.js';

/** A function driver the guest can load: which bus it registers with, and its registration. */
export type GuestDriver =
  | { readonly bus: 'visorbus'; readonly registration: DriverRegistration }
  | { readonly bus: 'virtpci'; readonly registration: VirtpciDriverRegistration };

/** A guest's driver set by module name. */
export type DriverSet = ReadonlyMap<string, GuestDriver>;

const visorbusDriver = (registration: DriverRegistration): [string, GuestDriver] => [
  registration.name,
  { bus: 'visorbus', registration },
];
const virtpciDriver = (registration: VirtpciDriverRegistration): [string, GuestDriver] => [
  registration.module,
  { bus: 'virtpci', registration },
];

/** The minimum driver set's function drivers (visorchipset and visorbus are always present). */
export function minimumDriverSet(): DriverSet {
  return new Map(
    [VISORVIDEOCLIENT_DRIVER, VISORCONINCLIENT_DRIVER, VISORNOOP_DRIVER].map(visorbusDriver),
  );
}

/** Every function-driver module spar-sim has, for checking a scenario's `drivers` list. */
export const KNOWN_DRIVER_MODULES: readonly string[] = [
  ...minimumDriverSet().keys(),
  VIRTHBA_DRIVER.module,
  VIRTNIC_DRIVER.module,
];

/**
 * The driver set of guest `partition` in `config`: the minimum set, plus virthba for vhba devices
 * and virtnic for vnic devices (with them the Era A client bus), plus the partition's `drivers`.
 */
export function guestDriverSet(config: Config, partition: string): DriverSet {
  const guest = config.partitions.find((p) => p.name === partition);
  const types = new Set(guest?.devices.map((d) => d.channelType) ?? []);
  const extra = new Set(guest?.drivers ?? []);
  const set = new Map(minimumDriverSet());
  if (types.has('vhba') || extra.has(VIRTHBA_DRIVER.module))
    set.set(...virtpciDriver(VIRTHBA_DRIVER));
  if (types.has('vnic') || extra.has(VIRTNIC_DRIVER.module))
    set.set(...virtpciDriver(VIRTNIC_DRIVER));
  return set;
}
