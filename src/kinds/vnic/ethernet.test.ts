// Ethernet II, ARP, IPv4 and ICMP echo codecs: round trips, known-answer bytes and checksums,
// and parsing hostile bytes without throwing (spar-protocol.md §4.3 carries these frames).

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  BROADCAST_MAC,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETH_FRAME_LEN,
  type FrameSpec,
  type Ip,
  type Mac,
  type ParsedFrame,
  PROBE_TAG_BYTES,
  type ProbeTag,
  arpReplyFor,
  buildFrame,
  destinationClass,
  echoReplyFor,
  internetChecksum,
  ipString,
  isGroupMac,
  macString,
  parseFrame,
  readMac,
  writeMac,
} from './ethernet.js';

const GUEST_MAC: Mac = 0x0253_5000_0100;
const OUTSIDE_MAC: Mac = 0x0253_50ff_0001;
const GUEST_IP: Ip = 0x0a00_0102; // 10.0.1.2
const OUTSIDE_IP: Ip = 0x0a00_0001; // 10.0.0.1
const TAG: ProbeTag = { flow: 0xdead_beef, seq: 0x8000_0001, sentAtMs: 1234.5625 };

function parsed(bytes: Uint8Array): ParsedFrame {
  const result = parseFrame(bytes);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

function errorCode(bytes: Uint8Array): string {
  const result = parseFrame(bytes);
  if (result.ok) throw new Error(`expected an error, parsed ${result.value.kind}`);
  return result.error.code;
}

type EchoSpec = Extract<FrameSpec, { kind: 'echo' }>;

function echoSpec(frameBytes: number, tag: ProbeTag | null, type: 8 | 0 = 8): EchoSpec {
  return {
    kind: 'echo',
    type,
    srcMac: GUEST_MAC,
    dstMac: OUTSIDE_MAC,
    srcIp: GUEST_IP,
    dstIp: OUTSIDE_IP,
    id: 0x1234,
    seq: 7,
    frameBytes,
    tag,
  };
}

const arpRequest: FrameSpec = {
  kind: 'arp',
  op: 1,
  srcMac: GUEST_MAC,
  dstMac: BROADCAST_MAC,
  senderMac: GUEST_MAC,
  senderIp: GUEST_IP,
  targetMac: 0,
  targetIp: OUTSIDE_IP,
};

const hex = (s: string) => Uint8Array.from(s.match(/[0-9a-f]{2}/g) ?? [], (h) => parseInt(h, 16));

describe('ethernet', () => {
  test('smoke: an ARP request builds to 60 bytes and parses back', () => {
    const frame = buildFrame(arpRequest);
    expect(frame.length).toBe(60);
    expect(parsed(frame).kind).toBe('arp');
  });

  test('address helpers: strings, group bit, MAC read/write in wire order', () => {
    expect(macString(GUEST_MAC)).toBe('02:53:50:00:01:00');
    expect(macString(BROADCAST_MAC)).toBe('ff:ff:ff:ff:ff:ff');
    expect(ipString(GUEST_IP)).toBe('10.0.1.2');
    expect(ipString(0xffff_ffff)).toBe('255.255.255.255');
    expect(isGroupMac(BROADCAST_MAC)).toBe(true);
    expect(isGroupMac(0x0100_5e00_0001)).toBe(true); // IPv4 multicast 01:00:5e:00:00:01
    expect(isGroupMac(GUEST_MAC)).toBe(false);
    expect(isGroupMac(0xfeff_ffff_ffff)).toBe(false); // every bit but I/G
    const bytes = new Uint8Array(8);
    writeMac(bytes, 1, 0x0102_0304_0506);
    expect([...bytes]).toEqual([0, 1, 2, 3, 4, 5, 6, 0]);
    expect(readMac(bytes, 1)).toBe(0x0102_0304_0506);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (mac) => {
        const b = new Uint8Array(6);
        writeMac(b, 0, mac);
        return readMac(b, 0) === mac && isGroupMac(mac) === (((b[0] ?? 0) & 1) === 1);
      }),
      { seed: 1 },
    );
  });

  test('an ARP request has the RFC 826 bytes at the RFC 826 offsets', () => {
    const expected = hex(
      'ffffffffffff 025350000100 0806' + // Ethernet: dst, src, ethertype at 12
        '0001 0800 06 04 0001' + // htype, ptype, hlen, plen, op at 20
        '025350000100 0a000102' + // sender MAC at 22, sender IP at 28
        '000000000000 0a000001' + // target MAC at 32, target IP at 38
        '000000000000000000000000000000000000', // zero padding 42..59
    );
    expect(expected.length).toBe(60);
    expect(buildFrame(arpRequest)).toEqual(expected);
  });

  test('ARP request and reply round-trip through build and parse', () => {
    const request = parsed(buildFrame(arpRequest));
    expect(request).toEqual({
      kind: 'arp',
      dst: BROADCAST_MAC,
      src: GUEST_MAC,
      len: 60,
      op: 1,
      senderMac: GUEST_MAC,
      senderIp: GUEST_IP,
      targetMac: 0,
      targetIp: OUTSIDE_IP,
    });
    if (request.kind !== 'arp') throw new Error('not arp');
    const replySpec = arpReplyFor(request, OUTSIDE_MAC);
    expect(parsed(buildFrame(replySpec))).toEqual({
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
  });

  test.each([
    [60, null],
    [64, TAG],
    [1500, TAG],
    [1514, TAG],
  ] as const)('echo request and reply of %i bytes round-trip with their tag', (bytes, tag) => {
    const frame = buildFrame(echoSpec(bytes, tag));
    expect(frame.length).toBe(bytes);
    const request = parsed(frame);
    expect(request).toEqual({
      kind: 'echo',
      dst: OUTSIDE_MAC,
      src: GUEST_MAC,
      len: bytes,
      type: 8,
      srcIp: GUEST_IP,
      dstIp: OUTSIDE_IP,
      id: 0x1234,
      seq: 7,
      tag,
    });
    if (request.kind !== 'echo') throw new Error('not echo');
    const reply = parsed(buildFrame(echoReplyFor(request, OUTSIDE_MAC)));
    expect(reply).toEqual({
      kind: 'echo',
      dst: GUEST_MAC,
      src: OUTSIDE_MAC,
      len: bytes,
      type: 0,
      srcIp: OUTSIDE_IP,
      dstIp: GUEST_IP,
      id: 0x1234,
      seq: 7,
      tag,
    });
  });

  test('any valid echo spec round-trips', () => {
    const tagArb = fc.record({
      flow: fc.nat({ max: 0xffff_ffff }),
      seq: fc.nat({ max: 0xffff_ffff }),
      sentAtMs: fc.double({ noNaN: true, noDefaultInfinity: true }),
    });
    const specArb = fc
      .record({
        type: fc.constantFrom(8 as const, 0 as const),
        srcMac: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        dstMac: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        srcIp: fc.nat({ max: 0xffff_ffff }),
        dstIp: fc.nat({ max: 0xffff_ffff }),
        id: fc.nat({ max: 0xffff }),
        seq: fc.nat({ max: 0xffff }),
        frameBytes: fc.integer({ min: 62, max: ETH_FRAME_LEN }),
        tag: fc.option(tagArb),
      })
      .map((s): EchoSpec => ({ kind: 'echo', ...s }));
    fc.assert(
      fc.property(specArb, (spec) => {
        const { kind, srcMac, dstMac, frameBytes, ...rest } = spec;
        const expected = { kind, src: srcMac, dst: dstMac, len: frameBytes, ...rest };
        expect(parsed(buildFrame(spec))).toEqual(expected);
      }),
      { seed: 1 },
    );
  });

  test('echo layout: IPv4 header fields, known header and ICMP checksums, fill pattern', () => {
    const frame = buildFrame({ ...echoSpec(60, null), id: 1, seq: 1 });
    // 45 00 | len 46 | id 0 | DF | TTL 64, ICMP | checksum | 10.0.1.2 | 10.0.0.1
    const ipHeader = '4500 002e 0000 4000 4001 25cd 0a000102 0a000001';
    expect(frame.subarray(12, 34)).toEqual(hex(`0800 ${ipHeader}`));
    // type 8, code 0, checksum, id 1, seq 1, then data bytes 0, 1, 2, ...
    expect(frame.subarray(34, 42)).toEqual(hex('0800 afac 0001 0001'));
    expect([...frame.subarray(42)]).toEqual(Array.from({ length: 18 }, (_, i) => i));
    const tagged = buildFrame(echoSpec(100, TAG));
    expect([...tagged.subarray(42, 46)]).toEqual([0x53, 0x50, 0x41, 0x52]); // "SPAR"
    expect(tagged[42 + PROBE_TAG_BYTES]).toBe(PROBE_TAG_BYTES); // fill continues after the tag
  });

  test('the internet checksum matches the RFC 1071 known answer for a fixed IPv4 header', () => {
    const header = hex('4500 0073 0000 4000 4011 0000 c0a80001 c0a800c7');
    expect(internetChecksum(header, 0, 20)).toBe(0xb861);
    header[10] = 0xb8;
    header[11] = 0x61;
    expect(internetChecksum(header, 0, 20)).toBe(0);
    expect(internetChecksum(hex('0102 03'), 0, 3)).toBe(~(0x0102 + 0x0300) & 0xffff); // odd length
  });

  test('a corrupted IPv4 header or ICMP message is reported, not parsed', () => {
    const good = buildFrame(echoSpec(100, TAG));
    const ttl = good.slice();
    ttl[22] = 63;
    expect(errorCode(ttl)).toBe('bad-ip-checksum');
    const data = good.slice();
    data[70] = (data[70] ?? 0) ^ 0x01;
    expect(errorCode(data)).toBe('bad-icmp-checksum');
    const tagFlipped = good.slice();
    tagFlipped[50] = (tagFlipped[50] ?? 0) ^ 0x80;
    expect(errorCode(tagFlipped)).toBe('bad-icmp-checksum');
  });

  test('short, truncated and malformed frames get their own error codes', () => {
    expect(errorCode(new Uint8Array(13))).toBe('short-frame');
    const empty = { kind: 'other', dst: 0, src: 0, len: 14, ethertype: 0 };
    expect(parsed(new Uint8Array(14))).toEqual(empty);
    const echo = buildFrame(echoSpec(100, TAG));
    expect(errorCode(echo.subarray(0, 99))).toBe('truncated'); // IP total length past the end
    expect(errorCode(echo.subarray(0, 30))).toBe('truncated'); // no whole IPv4 header
    expect(errorCode(buildFrame(arpRequest).subarray(0, 41))).toBe('truncated');
    const v6 = echo.slice();
    v6[14] = 0x65;
    expect(errorCode(v6)).toBe('bad-ip-header');
    const ihl = echo.slice();
    ihl[14] = 0x44;
    expect(errorCode(ihl)).toBe('bad-ip-header');
  });

  test('other ethertypes, other IP protocols and non-echo ICMP parse as other', () => {
    const frame = buildFrame(echoSpec(60, null));
    const ipv6 = frame.slice();
    ipv6[12] = 0x86;
    ipv6[13] = 0xdd;
    expect(parsed(ipv6)).toMatchObject({ kind: 'other', ethertype: 0x86dd, len: 60 });
    const udp = withIpField(frame, 23, 17);
    expect(parsed(udp)).toMatchObject({ kind: 'other', ethertype: ETHERTYPE_IPV4 });
    const unreachable = frame.slice();
    unreachable[34] = 3; // destination unreachable; checksum not consulted for non-echo
    expect(parsed(unreachable)).toMatchObject({ kind: 'other', ethertype: ETHERTYPE_IPV4 });
    const fragment = withIpField(frame, 20, 0x20); // MF set
    expect(parsed(fragment)).toMatchObject({ kind: 'other' });
    const rarpLike = buildFrame(arpRequest);
    rarpLike[17] = 0xdd; // ptype 0x08dd: not IPv4
    expect(parsed(rarpLike)).toMatchObject({ kind: 'other', ethertype: ETHERTYPE_ARP });
  });

  test('the tag is null without the magic, when the data is too short, or when its time is not finite', () => {
    expect(parsed(buildFrame(echoSpec(62, TAG)))).toMatchObject({ tag: TAG }); // exactly fits
    expect(() => buildFrame(echoSpec(61, TAG))).toThrow(/probe tag/);
    const short = buildFrame(echoSpec(60, null)); // 18 data bytes
    short.set([0x53, 0x50, 0x41, 0x52], 42);
    expect(parsed(withIcmpChecksum(short))).toMatchObject({ kind: 'echo', tag: null });
    const noMagic = buildFrame(echoSpec(100, TAG));
    noMagic[45] = 0x53;
    expect(parsed(withIcmpChecksum(noMagic))).toMatchObject({ kind: 'echo', tag: null });
    const nan = buildFrame(echoSpec(100, TAG));
    nan.set([0x7f, 0xf8, 0, 0, 0, 0, 0, 0], 42 + 12);
    expect(parsed(withIcmpChecksum(nan))).toMatchObject({ kind: 'echo', tag: null });
  });

  test('buildFrame asserts our own values', () => {
    expect(() => buildFrame(echoSpec(59, null))).toThrow();
    expect(() => buildFrame(echoSpec(ETH_FRAME_LEN + 1, null))).toThrow();
    expect(() => buildFrame({ ...echoSpec(60, null), id: 0x10000 })).toThrow();
    expect(() => buildFrame({ ...arpRequest, senderMac: 2 ** 48 })).toThrow();
    expect(() => buildFrame({ ...arpRequest, targetIp: -1 })).toThrow();
    expect(() => buildFrame(echoSpec(100, { ...TAG, sentAtMs: Number.NaN }))).toThrow();
  });

  test('destinationClass mirrors the visornic receive filter', () => {
    expect(destinationClass(GUEST_MAC, GUEST_MAC)).toBe('host');
    expect(destinationClass(BROADCAST_MAC, GUEST_MAC)).toBe('broadcast');
    expect(destinationClass(0x3333_0000_0001, GUEST_MAC)).toBe('multicast');
    expect(destinationClass(OUTSIDE_MAC, GUEST_MAC)).toBe('other');
  });

  test('parseFrame never throws on random bytes or on mutated and truncated valid frames', () => {
    const valid = fc.constantFrom(
      buildFrame(arpRequest),
      buildFrame(echoSpec(60, null)),
      buildFrame(echoSpec(200, TAG)),
    );
    const mutated = fc
      .tuple(
        valid,
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 4 }),
        fc.oneof(fc.constant(0), fc.nat({ max: 250 })),
      )
      .map(([frame, edits, cut]) => {
        const copy = frame.slice(0, Math.max(0, frame.length - cut));
        for (const [at, value] of edits) if (copy.length > 0) copy[at % copy.length] = value;
        return copy;
      });
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 1600 }), mutated);
    fc.assert(
      fc.property(bytes, (b) => {
        const result = parseFrame(b);
        if (result.ok) expect(result.value.len).toBe(b.length);
        else expect(result.error.message.length).toBeGreaterThan(0);
      }),
      { seed: 1, numRuns: 2000 },
    );
  });
});

/** Sets one IPv4 header byte and recomputes the header checksum, so only that field differs. */
function withIpField(frame: Uint8Array, at: number, value: number): Uint8Array {
  const copy = frame.slice();
  copy[at] = value;
  copy[24] = 0;
  copy[25] = 0;
  const sum = internetChecksum(copy, 14, 34);
  copy[24] = sum >> 8;
  copy[25] = sum & 0xff;
  return copy;
}

/** Recomputes the ICMP checksum of a built echo frame (IPv4 header without options). */
function withIcmpChecksum(frame: Uint8Array): Uint8Array {
  frame[36] = 0;
  frame[37] = 0;
  const sum = internetChecksum(frame, 34, frame.length);
  frame[36] = sum >> 8;
  frame[37] = sum & 0xff;
  return frame;
}
