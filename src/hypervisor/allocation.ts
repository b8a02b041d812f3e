// Channel allocation: the hypervisor's part in channel setup (DESIGN "Channels"; spar-protocol.md
// §1.8 sizes, §1.9 layouts, §1.10 how the guest finds a channel, §2.4 BUS_CREATE/DEVICE_CREATE).
// For every guest it creates the controlvm channel (cp ↔ guest), one vbus channel per bus
// (cp ↔ guest) and one channel per device (server ↔ guest), each with a doorbell pair, and gives
// each a guest-physical address and size: the `channel_addr`/`channel_bytes` the controlvm
// messages and the VMCALL_CONTROLVM_ADDR hypercall announce. A partition receives exactly the
// channels it is one end of, which is the isolation the design promises.

import { assert } from '../base/assert.js';
import {
  CONTROLVM_CHANNEL,
  channelSpec,
  createChannel,
  Doorbell,
  serverInitialize,
  VBUS_CHANNEL,
} from '../channel/index.js';
import { channelTypeOf, deviceChannel } from '../kinds/index.js';
import type { Config, PartitionConfig } from './config.js';

/** Guest page size; every channel starts on a page boundary. */
export const PAGE_BYTES = 4096;

/**
 * Choice: the first channel sits at guest-physical 4 GiB, above where a guest's RAM and the PCI
 * hole would be, and later channels follow on the next free page in configuration order. The
 * reference gives no addresses; one run-wide address space keeps every address unique, so a
 * trace or dump names a channel unambiguously.
 */
export const CHANNEL_ADDR_BASE = 0x1_0000_0000n;

/** `BUS_ROOT_DEVICE` (§3.7): the dev_no a bus object uses; spar-sim's vbus channel `handle`. */
export const BUS_ROOT_DEVICE = 0xffff_ffff;

/** What a channel is for. */
export type ChannelKind = 'controlvm' | 'vbus' | 'device';

/** Header identity fields the server writes (§1.1), kept so a rebooted server can rewrite them. */
export interface ChannelHeaderIdentity {
  /** `partition_handle`: Choice: the guest's partition index. */
  readonly partitionHandle: bigint;
  /** `handle`: dev_no for a device, BUS_ROOT_DEVICE for a bus, 0 for controlvm. */
  readonly handle: bigint;
  /** `partition_index`: the guest's index. */
  readonly partitionIndex: number;
}

/**
 * One channel as the hypervisor hands it out. Structured-cloneable (the worker runtime posts it
 * to a worker): the memory and the doorbell words are SharedArrayBuffers, so both partitions
 * see the same bytes; rebuild the doorbell with {@link doorbellOf}.
 */
export interface ChannelRecord {
  /** Stable name: `guest1/controlvm`, `guest1/vbus1`, `guest1/vbus1:dev0` (sysfs style, §3.8). */
  readonly id: string;
  readonly kind: ChannelKind;
  /** Channel type name (`controlvm`, `vbus`, or a device kind's: `vhba`, ...). */
  readonly typeName: string;
  /** `bus_no` for vbus and device channels. */
  readonly busNo?: number;
  /** `dev_no` for device channels. */
  readonly devNo?: number;
  /** The guest (client) end. */
  readonly guestPartition: string;
  /** The server end: the command partition, or the IOSP serving the device. */
  readonly serverPartition: string;
  /** `channel_addr`: guest-physical address, page-aligned. */
  readonly channelAddr: bigint;
  /** `channel_bytes`: size of the channel in bytes (the header's `size`). */
  readonly channelBytes: number;
  readonly identity: ChannelHeaderIdentity;
  /** The channel's memory. */
  readonly buffer: SharedArrayBuffer;
  /** The doorbell words (`Doorbell.buffer`). */
  readonly bell: SharedArrayBuffer;
  /** vhba and vnic: the guest memory the serving IOSP may DMA into (hardware.ts, network.ts), and its address. */
  readonly dma?: { readonly buffer: SharedArrayBuffer; readonly address: bigint };
}

/** Every channel of a run, and each partition's share of them. */
export interface ChannelMap {
  /** All channels, in address order. */
  all(): readonly ChannelRecord[];
  /** The channels `partition` is one end of; asserts the partition is configured. */
  forPartition(partition: string): readonly ChannelRecord[];
  /** A channel by its id. */
  byId(id: string): ChannelRecord | undefined;
}

/** A channel before it has memory and an address. */
type ChannelPlan = Omit<ChannelRecord, 'channelAddr' | 'buffer' | 'bell'> & {
  readonly serverNotReady: boolean;
};

/** Creates, server-initialises and places every channel of a validated configuration. */
export function allocateChannels(config: Config): ChannelMap {
  const commands = config.partitions.filter((p) => p.kind === 'command');
  assert(
    commands.length === 1,
    `a validated config has one command partition, got ${commands.length}`,
  );
  const cp = (commands[0] as PartitionConfig).name;
  const plans = config.partitions
    .filter((p) => p.kind === 'guest')
    .flatMap((g) => guestPlans(g, cp));
  let channelAddr = CHANNEL_ADDR_BASE;
  const records = plans.map((plan) => {
    let record = materialise(plan, channelAddr);
    channelAddr = pageAlignUp(channelAddr + BigInt(record.channelBytes));
    const dmaBytes = deviceChannel(record.typeName)?.dmaWindowBytes ?? 0;
    if (dmaBytes > 0) {
      record = Object.freeze({
        ...record,
        dma: { buffer: new SharedArrayBuffer(dmaBytes), address: channelAddr },
      });
      channelAddr = pageAlignUp(channelAddr + BigInt(dmaBytes));
    }
    return record;
  });
  return channelMap(records, new Set(config.partitions.map((p) => p.name)));
}

/** Rebuilds the doorbell object of a (possibly posted) channel record. */
export function doorbellOf(record: ChannelRecord): Doorbell {
  return new Doorbell(record.bell);
}

/**
 * Server initialisation of a device channel by the partition that serves it, on first boot and
 * after every reboot (§4.1): header and empty queues, then `srv_state = READY`. Only device
 * channels: controlvm and vbus channels carry fixed fields only allocation writes.
 */
export function serverInitializeChannel(record: ChannelRecord): void {
  assert(
    record.kind === 'device',
    `${record.id}: only device channels are re-initialised by their server`,
  );
  const spec = channelSpec(channelTypeOf(record.typeName), record.channelBytes);
  serverInitialize(record.buffer, spec, record.identity);
}

/** Rounds a guest-physical address up to the next page boundary. */
export function pageAlignUp(addr: bigint): bigint {
  const page = BigInt(PAGE_BYTES);
  return ((addr + page - 1n) / page) * page;
}

/**
 * A vbus channel holds one 256-byte device-info record per device after its 768-byte fixed part
 * (§1.9); it is never smaller than the catalogue default (16 records).
 */
export function vbusChannelBytes(deviceCount: number): number {
  return Math.max(VBUS_CHANNEL.defaultSizeBytes, 768 + deviceCount * 256);
}

/** A guest's channels in configuration order: controlvm, its buses, its devices. */
function guestPlans(guest: PartitionConfig, cp: string): ChannelPlan[] {
  const ends = { guestPartition: guest.name };
  const identity = (handle: bigint): ChannelHeaderIdentity => ({
    partitionHandle: BigInt(guest.index),
    handle,
    partitionIndex: guest.index,
  });
  const controlvm: ChannelPlan = {
    ...ends,
    id: `${guest.name}/controlvm`,
    kind: 'controlvm',
    typeName: 'controlvm',
    serverPartition: cp,
    channelBytes: CONTROLVM_CHANNEL.defaultSizeBytes,
    identity: identity(0n),
    serverNotReady: false,
  };
  const buses = guest.buses.map(
    (b): ChannelPlan => ({
      ...ends,
      id: `${guest.name}/vbus${b.busNo}`,
      kind: 'vbus',
      typeName: 'vbus',
      busNo: b.busNo,
      serverPartition: cp,
      channelBytes: vbusChannelBytes(b.deviceCount),
      identity: identity(BigInt(BUS_ROOT_DEVICE)),
      serverNotReady: false,
    }),
  );
  const devices = guest.devices.map(
    (d): ChannelPlan => ({
      ...ends,
      id: `${guest.name}/vbus${d.busNo}:dev${d.devNo}`,
      kind: 'device',
      typeName: d.channelType,
      busNo: d.busNo,
      devNo: d.devNo,
      serverPartition: d.server,
      channelBytes: channelTypeOf(d.channelType).defaultSizeBytes,
      identity: identity(BigInt(d.devNo)),
      // The IOSP initialises its channels when it boots (§4.1); until then the header is valid
      // but srv_state stays UNINITIALIZED, as on a real system whose IOSP is not up yet.
      serverNotReady: deviceChannel(d.channelType)?.server === 'iosp',
    }),
  );
  return [controlvm, ...buses, ...devices];
}

function materialise(plan: ChannelPlan, channelAddr: bigint): ChannelRecord {
  assert(
    channelAddr % BigInt(PAGE_BYTES) === 0n,
    `${plan.id}: channel_addr ${channelAddr} not page-aligned`,
  );
  const { serverNotReady, ...rest } = plan;
  const buffer = createChannel(channelTypeOf(plan.typeName), {
    sizeBytes: plan.channelBytes,
    ...plan.identity,
    serverNotReady,
  });
  assert(
    buffer.byteLength === plan.channelBytes,
    `${plan.id}: memory ${buffer.byteLength} != channel_bytes`,
  );
  return Object.freeze({ ...rest, channelAddr, buffer, bell: Doorbell.allocate().buffer });
}

function channelMap(
  records: readonly ChannelRecord[],
  partitions: ReadonlySet<string>,
): ChannelMap {
  const byId = new Map(records.map((r) => [r.id, r]));
  assert(byId.size === records.length, 'channel ids are unique');
  const shares = new Map<string, ChannelRecord[]>([...partitions].map((name) => [name, []]));
  for (const r of records) {
    assert(
      r.guestPartition !== r.serverPartition,
      `${r.id}: a channel joins two different partitions`,
    );
    shares.get(r.guestPartition)?.push(r);
    shares.get(r.serverPartition)?.push(r);
  }
  return {
    all: () => records,
    forPartition: (partition) => {
      const share = shares.get(partition);
      assert(share !== undefined, `no partition "${partition}" in the configuration`);
      return share;
    },
    byId: (id) => byId.get(id),
  };
}
