import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createActor, setup } from 'xstate';
import { Doorbell } from '../../channel/index.js';
import type { RunSummary } from './scheduler.js';
import { SimWorld, type SimWorldOptions } from './sim-world.js';

const PARTITIONS = ['cp', 'guest1', 'iosp0'] as const;

// A partition's poller: a doorbell wakes it, it goes back to sleep one poll interval later.
const pollerMachine = setup({
  types: { events: {} as { type: 'WAKE' } },
  delays: { pollInterval: 3 },
}).createMachine({
  id: 'poller',
  initial: 'sleeping',
  states: {
    sleeping: { on: { WAKE: 'polling' } },
    polling: {
      after: { pollInterval: 'sleeping' },
      on: { WAKE: { target: 'polling', reenter: true } },
    },
  },
});

/**
 * Three partitions that ring each other's doorbells: each one works at prng-drawn intervals
 * (0..5 ms, so same-instant events are common), rings a prng-picked peer, and its poller
 * actor on the environment clock wakes on every ring. Returns the world after `durationMs`.
 */
function runWorld(
  options: SimWorldOptions,
  durationMs: number,
): { world: SimWorld; summary: RunSummary } {
  const world = new SimWorld(options);
  const bells = new Map(PARTITIONS.map((p) => [p, Doorbell.allocate()] as const));
  for (const partition of PARTITIONS) {
    const env = world.environment(partition);
    const prng = env.prng('work');
    const actorId = `${partition}/poller`;
    const actor = createActor(pollerMachine, { clock: env.clock, systemId: actorId });
    const trace = (event: string, detail: Record<string, string | number> = {}) => {
      const state = String(actor.getSnapshot().value);
      env.trace({ atMs: env.now(), partition, actor: actorId, event, state, detail });
    };
    actor.subscribe(() => trace('state'));
    env.onRing(bells.get(partition) as Doorbell, 'server', () => {
      trace('wake', { seen: (bells.get(partition) as Doorbell).seen('server') });
      actor.send({ type: 'WAKE' });
    });
    const work = (): void => {
      const peer = prng.pick(PARTITIONS.filter((p) => p !== partition));
      trace('work', { peer });
      env.ring(bells.get(peer) as Doorbell, 'server');
      env.schedule(prng.int(0, 5), 'work', work);
    };
    env.schedule(prng.int(0, 5), 'boot', () => {
      actor.start();
      work();
    });
  }
  const summary = world.scheduler.runUntil(durationMs, 1_000_000);
  return { world, summary };
}

describe('determinism', () => {
  test('smoke: the three-partition world runs to its time bound and writes a trace', () => {
    const { world, summary } = runWorld({ seed: 1 }, 200);
    expect(summary.stoppedBy).toBe('time');
    expect(summary.virtualMs).toBe(200);
    expect(world.trace.length).toBeGreaterThan(100);
    expect(new Set(world.trace.map((r) => r.partition))).toEqual(new Set(PARTITIONS));
    expect(new Set(world.trace.map((r) => r.event))).toEqual(new Set(['state', 'wake', 'work']));
  });

  test('the same seed twice in one process gives the identical trace hash', () => {
    const a = runWorld({ seed: 20261125 }, 2_000);
    const b = runWorld({ seed: 20261125 }, 2_000);
    expect(a.world.trace.length).toBeGreaterThan(1_000);
    expect(b.summary).toEqual(a.summary);
    expect(b.world.traceHash()).toBe(a.world.traceHash());
  });

  test('a different seed gives a different trace hash', () => {
    const one = runWorld({ seed: 1 }, 500).world.traceHash();
    expect(runWorld({ seed: 2 }, 500).world.traceHash()).not.toBe(one);
  });

  test('tie-shuffling changes the interleaving: shuffled and FIFO runs of one seed differ, each reproducible', () => {
    const fifo = () => runWorld({ seed: 3, shuffleTies: false }, 500).world.traceHash();
    const shuffled = () => runWorld({ seed: 3 }, 500).world.traceHash();
    expect(fifo()).toBe(fifo());
    expect(shuffled()).toBe(shuffled());
    expect(shuffled()).not.toBe(fifo());
  });

  test('property: for any seed, two runs give the same trace hash', () => {
    fc.assert(
      fc.property(fc.integer(), fc.boolean(), (seed, shuffleTies) => {
        const first = runWorld({ seed, shuffleTies }, 300).world.traceHash();
        const second = runWorld({ seed, shuffleTies }, 300).world.traceHash();
        expect(second).toBe(first);
      }),
      { numRuns: 30 },
    );
  });
});
