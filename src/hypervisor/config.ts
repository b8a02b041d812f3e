// The configuration of one run (DESIGN "The system being simulated"; spar-protocol.md §3.3,
// §3.4, §3.7): which partitions exist, and per guest the virtual buses and devices the command
// partition creates through its controlvm channel, with the partition that serves each device.
// Plain serialisable data, so a scenario file, a fast-check arbitrary and a worker's
// `workerData` can all carry it. `validateConfig` turns untrusted input into a `Config` or a
// list of typed errors (STYLE §6 class 2): it never throws for bad input.

import type { ChannelTypeName } from '../channel/index.js';
import type { BlockSize } from '../devices/disk.js';
import { err, ok, type Result } from '../base/result.js';
import { configError, type ConfigError } from './config-errors.js';

export type { ConfigError, ConfigErrorCode } from './config-errors.js';

/** What a partition is: the command partition, an IO service partition, or a guest. */
export type PartitionKind = 'command' | 'iosp' | 'guest';

/** Channel types a device can have (the bus-level types controlvm and vbus are not devices). */
export type DeviceChannelTypeName = Exclude<ChannelTypeName, 'controlvm' | 'vbus'>;

/** Device types an IO service partition serves: they own a physical device (§4). */
export const IO_DEVICE_TYPES: readonly DeviceChannelTypeName[] = ['vhba', 'vnic'];

/** Device types the command partition serves (console, diagnostics, Partition Desktop, §5). */
export const CONSOLE_DEVICE_TYPES: readonly DeviceChannelTypeName[] = [
  'console-serial',
  'diag',
  'keyboard',
  'mouse',
  'video',
];

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
export interface DeviceConfig {
  /** `bus_no` of the bus the device sits on. */
  readonly busNo: number;
  /** `dev_no`, bus-relative (§3.7). */
  readonly devNo: number;
  /** Channel type from the channel catalogue (`vhba`, `keyboard`, ...). */
  readonly channelType: DeviceChannelTypeName;
  /** Name of the partition at the server end of the device's channel. */
  readonly server: string;
  /** vnic only: the virtual switch segment the interface joins (network.ts resolves the default). */
  readonly segment?: string;
  /** vnic only: the guest puts the interface in promiscuous mode. */
  readonly promiscuous?: boolean;
}

/** A disk on an IOSP's SCSI adapter (hardware: its contents outlive the IOSP). */
export interface DiskConfig {
  /** Unique in the run. */
  readonly name: string;
  readonly blocks: number;
  readonly blockSize: BlockSize;
  /** Guests that see this disk; any other guest gets "no disk" (§4.4.1). */
  readonly sharedWith: readonly string[];
  /** Service time of one command in ms, drawn uniformly from [min, max] (default 0.1–1). */
  readonly latencyMs?: { readonly min: number; readonly max: number };
}

/** The physical devices an IO service partition owns. */
export interface HardwareConfig {
  readonly scsi: readonly { readonly name: string; readonly disks: readonly DiskConfig[] }[];
  readonly nics: readonly { readonly name: string; readonly switch: string }[];
}

/** A block workload inside a guest: writes and reads back a shared disk (scenario `workloads`). */
export interface BlockWorkloadConfig {
  readonly kind: 'block';
  readonly disk: string;
  readonly queueDepth: number;
  readonly ops: number;
  readonly writeFraction: number;
  /** Largest request in blocks. */
  readonly maxBlocks: number;
  /** Ms after the run starts at which it may begin (once its disk is bound). */
  readonly start: number;
}

/**
 * A ping workload inside a guest (scenario `workloads`, kind `ping`): ICMP echo requests to another
 * guest on the same IOSP and segment, or to the outside behind the IOSP's NIC (network.ts).
 */
export interface PingWorkloadConfig {
  readonly kind: 'ping';
  /** A guest's name, or `outside`. */
  readonly to: string;
  readonly count: number;
  readonly intervalMs: number;
  /** Whole Ethernet frame bytes of each request (60..1514). */
  readonly frameBytes: number;
  /** Requests outstanding at most. */
  readonly window: number;
  /** A request unanswered this long counts as lost. */
  readonly timeoutMs: number;
  readonly start: number;
}

/** What a guest runs. */
export type WorkloadConfig = BlockWorkloadConfig | PingWorkloadConfig;

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
export interface DeviceInput {
  readonly busNo: number;
  readonly devNo: number;
  readonly channelType: string;
  /** Required for vhba/vnic (an IOSP); console devices default to the command partition. */
  readonly server?: string;
  /** vnic only: the switch segment. */
  readonly segment?: string;
  /** vnic only: promiscuous mode. */
  readonly promiscuous?: boolean;
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
const isDeviceType = (t: string): t is DeviceChannelTypeName =>
  IO_DEVICE_TYPES.includes(t as DeviceChannelTypeName) ||
  CONSOLE_DEVICE_TYPES.includes(t as DeviceChannelTypeName);

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

/** The device's type and server; null when either is unusable. */
function resolveDevice(
  d: DeviceInput,
  where: { path: string; partition: string; busNo: number; devNo: number },
  lookup: Lookup,
  errors: ConfigError[],
): DeviceConfig | null {
  if (!isDeviceType(d.channelType)) {
    errors.push(
      configError('unknown-channel-type', where, `unknown device channel type "${d.channelType}"`),
    );
    return null;
  }
  const device = { busNo: d.busNo, devNo: d.devNo, channelType: d.channelType };
  if ((d.segment !== undefined || d.promiscuous !== undefined) && d.channelType !== 'vnic') {
    errors.push(
      configError(
        'segment-on-non-vnic',
        where,
        `only a vnic joins a switch segment or is promiscuous, not a ${d.channelType}`,
      ),
    );
    return null;
  }
  if (IO_DEVICE_TYPES.includes(d.channelType)) {
    const kind =
      d.server === undefined ? 'no server' : (lookup.kinds.get(d.server) ?? 'no such partition');
    const segment = {
      ...(d.segment === undefined ? {} : { segment: d.segment }),
      ...(d.promiscuous === undefined ? {} : { promiscuous: d.promiscuous }),
    };
    if (kind === 'iosp' && d.server !== undefined)
      return { ...device, server: d.server, ...segment };
    const detail = `${d.channelType} server "${d.server ?? ''}" is not an iosp (${kind})`;
    errors.push(configError('server-not-iosp', where, detail));
    return null;
  }
  if (d.server === undefined || d.server === lookup.command)
    return { ...device, server: lookup.command };
  const detail = `${d.channelType} is served by the command partition, not "${d.server}"`;
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
