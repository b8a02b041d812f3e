// The configuration of one run (DESIGN "The system being simulated"; spar-protocol.md §3.3,
// §3.4, §3.7): which partitions exist, and per guest the virtual buses and devices the command
// partition creates through its controlvm channel, with the partition that serves each device.
// Plain serialisable data, so a scenario file, a fast-check arbitrary and a worker's
// `workerData` can all carry it. `validateConfig` turns untrusted input into a `Config` or a
// list of typed errors (STYLE §6 class 2): it never throws for bad input.

import { deviceChannel } from '../kinds/index.js';
import { err, ok, type Result } from '../base/result.js';
import { configError, type ConfigError } from './config-errors.js';

export type { ConfigError, ConfigErrorCode } from './config-errors.js';

/** What a partition is: the command partition, an IO service partition, or a guest. */
export type PartitionKind = 'command' | 'iosp' | 'guest';

/** Default jiffy length in milliseconds: HZ = 1000 (§7). */
export const DEFAULT_JIFFY_MS = 1;

/**
 * Choice: at most 256 devices per bus. Era A checked `dev_no < dev_count` (§3.7) but gave no
 * upper bound; the vbus channel grows by one 256-byte device-info record per device (§1.9).
 */
export const MAX_DEVICES_PER_BUS = 256;

/** A virtual bus the command partition creates in a guest (BUS_CREATE, §2.4). */
export interface BusConfig {
  /** `bus_no`, assigned by the CP (§3.7). */
  readonly busNo: number;
  /** `dev_count`: number of device slots on the bus; every `dev_no` is below it. */
  readonly deviceCount: number;
}

/** A virtual device on a guest's bus (DEVICE_CREATE, §2.4), as validated. */
export interface DeviceConfig extends DeviceOptions {
  /** `bus_no` of the bus the device sits on. */
  readonly busNo: number;
  /** `dev_no`, bus-relative (§3.7). */
  readonly devNo: number;
  /** A device kind's channel type (`vhba`, `keyboard`, ...; src/kinds). */
  readonly channelType: string;
  /** Name of the partition at the server end of the device's channel. */
  readonly server: string;
}

/**
 * Options a device of some kind may have (`segment` of a vnic, ...): each device kind declares
 * its own here (module augmentation in src/kinds/<kind>/scenario.ts).
 */
// biome-ignore lint/suspicious/noEmptyInterface: kinds augment it with their options.
export interface DeviceOptions {}

/**
 * The physical devices an IO service partition owns, by key (`scsi`, `nics`): each device kind
 * declares its own (module augmentation in src/kinds/<kind>/scenario.ts).
 */
// biome-ignore lint/suspicious/noEmptyInterface: kinds augment it with their hardware.
export interface HardwareConfig {}

/** What a guest runs, by workload kind: each device kind declares its own (`block`, `ping`). */
// biome-ignore lint/suspicious/noEmptyInterface: kinds augment it with their workloads.
export interface WorkloadConfigs {}

/** What a guest runs. */
export type WorkloadConfig = WorkloadConfigs[keyof WorkloadConfigs];

/** One partition. Only guests have buses and devices; the others have empty lists. */
export interface PartitionConfig {
  /** Unique name (`cp`, `iosp0`, `guest1`): used in traces and for channel ownership. */
  readonly name: string;
  readonly kind: PartitionKind;
  /** `partition_index` written into the headers of channels whose client it is; unique. */
  readonly index: number;
  readonly buses: readonly BusConfig[];
  readonly devices: readonly DeviceConfig[];
  /** A guest's extra function-driver modules beyond the minimum set and what its devices need. */
  readonly drivers?: readonly string[];
  /** An IOSP's physical devices. */
  readonly hardware?: HardwareConfig;
  /** What a guest runs. */
  readonly workloads?: readonly WorkloadConfig[];
}

/** A validated run configuration. */
export interface Config {
  readonly partitions: readonly PartitionConfig[];
  /** Length of one jiffy in milliseconds (1 → HZ = 1000); may be fractional. */
  readonly jiffyMs: number;
  /** Named upstream quirks switched on for the run (`src/quirks.ts`); none by default. */
  readonly quirks?: readonly string[];
}

/** A device as a scenario writes it: the type is any string, the server may be implied. */
export interface DeviceInput extends DeviceOptions {
  readonly busNo: number;
  readonly devNo: number;
  readonly channelType: string;
  /** Required for vhba/vnic (an IOSP); console devices default to the command partition. */
  readonly server?: string;
}

/** A partition as a scenario writes it. */
export interface PartitionInput {
  readonly name: string;
  readonly kind: string;
  /** Defaults to the partition's position in the list. */
  readonly index?: number;
  readonly buses?: readonly BusConfig[];
  readonly devices?: readonly DeviceInput[];
  readonly drivers?: readonly string[];
  readonly hardware?: HardwareConfig;
  readonly workloads?: readonly WorkloadConfig[];
}

/** Unvalidated configuration; every `Config` is also a `ConfigInput`. */
export interface ConfigInput {
  readonly partitions: readonly PartitionInput[];
  readonly jiffyMs?: number;
  readonly quirks?: readonly string[];
}

const PARTITION_KINDS: readonly string[] = ['command', 'iosp', 'guest'];
const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;

/** Checks a configuration; returns every error found, not only the first. */
export function validateConfig(input: ConfigInput): Result<Config, ConfigError[]> {
  const errors: ConfigError[] = [];
  const jiffyMs = input.jiffyMs ?? DEFAULT_JIFFY_MS;
  if (!(Number.isFinite(jiffyMs) && jiffyMs > 0)) {
    errors.push(
      configError('bad-jiffy', { path: 'jiffyMs' }, `jiffyMs must be > 0, got ${jiffyMs}`),
    );
  }
  const kinds = checkPartitions(input.partitions, errors);
  const commands = [...kinds].filter(([, kind]) => kind === 'command').map(([name]) => name);
  if (commands.length !== 1) {
    const detail = `need exactly one command partition, got ${commands.length}`;
    errors.push(configError('command-partition-count', { path: 'partitions' }, detail));
  }
  const partitions = input.partitions.map((p, i) =>
    resolvePartition(p, i, { kinds, command: commands[0] ?? '' }, errors),
  );
  const quirks =
    input.quirks === undefined || input.quirks.length === 0 ? {} : { quirks: [...input.quirks] };
  return errors.length === 0 ? ok({ partitions, jiffyMs, ...quirks }) : err(errors);
}

/** Names, kinds and indexes; returns name → kind for the partitions with a known kind. */
function checkPartitions(
  list: readonly PartitionInput[],
  errors: ConfigError[],
): Map<string, PartitionKind> {
  const kinds = new Map<string, PartitionKind>();
  const indexes = new Set<number>();
  list.forEach((p, i) => {
    const where = { path: `partitions[${i}]`, partition: p.name };
    const index = p.index ?? i;
    if (p.name === '')
      errors.push(configError('bad-partition-name', where, 'empty partition name'));
    if (kinds.has(p.name)) {
      errors.push(
        configError('duplicate-partition-name', where, `partition name "${p.name}" used twice`),
      );
    }
    if (!isU32(index))
      errors.push(configError('bad-partition-index', where, `index ${index} is not a u32`));
    else if (indexes.has(index)) {
      errors.push(
        configError('duplicate-partition-index', where, `partition index ${index} used twice`),
      );
    }
    indexes.add(index);
    if (!PARTITION_KINDS.includes(p.kind)) {
      errors.push(configError('unknown-partition-kind', where, `unknown kind "${p.kind}"`));
    } else if (!kinds.has(p.name)) kinds.set(p.name, p.kind as PartitionKind);
    const hasIo = (p.buses?.length ?? 0) + (p.devices?.length ?? 0) > 0;
    if (hasIo && p.kind !== 'guest') {
      errors.push(
        configError(
          'buses-on-non-guest',
          where,
          `${p.kind} partition "${p.name}" has buses or devices`,
        ),
      );
    }
  });
  return kinds;
}

interface Lookup {
  readonly kinds: ReadonlyMap<string, PartitionKind>;
  /** The command partition's name ('' when the count check failed). */
  readonly command: string;
}

function resolvePartition(
  p: PartitionInput,
  i: number,
  lookup: Lookup,
  errors: ConfigError[],
): PartitionConfig {
  const path = `partitions[${i}]`;
  const buses = checkBuses(p.name, path, p.buses ?? [], errors);
  const devices = (p.devices ?? []).flatMap((d, j) => {
    const where = {
      path: `${path}.devices[${j}]`,
      partition: p.name,
      busNo: d.busNo,
      devNo: d.devNo,
    };
    const device = resolveDevice(d, where, lookup, errors);
    return device === null ? [] : [device];
  });
  checkDeviceSlots(p.name, path, buses, p.devices ?? [], errors);
  const drivers =
    p.drivers === undefined || p.drivers.length === 0 ? {} : { drivers: [...p.drivers] };
  const hardware = p.hardware === undefined ? {} : { hardware: p.hardware };
  const workloads =
    p.workloads === undefined || p.workloads.length === 0 ? {} : { workloads: p.workloads };
  return {
    name: p.name,
    kind: p.kind as PartitionKind,
    index: p.index ?? i,
    buses,
    devices,
    ...drivers,
    ...hardware,
    ...workloads,
  };
}

function checkBuses(
  partition: string,
  path: string,
  buses: readonly BusConfig[],
  errors: ConfigError[],
): BusConfig[] {
  const seen = new Set<number>();
  buses.forEach((b, j) => {
    const where = { path: `${path}.buses[${j}]`, partition, busNo: b.busNo };
    if (!isU32(b.busNo))
      errors.push(configError('bad-bus-number', where, `bus_no ${b.busNo} is not a u32`));
    else if (seen.has(b.busNo))
      errors.push(configError('duplicate-bus', where, `bus_no ${b.busNo} used twice`));
    seen.add(b.busNo);
    if (
      !(
        Number.isInteger(b.deviceCount) &&
        b.deviceCount >= 1 &&
        b.deviceCount <= MAX_DEVICES_PER_BUS
      )
    ) {
      const detail = `dev_count ${b.deviceCount} is not in 1..${MAX_DEVICES_PER_BUS}`;
      errors.push(configError('bad-device-count', where, detail));
    }
  });
  return buses.map((b) => ({ busNo: b.busNo, deviceCount: b.deviceCount }));
}

/** The device's type, server and options; null when one is unusable. */
function resolveDevice(
  d: DeviceInput,
  where: { path: string; partition: string; busNo: number; devNo: number },
  lookup: Lookup,
  errors: ConfigError[],
): DeviceConfig | null {
  const entry = deviceChannel(d.channelType);
  if (entry === undefined) {
    errors.push(
      configError('unknown-channel-type', where, `unknown device channel type "${d.channelType}"`),
    );
    return null;
  }
  const { busNo, devNo, channelType, server, ...options } = d;
  const own = Object.keys(entry.kind.scenario?.deviceOptions ?? {});
  const foreign = Object.keys(options).filter((o) => !own.includes(o));
  if (foreign.length > 0) {
    const names = foreign.map((o) => `"${o}"`).join(', ');
    const detail = `${names} ${foreign.length === 1 ? 'is not an option' : 'are not options'} of a ${channelType} device`;
    errors.push(configError('option-of-another-kind', where, detail));
    return null;
  }
  const device = { busNo, devNo, channelType, ...options };
  if (entry.server === 'iosp') {
    const kind =
      server === undefined ? 'no server' : (lookup.kinds.get(server) ?? 'no such partition');
    if (kind === 'iosp' && server !== undefined) return { ...device, server };
    const detail = `${channelType} server "${server ?? ''}" is not an iosp (${kind})`;
    errors.push(configError('server-not-iosp', where, detail));
    return null;
  }
  if (server === undefined || server === lookup.command)
    return { ...device, server: lookup.command };
  const detail = `${channelType} is served by the command partition, not "${server}"`;
  errors.push(configError('server-not-command', where, detail));
  return null;
}

/** Every device sits on an existing bus, in a free slot below the bus's `dev_count`. */
function checkDeviceSlots(
  partition: string,
  path: string,
  buses: readonly BusConfig[],
  devices: readonly DeviceInput[],
  errors: ConfigError[],
): void {
  const taken = new Set<string>();
  devices.forEach((d, j) => {
    const where = { path: `${path}.devices[${j}]`, partition, busNo: d.busNo, devNo: d.devNo };
    const bus = buses.find((b) => b.busNo === d.busNo);
    if (!isU32(d.devNo))
      errors.push(configError('bad-device-number', where, `dev_no ${d.devNo} is not a u32`));
    if (bus === undefined) {
      errors.push(
        configError('device-on-missing-bus', where, `no bus ${d.busNo} in "${partition}"`),
      );
    } else if (d.devNo >= bus.deviceCount) {
      const detail = `dev_no ${d.devNo} >= dev_count ${bus.deviceCount} of bus ${d.busNo}`;
      errors.push(configError('dev-no-out-of-range', where, detail));
    }
    const key = `${d.busNo}:${d.devNo}`;
    if (taken.has(key))
      errors.push(
        configError('duplicate-dev-no', where, `dev_no ${d.devNo} used twice on bus ${d.busNo}`),
      );
    taken.add(key);
  });
}
