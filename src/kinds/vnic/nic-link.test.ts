// The NIC server when its physical NIC loses its link (spar-protocol.md §4.3 NET_CONNECT_STATUS:
// "models physical link loss behind the IOSP"; nic-server.ts, segment-links.ts), on the bench of
// testing/nic-bench.ts: iosp0's NIC eth-blue joins segment blue (guest1, guest2); guest3 sits on
// red. The test sets the link word (the hardware, nic-links.ts) and plays the guests.

import { describe, expect, test } from 'vitest';
import { BROADCAST_MAC, buildFrame, parseFrame } from './ethernet.js';
import { allocateNicLinks } from './nic-links.js';
import { IDLE_POLL_JIFFIES } from '../../../machines/iosp.machine.js';
import type { NetMessage } from '../../protocol/uiscmdrsp-net.js';
import {
  bench,
  config,
  CONTEXT,
  frame,
  open,
  plan,
  rcvsOf,
  type Guest,
  type Rcv,
} from './testing/nic-bench.js';

const status = (enable: number): NetMessage => ({ kind: 'connectStatus', context: 0, enable });
const ack: NetMessage = { kind: 'enbdisAck', context: CONTEXT, enable: 1 };
/** The bench's jiffy is 1 ms: an idle IOSP polls this often. */
const IDLE_POLL_MS = IDLE_POLL_JIFFIES * (config.jiffyMs ?? 1);
const uplink = plan.uplinks[0];
if (uplink === undefined) throw new Error('the bench has an uplink');
/** An ARP request from `g` for the outside host behind the uplink. */
const arp = (g: Guest) =>
  buildFrame({
    kind: 'arp',
    op: 1,
    srcMac: g.mac,
    dstMac: BROADCAST_MAC,
    senderMac: g.mac,
    senderIp: g.ip,
    targetMac: 0,
    targetIp: uplink.ip,
  });

describe('NIC server: physical link loss', () => {
  test("link down: within one idle poll every enabled port of the NIC's segment gets CONNECT_STATUS 0; a disabled one and the other segment's get nothing", () => {
    const b = bench();
    const { g1, g2, g3 } = b;
    open(b, g1, [0, 1]);
    open(b, g3, [0, 1]);
    b.run(2 * IDLE_POLL_MS); // the IOSP is idle now
    expect(b.links.set('iosp0', 'eth-blue', false)).toBe(true);
    b.run(IDLE_POLL_MS);
    expect(g1.responses()).toEqual([status(0)]);
    expect(g2.responses(), 'guest2 never enabled its port').toEqual([]);
    expect(g3.responses(), 'red has no link to lose').toEqual([]);
    expect(b.count('connectStatus')).toBe(1);
    b.run(3 * IDLE_POLL_MS);
    expect(g1.responses(), 'told once, not at every poll').toEqual([]);
    // guest2 enables while blue is down: the ack is followed by the link state at once.
    g2.post(0);
    g2.enbdis(1);
    b.run();
    expect(g2.responses()).toEqual([ack, status(0)]);
  });

  test('an IOSP booting with the link already down tells each blue port CONNECT_STATUS 0 right after its ENBDIS(1) ack, and red ports nothing', () => {
    const links = allocateNicLinks(config);
    links.set('iosp0', 'eth-blue', false);
    const b = bench(1, links);
    b.run(2 * IDLE_POLL_MS); // polls with no port enabled: nobody to tell yet
    for (const g of [b.g1, b.g3]) {
      g.post(0);
      g.enbdis(1);
    }
    b.run();
    expect(b.g1.responses()).toEqual([ack, status(0)]);
    expect(b.g3.responses()).toEqual([ack]);
  });

  test('while the link is down no frame reaches the outside and no answer comes back from it; frames between the blue guests are still switched', () => {
    const b = bench();
    const { g1, g2 } = b;
    open(b, g1, [0, 1, 2, 3]);
    open(b, g2, [0, 1]);
    b.links.set('iosp0', 'eth-blue', false);
    g1.xmit(0xa0, arp(g1)); // taken at once, before any poll told the guests
    b.run();
    expect(rcvsOf(g1.responses())).toEqual([]);
    expect([b.count('outsideAnswers'), b.count('linkDropped')]).toEqual([0, 1]);
    g1.xmit(0xa1, frame(g2.mac, g1.mac, 0x71), 1);
    b.run();
    expect(
      rcvsOf(g2.responses()).map((r) => g2.received(r)),
      'the broadcast ARP, then the unicast frame',
    ).toEqual([arp(g1), frame(g2.mac, g1.mac, 0x71)]);
    expect(
      b.count('linkDropped'),
      "guest2's MAC is not learnt: the flooded copy for the uplink is dropped",
    ).toBe(2);
    // Up again; the outside answers, but the link is lost while the answer is on its way back.
    b.links.set('iosp0', 'eth-blue', true);
    b.run(IDLE_POLL_MS);
    g1.responses();
    g1.xmit(0xa2, arp(g1), 2);
    b.world.scheduler.at(
      b.world.scheduler.now() + 0.05,
      'test/link-down',
      () => void b.links.set('iosp0', 'eth-blue', false),
    );
    b.run();
    expect(rcvsOf(g1.responses())).toEqual([]);
    expect([b.count('outsideAnswers'), b.count('linkDropped')]).toEqual([1, 3]);
    expect(b.strayWrite()).toBeNull();
  });

  test('link up again: the enabled blue ports get CONNECT_STATUS 1 within one idle poll, red nothing, and the outside answers again', () => {
    const b = bench();
    const { g1, g2, g3 } = b;
    for (const g of [g1, g2, g3]) open(b, g, [0, 1]);
    b.links.set('iosp0', 'eth-blue', false);
    b.run(IDLE_POLL_MS);
    expect([g1.responses(), g2.responses(), g3.responses()]).toEqual([
      [status(0)],
      [status(0)],
      [],
    ]);
    b.run(2 * IDLE_POLL_MS);
    b.links.set('iosp0', 'eth-blue', true);
    b.run(IDLE_POLL_MS);
    expect([g1.responses(), g2.responses(), g3.responses()]).toEqual([
      [status(1)],
      [status(1)],
      [],
    ]);
    g1.xmit(0xb0, arp(g1));
    b.run();
    const [reply] = rcvsOf(g1.responses());
    expect(reply).toBeDefined();
    expect(parseFrame(g1.received(reply as Rcv))).toMatchObject({
      ok: true,
      value: { kind: 'arp', op: 2, senderIp: uplink.ip },
    });
    expect(b.count('connectStatus')).toBe(4);
  });
});
