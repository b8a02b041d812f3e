// The NIC server of an IO service partition against a hostile or buggy guest (issue "Network
// path"; spar-protocol.md §4.3, §4.4.3, §4.4.4; nic-server.ts), on the bench of
// testing/nic-bench.ts: a real IospHost serves three vnic channels (guest1 and guest2 on segment
// blue, with an uplink to the outside; guest3 on red) and the test plays the guests. Every DMA
// window starts filled with a guard pattern and a shadow copy records what the test expects in
// it, so any byte the IOSP writes where it should not is found.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { StructView } from '../../base/struct.js';
import { ChannelMemory, isServerReady } from '../../channel/index.js';
import { BROADCAST_MAC, buildFrame, parseFrame } from './ethernet.js';
import { PAGE_BYTES } from '../../hypervisor/index.js';
import { NIC_MTU, NUM_RCV_BUFS, VNIC_DMA_PAGES, VNIC_RCV_PAGES } from './network.js';
import { visorIoChannel } from '../../protocol/iochannel-layout.js';
import {
  CMD_SCSI_TYPE,
  ETH_HLEN,
  RCVPOST_BUF_SIZE,
  SIZEOF_CMDRSP,
  XMIT_FAILED,
  XMIT_SUCCESS,
} from '../../protocol/uiscmdrsp-constants.js';
import {
  decodeNet,
  encodeNet,
  type NetMessage,
  type PhysInfo,
} from '../../protocol/uiscmdrsp-net.js';
import { bench, bufOf, frame, open, plan, rcvsOf, type Rcv } from './testing/nic-bench.js';

describe('NIC server against a hostile guest', () => {
  test("boot publishes each vnic's MAC, num_rcv_bufs and mtu and makes its channel ready", () => {
    const b = bench();
    for (const g of [b.g1, b.g2, b.g3]) {
      const view = StructView.at(visorIoChannel, g.record.buffer, 0);
      expect(isServerReady(new ChannelMemory(g.record.buffer))).toBe(true);
      expect(view.raw('vnic.macaddr').reduce((m, x) => m * 256 + x, 0)).toBe(g.mac);
      expect([view.get('vnic.num_rcv_bufs'), view.get('vnic.mtu')]).toEqual([
        NUM_RCV_BUFS,
        NIC_MTU,
      ]);
    }
  });

  test("a NET_RCV_POST outside the guest's DMA window is ignored and counted; frames then find no buffer and nothing is written", () => {
    const b = bench();
    const { g1, g2 } = b;
    const outside: PhysInfo[] = [
      { pfn: g1.pfn0 - 1, off: 0, len: RCVPOST_BUF_SIZE }, // the page below the window (the channel)
      { pfn: g1.pfn0 + VNIC_DMA_PAGES, off: 0, len: RCVPOST_BUF_SIZE }, // the page just past it
      { pfn: g2.pfn0 + 3, off: 0, len: RCVPOST_BUF_SIZE }, // another guest's window
      { pfn: 2 ** 40, off: 0, len: 64 }, // far away
      { pfn: g1.pfn0 + 3, off: 0, len: 0 }, // inside, but empty
    ];
    outside.forEach((frag, i) => g1.send({ kind: 'rcvPost', buf: bufOf(i), frag, uniqueNum: 1 }));
    // A fragment crossing its page (off 100 + len 4032): the codec refuses it (`bad-length`).
    const crossing = encodeNet({
      kind: 'rcvPost',
      buf: bufOf(9),
      frag: { pfn: g1.pfn0 + 9, off: 0, len: 64 },
      uniqueNum: 1,
    });
    crossing.set([100, 0, 0xc0, 0x0f], 21); // pi_off = 100, pi_len = 4032
    g1.sendRaw(crossing);
    open(b, g1, []);
    expect([b.count('dmaErrors'), b.count('badNet'), b.count('rcvPosts')]).toEqual([5, 1, 0]);
    g2.xmit(0xa0, frame(g1.mac, g2.mac, 0x11));
    b.run();
    expect(g1.responses()).toEqual([]);
    expect(g2.responses()).toEqual([{ kind: 'xmitDone', buf: 0xa0, result: XMIT_SUCCESS }]);
    expect([b.count('rxDropped'), b.count('framesDelivered')]).toEqual([1, 0]);
    expect(b.strayWrite()).toBeNull();
  });

  test('a NET_XMIT whose fragments leave the window is answered XMIT_FAILED with its buf echoed and reaches nobody', () => {
    const b = bench();
    const { g1, g2 } = b;
    open(b, g2, [0, 1, 2, 3]);
    const leaking: PhysInfo[][] = [
      [{ pfn: g2.pfn0, off: 0, len: 60 }], // another guest's receive page
      [{ pfn: g1.pfn0 + VNIC_DMA_PAGES, off: 0, len: 60 }], // just past the window
      [
        { pfn: g1.pfn0 + VNIC_RCV_PAGES, off: 0, len: 30 },
        { pfn: g1.pfn0 - 1, off: 4000, len: 30 },
      ], // second frag in the channel
    ];
    const ethhdr = frame(BROADCAST_MAC, g1.mac, 0).slice(0, ETH_HLEN);
    leaking.forEach((frags, i) =>
      g1.send({ kind: 'xmit', buf: 0xbad0 + i, len: 60, frags, ethhdr }),
    );
    b.run();
    expect(g1.responses()).toEqual(
      leaking.map((_, i) => ({ kind: 'xmitDone', buf: 0xbad0 + i, result: XMIT_FAILED })),
    );
    expect(g2.responses()).toEqual([]);
    expect([
      b.count('xmits'),
      b.count('dmaErrors'),
      b.count('framesDelivered'),
      b.count('outsideAnswers'),
    ]).toEqual([3, 3, 0, 0]);
    expect(b.strayWrite()).toBeNull();
  });

  test('undecodable slots (not CMD_NET_TYPE, net.type 10, num_frags 0, a type sent the wrong way) are counted badNet, not answered, and the next command is served', () => {
    const b = bench();
    const { g1 } = b;
    const notNet = encodeNet({ kind: 'enbdis', context: 1, enable: 1 });
    notNet[0] = CMD_SCSI_TYPE;
    const type10 = encodeNet({ kind: 'enbdis', context: 1, enable: 1 });
    type10[1] = 10;
    const noFrags = encodeNet({
      kind: 'xmit',
      buf: 0xf0,
      len: 60,
      frags: [{ pfn: g1.pfn0 + VNIC_RCV_PAGES, off: 0, len: 60 }],
      ethhdr: new Uint8Array(ETH_HLEN),
    });
    noFrags.fill(0, 17, 21); // num_frags = 0
    const wrongWay: NetMessage[] = [
      {
        kind: 'rcv',
        buf: bufOf(0),
        rcvDoneLen: 60,
        rcvbufs: [bufOf(0)],
        uniqueNum: 1,
        rcvsDroppedDelta: 0,
      },
      { kind: 'xmitDone', buf: 0xf1, result: 0 },
      { kind: 'enbdisAck', context: 2, enable: 1 },
      { kind: 'macaddr', context: 3, mac: new Uint8Array(6) },
    ];
    for (const bytes of [notNet, type10, noFrags, ...wrongWay.map(encodeNet)]) g1.sendRaw(bytes);
    g1.enbdis(1, 0x5eed);
    b.run();
    expect(g1.responses()).toEqual([{ kind: 'enbdisAck', context: 0x5eed, enable: 1 }]);
    expect([b.count('netCommands'), b.count('badNet'), b.count('xmits')]).toEqual([8, 7, 0]);
  });

  test('ENBDIS(1) and ENBDIS(0) are acked with the context echoed; ENBDIS(0) forgets the posts, so later frames are dropped, never written', () => {
    const b = bench();
    const { g1, g2 } = b;
    g1.post(0);
    g1.post(1);
    g1.enbdis(1, 0x1111);
    g1.enbdis(0, 0x2222);
    b.run();
    expect(g1.responses()).toEqual([
      { kind: 'enbdisAck', context: 0x1111, enable: 1 },
      { kind: 'enbdisAck', context: 0x2222, enable: 0 },
    ]);
    g2.xmit(0xa0, frame(g1.mac, g2.mac, 0x21));
    b.run();
    expect(b.count('rxDropped')).toBe(1); // disabled
    g1.enbdis(1, 0x3333);
    b.run();
    expect(g1.responses()).toEqual([{ kind: 'enbdisAck', context: 0x3333, enable: 1 }]);
    g2.xmit(0xa1, frame(g1.mac, g2.mac, 0x22), 1);
    b.run();
    expect(g1.responses(), 'enabled again, but the earlier posts are gone').toEqual([]);
    expect(b.count('rxDropped')).toBe(2);
    expect(b.strayWrite()).toBeNull();
    g1.post(2);
    g2.xmit(0xa2, frame(g1.mac, g2.mac, 0x23), 2);
    b.run();
    const [rcv, ...rest] = g1.responses();
    expect(rest).toEqual([]);
    expect(rcv).toMatchObject({
      kind: 'rcv',
      buf: bufOf(2),
      rcvbufs: [bufOf(2)],
      rcvsDroppedDelta: 2,
    });
    expect(g1.received(rcv as Rcv)).toEqual(frame(g1.mac, g2.mac, 0x23));
    expect(b.strayWrite()).toBeNull();
  });

  test('a frame for a guest with no posted buffer is dropped and counted; the next NET_RCV carries rcvs_dropped_delta, the one after 0', () => {
    const b = bench();
    const { g1, g2 } = b;
    open(b, g1, []);
    g2.xmit(0xa0, frame(g1.mac, g2.mac, 0x31));
    b.run();
    expect(g1.responses()).toEqual([]);
    expect(b.count('rxDropped')).toBe(1);
    g1.post(5, 0x77);
    g2.xmit(0xa1, frame(g1.mac, g2.mac, 0x32), 1);
    b.run();
    const [rcv] = g1.responses();
    expect(rcv).toEqual({
      kind: 'rcv',
      buf: bufOf(5),
      rcvDoneLen: 60,
      rcvbufs: [bufOf(5)],
      uniqueNum: 0x77,
      rcvsDroppedDelta: 1,
    });
    expect(g1.received(rcv as Rcv)).toEqual(frame(g1.mac, g2.mac, 0x32));
    g1.post(6);
    g2.xmit(0xa2, frame(g1.mac, g2.mac, 0x33), 2);
    b.run();
    const [next] = g1.responses();
    expect(next).toMatchObject({ kind: 'rcv', buf: bufOf(6), rcvsDroppedDelta: 0 });
    expect(g1.received(next as Rcv)).toEqual(frame(g1.mac, g2.mac, 0x33));
    expect(b.strayWrite()).toBeNull();
  });

  test.each([1, 2, 3, 4, 5])(
    'frames to one port arrive in the order sent, in the order of its posts (seed %i)',
    (seed) => {
      const b = bench(seed);
      const { g1, g2 } = b;
      const count = 16;
      const pages = Array.from({ length: count }, (_, i) => i);
      open(b, g2, pages);
      for (const i of pages) g1.xmit(0x100 + i, frame(g2.mac, g1.mac, i), i);
      b.run(10);
      const rcvs = rcvsOf(g2.responses());
      expect(rcvs.map((r) => g2.received(r)[ETH_HLEN])).toEqual(pages);
      expect(rcvs.map((r) => r.buf)).toEqual(pages.map(bufOf));
      expect(b.strayWrite()).toBeNull();
    },
  );

  test('isolation: frames from a blue guest reach the other blue guest and never the red one', () => {
    const b = bench();
    const { g1, g2, g3 } = b;
    for (const g of [g1, g2, g3]) open(b, g, [0, 1]);
    g1.xmit(0xb0, frame(BROADCAST_MAC, g1.mac, 0x41));
    g1.xmit(0xb1, frame(g3.mac, g1.mac, 0x42), 1); // unicast to the red guest's MAC: unknown on blue
    b.run();
    expect(rcvsOf(g2.responses()).map((r) => g2.received(r))).toEqual([
      frame(BROADCAST_MAC, g1.mac, 0x41),
      frame(g3.mac, g1.mac, 0x42),
    ]);
    expect(g3.responses()).toEqual([]);
    g3.xmit(0xb2, frame(BROADCAST_MAC, g3.mac, 0x43));
    b.run();
    expect(g3.responses()).toEqual([{ kind: 'xmitDone', buf: 0xb2, result: XMIT_SUCCESS }]);
    expect(rcvsOf([...g1.responses(), ...g2.responses()])).toEqual([]);
    expect(b.strayWrite()).toBeNull();
  });

  test("port security: a frame with another guest's source MAC is completed but never switched, so it reaches nobody and poisons no MAC table", () => {
    const b = bench();
    const { g1, g2 } = b;
    for (const g of [g1, g2]) open(b, g, [0, 1]);
    g1.xmit(0xc0, frame(BROADCAST_MAC, g2.mac, 0x51)); // guest1 claims guest2's MAC
    b.run();
    expect(g1.responses()).toEqual([{ kind: 'xmitDone', buf: 0xc0, result: XMIT_SUCCESS }]);
    expect(g2.responses()).toEqual([]);
    expect([b.count('spoofed'), b.count('framesDelivered')]).toEqual([1, 0]);
    // guest2's MAC was not learned on guest1's port: a frame to guest2 still reaches guest2.
    g1.xmit(0xc1, frame(g2.mac, g1.mac, 0x52), 1);
    b.run();
    expect(rcvsOf(g2.responses()).map((r) => g2.received(r))).toEqual([
      frame(g2.mac, g1.mac, 0x52),
    ]);
    expect(b.strayWrite()).toBeNull();
  });

  test("a NET_XMIT whose ethhdr is not its frame's header (routing by one, delivering the other) is answered XMIT_FAILED and reaches nobody", () => {
    const b = bench();
    const { g1, g2, g3 } = b;
    for (const g of [g1, g2, g3]) open(b, g, [0, 1]);
    const bytes = frame(g2.mac, g1.mac, 0x61);
    const at = VNIC_RCV_PAGES * PAGE_BYTES;
    g1.memory.set(bytes, at);
    g1.shadow.set(bytes, at);
    const ethhdr = frame(g3.mac, g1.mac, 0).slice(0, ETH_HLEN);
    g1.send({
      kind: 'xmit',
      buf: 0xd0,
      len: bytes.length,
      frags: [{ pfn: g1.pfn0 + VNIC_RCV_PAGES, off: 0, len: bytes.length }],
      ethhdr,
    });
    b.run();
    expect(g1.responses()).toEqual([{ kind: 'xmitDone', buf: 0xd0, result: XMIT_FAILED }]);
    expect([...g2.responses(), ...g3.responses()]).toEqual([]);
    expect(b.count('badXmit')).toBe(1);
  });

  test('the outside endpoint behind the uplink answers an ARP request for its IP, and only for its IP', () => {
    const b = bench();
    const { g1 } = b;
    const uplink = plan.uplinks[0];
    if (uplink === undefined) throw new Error('no uplink');
    open(b, g1, [0, 1]);
    const arp = (targetIp: number) =>
      buildFrame({
        kind: 'arp',
        op: 1,
        srcMac: g1.mac,
        dstMac: BROADCAST_MAC,
        senderMac: g1.mac,
        senderIp: g1.ip,
        targetMac: 0,
        targetIp,
      });
    g1.xmit(0xc0, arp(uplink.ip + 1));
    b.run();
    expect(g1.responses()).toEqual([{ kind: 'xmitDone', buf: 0xc0, result: XMIT_SUCCESS }]);
    g1.xmit(0xc1, arp(uplink.ip), 1);
    b.run();
    const rcvs = rcvsOf(g1.responses());
    expect(rcvs).toHaveLength(1);
    const reply = parseFrame(g1.received(rcvs[0] as Rcv));
    expect(reply).toMatchObject({
      ok: true,
      value: {
        kind: 'arp',
        op: 2,
        dst: g1.mac,
        senderMac: uplink.mac,
        senderIp: uplink.ip,
        targetMac: g1.mac,
        targetIp: g1.ip,
      },
    });
    expect(b.count('outsideAnswers')).toBe(1);
    expect(b.strayWrite()).toBeNull();
  });

  test('whatever slots a guest writes, the IOSP never throws, answers every decodable NET_XMIT once with its buf, and writes only buffers guest2 posted', () => {
    const probe = bench();
    const [w1, w2] = [probe.g1.pfn0, probe.g2.pfn0];
    const inside = fc.integer({ min: w1, max: w1 + VNIC_DMA_PAGES - 1 });
    const pfn = fc.oneof(
      { arbitrary: inside, weight: 4 },
      fc.constantFrom(w1 - 1, w1 + VNIC_DMA_PAGES, w2),
      fc.nat(),
    );
    const frag = fc
      .record({ pfn, off: fc.nat(4095) })
      .chain(({ pfn, off }) =>
        fc.integer({ min: 0, max: PAGE_BYTES - off }).map((len) => ({ pfn, off, len })),
      );
    const dst = fc.constantFrom(BROADCAST_MAC, plan.vnics[1]?.mac ?? 0, plan.vnics[2]?.mac ?? 0);
    const xmit = fc
      .tuple(fc.nat(), fc.array(frag, { minLength: 1, maxLength: 3 }), dst)
      .filter(([, fs]) => sum(fs) >= ETH_HLEN)
      .map(
        ([buf, frags, to]): NetMessage => ({
          kind: 'xmit',
          buf,
          len: sum(frags),
          frags,
          ethhdr: frame(to, probe.g1.mac, 0).slice(0, ETH_HLEN),
        }),
      );
    const message: fc.Arbitrary<NetMessage> = fc.oneof(
      fc.record({
        kind: fc.constant('rcvPost' as const),
        buf: fc.nat(),
        frag,
        uniqueNum: fc.nat(),
      }),
      fc.record({
        kind: fc.constant('enbdis' as const),
        context: fc.nat(),
        enable: fc.constantFrom(0, 1, 2),
      }),
      { arbitrary: xmit, weight: 3 },
    );
    const slot = fc.oneof(
      { arbitrary: message.map(encodeNet), weight: 4 },
      fc.uint8Array({ minLength: SIZEOF_CMDRSP, maxLength: SIZEOF_CMDRSP }),
      fc
        .tuple(message, fc.nat(1184), fc.nat(255))
        .map(([m, at, v]) => encodeNet(m).fill(v, at, at + 1)),
    );
    fc.assert(
      fc.property(fc.array(slot, { minLength: 1, maxLength: 60 }), (slots) => {
        const b = bench();
        open(b, b.g2, [0, 1, 2, 3, 4, 5, 6, 7]);
        for (const bytes of slots) b.g1.sendRaw(bytes);
        b.run(20);
        const xmits = slots
          .map(decodeNet)
          .flatMap((d) => (d.ok && d.value.kind === 'xmit' ? [d.value.buf] : []));
        const answered = b.g1.responses().flatMap((r) => (r.kind === 'xmitDone' ? [r.buf] : []));
        expect(answered.sort((x, y) => x - y)).toEqual(xmits.sort((x, y) => x - y));
        // guest2's posted pages may be written; guest1's own window is its business.
        for (const page of [0, 1, 2, 3, 4, 5, 6, 7])
          b.g2.shadow.set(
            b.g2.memory.subarray(page * PAGE_BYTES, (page + 1) * PAGE_BYTES),
            page * PAGE_BYTES,
          );
        b.g1.shadow.set(b.g1.memory);
        expect(b.strayWrite()).toBeNull();
      }),
      { numRuns: 40 },
    );
  });
});

function sum(frags: readonly PhysInfo[]): number {
  return frags.reduce((n, f) => n + f.len, 0);
}
