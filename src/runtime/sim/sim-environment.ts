// The Environment of one partition in the deterministic runtime (STYLE §5; DESIGN "Time,
// polling and the two runtimes"). Every partition of a run shares one scheduler, one root
// seed, one trace and one doorbell registry (owned by SimWorld); this object only adds the
// partition's name: to timer labels, to random-stream labels and as a check on trace records.

import { assert } from '../../base/assert.js';
import type { Prng } from '../../base/prng.js';
import type { ChannelSide, Doorbell } from '../../channel/index.js';
import type { Clock, Environment, TimerHandle, TraceRecord } from '../../partition/environment.js';
import { ringLost } from '../ring-loss.js';
import type { RingListeners } from './ring-listeners.js';
import type { SimScheduler } from './scheduler.js';

/** Names a partition may have in the sim runtime (they label timers, streams and traces). */
export const PARTITION_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Label of the hypervisor's own environment (SimWorld.hypervisorEnvironment). Choice: the '#'
 * cannot start a partition name ({@link PARTITION_NAME}), so this label never collides with a
 * partition of the configuration. The hypervisor uses only its clock (timers labelled
 * `#hypervisor/xstate`); it traces each lifecycle record through that partition's environment.
 */
export const HYPERVISOR_ENVIRONMENT = '#hypervisor';

/** What a SimEnvironment borrows from the run it belongs to (see SimWorld). */
export interface SimWorldPorts {
  /** The run's scheduler (virtual time). */
  readonly scheduler: SimScheduler;
  /** The run's root random stream; partitions only ever see substreams of it. */
  readonly rootPrng: Prng;
  /** The run's doorbell listeners. */
  readonly ringListeners: RingListeners;
  /** Appends one record to the run's trace. */
  appendTrace(record: TraceRecord): void;
}

/** {@link Environment} of partition `partition` on virtual time. */
export class SimEnvironment implements Environment {
  /** XState clock of this partition: its timers are labelled `<partition>/xstate`. */
  readonly clock: Clock;
  private lossStream: Prng | undefined;

  constructor(
    /** Partition name from the configuration (`cp`, `guest1`, `iosp0`). */
    readonly partition: string,
    private readonly world: SimWorldPorts,
  ) {
    assert(
      PARTITION_NAME.test(partition) || partition === HYPERVISOR_ENVIRONMENT,
      `bad partition name '${partition}'`,
    );
    this.clock = world.scheduler.createClock(`${partition}/xstate`);
  }

  /** Virtual milliseconds since the run started. */
  now(): number {
    return this.world.scheduler.now();
  }

  /** Runs `callback` after `delayMs` virtual ms; the timer is labelled `<partition>/<label>`. */
  schedule(delayMs: number, label: string, callback: () => void): TimerHandle {
    return this.world.scheduler.after(delayMs, `${this.partition}/${label}`, callback);
  }

  /** Cancels a scheduled callback; a no-op when it already ran. */
  cancel(handle: TimerHandle): void {
    this.world.scheduler.cancel(handle);
  }

  /** The substream `<partition>/<label>` of the run's root seed. */
  prng(label: string): Prng {
    return this.world.rootPrng.derive(`${this.partition}/${label}`);
  }

  /**
   * Appends `record` to the run's trace. Choice: a partition may only write records in its own
   * name, which catches an environment handed to the wrong partition host.
   */
  trace(record: TraceRecord): void {
    assert(record.partition === this.partition, `${this.partition} traced as ${record.partition}`);
    assert(Number.isFinite(record.atMs), `trace time must be finite, got ${record.atMs}`);
    this.world.appendTrace(record);
  }

  /**
   * Rings the bell words exactly as a worker does (so channel memory reads the same), then
   * delivers the simulated interrupt: every listener of that bell and side runs at the current
   * instant, after the ringing callback returns. A listener unregistered before its turn is
   * skipped, like a waiter that stopped waiting. A ring while a listener's delivery is still
   * pending coalesces into it, as in workers (doorbell.ts): the listener reads channel memory,
   * which already holds whatever both rings announced. A ring an armed doorbell-lost fault
   * takes (Doorbell.takeLoss) changes nothing and wakes nobody; it is traced as `doorbell.lost`.
   */
  ring(bell: Doorbell, side: ChannelSide): void {
    if (ringLost(this, bell, side)) {
      deliverLostRing(this.world, bell, side, `${this.partition}/lost-ring-${side}`);
      return;
    }
    deliverRing(this.world, bell, side, `${this.partition}/ring-${side}`);
  }

  /** The stream that decides which rings a doorbell-lost fault with a chance takes. */
  lossPrng(): Prng {
    this.lossStream ??= this.prng('doorbell-loss');
    return this.lossStream;
  }

  /** Stops the run after the current event (SimScheduler.fail), naming `<partition>/…`. */
  fail(error: unknown, where: string): void {
    this.world.scheduler.fail(error, where);
  }

  /** Calls `onRing` on every ring of `side` on `bell` until the returned function is called. */
  onRing(bell: Doorbell, side: ChannelSide, onRing: () => void, onLost?: () => void): () => void {
    return this.world.ringListeners.add(bell, side, onRing, onLost);
  }
}

/**
 * Rings `bell` of `side` and schedules every listener of it at the current instant under `label`
 * (a pending delivery takes later rings with it). Also the fault plan's spurious ring.
 */
export function deliverRing(
  world: Pick<SimWorldPorts, 'scheduler' | 'ringListeners'>,
  bell: Doorbell,
  side: ChannelSide,
  label: string,
): void {
  const before = bell.seen(side);
  bell.ring(side);
  assert(bell.seen(side) !== before, 'a ring changes the bell word');
  for (const listener of world.ringListeners.listeners(bell, side)) {
    if (listener.pending) continue;
    listener.pending = true;
    world.scheduler.after(0, label, () => {
      listener.pending = false;
      if (listener.active) listener.callback();
    });
  }
}

/**
 * A fault took a ring of `bell`'s `side` (ring-loss.ts): schedules, at the current instant, the
 * `onLost` of every listener that gave one. Nothing is scheduled for the others, so a run whose
 * pollers do not skip polls is unchanged by the loss (beyond the ring itself).
 */
function deliverLostRing(
  world: Pick<SimWorldPorts, 'scheduler' | 'ringListeners'>,
  bell: Doorbell,
  side: ChannelSide,
  label: string,
): void {
  for (const listener of world.ringListeners.listeners(bell, side)) {
    const onLost = listener.lostCallback;
    if (onLost === undefined) continue;
    world.scheduler.after(0, label, () => {
      if (listener.active) onLost();
    });
  }
}
