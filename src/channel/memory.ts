// Bounds-checked access to one channel's bytes (visorchannel role, spar-protocol.md §1). Every
// read and write of channel memory in spar-sim goes through here or through a SignalQueue whose
// geometry was checked against the channel's bytes, so nothing can touch memory outside them.

import { assert } from '../base/assert.js';

/** One channel's shared memory, with the typed arrays the queues and validators use. */
export class ChannelMemory {
  readonly u8: Uint8Array;
  /** 32-bit words for `Atomics` (indices and the halves of u64 counters). */
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly data: DataView;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.u8 = new Uint8Array(buffer);
    this.i32 = new Int32Array(buffer, 0, Math.floor(buffer.byteLength / 4));
    this.u32 = new Uint32Array(buffer, 0, Math.floor(buffer.byteLength / 4));
    this.data = new DataView(buffer);
  }

  /** Bytes of memory actually mapped. */
  get byteLength(): number {
    return this.u8.length;
  }

  /** True when [offset, offset + length) lies inside the memory. */
  fits(offset: number, length: number): boolean {
    return (
      Number.isSafeInteger(offset) &&
      offset >= 0 &&
      length >= 0 &&
      offset + length <= this.u8.length
    );
  }

  /** Reads a little-endian u32; the caller has checked the range (asserted again here). */
  readU32(offset: number): number {
    assert(this.fits(offset, 4), `u32 read at ${offset} outside ${this.u8.length} bytes`);
    return this.data.getUint32(offset, true);
  }

  /** Reads a little-endian u64 as a bigint. */
  readU64(offset: number): bigint {
    assert(this.fits(offset, 8), `u64 read at ${offset} outside ${this.u8.length} bytes`);
    return this.data.getBigUint64(offset, true);
  }

  /** Writes a little-endian u32. */
  writeU32(offset: number, value: number): void {
    assert(this.fits(offset, 4), `u32 write at ${offset} outside ${this.u8.length} bytes`);
    this.data.setUint32(offset, value, true);
  }

  /** Writes a little-endian u64. */
  writeU64(offset: number, value: bigint): void {
    assert(this.fits(offset, 8), `u64 write at ${offset} outside ${this.u8.length} bytes`);
    this.data.setBigUint64(offset, value, true);
  }
}
