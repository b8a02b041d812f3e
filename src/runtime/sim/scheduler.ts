// The deterministic runtime's scheduler: virtual time that jumps to the next event (DESIGN "Time,
// polling and the two runtimes"; reference/stack.md §7 (a); STYLE §5).
//
// Pending callbacks sit in a min-heap keyed by (timeMs, tie, seq). `tie` is drawn from a seeded
// stream when tie-shuffling is on, so different seeds explore different interleavings of
// same-instant events while the same seed always replays the same one; `seq` is an insertion
// counter that makes the order total (stable FIFO when `tie` is 0). Nothing here reads the wall
// clock: a run is a pure function of what was scheduled and the seed.
//
// Choice: virtual time is milliseconds since the run started, as a JS number. Fractions are
// allowed (a jiffy at HZ=4000 is 0.25 ms); IEEE-754 arithmetic is reproducible, so fractional
// times stay deterministic. Time never goes backwards and every loop here has an event budget.

import { assert } from '../../base/assert.js';
import { type InternalFailure, internalFailure } from '../../base/failure.js';
import type { Prng } from '../../base/prng.js';
import type { Clock, TimerHandle } from '../../partition/environment.js';
import { MinHeap } from './min-heap.js';

/** Largest tie-breaker drawn when shuffling (the range is [0, 2^31 - 1]). */
export const TIE_MAX = 2 ** 31 - 1;

/** Options of a {@link SimScheduler}. */
export interface SimSchedulerOptions {
  /** The stream tie-breakers are drawn from; give the scheduler a substream of its own. */
  readonly prng: Prng;
  /** Shuffle same-instant events by a seeded tie-breaker (default true); false gives FIFO. */
  readonly shuffleTies?: boolean;
}

/** Why a bounded run returned. */
export type StopReason = 'time' | 'quiet' | 'event-budget' | 'failed';

/** What a bounded run did. */
export interface RunSummary {
  /** Callbacks run during this call (cancelled events are not counted). */
  readonly events: number;
  /** Virtual milliseconds that passed during this call. */
  readonly virtualMs: number;
  /**
   * `time`: the time bound was reached (later events may still be pending); `quiet`: nothing is
   * pending any more; `event-budget`: the budget ran out while events were still due;
   * `failed`: a bug inside spar-sim stopped the run ({@link SimScheduler.failure}).
   */
  readonly stoppedBy: StopReason;
  /** With `event-budget`: the event that would have run next, to find a runaway loop. */
  readonly nextEvent?: { readonly timeMs: number; readonly label: string };
}

interface PendingEvent {
  readonly timeMs: number;
  readonly tie: number;
  /** Insertion counter; doubles as the handle id, since both only need to be unique. */
  readonly seq: number;
  readonly label: string;
  readonly callback: () => void;
  cancelled: boolean;
}

// Lazy deletion keeps cancel O(1); the heap is compacted once cancelled entries dominate, so a
// poller whose timer is cancelled by every doorbell cannot grow the heap without bound.
const COMPACT_MIN_CANCELLED = 64;

function comesBefore(a: PendingEvent, b: PendingEvent): boolean {
  if (a.timeMs !== b.timeMs) return a.timeMs < b.timeMs;
  if (a.tie !== b.tie) return a.tie < b.tie;
  return a.seq < b.seq;
}

/** A seeded, single-threaded event scheduler on virtual time. */
export class SimScheduler {
  private readonly heap = new MinHeap<PendingEvent>(comesBefore);
  private readonly pending = new Map<number, PendingEvent>();
  private readonly prng: Prng;
  private readonly shuffleTies: boolean;
  private nowMs = 0;
  private nextSeq = 1;
  private cancelledInHeap = 0;
  private running = false;
  private failed: InternalFailure | undefined;

  /** XState clock on this scheduler: `createActor(machine, { clock: scheduler.clock })`. */
  readonly clock: Clock;

  constructor(options: SimSchedulerOptions) {
    this.prng = options.prng;
    this.shuffleTies = options.shuffleTies ?? true;
    this.clock = this.createClock('xstate');
  }

  /** Virtual milliseconds since the run started. */
  now(): number {
    return this.nowMs;
  }

  /** The bug that stopped the run, if one did: nothing runs after it. */
  get failure(): InternalFailure | undefined {
    return this.failed;
  }

  /**
   * Records a bug inside spar-sim caught in `where` (only the first counts): `runUntil` and
   * `runUntilQuiet` return with `failed` after the current callback and run nothing more.
   */
  fail(error: unknown, where: string): void {
    this.failed ??= internalFailure(error, where, this.nowMs);
  }

  /** How many scheduled callbacks have neither run nor been cancelled. */
  pendingCount(): number {
    return this.pending.size;
  }

  /** The time of the next live event, or `undefined` when nothing is pending. */
  nextTimeMs(): number | undefined {
    return this.peekLive()?.timeMs;
  }

  /**
   * Runs `callback` at virtual time `timeMs` (not in the past). An event for the current instant
   * scheduled from inside a callback runs after that callback returns, never re-entrantly.
   */
  at(timeMs: number, label: string, callback: () => void): TimerHandle {
    assert(Number.isFinite(timeMs), `event time must be finite, got ${timeMs}`);
    assert(timeMs >= this.nowMs, `cannot schedule ${label} at ${timeMs} ms (now ${this.nowMs} ms)`);
    const tie = this.shuffleTies ? this.prng.int(0, TIE_MAX) : 0;
    const seq = this.nextSeq++;
    const event: PendingEvent = { timeMs, tie, seq, label, callback, cancelled: false };
    this.heap.push(event);
    this.pending.set(event.seq, event);
    assert(this.pending.size + this.cancelledInHeap === this.heap.size, 'pending map matches heap');
    return { id: event.seq };
  }

  /** Runs `callback` `delayMs` (>= 0) virtual milliseconds from now. */
  after(delayMs: number, label: string, callback: () => void): TimerHandle {
    assert(Number.isFinite(delayMs) && delayMs >= 0, `bad delay ${delayMs} ms for ${label}`);
    return this.at(this.nowMs + delayMs, label, callback);
  }

  /** Cancels a pending callback; cancelling one that already ran or was cancelled is a no-op. */
  cancel(handle: TimerHandle): void {
    const event = this.pending.get(handle.id);
    if (event === undefined) return;
    event.cancelled = true;
    this.pending.delete(handle.id);
    this.cancelledInHeap++;
    const mostlyCancelled = this.cancelledInHeap * 2 > this.heap.size;
    if (this.cancelledInHeap >= COMPACT_MIN_CANCELLED && mostlyCancelled) {
      this.heap.retain((e) => !e.cancelled);
      this.cancelledInHeap = 0;
    }
    assert(this.pending.size + this.cancelledInHeap === this.heap.size, 'pending map matches heap');
  }

  /**
   * Runs the next event, advancing virtual time to it. Returns false when nothing is pending.
   * If the callback throws, the error propagates and the scheduler stays usable.
   */
  step(): boolean {
    assert(!this.running, 'step() called from inside a scheduled callback');
    const event = this.peekLive();
    if (event === undefined) return false;
    this.heap.pop();
    this.pending.delete(event.seq);
    assert(event.timeMs >= this.nowMs, `time went backwards: ${event.timeMs} < ${this.nowMs}`);
    this.nowMs = event.timeMs;
    this.running = true;
    try {
      event.callback();
    } finally {
      this.running = false;
    }
    return true;
  }

  /**
   * Runs every event due at or before `timeMs`, then sets the clock to `timeMs`, unless more than
   * `maxEvents` callbacks would be needed: then it stops at the last event run.
   */
  runUntil(timeMs: number, maxEvents: number): RunSummary {
    assert(Number.isFinite(timeMs), `run bound must be finite, got ${timeMs}`);
    assert(timeMs >= this.nowMs, `cannot run until ${timeMs} ms, now is ${this.nowMs} ms`);
    return this.run(maxEvents, timeMs);
  }

  /** Runs events until none is pending or `maxEvents` callbacks have run. */
  runUntilQuiet(maxEvents: number): RunSummary {
    return this.run(maxEvents, undefined);
  }

  /** An XState clock whose timers carry `label` (e.g. `guest1/xstate`) on this scheduler. */
  createClock(label: string): Clock {
    return {
      setTimeout: (fn: (...args: unknown[]) => void, timeoutMs: number): number =>
        this.after(timeoutMs, label, () => fn()).id,
      clearTimeout: (id: unknown): void => {
        assert(typeof id === 'number', `clearTimeout expects a setTimeout id, got ${String(id)}`);
        this.cancel({ id });
      },
    };
  }

  // Shared loop of runUntil / runUntilQuiet; `boundMs` undefined means "until quiet".
  private run(maxEvents: number, boundMs: number | undefined): RunSummary {
    assert(Number.isSafeInteger(maxEvents) && maxEvents >= 0, `bad event budget ${maxEvents}`);
    assert(!this.running, 'a run started from inside a scheduled callback');
    const startMs = this.nowMs;
    let events = 0;
    // Bounded by maxEvents: each iteration runs one callback or returns.
    for (;;) {
      if (this.failed !== undefined) return this.summary(events, startMs, 'failed');
      const next = this.peekLive();
      if (next === undefined && boundMs === undefined) {
        return this.summary(events, startMs, 'quiet');
      }
      if (boundMs !== undefined && (next === undefined || next.timeMs > boundMs)) {
        this.nowMs = boundMs;
        return this.summary(events, startMs, 'time');
      }
      if (events >= maxEvents) return this.overBudget(events, startMs, next);
      try {
        this.step();
      } catch (error) {
        // A callback threw (host code outside any actor): a bug, reported like an actor's.
        this.fail(error, next?.label ?? 'scheduler');
      }
      events++;
    }
  }

  private summary(events: number, startMs: number, stoppedBy: StopReason): RunSummary {
    assert(this.nowMs >= startMs, 'a run never moves time backwards');
    return { events, virtualMs: this.nowMs - startMs, stoppedBy };
  }

  private overBudget(events: number, startMs: number, next: PendingEvent | undefined): RunSummary {
    assert(next !== undefined, 'the budget only matters while events are due');
    const nextEvent = { timeMs: next.timeMs, label: next.label };
    return { ...this.summary(events, startMs, 'event-budget'), nextEvent };
  }

  // Drops cancelled entries from the top of the heap (lazy deletion) and returns the first live
  // one. Bounded by the heap size.
  private peekLive(): PendingEvent | undefined {
    for (let top = this.heap.peek(); top !== undefined; top = this.heap.peek()) {
      if (!top.cancelled) return top;
      this.heap.pop();
      this.cancelledInHeap--;
    }
    return undefined;
  }
}
