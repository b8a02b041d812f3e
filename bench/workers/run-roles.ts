// The two roles of the message-passing benchmark workers (c) and (d): a producer that keeps at
// most a window of signals in flight, and a consumer that tallies one run's deliveries.
// The window is a counting semaphore: a counter plus one parked resolver costs O(1) per signal;
// Promise.race over the pending set costs O(in flight) and made pipelining look slower than
// awaiting each call (stack.md pitfall 15).

import { serveRuns } from '../../src/runtime/workers/test-workers/run-protocol.js';
import {
  DeliveryTally,
  fillSignal,
  signalBuffer,
  stampSequence,
  type DeliveryReport,
} from '../../src/runtime/workers/test-workers/signal-payload.js';

/** Credits for signals in flight; `take` waits while none are left. */
export class CreditWindow {
  private credits: number;
  private wake: (() => void) | null = null;

  constructor(readonly size: number) {
    this.credits = size;
  }

  /**
   * Takes a credit at once and returns null, or returns a promise that takes one when it comes.
   * Callers await only a non-null result: awaiting on every signal would add a microtask per
   * signal and slow the baselines this bench compares against.
   */
  take(): Promise<void> | null {
    if (this.credits > 0) {
      this.credits--;
      return null;
    }
    return this.takeLater();
  }

  private async takeLater(): Promise<void> {
    while (this.credits === 0) await this.creditArrives();
    this.credits--;
  }

  /** Returns `count` credits (a signal was delivered, a call settled). */
  give(count = 1): void {
    this.credits += count;
    const resume = this.wake;
    this.wake = null;
    resume?.();
  }

  /** Waits until every credit is back: everything sent has been delivered. */
  async drain(): Promise<void> {
    while (this.credits < this.size) await this.creditArrives();
  }

  private creditArrives(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }
}

/**
 * Producer role: serves runs by sending signals 0 .. count-1 through `send`, never more than the
 * window in flight, and finishes when every credit is back (everything was delivered).
 */
export function serveWindowedProducer(
  window: CreditWindow,
  send: (signal: Uint8Array, done: () => void) => void,
): void {
  const returnCredit = () => window.give();
  serveRuns(async (count) => {
    const signal = signalBuffer();
    fillSignal(signal.words, 0);
    for (let seq = 0; seq < count; seq++) {
      const waiting = window.take();
      if (waiting !== null) await waiting;
      stampSequence(signal.words, seq);
      send(signal.bytes, returnCredit); // `send` must copy the bytes: the buffer is reused
    }
    await window.drain();
    return { sent: count };
  });
}

/** Consumer role: tallies each run's signals and reports when the last one arrived. */
export class RunTally {
  private tally = new DeliveryTally(false);
  private target = 0;
  private finish: ((report: DeliveryReport) => void) | null = null;

  constructor() {
    serveRuns(
      (count) =>
        new Promise<DeliveryReport>((resolve) => {
          this.tally = new DeliveryTally(false);
          this.target = count;
          this.finish = resolve;
        }),
    );
  }

  /** Records one signal; returns true when it completed the run. */
  record(bytes: Uint8Array): boolean {
    this.tally.record(new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    const last = this.tally.count === this.target;
    if (last) this.finish?.(this.tally.report());
    return last;
  }
}
