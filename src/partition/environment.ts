// The one seam between partitions and the world (DESIGN "Time, polling and the two runtimes";
// STYLE §5). A partition host and its machines get time, wake-ups, randomness and a trace sink
// only from an Environment passed to them. Two implementations exist: the sim runtime (virtual
// time, one thread, seeded scheduler) and the worker runtime (real time, one worker per
// partition). Nothing that takes an Environment may know which one it has.

import type { ActorOptions, AnyActorLogic, AnyActorRef } from 'xstate';
import type { Prng } from '../base/prng.js';
import type { ChannelSide, Doorbell } from '../channel/doorbell.js';

/** XState's clock (`createActor(machine, { clock })`); not exported by xstate 5.33 itself. */
export type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;

/** A scheduled callback, for cancelling it. */
export interface TimerHandle {
  readonly id: number;
}

/** One trace line (JSON lines): what happened, where and when. Never an XState sessionId. */
export interface TraceRecord {
  /** Milliseconds since the run started (virtual in sim, wall in workers). */
  readonly atMs: number;
  /** Partition name from the configuration (`cp`, `guest1`, `iosp0`). */
  readonly partition: string;
  /** Actor `systemId`: partition + module (`guest1/visorchipset`). */
  readonly actor: string;
  /** Event type, or a host-level happening (`poll`, `boot`, `crash`). */
  readonly event: string;
  /** The actor's resulting state value, serialised. */
  readonly state: string;
  /** Small extra facts (message handle, queue, status). */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

/** Everything a partition host may use from the world. */
export interface Environment {
  /** Milliseconds since the run started. */
  now(): number;
  /** The clock handed to every actor of this partition. */
  readonly clock: Clock;
  /** Runs `callback` after `delayMs` (a poll, a timeout); `label` names it in traces and ties. */
  schedule(delayMs: number, label: string, callback: () => void): TimerHandle;
  /** Cancels a scheduled callback; cancelling one that already ran is a no-op. */
  cancel(handle: TimerHandle): void;
  /** The seeded random stream for `label`, derived from the run's root seed. */
  prng(label: string): Prng;
  /** Records one trace line. */
  trace(record: TraceRecord): void;
  /** Rings the doorbell of `side` on a channel (a simulated interrupt; never carries data). */
  ring(bell: Doorbell, side: ChannelSide): void;
  /**
   * Calls `onRing` whenever the doorbell of `side` rings, until the returned function is called.
   * A ring only wakes the poller early: the poller still reads everything from channel memory.
   * `onLost`, if given, runs (later, like `onRing`) when a doorbell-lost fault takes a ring of that
   * side: a poller whose idle polls the runtime skips (they would find nothing, DESIGN "Time,
   * polling") runs the poll that now would find the work, as the real poller's next one does.
   */
  onRing(bell: Doorbell, side: ChannelSide, onRing: () => void, onLost?: () => void): () => void;
  /**
   * A bug inside spar-sim surfaced in `where` (an actor's systemId, a timer's label): the run
   * stops after the current event and reports what ran so far (exit 3). Only the first counts.
   */
  fail(error: unknown, where: string): void;
}

/**
 * Ends the run when `actor` fails. XState catches an exception thrown by an action and stops the
 * actor; a child's failure that its parent does not handle fails the parent, so watching a
 * host's root actors catches every actor of the host. (What an emitted effect's handler throws
 * XState does not catch: bindActor does.)
 */
export function failRunOnError(
  actor: AnyActorRef,
  env: Pick<Environment, 'fail'>,
  where: string,
): void {
  actor.subscribe({ error: (error) => env.fail(error, where) });
}
