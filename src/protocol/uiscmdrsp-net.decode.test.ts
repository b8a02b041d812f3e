// uiscmdrsp network codec, decoding side (spar-protocol.md §4.3, §4.4.3 `uiscmdrsp_net`): hostile
// slots give the typed errors of uiscmdrsp-net-decode.ts, and what decodes is a copy of the slot's
// struct part only. Offsets are written out literally from the reference table, as in the encode
// tests.

import { describe, expect, test } from 'vitest';
import { CMD_NET_TYPE, CMD_SCSI_TYPE, SIZEOF_CMDRSP } from './uiscmdrsp-constants.js';
import { decodeNet, encodeNet, type NetDecodeErrorCode } from './uiscmdrsp-net.js';
import {
  ETHHDR,
  MAC,
  type Of,
  frame,
  le,
  rcv,
  rcvPost,
  unwrap,
  xmit,
} from './testing/uiscmdrsp-net-fixtures.js';

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

describe('uiscmdrsp-net', () => {
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
});
