// Test support, not a test file: the behaviour every function-driver machine (visornoop,
// visorvideoclient, visorconinclient) promises through the shared contract of
// `visor-driver.logic.ts` (spar-protocol.md §3.4 device lifecycle, §3.5 driver interface and
// pause/resume, §7 polling). Each driver's `*.machine.test.ts` calls
// `describeVisorDriverContract` once and keeps beside it only what is its own (its registration).
// The test plays the partition host, calling the driver's entry points and collecting the
// effects it asks for.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import { createActor, createMachine, initialTransition, SimulatedClock, transition } from 'xstate';
import {
  VISOR_DRIVER_STATES,
  visorDriverSystemId,
  type VisorDriverEmitted,
  type VisorDriverEvent,
  type VisorDriverMachine,
  type VisorDriverRegistration,
} from './visor-driver.logic.js';

/** What differs between the drivers, and what the contract checks against. */
export interface VisorDriverContractOptions {
  /**
   * The kernel module name, written out by the test (not read from the registration), so the
   * systemId check also catches a registration with the wrong name.
   */
  readonly module: string;
  /** The driver machine under test. */
  readonly machine: VisorDriverMachine;
  /** The driver's registration constant, whose `name` builds the actor's systemId. */
  readonly registration: VisorDriverRegistration;
  /**
   * Whether probe asks the host to poll the device channel (`channel.enableInterrupts`, §7)
   * right after `driver.probed`: visorconinclient does; visornoop and visorvideoclient do not.
   */
  readonly pollsChannel: boolean;
}

type EntryPoint = VisorDriverEvent['type'];
const INPUT = { partition: 'guest1', busNo: 1, devNo: 4 };
const AT = { busNo: 1, devNo: 4 };

/** The effects among executed actions (XState types them by name; emits run as `xstate.emit`). */
function emitted(actions: readonly { readonly type: string; readonly params: unknown }[]) {
  return actions.flatMap((a) =>
    a.type === 'xstate.emit' ? [(a.params as { event: VisorDriverEmitted }).event] : [],
  );
}

interface Node {
  readonly id: string;
  readonly states: Readonly<Record<string, Node>>;
}
const stateIds = (node: Node): string[] => [
  node.id,
  ...Object.values(node.states).flatMap(stateIds),
];

/**
 * Declares `describe('<module> machine')` with the tests every driver machine must pass: the
 * probe smoke test, pause/resume answered started + complete exactly once, idempotent repeats,
 * remove to the final state, tick counting, the actor under its systemId, every state reachable,
 * and a JSON config.
 */
export function describeVisorDriverContract({
  module,
  machine,
  registration,
  pollsChannel,
}: VisorDriverContractOptions): void {
  /** What PROBE answers: bound, then (if the driver polls) start polling every 10 jiffies. */
  const PROBED: VisorDriverEmitted[] = [
    { type: 'driver.probed', ...AT, status: 0 },
    ...(pollsChannel ? [{ type: 'channel.enableInterrupts' as const, ...AT }] : []),
  ];

  /** Steps the machine purely through `events`: the last snapshot and every effect emitted. */
  function run(events: readonly EntryPoint[]) {
    let [snapshot] = initialTransition(machine, INPUT);
    const effects: VisorDriverEmitted[] = [];
    for (const type of events) {
      const [next, actions] = transition(machine, snapshot, { type });
      snapshot = next;
      effects.push(...emitted(actions));
    }
    return { snapshot, effects };
  }

  const probeName = pollsChannel
    ? 'starts matched, and probe binds the device with status 0, then asks for polling'
    : 'starts matched, and probe binds the device with status 0 and never asks for polling';

  describe(`${module} machine`, () => {
    it(probeName, () => {
      expect(run([]).snapshot.value).toBe('matched');
      const { snapshot, effects } = run(['PROBE']);
      expect(snapshot.value).toBe('running');
      expect(effects).toEqual(PROBED);
    });

    it('pause then resume each answer started and complete exactly once, in that order', () => {
      expect(run(['PROBE', 'PAUSE']).snapshot.value).toBe('paused');
      const { snapshot, effects } = run(['PROBE', 'PAUSE', 'RESUME']);
      expect(snapshot.value).toBe('running');
      expect(effects).toEqual([
        ...PROBED,
        { type: 'driver.pauseStarted', ...AT, status: 0 },
        { type: 'driver.stateComplete', ...AT, status: 0 },
        { type: 'driver.resumeStarted', ...AT, status: 0 },
        { type: 'driver.stateComplete', ...AT, status: 0 },
      ]);
    });

    it('a pause while paused and a resume while running answer started + complete again', () => {
      const twice = run(['PROBE', 'PAUSE', 'PAUSE']);
      expect(twice.snapshot.value).toBe('paused');
      expect(twice.effects.slice(PROBED.length + 2).map((e) => e.type)).toEqual([
        'driver.pauseStarted',
        'driver.stateComplete',
      ]);
      const resumed = run(['PROBE', 'RESUME']);
      expect(resumed.snapshot.value).toBe('running');
      expect(resumed.effects.slice(PROBED.length).map((e) => e.type)).toEqual([
        'driver.resumeStarted',
        'driver.stateComplete',
      ]);
    });

    it('remove from running or paused reports once and ends in the final state, deaf to all', () => {
      for (const before of [['PROBE'], ['PROBE', 'PAUSE']] as const) {
        const { snapshot, effects } = run([...before, 'REMOVE', 'RESUME', 'PAUSE', 'REMOVE']);
        expect(snapshot.value).toBe('removed');
        expect(snapshot.status).toBe('done');
        expect(effects.filter((e) => e.type === 'driver.removed')).toHaveLength(1);
        expect(effects.at(-1)).toEqual({ type: 'driver.removed', ...AT });
      }
    });

    it('counts poll ticks only while running and ignores every entry point before probe', () => {
      const tick = 'CHANNEL_INTERRUPT';
      const ticks = run(['PROBE', tick, 'PAUSE', tick, 'RESUME', tick]);
      expect(ticks.snapshot.context.channelInterruptCount).toBe(2);
      const early = run([tick, 'PAUSE', 'RESUME', 'REMOVE']);
      expect(early.snapshot.value).toBe('matched');
      expect(early.effects).toEqual([]);
      expect(early.snapshot.context).toEqual({
        ...INPUT,
        pollIntervalMs: 10,
        channelInterruptCount: 0,
      });
    });

    it(
      pollsChannel
        ? 'polls its channel every 10 jiffies from probe on, counting only while running, until removed'
        : 'never polls its channel',
      () => {
        const clock = new SimulatedClock();
        const actor = createActor(machine, { input: { ...INPUT, jiffyMs: 4 }, clock });
        actor.start();
        actor.send({ type: 'PROBE' });
        const count = () => actor.getSnapshot().context.channelInterruptCount;
        // One poll period (10 jiffies of 4 ms) at a time: a simulated clock fires what is due.
        const periods = (n: number) => {
          for (let i = 0; i < n; i++) clock.increment(40);
        };
        periods(3);
        expect(count()).toBe(pollsChannel ? 3 : 0);
        actor.send({ type: 'PAUSE' });
        periods(2);
        actor.send({ type: 'RESUME' });
        periods(1);
        expect(count(), 'ticks while paused are not counted').toBe(pollsChannel ? 4 : 0);
        actor.send({ type: 'REMOVE' });
        periods(5);
        expect(count()).toBe(pollsChannel ? 4 : 0);
      },
    );

    it('runs as an actor under its partition systemId and emits the same effects', () => {
      const systemId = visorDriverSystemId(registration.name, INPUT);
      expect(systemId).toBe(`guest1/${module}:vbus1:dev4`);
      const actor = createActor(machine, { input: INPUT, systemId });
      const effects: VisorDriverEmitted[] = [];
      actor.on('*', (e) => effects.push(e));
      actor.start();
      actor.send({ type: 'PROBE' });
      expect(actor.system.get(systemId)).toBe(actor);
      expect(effects).toEqual(PROBED);
    });

    it('reaches every state through its entry points alone', () => {
      const events = ['PROBE', 'REMOVE', 'CHANNEL_INTERRUPT', 'PAUSE', 'RESUME'] as const;
      const paths = getShortestPaths(machine, {
        input: INPUT,
        events: events.map((type) => ({ type })),
        serializeState: (s) => JSON.stringify(s.value),
      });
      expect(new Set(paths.map((p) => p.state.value))).toEqual(new Set(VISOR_DRIVER_STATES));
      expect(Object.keys(machine.root.states)).toEqual([...VISOR_DRIVER_STATES]);
    });

    it('its config is JSON but for the context factory, and rebuilds the same state ids', () => {
      type Config = Parameters<typeof createMachine>[0];
      const json = JSON.parse(JSON.stringify(machine.config)) as Config;
      expect({ ...json, context: machine.config.context }).toEqual(machine.config);
      expect(stateIds(createMachine(json).root)).toEqual(stateIds(machine.root));
    });
  });
}
