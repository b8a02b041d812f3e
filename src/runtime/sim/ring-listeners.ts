// Doorbell listeners of one simulated run (DESIGN "Time, polling and the two runtimes";
// channel/doorbell.ts). In workers a ring wakes an `Atomics.waitAsync`; in the sim runtime
// nothing waits on the bell words, so a ring schedules every listener registered here instead.
// One registry per run, shared by all partitions, because the ringer and the listener are
// usually different partitions.
//
// Keyed by the bell's SharedArrayBuffer, not the Doorbell object: two Doorbell views over the
// same memory (one per partition, as in workers) are the same bell.

import { assert } from '../../base/assert.js';
import type { ChannelSide, Doorbell } from '../../channel/index.js';

/** One registration; `active` turns false when it is unregistered. */
export interface RingListener {
  readonly callback: () => void;
  /** Runs when a doorbell-lost fault takes a ring of this side (Environment.onRing's `onLost`). */
  readonly lostCallback: (() => void) | undefined;
  active: boolean;
  /** A delivery is scheduled and has not run yet: later rings coalesce into it. */
  pending: boolean;
}

type SideListeners = Record<ChannelSide, Set<RingListener>>;

/** The listeners of every doorbell of a run, by bell memory and side. */
export class RingListeners {
  private readonly byBell = new Map<SharedArrayBuffer, SideListeners>();

  /**
   * Registers `callback` for rings of `side` on `bell` (and `lostCallback` for rings a fault took);
   * returns the idempotent unregister.
   */
  add(
    bell: Doorbell,
    side: ChannelSide,
    callback: () => void,
    lostCallback?: () => void,
  ): () => void {
    const sides = this.sidesOf(bell);
    const listener: RingListener = { callback, lostCallback, active: true, pending: false };
    sides[side].add(listener);
    return () => {
      if (!listener.active) return;
      listener.active = false;
      sides[side].delete(listener);
      // Forget bells nobody listens to, so the registry stays as small as the live listeners.
      if (sides.server.size === 0 && sides.client.size === 0) this.byBell.delete(bell.buffer);
    };
  }

  /**
   * The listeners of `side` on `bell`, in registration order (deterministic), copied so a
   * listener that registers or unregisters while the ring is delivered does not disturb it.
   */
  listeners(bell: Doorbell, side: ChannelSide): readonly RingListener[] {
    const found = [...(this.byBell.get(bell.buffer)?.[side] ?? [])];
    assert(
      found.every((l) => l.active),
      'only active listeners are registered',
    );
    return found;
  }

  /** How many listeners are registered in total (for tests and leak checks). */
  count(): number {
    let total = 0;
    for (const sides of this.byBell.values()) total += sides.server.size + sides.client.size;
    return total;
  }

  private sidesOf(bell: Doorbell): SideListeners {
    let sides = this.byBell.get(bell.buffer);
    if (sides === undefined) {
      sides = { server: new Set(), client: new Set() };
      this.byBell.set(bell.buffer, sides);
    }
    return sides;
  }
}
