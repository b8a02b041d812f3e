// A guest's network stack against a hostile or buggy IOSP (issue "Network path"; spar-protocol.md
// §4.3 NET_RCV row, §4.4.4; net-stack.ts, machines/virtnic.logic.ts). A SimRun boots a command
// partition, an IOSP and two guests with a vnic each; once guest1's link is up the test plays the
// IOSP on guest1's from-IOSP queue (queue 1): it writes responses the real IOSP never would and
// rings the guest. A frame the IP layer counts (framesReceived) is one the stack delivered, so
// every refusal is checked against a valid frame sitting in the named buffer.
// The host feeds the buffer-ownership oracle (src/check/buffer-ownership.ts, whose own test feeds
// it failing histories): driven by hand here (the stack's binding, with the driver's effects) to
// build the interleavings a correct IOSP never produces.

import type { ActorRefFrom, AnyActorRef, AnyStateMachine } from 'xstate';
import type { VirtpciDriverEmitted } from '../../../machines/virtpci-driver.logic.js';
import { type Binding, perform } from '../../partition/binding.js';
import { describe, expect, test } from 'vitest';
import { Channel } from '../../channel/index.js';
import { buildFrame } from './ethernet.js';
import {
  allocateChannels,
  doorbellOf,
  PAGE_BYTES,
  serverInitializeChannel,
  type ChannelRecord,
  type Config,
  type PartitionConfig,
} from '../../hypervisor/index.js';
import type { PingWorkloadConfig } from './scenario.js';
import { vnicReportOf } from './guest.js';
import { networkPlan } from './network.js';
import { CMD_SCSI_TYPE, RCVPOST_BUF_SIZE } from '../../protocol/uiscmdrsp-constants.js';
import { encodeNet, type NetMessage } from '../../protocol/uiscmdrsp-net.js';
import { SimRun } from '../../runtime/sim/index.js';
import { SimWorld } from '../../runtime/sim/sim-world.js';
import type { IpStackContext } from '../../../machines/ip-stack.logic.js';
import type { VirtnicContext } from '../../../machines/virtnic.types.js';
import { NetStack, type NetInterfaceReport } from './net-stack.js';
import { VNIC_CHANNEL } from './channel.js';

const vnicGuest = (
  name: string,
  index: number,
  workloads: PingWorkloadConfig[] = [],
): PartitionConfig => ({
  name,
  kind: 'guest',
  index,
  buses: [{ busNo: 2, deviceCount: 1 }],
  devices: [{ busNo: 2, devNo: 0, channelType: 'vnic', server: 'iosp0', segment: 'blue' }],
  workloads,
});
const configWith = (pings: PingWorkloadConfig[]): Config => ({
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
    vnicGuest('guest1', 2),
    vnicGuest('guest2', 3, pings),
  ],
});
const quiet = configWith([]);
const [me, peer] = networkPlan(quiet).vnics;
if (me === undefined || peer === undefined) throw new Error('two vnics planned');
const NEVER_POSTED = 0xdead_0000;

/** An ARP reply from guest2 to guest1: a frame the IP layer takes without answering. */
const arpReply = buildFrame({
  kind: 'arp',
  op: 2,
  srcMac: peer.mac,
  dstMac: me.mac,
  senderMac: peer.mac,
  senderIp: peer.ip,
  targetMac: me.mac,
  targetIp: me.ip,
});
const rcv = (buf: number, rcvbufs = [buf], rcvDoneLen = arpReply.length) =>
  encodeNet({ kind: 'rcv', buf, rcvDoneLen, rcvbufs, uniqueNum: 0, rcvsDroppedDelta: 0 });

function vnicOf(channels: {
  forPartition(p: string): readonly ChannelRecord[];
}): ChannelRecord & { dma: NonNullable<ChannelRecord['dma']> } {
  const record = channels.forPartition('guest1').find((c) => c.typeName === 'vnic');
  if (record?.dma === undefined) throw new Error('guest1 has no vnic with a DMA window');
  return record as ChannelRecord & { dma: NonNullable<ChannelRecord['dma']> };
}

// guest1 running against the real IOSP, link up; the test speaks for the IOSP on queue 1.
function guestBench(config = quiet) {
  const run = new SimRun(config, 1);
  expect(run.bootAll().ok).toBe(true);
  const record = vnicOf(run.channels);
  const memory = new Uint8Array(record.dma.buffer);
  const b = {
    run,
    report(): NetInterfaceReport {
      const net = vnicReportOf(run.host('guest1')?.view());
      if (net[0] === undefined) throw new Error('guest1 has no interface');
      return net[0];
    },
    virtnic: () => b.report().virtnic as VirtnicContext,
    ip: () => b.report().ipStack as IpStackContext,
    runFor(ms: number): void {
      expect(run.runUntil(run.now() + ms, 200_000).stoppedBy, 'no runaway loop').not.toBe(
        'event-budget',
      );
    },
    /** Inserts `slots` into the from-IOSP queue, rings the guest once and lets it drain. */
    respond(...slots: Uint8Array[]): void {
      const channel = Channel.attachAs(record.buffer, VNIC_CHANNEL);
      if (!channel.ok) throw new Error(channel.error.message);
      for (const slot of slots) expect(channel.value.queue(1).insert(slot)).toBe('inserted');
      run.world.environment('iosp0').ring(doorbellOf(record), 'client');
      b.runFor(2);
      expect(channel.value.queue(1).isEmpty(), 'the drain took every response').toBe(true);
    },
    /** The buf guest1 holds posted for receive page `page`, with a valid frame written there. */
    postedWithFrame(page: number): number {
      const buf = b.virtnic().rcvbufs[page];
      if (buf === null || buf === undefined) throw new Error(`page ${page} is not posted`);
      memory.set(arpReply, page * PAGE_BYTES);
      return buf;
    },
  };
  b.runFor(100);
  expect(b.virtnic().carrier, "guest1's link is up").toBe(true);
  return b;
}

describe('net stack against a hostile IOSP', () => {
  test('smoke: guest1 opens its vnic against the real IOSP, posts every buffer, counts nothing', () => {
    const b = guestBench();
    const v = b.virtnic();
    expect(v.rcvbufs.every((buf) => buf !== null)).toBe(true);
    expect(v.counts).toMatchObject({ badRcvBuf: 0, rxDropped: 0, gotEnbdisAck: 1 });
    expect(v.counts).toMatchObject({ controlInsertRetries: 0, staleControlAnswers: 0 });
    expect(b.report().counts).toEqual({
      ownershipViolations: 0,
      parseErrors: 0,
      badResponses: 0,
    });
  });

  test('a NET_RCV naming a buf the guest never posted is not delivered: counted badRcvBuf, framesReceived unchanged; a good one is', () => {
    const b = guestBench();
    const posted = b.postedWithFrame(0);
    const before = b.ip().counts.framesReceived;
    b.respond(rcv(NEVER_POSTED));
    // Refused for the buf itself, not by the destination filter (nRcvPacketsNotAccepted).
    expect(b.virtnic().counts).toMatchObject({
      badRcvBuf: 1,
      rxDropped: 1,
      rxPackets: 0,
      nRcvPacketsNotAccepted: 0,
    });
    expect(b.virtnic().rcvbufs[0], 'the real post is untouched').toBe(posted);
    expect(b.ip().counts.framesReceived).toBe(before);
    b.respond(rcv(posted));
    expect(b.virtnic().counts).toMatchObject({ rxPackets: 1, badRcvBuf: 1 });
    expect(b.ip().counts.framesReceived).toBe(before + 1);
  });

  test('a stale NET_RCV from before an IOSP reboot (pause, resume) is not delivered: every post after resume is new', () => {
    const b = guestBench();
    const stale = b.postedWithFrame(0);
    const before = new Set(b.virtnic().rcvbufs);
    expect(b.run.hypervisor.reboot('iosp0', 50).ok).toBe(true);
    b.runFor(1_000);
    expect(b.virtnic().carrier, 'the link is back').toBe(true);
    expect(b.virtnic().rcvbufs.filter((buf) => before.has(buf))).toEqual([]);
    const received = b.ip().counts.framesReceived;
    const badRcvBuf = b.virtnic().counts.badRcvBuf;
    b.postedWithFrame(0);
    b.respond(rcv(stale));
    expect(b.virtnic().counts).toMatchObject({
      badRcvBuf: badRcvBuf + 1,
      nRcvPacketsNotAccepted: 0,
    });
    expect(b.ip().counts.framesReceived).toBe(received);
  });

  test('a NET_RCV with a bad chain is refused: numrcvbufs 0 or 6 do not decode, rcvbuf[0] ≠ buf and surplus buffers are dropped', () => {
    const b = guestBench();
    const [a, c] = [b.postedWithFrame(0), b.postedWithFrame(1)];
    const before = b.ip().counts.framesReceived;
    const [none, six] = [rcv(a), rcv(a)];
    none[17] = 0; // net.rcv.numrcvbufs
    six[17] = 6;
    b.respond(none, six);
    expect(b.report().counts.badResponses).toBe(2);
    expect(b.virtnic().counts.otherResponses).toBe(2);
    b.respond(rcv(a, [c]), rcv(b.postedWithFrame(2), [b.postedWithFrame(2), b.postedWithFrame(3)]));
    expect(b.virtnic().counts).toMatchObject({
      rxDropped: 2,
      rxPackets: 0,
      nRcvPacketsNotAccepted: 0,
    });
    expect(b.ip().counts.framesReceived).toBe(before);
  });

  test('a NET_RCV longer than the buffers it names is refused', () => {
    const b = guestBench();
    const before = b.ip().counts.framesReceived;
    const [p0, p1, p2, p3] = [0, 1, 2, 3].map((p) => b.postedWithFrame(p)) as [
      number,
      number,
      number,
      number,
    ];
    b.respond(
      rcv(p0, [p0], RCVPOST_BUF_SIZE + 1),
      rcv(p1, [p1, p2], 2 * RCVPOST_BUF_SIZE + 1),
      rcv(p3, [p3], 0xffff_ffff),
    );
    expect(b.virtnic().counts).toMatchObject({
      gotRcv: 3,
      rxDropped: 3,
      rxPackets: 0,
      nRcvPacketsNotAccepted: 0,
    });
    expect(b.ip().counts.framesReceived).toBe(before);
    expect(b.report().counts.parseErrors).toBe(0);
  });

  test('garbage responses count badResponses and the drain goes on: a good NET_RCV behind them is delivered', () => {
    const b = guestBench();
    const before = b.ip().counts.framesReceived;
    const notNet = encodeNet({ kind: 'enbdisAck', context: 1, enable: 1 });
    notNet[0] = CMD_SCSI_TYPE;
    const type10 = encodeNet({ kind: 'enbdisAck', context: 1, enable: 1 });
    type10[1] = 10;
    const wrongWay = encodeNet({
      kind: 'rcvPost',
      buf: 1,
      frag: { pfn: 1, off: 0, len: 64 },
      uniqueNum: 1,
    });
    const noise = Uint8Array.from({ length: 1216 }, (_, i) => (i * 131 + 7) & 0xff);
    b.respond(notNet, type10, wrongWay, noise, rcv(b.postedWithFrame(5)));
    expect(b.report().counts.badResponses).toBe(4);
    expect(b.virtnic().counts).toMatchObject({ otherResponses: 4, rxPackets: 1 });
    expect(b.virtnic().draining).toBe(false);
    expect(b.ip().counts.framesReceived).toBe(before + 1);
  });

  test('the ownership ledger counts no violation in a normal run with traffic', () => {
    const ping: PingWorkloadConfig = {
      kind: 'ping',
      to: 'guest1',
      count: 30,
      intervalMs: 1,
      frameBytes: 1500,
      window: 4,
      timeoutMs: 100,
      start: 0,
    };
    const b = guestBench(configWith([ping]));
    b.runFor(200);
    expect(b.ip().counts.framesReceived, 'frames really flowed').toBeGreaterThanOrEqual(30);
    expect(b.report().counts.ownershipViolations).toBe(0);
    const theirs = vnicReportOf(b.run.host('guest2')?.view())[0];
    expect(theirs?.counts.ownershipViolations).toBe(0);
    expect((theirs?.ipStack as IpStackContext | undefined)?.finished).toBe(true);
  });
});

// A NetStack on a ready channel with recording stand-ins for its actors, driven effect by effect.
function ledgerBench() {
  const record = vnicOf(allocateChannels(quiet));
  serverInitializeChannel(record);
  const env = new SimWorld({ seed: 1 }).environment('guest1');
  const events: { to: string; type: string }[] = [];
  const actor = (to: string) =>
    ({
      send: (e: { type: string }) => events.push({ to, type: e.type }),
      getSnapshot: () => ({ context: { rcvbufs: [] } }),
    }) as unknown as AnyActorRef;
  const host = {
    partition: 'guest1',
    env,
    guest: actor('guest'),
    bind: <M extends AnyStateMachine>() => actor('ip') as ActorRefFrom<M>,
  };
  const stack = new NetStack(
    host,
    actor('virtnic'),
    record,
    2,
    0,
    me as NonNullable<typeof me>,
    [],
    0,
  );
  let attaches = 0;
  const noop = () => {};
  const control: Binding<VirtpciDriverEmitted> = {
    'driver.probed': noop,
    'driver.suspended': noop,
    'driver.pauseResponse': noop,
    'driver.resumed': noop,
    'driver.removed': noop,
    'channel.setClientStateAttached': () => attaches++,
  };
  const binding = stack.binding(control);
  const at = { partition: 'guest1', busNo: 2, devNo: 0 };
  stack.start(); // reads the channel and connects the IP layer (a stand-in here)
  events.length = 0;
  const channel = Channel.attachAs(record.buffer, VNIC_CHANNEL);
  if (!channel.ok) throw new Error(channel.error.message);
  new Uint8Array(record.dma.buffer).fill(0);
  return {
    stack,
    events,
    binding,
    at,
    attaches: () => attaches,
    post: (index: number, buf: number) =>
      perform(binding, { type: 'net.postRcv', ...at, index, buf, uniqueNum: 1 }),
    deliver(index: number): number {
      new Uint8Array(record.dma.buffer).set(arpReply, index * PAGE_BYTES);
      perform(binding, { type: 'net.deliver', ...at, indexes: [index], len: arpReply.length });
      return stack.counts.ownershipViolations;
    },
    /** The IOSP answers `msg`; the stack removes it as the driver's drain asks. */
    answer(msg: NetMessage): void {
      expect(channel.value.queue(1).insert(encodeNet(msg))).toBe('inserted');
      perform(binding, { type: 'channel.removeResponse', ...at });
    },
  };
}

describe('net stack buffer-ownership ledger', () => {
  test('a page delivered while a post of it is outstanding is a violation; once the NET_RCV returns it, it is not', () => {
    const l = ledgerBench();
    l.post(3, 0xa0);
    expect(l.deliver(3)).toBe(1);
    expect(
      l.events.filter((e) => e.to === 'ip' && e.type === 'FRAME'),
      'the frame still reached the IP layer',
    ).toHaveLength(1);
    l.answer({
      kind: 'rcv',
      buf: 0xa0,
      rcvDoneLen: 60,
      rcvbufs: [0xa0],
      uniqueNum: 1,
      rcvsDroppedDelta: 0,
    });
    expect(l.deliver(3)).toBe(1);
    expect(l.deliver(4), 'a page never posted').toBe(1);
  });

  test('the ack of an ENBDIS(0) retires only the posts sent before it; a resume retires all', () => {
    const l = ledgerBench();
    l.post(4, 0xb0);
    perform(l.binding, { type: 'net.enbdis', ...l.at, enable: 0, seq: 0 });
    expect(l.events.at(-1), 'the insert is answered').toEqual({
      to: 'virtnic',
      type: 'CONTROL_INSERTED',
    });
    l.post(5, 0xb1);
    expect(l.deliver(4), 'the ack has not come').toBe(1);
    l.answer({ kind: 'enbdisAck', context: 0, enable: 0 });
    expect(l.deliver(4)).toBe(1);
    expect(l.deliver(5), "posted after the ENBDIS(0): still the IOSP's").toBe(2);
    perform(l.binding, { type: 'channel.setClientStateAttached', busNo: 2, devNo: 0 });
    expect(l.attaches(), 'the bridge still attaches').toBe(1);
    expect(l.deliver(5)).toBe(2);
  });
});
