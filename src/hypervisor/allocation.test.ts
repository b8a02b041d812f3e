import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CH,
  Channel,
  CHANNELSRV_READY,
  CHANNELSRV_UNINITIALIZED,
  ChannelMemory,
} from '../channel/index.js';
import { AssertionError } from '../base/assert.js';
import {
  allocateChannels,
  BUS_ROOT_DEVICE,
  CHANNEL_ADDR_BASE,
  doorbellOf,
  PAGE_BYTES,
  serverInitializeChannel,
  type ChannelMap,
} from './allocation.js';
import { validateConfig, type Config } from './config.js';
import { ioGuestConfig, minimalGuestConfig } from './presets.js';
import { validConfigArbitrary } from './testing/config-arbitrary.js';
import { VHBA_CHANNEL } from '../kinds/vhba/channel.js';
import { channelTypeOf } from '../kinds/index.js';

const srvState = (buffer: SharedArrayBuffer): number =>
  new ChannelMemory(buffer).readU32(CH.srvState);
const ids = (map: ChannelMap, partition: string): string[] =>
  map.forPartition(partition).map((r) => r.id);

/** Every isolation and placement rule allocation promises, for any valid configuration. */
function checkAllocation(config: Config, map: ChannelMap): void {
  const all = map.all();
  for (const p of config.partitions) {
    for (const r of map.forPartition(p.name))
      expect([r.guestPartition, r.serverPartition]).toContain(p.name);
    if (p.kind === 'guest')
      expect(map.forPartition(p.name).every((r) => r.guestPartition === p.name)).toBe(true);
  }
  // Each channel is held by exactly its two ends and by nobody else.
  const holders = new Map(all.map((r) => [r.id, 0]));
  for (const p of config.partitions)
    for (const r of map.forPartition(p.name)) holders.set(r.id, (holders.get(r.id) ?? 0) + 1);
  expect([...holders.values()].every((n) => n === 2)).toBe(true);
  // Every device has one channel, shared by exactly the device's server and its guest.
  for (const g of config.partitions) {
    for (const d of g.devices) {
      const matches = all.filter(
        (r) =>
          r.kind === 'device' &&
          r.guestPartition === g.name &&
          r.busNo === d.busNo &&
          r.devNo === d.devNo,
      );
      expect(matches).toHaveLength(1);
      expect(matches[0]).toMatchObject({ serverPartition: d.server, typeName: d.channelType });
    }
  }
  // Addresses: page-aligned, increasing, and no channel overlaps the next.
  all.forEach((r, i) => {
    expect(r.channelAddr % BigInt(PAGE_BYTES)).toBe(0n);
    const next = all[i + 1];
    if (next !== undefined)
      expect(r.channelAddr + BigInt(r.channelBytes) <= next.channelAddr).toBe(true);
  });
}

describe('hypervisor/allocation', () => {
  it('allocates the minimal guest: controlvm, bus 1 and its three console devices, all cp ↔ guest1', () => {
    const map = allocateChannels(minimalGuestConfig());
    const expected = [
      'guest1/controlvm',
      'guest1/vbus1',
      'guest1/vbus1:dev0',
      'guest1/vbus1:dev1',
      'guest1/vbus1:dev2',
    ];
    expect(map.all().map((r) => r.id)).toEqual(expected);
    expect(ids(map, 'cp')).toEqual(expected);
    expect(ids(map, 'guest1')).toEqual(expected);
    expect(map.byId('guest1/vbus1:dev1')?.typeName).toBe('keyboard');
    expect(map.all()[0]?.channelAddr).toBe(CHANNEL_ADDR_BASE);
  });

  it('gives the IOSP exactly the device channels it serves, and leaves them for it to initialise', () => {
    const map = allocateChannels(ioGuestConfig());
    expect(ids(map, 'iosp0')).toEqual(['guest1/vbus1:dev0', 'guest1/vbus1:dev1']);
    expect(ids(map, 'cp')).toEqual(['guest1/controlvm', 'guest1/vbus1']);
    for (const r of map.forPartition('iosp0'))
      expect(srvState(r.buffer)).toBe(CHANNELSRV_UNINITIALIZED);
    for (const r of map.forPartition('cp')) expect(srvState(r.buffer)).toBe(CHANNELSRV_READY);
  });

  it('writes headers that validate as their channel type, with size and identity from the config', () => {
    for (const config of [minimalGuestConfig(), ioGuestConfig()]) {
      const guestIndex = config.partitions.find((p) => p.name === 'guest1')?.index;
      for (const r of allocateChannels(config).all()) {
        const attached = Channel.attachAs(r.buffer, channelTypeOf(r.typeName));
        expect(attached.ok, r.id).toBe(true);
        if (!attached.ok) continue;
        const header = attached.value.header();
        expect(header.get64('size')).toBe(BigInt(r.channelBytes));
        expect(header.get('partition_index')).toBe(guestIndex);
        expect(header.get64('partition_handle')).toBe(BigInt(guestIndex ?? -1));
        const handle =
          r.kind === 'device'
            ? BigInt(r.devNo ?? -1)
            : r.kind === 'vbus'
              ? BigInt(BUS_ROOT_DEVICE)
              : 0n;
        expect(header.get64('handle')).toBe(handle);
      }
    }
  });

  it("a guest never receives another guest's channel, and each channel joins exactly its two ends (1..4 guests)", () => {
    fc.assert(
      fc.property(validConfigArbitrary({ maxGuests: 4 }), (config) => {
        expect(validateConfig(config).ok).toBe(true);
        checkAllocation(config, allocateChannels(config));
      }),
      { numRuns: 60 },
    );
  });

  it('channel addresses are unique across the whole run', () => {
    fc.assert(
      fc.property(validConfigArbitrary(), (config) => {
        const addrs = allocateChannels(config)
          .all()
          .map((r) => r.channelAddr);
        expect(new Set(addrs).size).toBe(addrs.length);
      }),
      { numRuns: 30 },
    );
  });

  it('is deterministic: the same config gives the same ids, addresses, sizes and bytes', () => {
    const a = allocateChannels(ioGuestConfig()).all();
    const b = allocateChannels(ioGuestConfig()).all();
    expect(b.map((r) => [r.id, r.channelAddr, r.channelBytes])).toEqual(
      a.map((r) => [r.id, r.channelAddr, r.channelBytes]),
    );
    // Buffer.equals compares the bytes natively; toEqual on 160 KiB arrays takes a second.
    for (const [i, r] of a.entries()) {
      const other = Buffer.from(b[i]?.buffer ?? new SharedArrayBuffer(0));
      expect(Buffer.from(r.buffer).equals(other), r.id).toBe(true);
    }
  });

  it('a posted record still shares memory and doorbell with the original', () => {
    const record = allocateChannels(minimalGuestConfig()).all()[0];
    expect(record).toBeDefined();
    if (record === undefined) return;
    const copy = structuredClone(record);
    new Uint8Array(copy.buffer)[4000] = 0xa5;
    expect(new Uint8Array(record.buffer)[4000]).toBe(0xa5);
    doorbellOf(copy).ring('client');
    expect(doorbellOf(record).seen('client')).toBe(1);
  });

  it('the serving IOSP brings a device channel to READY without changing its identity', () => {
    const record = allocateChannels(ioGuestConfig()).byId('guest1/vbus1:dev0');
    expect(record).toBeDefined();
    if (record === undefined) return;
    serverInitializeChannel(record);
    expect(srvState(record.buffer)).toBe(CHANNELSRV_READY);
    const attached = Channel.attachAs(record.buffer, VHBA_CHANNEL);
    expect(attached.ok && attached.value.header().get64('handle')).toBe(0n);
    const controlvm = allocateChannels(ioGuestConfig()).byId('guest1/controlvm');
    expect(() => controlvm && serverInitializeChannel(controlvm)).toThrow(AssertionError);
  });

  it('asking for an unconfigured partition is a programmer error', () => {
    expect(() => allocateChannels(minimalGuestConfig()).forPartition('guest9')).toThrow(
      AssertionError,
    );
  });
});
