// GUIDs as the kernel stores them (`guid_t`, spar-protocol.md §0): Microsoft mixed-endian form,
// the first three groups little-endian, the last eight bytes in string order.

import { assert } from './assert.js';

const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The all-zero GUID (the kernel's "no value"). */
export const NULL_GUID = '00000000-0000-0000-0000-000000000000';

/** True when `text` is a canonical lower-case GUID string. */
export function isGuid(text: string): boolean {
  return GUID_PATTERN.test(text);
}

/** Encodes a canonical GUID string into 16 `guid_t` bytes. */
export function guidToBytes(text: string): Uint8Array {
  const lower = text.toLowerCase();
  assert(isGuid(lower), `not a GUID: ${text}`);
  const hex = lower.replaceAll('-', '');
  const canonical = new Uint8Array(16);
  for (let i = 0; i < 16; i++) canonical[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  const out = canonical.slice();
  // data1 (u32), data2 (u16) and data3 (u16) are stored little-endian.
  out.set(canonical.subarray(0, 4).reverse(), 0);
  out.set(canonical.subarray(4, 6).reverse(), 4);
  out.set(canonical.subarray(6, 8).reverse(), 6);
  return out;
}

/** Decodes 16 `guid_t` bytes into a canonical lower-case GUID string. */
export function guidFromBytes(bytes: Uint8Array): string {
  assert(bytes.length === 16, `a guid_t is 16 bytes, got ${bytes.length}`);
  const canonical = bytes.slice();
  canonical.set(bytes.subarray(0, 4).slice().reverse(), 0);
  canonical.set(bytes.subarray(4, 6).slice().reverse(), 4);
  canonical.set(bytes.subarray(6, 8).slice().reverse(), 6);
  const hex = Array.from(canonical, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
