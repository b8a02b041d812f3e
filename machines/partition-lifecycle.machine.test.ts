import { getShortestPaths } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import {
  createActor,
  createMachine,
  getInitialSnapshot,
  getNextSnapshot,
  SimulatedClock,
  type StateValue,
} from 'xstate';
import {
  lifecycleStateOf,
  PARTITION_LIFECYCLE_STATES,
  partitionLifecycleMachine,
  type PartitionLifecycleEmitted,
  type PartitionLifecycleEvent,
} from './partition-lifecycle.machine.js';

/** An actor on a simulated clock, recording every effect request it emits. */
function start() {
  const clock = new SimulatedClock();
  const actor = createActor(partitionLifecycleMachine, { clock, systemId: 'iosp0/lifecycle' });
  const emitted: PartitionLifecycleEmitted[] = [];
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  return { actor, clock, emitted };
}

/** The leaf state name of an actor, as the hypervisor reports it. */
function leaf(of: { getSnapshot(): { value: StateValue } } | { value: StateValue }): string {
  return lifecycleStateOf('getSnapshot' in of ? of.getSnapshot().value : of.value);
}

/** State value after a sequence of events, stepped purely (no actor, no clock). */
function stepped(events: readonly PartitionLifecycleEvent[]) {
  let snapshot = getInitialSnapshot(partitionLifecycleMachine);
  for (const event of events)
    snapshot = getNextSnapshot(partitionLifecycleMachine, snapshot, event);
  return snapshot;
}

describe('partition-lifecycle machine', () => {
  it('starts off and boots into running', () => {
    expect(leaf(stepped([]))).toBe('off');
    const running = stepped([{ type: 'BOOT' }, { type: 'BOOTED' }]);
    expect(running.value).toEqual({ up: 'running' });
    expect(running.context).toEqual({ bootCount: 1, crashCount: 0, hangCount: 0, rebootDownMs: 0 });
  });

  it('a crashed partition stays down for exactly the reboot delay, then boots again', () => {
    const { actor, clock, emitted } = start();
    actor.send({ type: 'BOOT' });
    actor.send({ type: 'BOOTED' });
    actor.send({ type: 'CRASH' });
    actor.send({ type: 'REBOOT', downMs: 35_000 });
    expect(leaf(actor)).toBe('rebooting');
    clock.increment(34_999);
    expect(leaf(actor)).toBe('rebooting');
    clock.increment(1);
    expect(leaf(actor)).toBe('booting');
    actor.send({ type: 'BOOTED' });
    expect(actor.getSnapshot().context).toMatchObject({
      bootCount: 2,
      crashCount: 1,
      rebootDownMs: 35_000,
    });
    expect(emitted).toEqual([
      { type: 'hostStart', bootCount: 1 },
      { type: 'hostStop', reason: 'crash' },
      { type: 'hostStart', bootCount: 2 },
    ]);
  });

  it('schedules the reboot under a fixed id, never a random one', () => {
    const { actor } = start();
    actor.send({ type: 'BOOT' });
    actor.send({ type: 'REBOOT', downMs: 10 });
    expect(leaf(actor)).toBe('rebooting');
    const scheduled = Object.values(actor.system.getSnapshot()._scheduledEvents);
    expect(scheduled.map((s) => s.id)).toEqual(['xstate.after.rebootDelay.rebooting']);
  });

  it('an orderly reboot of a running partition stops its host, and a zero down time boots at once', () => {
    const { actor, clock, emitted } = start();
    actor.send({ type: 'BOOT' });
    actor.send({ type: 'BOOTED' });
    actor.send({ type: 'REBOOT', downMs: 0 });
    clock.increment(0);
    expect(leaf(actor)).toBe('booting');
    expect(emitted.map((e) => e.type === 'hostStop' && e.reason)).toContain('reboot');
  });

  it('ignores a REBOOT with a down time XState cannot honour', () => {
    for (const downMs of [-1, 1.5, Number.NaN, Infinity]) {
      const snapshot = stepped([{ type: 'BOOT' }, { type: 'BOOTED' }, { type: 'REBOOT', downMs }]);
      expect(snapshot.value).toEqual({ up: 'running' });
    }
  });

  it('shutting down while rebooting cancels the pending boot', () => {
    const { actor, clock } = start();
    actor.send({ type: 'BOOT' });
    actor.send({ type: 'CRASH' });
    actor.send({ type: 'REBOOT', downMs: 100 });
    actor.send({ type: 'SHUTDOWN' });
    clock.increment(1_000);
    expect(leaf(actor)).toBe('shutDown');
    expect(actor.getSnapshot().context.bootCount).toBe(1);
    actor.send({ type: 'BOOT' });
    expect(actor.getSnapshot().context.bootCount).toBe(2);
  });

  it('a hung partition keeps its host until a watchdog crash, which counts as a crash', () => {
    const { actor, emitted } = start();
    actor.send({ type: 'BOOT' });
    actor.send({ type: 'BOOTED' });
    actor.send({ type: 'HANG' });
    expect(leaf(actor)).toBe('hung');
    actor.send({ type: 'BOOTED' });
    expect(leaf(actor)).toBe('hung');
    actor.send({ type: 'CRASH' });
    expect(actor.getSnapshot().context).toMatchObject({ hangCount: 1, crashCount: 1 });
    expect(emitted.slice(1).map((e) => e.type)).toEqual(['hostHang', 'hostStop']);
  });

  it('reaches every state through events alone', () => {
    const events: PartitionLifecycleEvent[] = [
      { type: 'BOOT' },
      { type: 'BOOTED' },
      { type: 'CRASH' },
      { type: 'HANG' },
      { type: 'REBOOT', downMs: 5 },
      { type: 'SHUTDOWN' },
    ];
    const paths = getShortestPaths(partitionLifecycleMachine, {
      events,
      serializeState: (s) => JSON.stringify(s.value),
    });
    const reached = new Set(paths.map((p) => lifecycleStateOf(p.state.value)));
    expect(reached).toEqual(new Set(PARTITION_LIFECYCLE_STATES));
    const leaves = partitionLifecycleMachine.root.states;
    const names = Object.entries(leaves).flatMap(([k, n]) =>
      Object.keys(n.states).length === 0 ? [k] : Object.keys(n.states),
    );
    expect(names.sort()).toEqual([...PARTITION_LIFECYCLE_STATES].sort());
  });

  it('crash, hang, reboot and shutdown are declared once, on `up`; hung refuses a second hang', () => {
    const { up, off } = partitionLifecycleMachine.root.states;
    expect(Object.keys(up?.config.on ?? {}).sort()).toEqual([
      'CRASH',
      'HANG',
      'REBOOT',
      'SHUTDOWN',
    ]);
    for (const child of Object.values(up?.states ?? {})) {
      const own = Object.keys(child.config.on ?? {});
      expect(own.filter((e) => e !== 'HANG' && e !== 'BOOTED')).toEqual([]);
    }
    const hung = stepped([{ type: 'BOOT' }, { type: 'HANG' }]);
    expect(hung.value).toEqual({ up: 'hung' });
    expect(hung.can({ type: 'HANG' })).toBe(false);
    expect(hung.can({ type: 'CRASH' })).toBe(true);
    expect(off?.config.on).toEqual({ BOOT: { target: 'up.booting' } });
  });

  it('its config is plain JSON that rebuilds the same machine (Stately import)', () => {
    const json = JSON.parse(JSON.stringify(partitionLifecycleMachine.config)) as Parameters<
      typeof createMachine
    >[0];
    expect(json).toEqual(partitionLifecycleMachine.config);
    const rebuilt = createMachine(json);
    expect(Object.keys(rebuilt.root.states)).toEqual(
      Object.keys(partitionLifecycleMachine.root.states),
    );
  });
});
