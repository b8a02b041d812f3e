// Doorbells: simulated interrupts (DESIGN "Time, polling"; spar-protocol.md §7). The real guest
// polls; a doorbell only wakes a sleeping poller early and never carries data: whatever it
// announces is in channel memory already.
//
// Choice: the bell words live in a small SharedArrayBuffer of their own, allocated by the
// hypervisor beside each channel, so the channel's bytes stay exactly the real layout. Word 0
// counts the rings of the server side, word 1 of the client side; words 2 and 3 hold the ring
// count each side's waiters last acknowledged. A ring is `Atomics.add`, then `Atomics.notify` —
// unless a ring the waiters have not acknowledged yet is already pending: they are awake or about
// to be, and will read the new count, so the wake-up is coalesced (interrupt coalescing, as
// virtio's event suppression does; each wake-up of another thread costs a system call). `wait`
// acknowledges the count its caller read before it sleeps, then uses `Atomics.waitAsync` with that
// count and a timeout, so a waiting partition's event loop stays free to answer its control
// plane. A pending waitAsync does not keep a Node worker alive (nodejs/node#61941): the worker
// runtime holds its own keep-alive handle.
//
// Choice: the same memory holds the channel's injected-fault words (issue #14: doorbell-lost,
// queue-full), set by the run's fault plan in the main thread and read by the partitions at the
// two ends in whichever thread they run, so one fault acts alike in both runtimes. Words 4/5:
// rings of that side still to lose (-1: any number); 6/7: the chance each ring is lost, in
// millionths; 8/9: until when (ms since the run started) the loss lasts; 10/11: until when the
// partition at that side holds off draining the queue it consumes; 12/13: rings of that side a
// fault took (noteLost), which a waiter reads as "the poll I skipped would have found work". All
// zero in a run without these faults, so a ring then costs one more load and no random draw.

import { assert } from '../base/assert.js';

/** The side a doorbell wakes. */
export type ChannelSide = 'server' | 'client';

/** How a wait ended: the bell rang (or had rung since `seen`), or the poll period passed. */
export type WaitOutcome = 'rung' | 'timed-out';

const WORD: Readonly<Record<ChannelSide, number>> = { server: 0, client: 1 };
const ACKED: Readonly<Record<ChannelSide, number>> = { server: 2, client: 3 };
const LOSS_LEFT: Readonly<Record<ChannelSide, number>> = { server: 4, client: 5 };
const LOSS_MILLIONTHS: Readonly<Record<ChannelSide, number>> = { server: 6, client: 7 };
const LOSS_UNTIL: Readonly<Record<ChannelSide, number>> = { server: 8, client: 9 };
const DRAIN_HELD_UNTIL: Readonly<Record<ChannelSide, number>> = { server: 10, client: 11 };
const LOST: Readonly<Record<ChannelSide, number>> = { server: 12, client: 13 };

/** Bytes of one channel's doorbell memory: ring counters, acknowledged counts, fault words. */
export const DOORBELL_BYTES = 56;

/** Denominator of a ring's loss chance (the loss words hold millionths). */
export const LOSS_SCALE = 1_000_000;

/** A doorbell-lost fault on one side: which of the next rings are lost. */
export interface RingLoss {
  /** Rings still to lose; -1 for any number (then only `untilMs` ends it). */
  readonly count: number;
  /** Chance each ring is lost, in millionths ({@link LOSS_SCALE} = every ring). */
  readonly millionths: number;
  /** Ms since the run started after which no ring is lost (the fault has healed). */
  readonly untilMs: number;
}

/** The two bell words of one channel. */
export class Doorbell {
  private readonly words: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    assert(buffer.byteLength >= DOORBELL_BYTES, `a doorbell needs ${DOORBELL_BYTES} bytes`);
    this.words = new Int32Array(buffer, 0, DOORBELL_BYTES / 4);
  }

  /** Memory for one channel's doorbell pair. */
  static allocate(): Doorbell {
    return new Doorbell(new SharedArrayBuffer(DOORBELL_BYTES));
  }

  /** The bell's ring count; pass it to {@link wait} so a ring between check and wait is not lost. */
  seen(side: ChannelSide): number {
    return Atomics.load(this.words, WORD[side]);
  }

  /**
   * Rings the bell of `side`: wakes its waiters, unless an unacknowledged ring is pending (then
   * they are awake already). Returns how many were woken.
   */
  ring(side: ChannelSide): number {
    const before = Atomics.add(this.words, WORD[side], 1);
    if (before !== Atomics.load(this.words, ACKED[side])) return 0;
    return Atomics.notify(this.words, WORD[side]);
  }

  /**
   * A waiter of `side` has taken every ring up to `count` (a value `seen` returned), so the next
   * ring must wake it (`wait` calls this). Only ever raises the stored count (wrap-safe), so a
   * slow waiter cannot hide a ring from a faster one that already waits.
   */
  acknowledge(side: ChannelSide, count: number): void {
    for (;;) {
      const acked = Atomics.load(this.words, ACKED[side]);
      if (((count - acked) | 0) <= 0) return;
      if (Atomics.compareExchange(this.words, ACKED[side], acked, count) === acked) return;
    }
  }

  /**
   * Waits until the bell of `side` differs from `seen` or `timeoutMs` passes; first acknowledges
   * `seen`, so a ring after it is not coalesced away from this wait.
   */
  wait(side: ChannelSide, seen: number, timeoutMs: number): Promise<WaitOutcome> {
    assert(timeoutMs >= 0, `negative timeout ${timeoutMs}`);
    this.acknowledge(side, seen);
    const result = Atomics.waitAsync(this.words, WORD[side], seen, timeoutMs);
    if (!result.async) return Promise.resolve(result.value === 'timed-out' ? 'timed-out' : 'rung');
    return result.value.then((v) => (v === 'ok' ? 'rung' : 'timed-out'));
  }

  /** Arms a doorbell-lost fault on `side` (the fault plan, in the main thread). */
  injectLoss(side: ChannelSide, loss: RingLoss): void {
    assert(loss.count >= -1 && Number.isSafeInteger(loss.count), `bad loss count ${loss.count}`);
    assert(loss.millionths > 0 && loss.millionths <= LOSS_SCALE, `bad loss ${loss.millionths}`);
    assert(loss.untilMs >= 0 && loss.untilMs <= 0x7fff_ffff, `bad loss end ${loss.untilMs}`);
    Atomics.store(this.words, LOSS_UNTIL[side], loss.untilMs);
    Atomics.store(this.words, LOSS_LEFT[side], loss.count);
    Atomics.store(this.words, LOSS_MILLIONTHS[side], loss.millionths);
  }

  /** Whether a doorbell-lost fault is armed on `side` (one load: every ring asks first). */
  lossArmed(side: ChannelSide): boolean {
    return Atomics.load(this.words, LOSS_MILLIONTHS[side]) !== 0;
  }

  /**
   * Whether the ring of `side` about to happen at `nowMs` is lost to an armed fault; `draw`
   * decides a chance below certainty (the ringer's seeded stream). Takes one ring of the count.
   */
  takeLoss(side: ChannelSide, nowMs: number, draw: (millionths: number) => boolean): boolean {
    const millionths = Atomics.load(this.words, LOSS_MILLIONTHS[side]);
    if (millionths === 0) return false;
    if (nowMs >= Atomics.load(this.words, LOSS_UNTIL[side])) return false;
    if (Atomics.load(this.words, LOSS_LEFT[side]) === 0) return false;
    if (millionths < LOSS_SCALE && !draw(millionths)) return false;
    for (;;) {
      const left = Atomics.load(this.words, LOSS_LEFT[side]);
      if (left === 0) return false;
      if (left === -1) return true;
      // Another ringer may take the last one between the load and here: only one may have it.
      if (Atomics.compareExchange(this.words, LOSS_LEFT[side], left, left - 1) === left)
        return true;
    }
  }

  /** How many rings of `side` a doorbell-lost fault has taken so far. */
  lostSeen(side: ChannelSide): number {
    return Atomics.load(this.words, LOST[side]);
  }

  /**
   * A fault took a ring of `side` (ring-loss.ts): counts it and wakes the waiters without changing
   * the ring count, so a waiter that skips its idle polls can run the one that finds the work.
   */
  noteLost(side: ChannelSide): void {
    Atomics.add(this.words, LOST[side], 1);
    Atomics.notify(this.words, WORD[side]);
  }

  /** A queue-full fault: the partition at `side` drains nothing it consumes until `untilMs`. */
  holdDrain(side: ChannelSide, untilMs: number): void {
    assert(untilMs >= 0 && untilMs <= 0x7fff_ffff, `bad hold end ${untilMs}`);
    Atomics.store(this.words, DRAIN_HELD_UNTIL[side], untilMs);
  }

  /** Whether the partition at `side` must leave its queue undrained at `nowMs` (queue-full). */
  drainHeld(side: ChannelSide, nowMs: number): boolean {
    return nowMs < Atomics.load(this.words, DRAIN_HELD_UNTIL[side]);
  }
}
