// The signal queue ring, exactly as visorchannel_signalinsert / _signalremove (spar-protocol.md
// §1.6): pre-incremented slot index, one slot always empty, overflow counted and reported to
// the caller, payload written before the index is published. One producer and one consumer,
// possibly in different threads: the producer owns head/num_sent/num_overflows, the consumer
// owns tail/num_received. `Atomics.store` of the index is the kernel's mb(): a consumer that
// `Atomics.load`s the new head is guaranteed to see the whole slot (JS memory model, seq-cst).
//
// Hostile memory: the queue header is re-read on every operation, as the kernel does; if the
// peer changed the geometry it is validated again, and head/tail are range-checked each time,
// so no operation can read or write outside the channel whatever the header says.

import { assert } from '../base/assert.js';
import { channelError, type ChannelError } from './errors.js';
import { SQ } from './layout.js';
import type { ChannelMemory } from './memory.js';
import { validateQueue, type QueueGeometry } from './validate.js';

/** Result of an insert: stored, or refused because the ring was full (the caller may retry). */
export type InsertOutcome = 'inserted' | 'overflow' | ChannelError;
/** Result of a remove: a signal was copied out, or the ring was empty. */
export type RemoveOutcome = 'removed' | 'empty' | ChannelError;

/** The counters of §1.5, as exact integers. */
export interface QueueCounters {
  readonly numSent: bigint;
  readonly numReceived: bigint;
  readonly numOverflows: bigint;
}

/** One signal queue of a validated channel. */
export class SignalQueue {
  private geometry: QueueGeometry;
  private readonly word: number; // i32 index of the queue header
  // The producer's last view of tail. Tail only moves forward, so a stale value can make the
  // ring look full, never less full: tail is re-read only when the cached one says "full".
  // This keeps the producer off the consumer's cache line on most inserts. (The consumer
  // does not cache head: a producer that re-initialises the queue moves head backwards.)
  private cachedTail = -1;

  constructor(
    private readonly mem: ChannelMemory,
    private readonly sizeBytes: number,
    private readonly chSpaceOffset: number,
    geometry: QueueGeometry,
  ) {
    assert(geometry.headerOffset % 8 === 0, 'queue header must be 8-byte aligned');
    assert(
      geometry.slotsOffset + geometry.slotCount * geometry.signalSizeBytes <= sizeBytes,
      'slots outside',
    );
    this.geometry = geometry;
    this.word = geometry.headerOffset / 4;
  }

  /** Queue number inside its channel. */
  get queue(): number {
    return this.geometry.queue;
  }

  /** `signal_size` of the (last validated) geometry. */
  get signalSizeBytes(): number {
    return this.geometry.signalSizeBytes;
  }

  /** `max_slots` of the (last validated) geometry; capacity is one less. */
  get slotCount(): number {
    return this.geometry.slotCount;
  }

  /**
   * visorchannel_signalinsert: copies `payload` (at most signal_size bytes; the rest of the slot
   * is zeroed) into slot (head+1) % max_slots and publishes the new head. A full ring counts an
   * overflow and stores nothing.
   */
  insert(payload: Uint8Array): InsertOutcome {
    const g = this.refresh();
    if (!isGeometry(g)) return g;
    // The peer may have shrunk signal_size below the message size since attach: hostile memory.
    if (payload.length > g.signalSizeBytes) {
      return channelError(
        'bad-signal-size',
        'signal_size',
        `>= ${payload.length} (the payload)`,
        g.signalSizeBytes,
        g.queue,
      );
    }
    const i32 = this.mem.i32;
    const head = Atomics.load(i32, this.word + SQ.head / 4);
    let tail = this.cachedTail;
    if (tail < 0 || tail >= g.slotCount || (head + 1) % g.slotCount === tail) {
      tail = Atomics.load(i32, this.word + SQ.tail / 4);
      this.cachedTail = tail;
    }
    const bad = this.checkIndexes(head, tail, g);
    if (bad !== null) return bad;
    const newHead = (head + 1) % g.slotCount;
    if (newHead === tail) {
      this.bump(SQ.numOverflows);
      return 'overflow';
    }
    const slot = g.slotsOffset + newHead * g.signalSizeBytes;
    this.mem.u8.set(payload, slot);
    if (payload.length < g.signalSizeBytes)
      this.mem.u8.fill(0, slot + payload.length, slot + g.signalSizeBytes);
    Atomics.store(i32, this.word + SQ.head / 4, newHead); // publish: the kernel's mb() + head write
    this.bump(SQ.numSent);
    return 'inserted';
  }

  /**
   * visorchannel_signalremove: copies slot (tail+1) % max_slots into `into` (which must hold
   * signal_size bytes) and publishes the new tail.
   */
  remove(into: Uint8Array): RemoveOutcome {
    const g = this.refresh();
    if (!isGeometry(g)) return g;
    // The peer may have grown signal_size past the message size since attach: hostile memory.
    if (into.length < g.signalSizeBytes) {
      return channelError(
        'bad-signal-size',
        'signal_size',
        `<= ${into.length} (the receive buffer)`,
        g.signalSizeBytes,
        g.queue,
      );
    }
    const i32 = this.mem.i32;
    const head = Atomics.load(i32, this.word + SQ.head / 4);
    const tail = Atomics.load(i32, this.word + SQ.tail / 4);
    const bad = this.checkIndexes(head, tail, g);
    if (bad !== null) return bad;
    if (head === tail) return 'empty'; // Choice: final code; Era A also bumped num_empty here.
    const newTail = (tail + 1) % g.slotCount;
    const slot = g.slotsOffset + newTail * g.signalSizeBytes;
    into.set(this.mem.u8.subarray(slot, slot + g.signalSizeBytes));
    Atomics.store(i32, this.word + SQ.tail / 4, newTail); // the slot may now be reused
    this.bump(SQ.numReceived);
    return 'removed';
  }

  /** visorchannel_signalempty: head == tail. */
  isEmpty(): boolean | ChannelError {
    const g = this.refresh();
    if (!isGeometry(g)) return g;
    const head = Atomics.load(this.mem.i32, this.word + SQ.head / 4);
    const tail = Atomics.load(this.mem.i32, this.word + SQ.tail / 4);
    return this.checkIndexes(head, tail, g) ?? head === tail;
  }

  /** Signals currently queued (head − tail modulo max_slots). */
  occupancy(): number | ChannelError {
    const g = this.refresh();
    if (!isGeometry(g)) return g;
    const head = Atomics.load(this.mem.i32, this.word + SQ.head / 4);
    const tail = Atomics.load(this.mem.i32, this.word + SQ.tail / 4);
    return this.checkIndexes(head, tail, g) ?? (head - tail + g.slotCount) % g.slotCount;
  }

  /** num_sent, num_received and num_overflows as exact integers. */
  counters(): QueueCounters {
    const at = (field: number): bigint => this.mem.readU64(this.geometry.headerOffset + field);
    return {
      numSent: at(SQ.numSent),
      numReceived: at(SQ.numReceived),
      numOverflows: at(SQ.numOverflows),
    };
  }

  // Re-reads the geometry fields; revalidates only when the peer changed them.
  private refresh(): QueueGeometry | ChannelError {
    const u32 = this.mem.u32;
    const w = this.word;
    const g = this.geometry;
    const signalSize = u32[w + SQ.signalSize / 4];
    const maxSlots = u32[w + SQ.maxSlots / 4];
    const baseLow = u32[w + SQ.sigBaseOffset / 4];
    const baseHigh = u32[w + SQ.sigBaseOffset / 4 + 1];
    const base = g.slotsOffset - g.headerOffset;
    if (
      signalSize === g.signalSizeBytes &&
      maxSlots === g.slotCount &&
      baseHigh === 0 &&
      baseLow === base
    ) {
      return g;
    }
    const again = validateQueue(this.mem, this.sizeBytes, this.chSpaceOffset, g.queue);
    if (!again.ok) return again.error;
    this.geometry = again.value;
    return again.value;
  }

  private checkIndexes(head: number, tail: number, g: QueueGeometry): ChannelError | null {
    // Indices are u32 in memory; Int32Array reads values >= 2^31 as negative.
    if (head < 0 || head >= g.slotCount) {
      return channelError(
        'index-out-of-range',
        'head',
        `< max_slots ${g.slotCount}`,
        head >>> 0,
        g.queue,
      );
    }
    if (tail < 0 || tail >= g.slotCount) {
      return channelError(
        'index-out-of-range',
        'tail',
        `< max_slots ${g.slotCount}`,
        tail >>> 0,
        g.queue,
      );
    }
    return null;
  }

  // u64 counter += 1 as two u32 halves; only this side writes the counter.
  private bump(field: number): void {
    const u32 = this.mem.u32;
    const low = this.word + field / 4;
    const value = u32[low] ?? 0;
    if (value === 0xffffffff) {
      u32[low] = 0;
      u32[low + 1] = ((u32[low + 1] ?? 0) + 1) >>> 0;
    } else {
      u32[low] = value + 1;
    }
  }
}

function isGeometry(value: QueueGeometry | ChannelError): value is QueueGeometry {
  return 'slotsOffset' in value;
}
