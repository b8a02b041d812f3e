// The function drivers a guest loads (spar-protocol.md §6), from the registered device kinds:
// every kind's visorbus driver (visorvideoclient, visorconinclient, visornoop: the minimum set
// and what it binds, matched by visorbus against device channel types), and the Era A virtpci
// driver of each kind the guest has a device of or lists in `drivers` (virthba, virtnic, reached
// through visorclientbus, uislib and virtpci, §5.11, §5.12). Choice: a guest with either kind of
// IO device gets the Era A client bus: the final visorhba/visornic are not modelled, and Era A is
// what §6.2 lists as the disk-booting guest's minimum set.

import { driverModule as moduleOf, KINDS } from '../kinds/index.js';
import type { KindDriver } from '../kinds/kind.js';

/** A guest's driver set by module name, in registration order. */
export type DriverSet = ReadonlyMap<string, KindDriver>;

/** Every function-driver module spar-sim has, for checking a scenario's `drivers` list. */
export const KNOWN_DRIVER_MODULES: readonly string[] = KINDS.flatMap((k) =>
  k.driver === undefined ? [] : [moduleOf(k.driver)],
);

/** What the driver set reads of a configuration (a parsed scenario has it too). */
export interface DriverSetInput {
  readonly partitions: readonly {
    readonly name: string;
    readonly devices: readonly { readonly channelType: string }[];
    readonly drivers?: readonly string[];
  }[];
}

/**
 * The driver set of guest `partition` in `config`: every visorbus driver, plus the virtpci driver
 * of each kind the guest has a device of or names in its `drivers`.
 */
export function guestDriverSet(config: DriverSetInput, partition: string): DriverSet {
  const guest = config.partitions.find((p) => p.name === partition);
  const types = new Set(guest?.devices.map((d) => d.channelType) ?? []);
  const extra = new Set(guest?.drivers ?? []);
  const set = new Map<string, KindDriver>();
  for (const kind of KINDS) {
    const driver = kind.driver;
    if (driver === undefined) continue;
    const used = kind.channels.some((c) => types.has(c.type.name)) || extra.has(moduleOf(driver));
    if (driver.bus === 'visorbus' || used) set.set(moduleOf(driver), driver);
  }
  return set;
}
