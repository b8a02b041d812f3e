// The device kinds spar-sim has, and the lookups the rest of it makes over them (DESIGN "Device
// kinds"). Adding a kind: its folder (src/kinds/<kind>/), its machine files, and one line in
// KINDS below; everything else loops over this list.

import { assert } from '../base/assert.js';
import { type ChannelType, CONTROLVM_CHANNEL, VBUS_CHANNEL } from '../channel/index.js';
import type { Config } from '../hypervisor/config.js';
import { CORE_QUIRKS, type Quirk } from '../quirks.js';
import { consoleKind } from './console/index.js';
import { diagKind } from './diag/index.js';
import { inputKind } from './input/index.js';
import type { DeviceKind, KindChannel, KindDriver, KindMachine } from './kind.js';
import { noopKind } from './noop/index.js';
import { vhbaKind } from './vhba/index.js';
import { videoKind } from './video/index.js';
import { vnicKind } from './vnic/index.js';

export type * from './kind.js';

/**
 * Every device kind, in registration order: visorbus matches a device against the drivers of
 * the kinds in this order, and `spar list` shows them so.
 */
export const KINDS: readonly DeviceKind[] = [
  videoKind,
  inputKind,
  noopKind,
  vhbaKind,
  vnicKind,
  consoleKind,
  diagKind,
];

/** The kernel module name of a kind's driver (`visorvideoclient`, `virthba`). */
export function driverModule(driver: KindDriver): string {
  return driver.bus === 'visorbus' ? driver.registration.name : driver.registration.module;
}

/** The modules of the Era A drivers bound through virtpci (virthba, virtnic). */
export const VIRTPCI_MODULES: readonly string[] = KINDS.flatMap((k) =>
  k.driver?.bus === 'virtpci' ? [driverModule(k.driver)] : [],
);

/** A device channel type with its kind. */
export interface DeviceChannelEntry extends KindChannel {
  readonly kind: DeviceKind;
}

const DEVICE_CHANNELS: ReadonlyMap<string, DeviceChannelEntry> = new Map(
  KINDS.flatMap((kind) => kind.channels.map((c) => [c.type.name, { ...c, kind }] as const)),
);

/** The device channel type names a scenario may use, in registration order. */
export const DEVICE_CHANNEL_TYPES: readonly string[] = [...DEVICE_CHANNELS.keys()];

/** The device channel type `name` and its kind, if a kind registers it. */
export function deviceChannel(name: string): DeviceChannelEntry | undefined {
  return DEVICE_CHANNELS.get(name);
}

/** The channel type `name`, which a validated configuration only ever names if it exists. */
export function channelTypeOf(name: string): ChannelType {
  const type = channelTypeNamed(name);
  assert(type !== undefined, `no channel type ${name}`);
  return type;
}

/** Any channel type by name: the bus-level ones (controlvm, vbus) and every kind's. */
export function channelTypeNamed(name: string): ChannelType | undefined {
  if (name === CONTROLVM_CHANNEL.name) return CONTROLVM_CHANNEL;
  if (name === VBUS_CHANNEL.name) return VBUS_CHANNEL;
  return DEVICE_CHANNELS.get(name)?.type;
}

/** The machines the guest runs for devices, every kind's, in registration order. */
export const KIND_MACHINES: readonly KindMachine[] = KINDS.flatMap((k) => k.machines);

/** Every quirk: the Era A client path's own, then each kind's, in `spar list` order. */
export const QUIRKS: readonly Quirk[] = [...CORE_QUIRKS, ...KINDS.flatMap((k) => k.quirks ?? [])];

/** The run's hardware by kind name: allocated once in the main thread, outliving partitions. */
export type RunHardware = ReadonlyMap<string, unknown>;

/** `kind`'s hardware in the run (what its `hardware.allocate` made); undefined without any. */
export function hardwareOf<H>(kind: DeviceKind<H>, hardware: RunHardware): H | undefined {
  // The map is keyed by kind name and filled by that kind's own allocate (allocateHardware).
  return hardware.get(kind.name) as H | undefined;
}

/** Allocates every kind's hardware for `config`. */
export function allocateHardware(config: Config): RunHardware {
  return new Map(
    KINDS.flatMap((k) => (k.hardware === undefined ? [] : [[k.name, k.hardware.allocate(config)]])),
  );
}

/** What `partition` may touch of the run's hardware, by kind name (structured-cloneable). */
export function hardwareShares(
  hardware: RunHardware,
  config: Config,
  partition: string,
): ReadonlyMap<string, unknown> {
  const shares = new Map<string, unknown>();
  for (const kind of KINDS) {
    const share = kind.hardware?.share(hardware.get(kind.name), config, partition);
    if (share !== undefined) shares.set(kind.name, share);
  }
  return shares;
}

/** Each guest's workload journal (src/kinds/vhba/workload-journal.ts), by guest name. */
export { allocateJournals } from './vhba/workload-journal.js';
