// The guest memory an IOSP may DMA into (hardware.ts): the ranges a command's gpi_list names in
// the window, checked to lie inside it, and the copies in and out of them (spar-protocol.md §4.4).

import type { GuestPhysEntry } from '../../protocol/uiscmdrsp-scsi.js';

/** Byte ranges of the DMA window the entries name, or null if any lies outside it. */
export function dmaRanges(
  entries: readonly GuestPhysEntry[],
  base: bigint,
  size: number,
): { offset: number; length: number }[] | null {
  const ranges: { offset: number; length: number }[] = [];
  for (const e of entries) {
    const offset = e.address - base;
    if (offset < 0n || e.length < 0n || offset + e.length > BigInt(size)) return null;
    ranges.push({ offset: Number(offset), length: Number(e.length) });
  }
  return ranges;
}

/** The bytes of `ranges` of `memory`, in order (a write's data out). */
export function gather(
  memory: Uint8Array,
  ranges: readonly { offset: number; length: number }[],
): Uint8Array {
  const out = new Uint8Array(ranges.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of ranges) {
    out.set(memory.subarray(r.offset, r.offset + r.length), at);
    at += r.length;
  }
  return out;
}

/** `data` into `ranges` of `memory`, in order, as far as it goes (a read's data in). */
export function scatter(
  memory: Uint8Array,
  ranges: readonly { offset: number; length: number }[],
  data: Uint8Array,
): void {
  let at = 0;
  for (const r of ranges) {
    if (at >= data.length) return;
    const part = data.subarray(at, at + r.length);
    memory.set(part, r.offset);
    at += part.length;
  }
}
