// fast-check arbitrary of valid run configurations (STYLE §8: arbitraries are importable
// modules, so `spar fuzz` and properties/ can reuse it). Kept out of the folder's index.ts so
// that runtime code never imports fast-check.

import fc from 'fast-check';
import type { Config, DeviceConfig, PartitionConfig } from '../config.js';
import { DEVICE_CHANNEL_TYPES } from '../../kinds/index.js';

const DEVICE_TYPES: readonly string[] = DEVICE_CHANNEL_TYPES;

/** Bounds of {@link validConfigArbitrary}. */
export interface ConfigArbitraryOptions {
  /** Most guests (at least one is always present). Default 4. */
  readonly maxGuests?: number;
  /** Most IO service partitions. Default 2. */
  readonly maxIosps?: number;
}

interface DeviceShape {
  readonly devNo: number;
  readonly type: string;
  readonly serverPick: number;
}

interface BusShape {
  readonly busNo: number;
  readonly deviceCount: number;
  readonly devices: readonly DeviceShape[];
}

const deviceShape = fc.record({
  devNo: fc.nat(5),
  type: fc.constantFrom(...DEVICE_TYPES),
  serverPick: fc.nat(7),
});

const busShape = fc.record({
  busNo: fc.nat(7),
  deviceCount: fc.integer({ min: 1, max: 6 }),
  devices: fc.uniqueArray(deviceShape, { maxLength: 4, selector: (d) => d.devNo }),
});

/**
 * Valid configurations: `cp`, 0..maxIosps IOSPs and 1..maxGuests guests, each guest with up to
 * three buses and up to four devices per bus. An IO device with no IOSP to serve it becomes a
 * console video device, so every generated config validates.
 */
export function validConfigArbitrary(options: ConfigArbitraryOptions = {}): fc.Arbitrary<Config> {
  return fc
    .record({
      iospCount: fc.integer({ min: 0, max: options.maxIosps ?? 2 }),
      guests: fc.array(fc.uniqueArray(busShape, { maxLength: 3, selector: (b) => b.busNo }), {
        minLength: 1,
        maxLength: options.maxGuests ?? 4,
      }),
    })
    .map(({ iospCount, guests }) => buildConfig(iospCount, guests));
}

function buildConfig(iospCount: number, guests: readonly (readonly BusShape[])[]): Config {
  const iosps = Array.from({ length: iospCount }, (_, i) => `iosp${i}`);
  const partitions: PartitionConfig[] = [
    { name: 'cp', kind: 'command', index: 0, buses: [], devices: [] },
    ...iosps.map(
      (name, i): PartitionConfig => ({
        name,
        kind: 'iosp',
        index: 1 + i,
        buses: [],
        devices: [],
      }),
    ),
    ...guests.map(
      (buses, g): PartitionConfig => ({
        name: `guest${g + 1}`,
        kind: 'guest',
        index: 1 + iospCount + g,
        buses: buses.map((b) => ({ busNo: b.busNo, deviceCount: b.deviceCount })),
        devices: buses.flatMap((b) =>
          b.devices.filter((d) => d.devNo < b.deviceCount).map((d) => device(b.busNo, d, iosps)),
        ),
      }),
    ),
  ];
  return { partitions, jiffyMs: 1 };
}

function device(busNo: number, d: DeviceShape, iosps: readonly string[]): DeviceConfig {
  const io = d.type === 'vhba' || d.type === 'vnic';
  if (!io) return { busNo, devNo: d.devNo, channelType: d.type, server: 'cp' };
  const server = iosps[d.serverPick % Math.max(iosps.length, 1)];
  if (server === undefined) return { busNo, devNo: d.devNo, channelType: 'video', server: 'cp' };
  return { busNo, devNo: d.devNo, channelType: d.type, server };
}
