// The NIC server of an IO service partition against a hostile or buggy guest (issue "Network
// path"; spar-protocol.md §4.3, §4.4.3, §4.4.4; nic-server.ts), on the bench of
// testing/nic-bench.ts: a real IospHost serves three vnic channels (guest1 and guest2 on segment
// blue, with an uplink to the outside; guest3 on red) and the test plays the guests. Every DMA
// window starts filled with a guard pattern and a shadow copy records what the test expects in
// it, so any byte the IOSP writes where it should not is found.

import { describe, expect, test } from 'vitest';
import { StructView } from '../../base/struct.js';
import { ChannelMemory, isServerReady } from '../../channel/index.js';
import { BROADCAST_MAC } from './ethernet.js';
import { NIC_MTU, NUM_RCV_BUFS, VNIC_DMA_PAGES, VNIC_RCV_PAGES } from './network.js';
import { visorIoChannel } from '../../protocol/iochannel-layout.js';
import {
  CMD_SCSI_TYPE,
  ETH_HLEN,
  RCVPOST_BUF_SIZE,
  XMIT_FAILED,
  XMIT_SUCCESS,
} from '../../protocol/uiscmdrsp-constants.js';
import { encodeNet, type NetMessage, type PhysInfo } from '../../protocol/uiscmdrsp-net.js';
import { bench, bufOf, frame, open, rcvsOf, type Rcv } from './testing/nic-bench.js';

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
    for (const [i, frag] of outside.entries())
      g1.send({ kind: 'rcvPost', buf: bufOf(i), frag, uniqueNum: 1 });
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
    for (const [i, frags] of leaking.entries())
      g1.send({ kind: 'xmit', buf: 0xbad0 + i, len: 60, frags, ethhdr });
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

  test("a guest that went down: the IOSP forgets its crashed boot's posts and never completes its transmits, so the rebooted guest gets no frame in them", () => {
    const b = bench();
    const { g1, g2 } = b;
    open(b, g1, [0, 1]);
    open(b, g2, []);
    g2.xmit(0xa0, frame(g1.mac, g2.mac, 0x41));
    b.run(0.02); // taken and switched; its NET_XMIT_DONE (50 µs–2 ms) still to come
    expect(b.count('xmits')).toBe(1);
    b.host.notify({ type: 'GUEST_DOWN', guest: 'guest1' });
    b.host.notify({ type: 'GUEST_DOWN', guest: 'guest2' });
    b.run();
    expect(g1.responses()).toEqual([]);
    expect(g2.responses(), 'no completion for the crashed boot').toEqual([]);
    expect(b.strayWrite()).toBeNull();
    open(b, g1, []); // the rebooted guest, before it posts
    open(b, g2, []);
    g2.xmit(0xa1, frame(g1.mac, g2.mac, 0x42), 1);
    b.run();
    expect(g1.responses(), "the old posts are not the rebooted guest's").toEqual([]);
    expect(b.count('rxDropped')).toBe(1);
    expect(b.strayWrite()).toBeNull();
  });
});
