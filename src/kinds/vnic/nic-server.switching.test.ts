// The NIC server's switching against a hostile or buggy guest (spar-protocol.md §4.3, §4.4.3,
// §4.4.4; nic-server.ts): segment isolation, port security, a lying ethhdr, the outside endpoint,
// and a property over arbitrary guest slots, on the bench of testing/nic-bench.ts (its header
// and nic-server.test.ts's say how the bench finds stray writes).

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BROADCAST_MAC, buildFrame, parseFrame } from './ethernet.js';
import { PAGE_BYTES } from '../../hypervisor/index.js';
import { VNIC_DMA_PAGES, VNIC_RCV_PAGES } from './network.js';
import {
  ETH_HLEN,
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
import { bench, frame, open, plan, rcvsOf, type Rcv } from './testing/nic-bench.js';

describe('NIC server switching against a hostile guest', () => {
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
