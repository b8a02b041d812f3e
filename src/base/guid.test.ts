import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { guidFromBytes, guidToBytes } from './guid.js';

describe('guid', () => {
  test('smoke: the vhba GUID is stored mixed-endian, as guid_t', () => {
    const bytes = guidToBytes('414815ed-c58c-11da-95a9-00e08161165f');
    expect(Array.from(bytes)).toEqual([
      0xed, 0x15, 0x48, 0x41, 0x8c, 0xc5, 0xda, 0x11, 0x95, 0xa9, 0x00, 0xe0, 0x81, 0x61, 0x16,
      0x5f,
    ]);
  });

  test('decoding an encoded GUID gives it back, for any GUID', () => {
    fc.assert(
      fc.property(fc.uuid(), (uuid) => {
        expect(guidFromBytes(guidToBytes(uuid))).toBe(uuid.toLowerCase());
      }),
    );
  });
});
