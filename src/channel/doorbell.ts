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

import { assert } from '../base/assert.js';

/** The side a doorbell wakes. */
export type ChannelSide = 'server' | 'client';

/** How a wait ended: the bell rang (or had rung since `seen`), or the poll period passed. */
export type WaitOutcome = 'rung' | 'timed-out';

const WORD: Readonly<Record<ChannelSide, number>> = { server: 0, client: 1 };
const ACKED: Readonly<Record<ChannelSide, number>> = { server: 2, client: 3 };

/** Bytes of one channel's doorbell memory: two ring counters and two acknowledged counts. */
export const DOORBELL_BYTES = 16;

/** The two bell words of one channel. */
export class Doorbell {
  private readonly words: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    assert(buffer.byteLength >= DOORBELL_BYTES, `a doorbell needs ${DOORBELL_BYTES} bytes`);
    this.words = new Int32Array(buffer, 0, 4);
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
}
