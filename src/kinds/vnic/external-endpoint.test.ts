// The outside host behind an IOSP uplink: answers ARP and echo for its own IP only, echoes the
// probe tag back, and takes hostile bytes without throwing.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  BROADCAST_MAC,
  ETH_FRAME_LEN,
  type FrameSpec,
  type Ip,
  type Mac,
  type ProbeTag,
  buildFrame,
  parseFrame,
} from './ethernet.js';
import { ExternalEndpoint } from './external-endpoint.js';

const OUTSIDE_MAC: Mac = 0x0253_50ff_0001;
const OUTSIDE_IP: Ip = 0x0a00_0001; // 10.0.0.1
const GUEST_MAC: Mac = 0x0253_5000_0100;
const GUEST_IP: Ip = 0x0a00_0102; // 10.0.1.2
const OTHER_IP: Ip = 0x0a00_0063; // 10.0.0.99
const TAG: ProbeTag = { flow: 3, seq: 41, sentAtMs: 17.25 };

function arpRequestFor(targetIp: Ip, dstMac: Mac = BROADCAST_MAC): Uint8Array {
  return buildFrame({
    kind: 'arp',
    op: 1,
    srcMac: GUEST_MAC,
    dstMac,
    senderMac: GUEST_MAC,
    senderIp: GUEST_IP,
    targetMac: 0,
    targetIp,
  });
}

function echo(overrides: Partial<Extract<FrameSpec, { kind: 'echo' }>> = {}): Uint8Array {
  return buildFrame({
    kind: 'echo',
    type: 8,
    srcMac: GUEST_MAC,
    dstMac: OUTSIDE_MAC,
    srcIp: GUEST_IP,
    dstIp: OUTSIDE_IP,
    id: 9,
    seq: 41,
    frameBytes: 98,
    tag: TAG,
    ...overrides,
  });
}

function only(frames: Uint8Array[]) {
  expect(frames).toHaveLength(1);
  const result = parseFrame(frames[0] ?? new Uint8Array());
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('external-endpoint', () => {
  test('smoke: answers an ARP request for its IP with its MAC', () => {
    const outside = new ExternalEndpoint(OUTSIDE_MAC, OUTSIDE_IP);
    expect(only(outside.receive(arpRequestFor(OUTSIDE_IP)))).toEqual({
      kind: 'arp',
      dst: GUEST_MAC,
      src: OUTSIDE_MAC,
      len: 60,
      op: 2,
      senderMac: OUTSIDE_MAC,
      senderIp: OUTSIDE_IP,
      targetMac: GUEST_MAC,
      targetIp: GUEST_IP,
    });
    expect(outside.counters()).toEqual({ received: 1, answered: 1, ignored: 0 });
  });

  test('answers an echo request to its IP with a reply carrying the same id, seq, length and tag', () => {
    const outside = new ExternalEndpoint(OUTSIDE_MAC, OUTSIDE_IP);
    for (const frameBytes of [60, 98, ETH_FRAME_LEN]) {
      const tag = frameBytes === 60 ? null : { ...TAG, seq: frameBytes };
      const reply = outside.receive(echo({ frameBytes, tag }));
      expect(only(reply)).toEqual({
        kind: 'echo',
        dst: GUEST_MAC,
        src: OUTSIDE_MAC,
        len: frameBytes,
        type: 0,
        srcIp: OUTSIDE_IP,
        dstIp: GUEST_IP,
        id: 9,
        seq: 41,
        tag,
      });
    }
    expect(outside.receive(echo({ dstMac: BROADCAST_MAC }))).toHaveLength(1);
    expect(outside.counters()).toEqual({ received: 4, answered: 4, ignored: 0 });
  });

  test('ignores ARP and echo for another IP, another MAC, replies and multicast', () => {
    const outside = new ExternalEndpoint(OUTSIDE_MAC, OUTSIDE_IP);
    const ignored = [
      arpRequestFor(OTHER_IP),
      arpRequestFor(OUTSIDE_IP, 0x0253_5000_0999), // unicast to someone else
      arpRequestFor(OUTSIDE_IP, 0x0100_5e00_0001), // multicast: not in its groups
      echo({ dstIp: OTHER_IP }),
      echo({ dstMac: 0x0253_5000_0999 }),
      echo({ type: 0 }), // a reply is not answered
      buildFrame({
        kind: 'arp',
        op: 2,
        srcMac: GUEST_MAC,
        dstMac: OUTSIDE_MAC,
        senderMac: GUEST_MAC,
        senderIp: GUEST_IP,
        targetMac: OUTSIDE_MAC,
        targetIp: OUTSIDE_IP,
      }),
    ];
    for (const frame of ignored) expect(outside.receive(frame)).toEqual([]);
    expect(outside.counters()).toEqual({ received: 7, answered: 0, ignored: 7 });
  });

  test('a unicast ARP request to its MAC is answered (Linux re-validates entries that way)', () => {
    const outside = new ExternalEndpoint(OUTSIDE_MAC, OUTSIDE_IP);
    expect(only(outside.receive(arpRequestFor(OUTSIDE_IP, OUTSIDE_MAC)))).toMatchObject({ op: 2 });
  });

  test('unparseable and oversized frames are counted as ignored, never thrown', () => {
    const outside = new ExternalEndpoint(OUTSIDE_MAC, OUTSIDE_IP);
    const corrupted = echo();
    corrupted[60] = (corrupted[60] ?? 0) ^ 0xff;
    const giant = new Uint8Array(ETH_FRAME_LEN + 1);
    giant.set(echo({ frameBytes: ETH_FRAME_LEN }));
    expect(outside.receive(corrupted)).toEqual([]);
    expect(outside.receive(new Uint8Array(5))).toEqual([]);
    expect(outside.receive(giant)).toEqual([]);
    expect(outside.counters()).toEqual({ received: 3, answered: 0, ignored: 3 });
  });

  test('receive never throws on hostile bytes, and answers only with parseable frames', () => {
    const small = echo({ frameBytes: 60, tag: null });
    const valid = fc.constantFrom(arpRequestFor(OUTSIDE_IP), echo(), small);
    const mutated = fc
      .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 3 }))
      .map(([frame, edits]) => {
        const copy = frame.slice();
        for (const [at, value] of edits) copy[at % copy.length] = value;
        return copy;
      });
    const outside = new ExternalEndpoint(OUTSIDE_MAC, OUTSIDE_IP);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 1600 }), mutated), (bytes) => {
        for (const reply of outside.receive(bytes)) expect(parseFrame(reply).ok).toBe(true);
      }),
      { seed: 1, numRuns: 2000 },
    );
    const c = outside.counters();
    expect(c.received).toBe(c.answered + c.ignored);
    expect(c.answered).toBeGreaterThan(0); // the mutations leave many frames answerable
  });

  test('construction rejects a group MAC', () => {
    expect(() => new ExternalEndpoint(BROADCAST_MAC, OUTSIDE_IP)).toThrow(/unicast/);
  });
});
