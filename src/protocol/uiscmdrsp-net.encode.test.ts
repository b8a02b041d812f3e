// uiscmdrsp network codec, encoding side (spar-protocol.md §4.3, §4.4.3 `uiscmdrsp_net`, §4.4.4):
// round trips, byte placement and the encoder's own asserts. Offsets in the byte-placement tests
// are written out literally from the reference table, not derived from the layout descriptors or
// the codec's own table, so a shifted descriptor or table fails here.

import { describe, expect, test } from 'vitest';
import { physInfo, uiscmdrsp } from './iochannel-layout.js';
import { SIZEOF_CMDRSP } from './uiscmdrsp-constants.js';
import {
  NET_FIELDS,
  PHYS_INFO_FIELDS,
  decodeNet,
  encodeNet,
  encodeNetInto,
} from './uiscmdrsp-net.js';
import {
  ETHHDR,
  EVERY_KIND,
  MAC,
  MAX_SAFE,
  frame,
  le,
  rcv,
  rcvPost,
  unwrap,
  xmit,
} from './testing/uiscmdrsp-net-fixtures.js';

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
});
