// uiscmdrsp network codec under random bytes (spar-protocol.md §4.4.3 `uiscmdrsp_net`): no slot
// makes the decoder throw, every error is a known code, and what decodes re-encodes.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CMD_NET_TYPE } from './uiscmdrsp-constants.js';
import { decodeNet, encodeNet, type NetDecodeErrorCode } from './uiscmdrsp-net.js';
import { EVERY_KIND, le, unwrap } from './testing/uiscmdrsp-net-fixtures.js';

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
