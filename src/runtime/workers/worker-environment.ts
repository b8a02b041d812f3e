// The Environment of a partition in the worker runtime (DESIGN "Time, polling and the two
// runtimes"): real time, Node timers, doorbells as Atomics.waitAsync. The same partition host
// that runs under the sim runtime's virtual clock runs on this one, unchanged.

import { assert } from '../../base/assert.js';
import { type InternalFailure, internalFailure } from '../../base/failure.js';
import type { Prng } from '../../base/prng.js';
import type { ChannelSide, Doorbell } from '../../channel/doorbell.js';
import type { Clock, Environment, TimerHandle, TraceRecord } from '../../partition/environment.js';
import { ringLost } from '../ring-loss.js';

/**
 * How long one doorbell wait lasts before it is renewed. A wait only ends early on a ring; the
 * slice bounds how long an unsubscribed listener lingers. It is not a poll period: partitions
 * poll on their own schedule and the doorbell only wakes them early.
 */
const RING_WAIT_SLICE_MS = 1000;

/** Real-time environment of one partition inside its worker thread. */
export class WorkerEnvironment implements Environment {
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  private nextTimerId = 1;
  private failed: InternalFailure | null = null;
  private lossStream: Prng | undefined;

  /** XState's clock: the real Node timers. */
  readonly clock: Clock = {
    setTimeout: (fn: (...args: unknown[]) => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (id: unknown) => clearTimeout(id as ReturnType<typeof setTimeout>),
  };

  constructor(
    /** Partition name, prefixed to every random-stream label. */
    readonly partition: string,
    private readonly root: Prng,
    /** Wall-clock milliseconds (performance.timeOrigin + performance.now()) at run start. */
    private readonly epochMs: number,
    private readonly sink: (record: TraceRecord) => void,
  ) {}

  now(): number {
    return performance.timeOrigin + performance.now() - this.epochMs;
  }

  schedule(delayMs: number, label: string, callback: () => void): TimerHandle {
    assert(delayMs >= 0, `negative delay ${delayMs}`);
    const id = this.nextTimerId++;
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        this.guarded(label, callback);
      }, delayMs),
    );
    return { id };
  }

  cancel(handle: TimerHandle): void {
    const timer = this.timers.get(handle.id);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(handle.id);
  }

  prng(label: string): Prng {
    return this.root.derive(`${this.partition}/${label}`);
  }

  trace(record: TraceRecord): void {
    this.sink(record);
  }

  /** Rings `bell` of `side`, unless an armed doorbell-lost fault takes the ring (ring-loss.ts). */
  ring(bell: Doorbell, side: ChannelSide): void {
    if (ringLost(this, bell, side)) return;
    bell.ring(side);
  }

  /** The stream that decides which rings a doorbell-lost fault with a chance takes. */
  lossPrng(): Prng {
    this.lossStream ??= this.prng('doorbell-loss');
    return this.lossStream;
  }

  /** Records the first bug; the main thread asks for it ({@link failure}) and ends the run. */
  fail(error: unknown, where: string): void {
    this.failed ??= internalFailure(error, where, this.now());
  }

  /** The bug that stopped this partition, if any (plain data). */
  failure(): InternalFailure | null {
    return this.failed;
  }

  // Host code run from a timer or a doorbell: what it throws is a bug of this partition, reported
  // rather than left to kill the worker with a bare stack.
  private guarded(label: string, callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.fail(error, `${this.partition}/${label}`);
    }
  }

  onRing(bell: Doorbell, side: ChannelSide, onRing: () => void, onLost?: () => void): () => void {
    let active = true;
    // A pending Atomics.waitAsync does not keep a worker alive (stack.md pitfall 4).
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    const listen = async (): Promise<void> => {
      let seen = bell.seen(side);
      let lostSeen = bell.lostSeen(side);
      while (active) {
        await bell.wait(side, seen, RING_WAIT_SLICE_MS);
        const current = bell.seen(side);
        if (active && current !== seen) {
          seen = current;
          this.guarded(`ring-${side}`, onRing);
        }
        // A lost ring notifies without changing the ring count (Doorbell.noteLost).
        const lost = bell.lostSeen(side);
        if (active && lost !== lostSeen) {
          lostSeen = lost;
          if (onLost !== undefined) this.guarded(`lost-ring-${side}`, onLost);
        }
      }
    };
    void listen();
    return () => {
      active = false;
      clearInterval(keepAlive);
    };
  }
}
