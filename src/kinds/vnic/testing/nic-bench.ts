// The bench of the NIC server tests (nic-server.test.ts, nic-link.test.ts; spar-protocol.md §4.3,
// §4.4.3): a real IospHost on the sim runtime serves three vnic channels — guest1 and guest2 on
// segment blue (with an uplink to the outside), guest3 on red — and the test plays the guests: it
// writes uiscmdrsp slots into each channel's to-IOSP queue itself, rings the IOSP and reads the
// from-IOSP queue. Every DMA window starts filled with a guard pattern and a shadow copy records
// what the test expects in it, so any byte the IOSP writes where it should not is found.

import { expect } from 'vitest';
import { Channel } from '../../../channel/index.js';
import { VNIC_CHANNEL } from '../channel.js';
import { writeMac } from '../ethernet.js';
import {
  allocateChannels,
  doorbellOf,
  PAGE_BYTES,
  type ChannelMap,
  type Config,
  type PartitionConfig,
} from '../../../hypervisor/index.js';
import { allocateNicLinks, type NicLinks } from '../nic-links.js';
import { networkPlan, VNIC_RCV_PAGES } from '../network.js';
import {
  ETH_HLEN,
  RCVPOST_BUF_SIZE,
  SIZEOF_CMDRSP,
} from '../../../protocol/uiscmdrsp-constants.js';
import { decodeNet, encodeNet, type NetMessage } from '../../../protocol/uiscmdrsp-net.js';
import { SimWorld } from '../../../runtime/sim/sim-world.js';
import { IospHost } from '../../../partition/iosp-host.js';

const vnicGuest = (name: string, index: number, segment: string): PartitionConfig => ({
  name,
  kind: 'guest',
  index,
  buses: [{ busNo: 2, deviceCount: 1 }],
  devices: [{ busNo: 2, devNo: 0, channelType: 'vnic', server: 'iosp0', segment }],
});
/** iosp0 with one NIC on blue; guest1 and guest2 on blue, guest3 on red. */
export const config: Config = {
  jiffyMs: 1,
  partitions: [
    { name: 'cp', kind: 'command', index: 0, buses: [], devices: [] },
    {
      name: 'iosp0',
      kind: 'iosp',
      index: 1,
      buses: [],
      devices: [],
      hardware: { scsi: [], nics: [{ name: 'eth-blue', switch: 'blue' }] },
    },
    vnicGuest('guest1', 2, 'blue'),
    vnicGuest('guest2', 3, 'blue'),
    vnicGuest('guest3', 4, 'red'),
  ],
};
export const plan = networkPlan(config);
const GUARD = 0xa5;
/** The context the test's ENBDIS messages carry. */
export const CONTEXT = 0xffff_8880;
/** The guest's opaque buf for a post of receive page `page`, and back. */
export const bufOf = (page: number) => 0x10_0000 + page * 64;
export const pageOf = (buf: number) => (buf - 0x10_0000) / 64;
export type Rcv = Extract<NetMessage, { kind: 'rcv' }>;
export const rcvsOf = (ms: readonly NetMessage[]) => ms.filter((m): m is Rcv => m.kind === 'rcv');

/** A 60-byte (or `len`) frame from `src` to `dst`, its payload all `fill`. */
export function frame(dst: number, src: number, fill: number, len = 60): Uint8Array {
  const f = new Uint8Array(len).fill(fill);
  writeMac(f, 0, dst);
  writeMac(f, 6, src);
  f.set([0x88, 0xb5], 12); // a local experimental ethertype: the switch does not look
  return f;
}

// One guest's end of its vnic channel: it writes commands, reads responses, and keeps the shadow.
function guestEnd(world: SimWorld, channels: ChannelMap, name: string) {
  const record = channels.all().find((c) => c.typeName === 'vnic' && c.guestPartition === name);
  const vnic = plan.vnics.find((v) => v.guest === name);
  const attached = record && Channel.attachAs(record.buffer, VNIC_CHANNEL);
  if (record?.dma === undefined || vnic === undefined || !attached?.ok)
    throw new Error(`${name}: no ready vnic channel`);
  const memory = new Uint8Array(record.dma.buffer).fill(GUARD);
  const shadow = memory.slice();
  const pfn0 = Number(record.dma.address) / PAGE_BYTES;
  const env = world.environment(name);
  const slot = new Uint8Array(SIZEOF_CMDRSP);
  const g = {
    name,
    record,
    memory,
    shadow,
    pfn0,
    mac: vnic.mac,
    ip: vnic.ip,
    sendRaw(bytes: Uint8Array): void {
      expect(attached.value.queue(0).insert(bytes)).toBe('inserted');
      env.ring(doorbellOf(record), 'server');
    },
    send: (msg: NetMessage) => g.sendRaw(encodeNet(msg)),
    post: (page: number, uniqueNum = 7) =>
      g.send({
        kind: 'rcvPost',
        buf: bufOf(page),
        frag: { pfn: pfn0 + page, off: 0, len: RCVPOST_BUF_SIZE },
        uniqueNum,
      }),
    enbdis: (enable: number, context = CONTEXT) => g.send({ kind: 'enbdis', context, enable }),
    /** Writes `bytes` into transmit page `txSlot` (as the guest's driver does) and sends NET_XMIT. */
    xmit(buf: number, bytes: Uint8Array, txSlot = 0): void {
      const at = (VNIC_RCV_PAGES + txSlot) * PAGE_BYTES;
      memory.set(bytes, at);
      shadow.set(bytes, at);
      g.send({
        kind: 'xmit',
        buf,
        len: bytes.length,
        frags: [{ pfn: pfn0 + VNIC_RCV_PAGES + txSlot, off: 0, len: bytes.length }],
        ethhdr: bytes.slice(0, ETH_HLEN),
      });
    },
    /** Every response waiting in queue 1; each must decode. */
    responses(): NetMessage[] {
      const out: NetMessage[] = [];
      while (attached.value.queue(1).remove(slot) === 'removed') {
        const decoded = decodeNet(slot);
        expect(decoded.ok, 'the IOSP writes only decodable responses').toBe(true);
        if (decoded.ok) out.push(decoded.value);
      }
      return out;
    },
    /** The frame a NET_RCV names, read from its buffer; from now on those bytes are expected. */
    received(rcv: Rcv): Uint8Array {
      const at = pageOf(rcv.buf) * PAGE_BYTES;
      const bytes = memory.slice(at, at + rcv.rcvDoneLen);
      shadow.set(bytes, at);
      return bytes;
    },
  };
  return g;
}

/**
 * A running iosp0 on the sim runtime and the three guests' ends of their channels. `links` are the
 * run's NIC link words (all up); set them before the bench to boot with a link down.
 */
export function bench(seed = 1, links: NicLinks = allocateNicLinks(config)) {
  const channels = allocateChannels(config);
  const world = new SimWorld({ seed });
  const page = links.pages.get('iosp0');
  const host = new IospHost({
    partition: 'iosp0',
    channels: channels.forPartition('iosp0'),
    env: world.environment('iosp0'),
    config,
    hardware: new Map(page === undefined ? [] : [['vnic', page]]),
  });
  host.start();
  const [g1, g2, g3] = ['guest1', 'guest2', 'guest3'].map((n) => guestEnd(world, channels, n)) as [
    Guest,
    Guest,
    Guest,
  ];
  return {
    host,
    g1,
    g2,
    g3,
    world,
    links,
    run(ms = 5): void {
      expect(world.scheduler.runUntil(world.scheduler.now() + ms, 200_000).stoppedBy).not.toBe(
        'event-budget',
      );
    },
    count: (name: string) => host.counters()[name],
    /** The first window byte that differs from what the guests wrote or the test expected, or null. */
    strayWrite(): string | null {
      for (const g of [g1, g2, g3]) {
        const at = g.memory.findIndex((byte, i) => byte !== g.shadow[i]);
        if (at >= 0) return `${g.name} window byte ${at} (page ${Math.floor(at / PAGE_BYTES)})`;
      }
      return null;
    },
  };
}
/** One guest's end of its vnic channel. */
export type Guest = ReturnType<typeof guestEnd>;
/** A bench. */
export type Bench = ReturnType<typeof bench>;

/** Posts `pages` and enables the port; drains the ack. */
export function open(b: Bench, g: Guest, pages: readonly number[]): void {
  for (const p of pages) g.post(p);
  g.enbdis(1);
  b.run();
  expect(g.responses()).toEqual([{ kind: 'enbdisAck', context: CONTEXT, enable: 1 }]);
}
