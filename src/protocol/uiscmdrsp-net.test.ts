// uiscmdrsp network codec (spar-protocol.md §4.3, §4.4.3 `uiscmdrsp_net`, §4.4.4). Offsets in
// the byte-placement tests are written out literally from the reference table, not derived from
// the layout descriptors or the codec's own table, so a shifted descriptor or table fails here.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { physInfo, uiscmdrsp } from './iochannel-layout.js';
import {
  CMD_NET_TYPE,
  CMD_SCSI_TYPE,
  RCVPOST_BUF_SIZE,
  SIZEOF_CMDRSP,
  XMIT_FAILED,
} from './uiscmdrsp-constants.js';
import {
  NET_FIELDS,
  PHYS_INFO_FIELDS,
  decodeNet,
  encodeNet,
  encodeNetInto,
  type NetDecodeErrorCode,
  type NetMessage,
  type PhysInfo,
} from './uiscmdrsp-net.js';

const le = (slot: Uint8Array) => new DataView(slot.buffer, slot.byteOffset, slot.byteLength);

type Decoded<T, E> = { ok: true; value: T } | { ok: false; error: E };

function unwrap<T, E extends { message: string }>(result: Decoded<T, E>): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** The message of a failed decode, or '' on success. */
function messageOf(slot: Uint8Array): string {
  const result = decodeNet(slot);
  return result.ok ? '' : result.error.message;
}

/** The error code of a decode, or 'ok'. */
function codeOf(slot: Uint8Array): NetDecodeErrorCode | 'ok' {
  const result = decodeNet(slot);
  return result.ok ? 'ok' : result.error.code;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const ETHHDR = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x00);
const MAC = Uint8Array.of(0x02, 0x11, 0x22, 0x33, 0x44, 0x55);

type Of<K extends NetMessage['kind']> = Extract<NetMessage, { kind: K }>;

const rcvPost: Of<'rcvPost'> = {
  kind: 'rcvPost',
  buf: 0x1_0000_2000,
  frag: { pfn: 0x12345, off: 64, len: RCVPOST_BUF_SIZE },
  uniqueNum: 4294667296,
};
const rcv: Of<'rcv'> = {
  kind: 'rcv',
  buf: 0x1000,
  rcvDoneLen: 9000,
  rcvbufs: [0x1000, 0x2000, MAX_SAFE],
  uniqueNum: 4294667296,
  rcvsDroppedDelta: 7,
};
const xmit: Of<'xmit'> = {
  kind: 'xmit',
  buf: 0xabc_def0_1234,
  len: 1514,
  frags: [
    { pfn: 7, off: 3000, len: 1096 },
    { pfn: 2 ** 40, off: 0, len: 418 },
  ],
  ethhdr: ETHHDR,
};

/** One message of every kind. */
const EVERY_KIND: readonly NetMessage[] = [
  rcvPost,
  rcv,
  xmit,
  { kind: 'xmitDone', buf: 0xabc_def0_1234, result: XMIT_FAILED },
  { kind: 'enbdis', context: 0xfeed, enable: 1 },
  { kind: 'enbdisAck', context: 0xfeed, enable: 0 },
  { kind: 'promisc', context: 0xfeed, enable: 0x100 },
  { kind: 'connectStatus', context: 0, enable: 1 },
  { kind: 'macaddr', context: 0xfeed, mac: MAC },
  { kind: 'macaddrAck', context: 0xfeed, mac: MAC },
];

/** A transmit of the given fragments, `len` their total. */
function frame(frags: readonly PhysInfo[]): Of<'xmit'> {
  const len = frags.reduce((sum, frag) => sum + frag.len, 0);
  return { kind: 'xmit', buf: 1, len, frags, ethhdr: ETHHDR };
}

/** A zeroed slot with cmdtype 2 and the given net.type. */
function netSlot(type: number): Uint8Array {
  const slot = new Uint8Array(SIZEOF_CMDRSP);
  slot[0] = CMD_NET_TYPE;
  le(slot).setUint32(1, type, true);
  return slot;
}

/** Writes a u64 whose high word is `high` (2^21 is the first value past MAX_SAFE_INTEGER). */
function setHigh(slot: Uint8Array, at: number, high: number): void {
  le(slot).setUint32(at, 0, true);
  le(slot).setUint32(at + 4, high, true);
}

/**
 * Makes random net bytes plausible for `type`: u64 high words zeroed, phys_info off and len below
 * 2048 each (so within a page), and xmt.len set to the frag total.
 */
function tame(bytes: Uint8Array, type: number, count: number): void {
  const v = le(bytes);
  const high = (at: number) => v.setUint32(at + 4, 0, true);
  const page = (at: number) => {
    high(at);
    v.setUint16(at + 8, v.getUint16(at + 8, true) & 0x7ff, true);
    v.setUint16(at + 10, v.getUint16(at + 10, true) & 0x7ff, true);
    return v.getUint16(at + 10, true);
  };
  high(5);
  if (type === 0) {
    page(13);
    high(25);
  }
  if (type === 1) [18, 26, 34, 42, 50, 58].forEach(high);
  if (type === 2) {
    let total = 0;
    for (let i = 0; i < count; i++) total += page(21 + 12 * i);
    v.setInt32(13, total, true);
  }
  if (type >= 4) high(13);
}

describe('uiscmdrsp-net', () => {
  test('smoke: a receive post round-trips through a 1216-byte slot with cmdtype 2', () => {
    const slot = encodeNet(rcvPost);
    expect(slot.length).toBe(1216);
    expect(slot[0]).toBe(2);
    expect(unwrap(decodeNet(slot))).toEqual(rcvPost);
  });

  test.each(EVERY_KIND.map((msg) => [msg.kind, msg] as const))('%s round-trips', (_, msg) => {
    expect(unwrap(decodeNet(encodeNet(msg)))).toEqual(msg);
  });

  test('net.type is 0..9 in the order of §4.4.1', () => {
    const types = EVERY_KIND.map((msg) => le(encodeNet(msg)).getUint32(1, true));
    expect(types).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('the codec table matches the layout descriptor, offset and type', () => {
    for (const { field, type, offset } of Object.values(NET_FIELDS)) {
      expect(uiscmdrsp.field(field), field).toMatchObject({ offset, type });
    }
    expect(PHYS_INFO_FIELDS).toEqual({
      pfn: physInfo.field('pi_pfn').offset,
      off: physInfo.field('pi_off').offset,
      len: physInfo.field('pi_len').offset,
      sizeBytes: physInfo.sizeBytes,
    });
  });

  test('a receive post lands at §4.4.3 offsets: buf @5, frag @13/21/23, unique_num @25', () => {
    const v = le(encodeNet(rcvPost));
    expect(v.getUint32(1, true)).toBe(0);
    expect(v.getBigUint64(5, true)).toBe(0x1_0000_2000n);
    expect(v.getBigUint64(13, true)).toBe(0x12345n);
    expect([v.getUint16(21, true), v.getUint16(23, true)]).toEqual([64, 4032]);
    expect(v.getBigUint64(25, true)).toBe(4294667296n);
  });

  test('a receive lands at §4.4.3 offsets: rcvbuf[0] @18, unique_num @58, dropped @66', () => {
    const v = le(encodeNet(rcv));
    expect(v.getUint32(13, true)).toBe(9000);
    expect(v.getUint8(17)).toBe(3);
    expect(v.getBigUint64(18, true)).toBe(0x1000n);
    expect(v.getBigUint64(26, true)).toBe(0x2000n);
    expect(v.getBigUint64(34, true)).toBe(BigInt(MAX_SAFE));
    expect(v.getBigUint64(42, true)).toBe(0n);
    expect(v.getBigUint64(58, true)).toBe(4294667296n);
    expect(v.getUint32(66, true)).toBe(7);
  });

  test('a transmit lands at §4.4.3 offsets: frags @21, ethhdr @789, lincsum @803 all zero', () => {
    const slot = encodeNet(xmit);
    const v = le(slot);
    expect([v.getInt32(13, true), v.getInt32(17, true)]).toEqual([1514, 2]);
    expect(v.getBigUint64(21, true)).toBe(7n);
    expect([v.getUint16(29, true), v.getUint16(31, true)]).toEqual([3000, 1096]);
    expect(v.getBigUint64(33, true)).toBe(2n ** 40n);
    expect([v.getUint16(41, true), v.getUint16(43, true)]).toEqual([0, 418]);
    expect(Array.from(slot.subarray(789, 803))).toEqual(Array.from(ETHHDR));
    expect(slot.subarray(803, 820).every((b) => b === 0)).toBe(true); // lincsum.valid = 0
  });

  test('xmitDone, enbdis and macaddr land at @13 and @21; enbdis carries no buf', () => {
    const done = le(encodeNet({ kind: 'xmitDone', buf: 5, result: 0xffff_ffff }));
    expect(done.getBigUint64(5, true)).toBe(5n);
    expect(done.getUint32(13, true)).toBe(0xffff_ffff);
    const enbdis = le(encodeNet({ kind: 'promisc', context: MAX_SAFE, enable: 0x100 }));
    expect(enbdis.getUint32(1, true)).toBe(6);
    expect(enbdis.getBigUint64(5, true)).toBe(0n);
    expect(enbdis.getBigUint64(13, true)).toBe(2n ** 53n - 1n);
    expect(enbdis.getUint16(21, true)).toBe(0x100);
    const mac = encodeNet({ kind: 'macaddr', context: 1, mac: MAC });
    expect(Array.from(mac.subarray(21, 27))).toEqual(Array.from(MAC));
  });

  test('pointers are little-endian u64 split into low and high words', () => {
    const v = le(encodeNet({ kind: 'xmitDone', buf: MAX_SAFE, result: 0 }));
    expect([v.getUint32(5, true), v.getUint32(9, true)]).toEqual([0xffff_ffff, 0x1f_ffff]);
  });

  test('decoded byte arrays are copies, not views of the slot', () => {
    const slot = encodeNet(xmit);
    const decoded = unwrap(decodeNet(slot));
    slot.fill(0xee, 789, 803);
    expect(decoded.kind === 'xmit' && Array.from(decoded.ethhdr)).toEqual(Array.from(ETHHDR));
    const macSlot = encodeNet({ kind: 'macaddrAck', context: 1, mac: MAC });
    const mac = unwrap(decodeNet(macSlot));
    macSlot.fill(0, 21, 27);
    expect(mac.kind === 'macaddrAck' && Array.from(mac.mac)).toEqual(Array.from(MAC));
  });

  test('encodeNetInto zeroes the old message in the first 1185 bytes, not the padding', () => {
    const big = new Uint8Array(SIZEOF_CMDRSP + 8).fill(0xaa);
    const slot = big.subarray(4, 4 + SIZEOF_CMDRSP);
    encodeNetInto(slot, xmit);
    encodeNetInto(slot, { kind: 'enbdis', context: 3, enable: 1 });
    expect(big.subarray(0, 4).every((b) => b === 0xaa)).toBe(true);
    expect(slot.subarray(23, 1185).every((b) => b === 0)).toBe(true);
    expect(slot.subarray(1185).every((b) => b === 0xaa)).toBe(true);
    expect(unwrap(decodeNet(slot))).toEqual({ kind: 'enbdis', context: 3, enable: 1 });
    expect(() => encodeNetInto(new Uint8Array(1184), xmit)).toThrow(/1184/);
  });

  test('hostile: a slot shorter than 1185 bytes is short-slot; the padding is never read', () => {
    expect(codeOf(new Uint8Array(1184))).toBe('short-slot');
    expect(codeOf(new Uint8Array(0))).toBe('short-slot');
    const full = encodeNet(xmit);
    expect(unwrap(decodeNet(full.slice(0, 1185)))).toEqual(xmit);
  });

  test('hostile: another cmdtype is not-net, net.type 10 and 2^32-1 are unknown-type', () => {
    const scsi = encodeNet(xmit);
    scsi[0] = CMD_SCSI_TYPE;
    expect(codeOf(scsi)).toBe('not-net');
    expect(codeOf(new Uint8Array(SIZEOF_CMDRSP))).toBe('not-net');
    expect(codeOf(netSlot(10))).toBe('unknown-type');
    expect(codeOf(netSlot(0xffff_ffff))).toBe('unknown-type');
    const unknown = decodeNet(netSlot(10));
    expect(unknown.ok ? '' : unknown.error.message).toContain('net.type is 10');
  });

  test.each([
    ['net.buf', rcvPost, 5],
    ['net.rcvpost.frag.pi_pfn', rcvPost, 13],
    ['net.rcvpost.unique_num', rcvPost, 25],
    ['net.rcv.rcvbuf[2]', rcv, 34],
    ['net.rcv.unique_num', rcv, 58],
    ['net.xmt.frags[1].pi_pfn', xmit, 33],
    ['net.enbdis.context', { kind: 'enbdis', context: 1, enable: 1 }, 13],
    ['net.macaddr.context', { kind: 'macaddr', context: 1, mac: MAC }, 13],
  ] as const)(
    'hostile: %s past 2^53 - 1 is pointer-too-large; 2^53 - 1 is not',
    (field, msg, at) => {
      const slot = encodeNet(msg);
      le(slot).setUint32(at, 0xffff_ffff, true);
      le(slot).setUint32(at + 4, 0x1f_ffff, true);
      expect(codeOf(slot)).toBe('ok');
      setHigh(slot, at, 2 ** 21);
      expect(codeOf(slot)).toBe('pointer-too-large');
      expect(messageOf(slot)).toContain(`${field} is 0x00200000_00000000`);
      setHigh(slot, at, 0xffff_8880); // a canonical kernel address
      expect(codeOf(slot)).toBe('pointer-too-large');
    },
  );

  test('hostile: rcvbuf pointers past numrcvbufs are neither returned nor checked', () => {
    const slot = encodeNet(rcv);
    setHigh(slot, 42, 0xffff_ffff);
    expect(unwrap(decodeNet(slot))).toEqual(rcv);
  });

  test('hostile: num_frags 0, 65 and -1 are bad-frag-count; 64 is accepted', () => {
    const frags = Array.from({ length: 64 }, (_, pfn) => ({ pfn, off: 0, len: 100 }));
    const slot = encodeNet(frame(frags));
    expect(codeOf(slot)).toBe('ok');
    for (const count of [0, 65, -1]) {
      le(slot).setInt32(17, count, true);
      expect(codeOf(slot), String(count)).toBe('bad-frag-count');
    }
  });

  test('hostile: numrcvbufs 0 and 6 are bad-chain; 5 is accepted', () => {
    const slot = encodeNet({ ...rcv, rcvbufs: [1, 2, 3, 4, 5] });
    expect(codeOf(slot)).toBe('ok');
    for (const count of [0, 6, 255]) {
      slot[17] = count;
      expect(codeOf(slot), String(count)).toBe('bad-chain');
    }
  });

  test('hostile: a fragment running past its 4 KiB page is bad-length (xmit and rcvpost)', () => {
    const slot = encodeNet(frame([{ pfn: 1, off: 4000, len: 96 }]));
    expect(codeOf(slot)).toBe('ok');
    le(slot).setUint16(29, 4001, true);
    expect(codeOf(slot)).toBe('bad-length');
    const post = encodeNet({ ...rcvPost, frag: { pfn: 1, off: 64, len: 4032 } });
    expect(codeOf(post)).toBe('ok');
    le(post).setUint16(21, 65, true);
    expect(messageOf(post)).toMatch(/^bad-length: net\.rcvpost\.frag\.pi_off \+ pi_len is 4097/);
  });

  test('hostile: xmt.len below 14, above 16398, or unequal to the frag sum is bad-length', () => {
    const single = (len: number) => encodeNet(frame([{ pfn: 1, off: 0, len }]));
    expect(codeOf(single(14))).toBe('ok');
    const short = single(14);
    le(short).setInt32(13, 13, true);
    le(short).setUint16(31, 13, true);
    expect(codeOf(short)).toBe('bad-length');
    const pages = [0, 1, 2, 3].map((pfn) => ({ pfn, off: 0, len: 4096 }));
    const long = encodeNet(frame([...pages, { pfn: 9, off: 0, len: 14 }]));
    expect(codeOf(long)).toBe('ok');
    le(long).setInt32(13, 16399, true);
    le(long).setUint16(79, 15, true);
    expect(codeOf(long)).toBe('bad-length');
    const negative = single(60);
    le(negative).setInt32(13, -60, true);
    expect(codeOf(negative)).toBe('bad-length');
    const mismatch = single(60);
    le(mismatch).setInt32(13, 61, true);
    const sum = 'expected 60 (the sum of frag lengths)';
    expect(messageOf(mismatch)).toBe(`bad-length: net.xmt.len is 61, ${sum}`);
  });

  test('driver checks stay in the driver: rcvbuf[0] ≠ buf and odd rcv_done_len decode', () => {
    const odd: Of<'rcv'> = { ...rcv, buf: 0x9999, rcvDoneLen: 100_000, rcvbufs: [0x1000, 0x2000] };
    expect(unwrap(decodeNet(encodeNet(odd)))).toEqual(odd);
  });

  test('decoding a slot inside a larger poisoned buffer reads only the slot', () => {
    const big = new Uint8Array(SIZEOF_CMDRSP * 3).fill(0xff);
    big.set(encodeNet(rcv), SIZEOF_CMDRSP);
    expect(unwrap(decodeNet(big.subarray(SIZEOF_CMDRSP, SIZEOF_CMDRSP + 1185)))).toEqual(rcv);
  });

  test('encoding our own bad values asserts', () => {
    expect(() => encodeNet({ kind: 'xmitDone', buf: 2 ** 53, result: 0 })).toThrow(/net\.buf/);
    expect(() => encodeNet({ kind: 'xmitDone', buf: -1, result: 0 })).toThrow(/net\.buf/);
    expect(() => encodeNet({ ...rcv, rcvbufs: [] })).toThrow(/rcvbufs/);
    expect(() => encodeNet({ ...rcv, rcvbufs: [1, 2, 3, 4, 5, 6] })).toThrow(/rcvbufs/);
    expect(() => encodeNet({ ...xmit, frags: [] })).toThrow(/frags/);
    expect(() => encodeNet({ ...xmit, len: 1515 })).toThrow(/frag total/);
    expect(() => encodeNet({ ...xmit, ethhdr: new Uint8Array(13) })).toThrow(/ethhdr/);
    expect(() => encodeNet(frame([{ pfn: 0, off: 4090, len: 14 }]))).toThrow(/crosses a page/);
    expect(() => encodeNet({ kind: 'macaddr', context: 1, mac: new Uint8Array(5) })).toThrow(/MAC/);
    expect(() => encodeNet({ kind: 'enbdis', context: 1, enable: 0x1_0000 })).toThrow(/enable/);
  });

  const KNOWN: readonly NetDecodeErrorCode[] = [
    'short-slot',
    'not-net',
    'unknown-type',
    'pointer-too-large',
    'bad-frag-count',
    'bad-chain',
    'bad-length',
  ];

  test('property: random 1216-byte slots never throw and give ok or a known error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1216, maxLength: 1216 }), (slot) => {
        const result = decodeNet(slot);
        expect(result.ok || KNOWN.includes(result.error.code)).toBe(true);
      }),
      { seed: 1, numRuns: 300 },
    );
  });

  // Random bytes steered into the net member: cmdtype 2, a type of 0..10 and small counts. Half
  // of the samples are also "tamed" (see `tame`) so every kind can decode successfully.
  const steeredSlot = fc
    .tuple(
      fc.uint8Array({ minLength: 1216, maxLength: 1216 }),
      fc.integer({ min: 0, max: 10 }),
      fc.integer({ min: 0, max: 6 }),
      fc.boolean(),
    )
    .map(([bytes, type, count, tamed]) => {
      bytes[0] = CMD_NET_TYPE;
      le(bytes).setUint32(1, type, true);
      if (type === 1) bytes[17] = count;
      if (type === 2) le(bytes).setInt32(17, count, true);
      if (tamed) tame(bytes, type, count);
      return bytes;
    });

  test('property: steered slots never throw; what decodes re-encodes to the same message', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(steeredSlot, (slot) => {
        const result = decodeNet(slot);
        if (!result.ok) {
          seen.add(result.error.code);
          expect(KNOWN).toContain(result.error.code);
          return;
        }
        seen.add(result.value.kind);
        // The encoder asserts what the decoder checks, so a decoded message always re-encodes.
        expect(unwrap(decodeNet(encodeNet(result.value)))).toEqual(result.value);
      }),
      { seed: 1, numRuns: 2000 },
    );
    const kinds = EVERY_KIND.map((msg) => msg.kind);
    const codes = KNOWN.filter((code) => code !== 'short-slot' && code !== 'not-net');
    expect([...seen].sort()).toEqual([...kinds, ...codes].sort());
  });
});
