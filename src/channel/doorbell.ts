// Doorbells: simulated interrupts (DESIGN "Time, polling"; spar-protocol.md §7). The real guest
// polls; a doorbell only wakes a sleeping poller early and never carries data: whatever it
// announces is in channel memory already.
//
// Choice: the bell words live in a small SharedArrayBuffer of their own, allocated by the
// hypervisor beside each channel, so the channel's bytes stay exactly the real layout. Word 0
// wakes the server side, word 1 the client side. A ring is `Atomics.add` + `Atomics.notify`;
// a waiter uses `Atomics.waitAsync` with a timeout (the poll period), so a waiting partition's
// event loop stays free to answer its control plane. A pending waitAsync does not keep a Node
// worker alive (nodejs/node#61941): the worker runtime holds its own keep-alive handle.

import { assert } from '../base/assert.js';

/** The side a doorbell wakes. */
export type ChannelSide = 'server' | 'client';

/** How a wait ended: the bell rang (or had rung since `seen`), or the poll period passed. */
export type WaitOutcome = 'rung' | 'timed-out';

const WORD: Readonly<Record<ChannelSide, number>> = { server: 0, client: 1 };

/** The two bell words of one channel. */
export class Doorbell {
  private readonly words: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    assert(buffer.byteLength >= 8, 'a doorbell needs two 32-bit words');
    this.words = new Int32Array(buffer, 0, 2);
  }

  /** Memory for one channel's doorbell pair. */
  static allocate(): Doorbell {
    return new Doorbell(new SharedArrayBuffer(8));
  }

  /** The bell's ring count; pass it to {@link wait} so a ring between check and wait is not lost. */
  seen(side: ChannelSide): number {
    return Atomics.load(this.words, WORD[side]);
  }

  /** Rings the bell of `side`: wakes its waiters. Returns how many were woken. */
  ring(side: ChannelSide): number {
    Atomics.add(this.words, WORD[side], 1);
    return Atomics.notify(this.words, WORD[side]);
  }

  /** Waits until the bell of `side` differs from `seen` or `timeoutMs` passes. */
  wait(side: ChannelSide, seen: number, timeoutMs: number): Promise<WaitOutcome> {
    assert(timeoutMs >= 0, `negative timeout ${timeoutMs}`);
    const result = Atomics.waitAsync(this.words, WORD[side], seen, timeoutMs);
    if (!result.async) return Promise.resolve(result.value === 'timed-out' ? 'timed-out' : 'rung');
    return result.value.then((v) => (v === 'ok' ? 'rung' : 'timed-out'));
  }
}
