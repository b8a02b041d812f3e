// Hostile writes into a live channel, as a buggy or hostile peer would make them (issue #14 item 3,
// the `channel-corrupt` fault; spar-protocol.md §1.5 header, §1.6 ring). Each form breaks one thing
// the sides rely on: the header's signature, a queue's head or tail index, a queue header's slot
// geometry, a slot's size, or a slot's bytes. What each side does when it meets one is theirs
// (validate.ts, signal-queue.ts, the hosts' quarantine); this module only writes, and only inside
// the channel: every offset it writes at is checked against the channel's `size` first.

import { assert } from '../base/assert.js';
import { CH, CHANNEL_HEADER_BYTES, SIGNAL_QUEUE_HEADER_BYTES, SQ } from './layout.js';
import { ChannelMemory } from './memory.js';

/** The forms of corruption, by the field or slot they break. */
export const CHANNEL_CORRUPTIONS = [
  'signature',
  'head',
  'tail',
  'queue-header',
  'slot-oversized',
  'slot-torn',
] as const;

/** One form of corruption. */
export type ChannelCorruption = (typeof CHANNEL_CORRUPTIONS)[number];

/** A signature that is not VISOR_CHANNEL_SIGNATURE. */
export const CORRUPT_SIGNATURE = 0xdead_beef_dead_beefn;
/** Default hostile head/tail: far past any max_slots (and past the channel, as a byte offset). */
export const CORRUPT_INDEX = 0xffff_fff0;
/** `sig_base_offset` of a broken queue header: slots would start a TiB past the channel. */
export const CORRUPT_SIG_BASE_OFFSET = 1n << 40n;
/** `signal_size` of an oversized slot: 16 MiB, more than any channel holds. */
export const CORRUPT_SIGNAL_SIZE_BYTES = 0x0100_0000;
/** The byte a torn slot's first half is filled with (cmdtype 0xA5 is no uiscmdrsp type). */
export const TORN_BYTE = 0xa5;

/** What to corrupt: the form, the queue (forms other than `signature`) and a head/tail value. */
export interface CorruptionTarget {
  readonly form: ChannelCorruption;
  /** Signal queue number (ignored by `signature`). */
  readonly queue: number;
  /** The value written into head or tail (u32); default CORRUPT_INDEX. */
  readonly value?: number;
}

/**
 * Writes corruption `target` into the channel in `buffer`, which the server initialised. Returns
 * null, or why it could not (the queue is not in the channel), without writing anything then.
 */
export function corruptChannel(buffer: SharedArrayBuffer, target: CorruptionTarget): string | null {
  const mem = new ChannelMemory(buffer);
  assert(mem.byteLength >= CHANNEL_HEADER_BYTES, 'a channel holds its header');
  if (target.form === 'signature') {
    mem.writeU64(CH.signature, CORRUPT_SIGNATURE);
    return null;
  }
  const at = Number(mem.readU64(CH.chSpaceOffset)) + target.queue * SIGNAL_QUEUE_HEADER_BYTES;
  if (!Number.isSafeInteger(at) || at + SIGNAL_QUEUE_HEADER_BYTES > mem.byteLength)
    return `queue ${target.queue} is not in the channel`;
  if (target.form === 'head' || target.form === 'tail') {
    const field = target.form === 'head' ? SQ.head : SQ.tail;
    Atomics.store(mem.u32, (at + field) / 4, (target.value ?? CORRUPT_INDEX) >>> 0);
  } else if (target.form === 'queue-header') {
    mem.writeU64(at + SQ.sigBaseOffset, CORRUPT_SIG_BASE_OFFSET);
  } else if (target.form === 'slot-oversized') {
    mem.writeU32(at + SQ.signalSize, CORRUPT_SIGNAL_SIZE_BYTES);
  } else {
    return tearNextSlot(mem, at);
  }
  return null;
}

// A producer that publishes head before its payload is whole: the next slot's first half is
// garbage, and head moves on to it (unless the ring is full, when nothing is published).
function tearNextSlot(mem: ChannelMemory, at: number): string | null {
  const signalSize = mem.readU32(at + SQ.signalSize);
  const maxSlots = mem.readU32(at + SQ.maxSlots);
  const head = mem.readU32(at + SQ.head);
  const tail = mem.readU32(at + SQ.tail);
  if (maxSlots < 2 || head >= maxSlots || tail >= maxSlots) return 'the queue is already corrupt';
  const next = (head + 1) % maxSlots;
  if (next === tail) return 'the queue is full';
  const slot = at + Number(mem.readU64(at + SQ.sigBaseOffset)) + next * signalSize;
  if (slot + signalSize > mem.byteLength) return 'the queue is already corrupt';
  mem.u8.fill(TORN_BYTE, slot, slot + Math.max(1, Math.floor(signalSize / 2)));
  Atomics.store(mem.u32, (at + SQ.head) / 4, next);
  return null;
}
