// Test support, not a test file: the behaviour both virtpci driver machines (virthba, virtnic)
// promise through `virtpci-driver.logic.ts` (spar-protocol.md §4.6, §4.7, §3.5 Era A pause path).
// Each driver's `*.machine.test.ts` calls `describeVirtpciDriverContract` once and keeps beside it
// only what is its own. The test plays the partition host: it calls the entry points and collects
// the effects the driver asks for, stepping the machine purely with `transition()`.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, it } from 'vitest';
import {
  createActor,
  createMachine,
  initialTransition,
  transition,
  type AnyMachineSnapshot,
  type AnyStateMachine,
} from 'xstate';
import {
  VIRTPCI_DRIVER_STATES,
  virtpciDriverSystemId,
  type VirtpciDriverEmitted,
  type VirtpciDriverQuirks,
  type VirtpciDriverRegistration,
} from './virtpci-driver.logic.js';

/** An entry point or internal event of the shared contract (driver-specific ones may be added). */
export type DriverEventType =
  | 'PROBE'
  | 'SUSPEND'
  | 'RESUME'
  | 'REMOVE'
  | 'CHANNEL_INTERRUPT'
  | 'SERVERDOWN_COMPLETE'
  | 'ENBDIS_ACK'
  | 'CHANNEL_CORRUPT';

/** What differs between the drivers. */
export interface VirtpciDriverContractOptions {
  /** The module name, written out by the test (not read from the registration). */
  readonly module: 'virthba' | 'virtnic';
  readonly machine: AnyStateMachine;
  readonly registration: VirtpciDriverRegistration;
  /** Driver-specific events the graph test sends too (virtnic: ENBDIS_ACK). */
  readonly extraEvents?: readonly DriverEventType[];
  /** Driver-specific leaf states, reached from running by extraEvents (virthba: quarantined). */
  readonly extraStates?: readonly string[];
}

/** The device the contract drives: bus 1, device 10 (hex `a`, to check hex names). */
export const AT = { busNo: 1, devNo: 10 } as const;
/** The machine input for {@link AT}. */
export const INPUT = { partition: 'guest1', ...AT };

/** The control-plane effect types of the contract (a driver's IO effects are its own tests'). */
const CONTRACT_EFFECTS: ReadonlySet<string> = new Set<VirtpciDriverEmitted['type']>([
  'driver.probed',
  'driver.suspended',
  'driver.pauseResponse',
  'driver.resumed',
  'driver.removed',
  'channel.setClientStateAttached',
]);

/** The contract's effects among executed actions. */
export function emitted(actions: readonly { readonly type: string; readonly params: unknown }[]) {
  return actions.flatMap((a) => {
    if (a.type !== 'xstate.emit') return [];
    const event = (a.params as { event: VirtpciDriverEmitted }).event;
    return CONTRACT_EFFECTS.has(event.type) ? [event] : [];
  });
}

/** Steps `machine` purely through `events` from `from` (or the initial state). */
export function run(
  machine: AnyStateMachine,
  events: readonly DriverEventType[],
  options: { quirks?: Partial<VirtpciDriverQuirks>; from?: AnyMachineSnapshot } = {},
) {
  const input = options.quirks === undefined ? INPUT : { ...INPUT, quirks: options.quirks };
  let snapshot = options.from ?? initialTransition(machine, input)[0];
  const effects: VirtpciDriverEmitted[] = [];
  for (const type of events) {
    const [next, actions] = transition(machine, snapshot, { type });
    snapshot = next;
    effects.push(...emitted(actions));
  }
  return { snapshot, effects };
}

/**
 * The leaf state of a driver snapshot: `serverChanging` and `serverDown` are children of
 * `serverAway` (the shared "server away" rows); a driver not yet nested reports them flat.
 */
export function driverState(snapshot: AnyMachineSnapshot): string {
  const { value } = snapshot;
  if (typeof value === 'string') return value;
  const away = value['serverAway'];
  return typeof away === 'string' ? away : JSON.stringify(value);
}

/** A snapshot resting in `serverChanging` (the work item queued but not run), for its rows. */
export function inServerChanging(
  machine: AnyStateMachine,
  quirks: Partial<VirtpciDriverQuirks> = {},
): AnyMachineSnapshot {
  const { snapshot } = run(machine, ['PROBE'], { quirks });
  const nested = 'serverAway' in machine.root.states;
  const value = nested ? { serverAway: 'serverChanging' } : 'serverChanging';
  return machine.resolveState({ value, context: snapshot.context });
}

const e = (type: VirtpciDriverEmitted['type'], status?: number) =>
  status === undefined ? { type, ...AT } : { type, ...AT, status };

interface Node {
  readonly id: string;
  readonly states: Readonly<Record<string, Node>>;
}
const stateIds = (node: Node): string[] => [
  node.id,
  ...Object.values(node.states).flatMap(stateIds),
];
/** The leaf states' keys, in config order. */
const leafKeys = (node: { readonly states: Readonly<Record<string, Node>> }): string[] =>
  Object.entries(node.states).flatMap(([key, child]) =>
    Object.keys(child.states).length === 0 ? [key] : leafKeys(child),
  );

/** Declares `describe('<module> machine')` with the tests both virtpci drivers must pass. */
export function describeVirtpciDriverContract(o: VirtpciDriverContractOptions): void {
  describe(`${o.module} machine (virtpci driver contract)`, () => {
    entryPointTests(o.machine);
    lifetimeTests(o);
    shapeTests(o);
  });
}

/** Probe, suspend and resume in every state, with the quirks that change their answers. */
function entryPointTests(machine: AnyStateMachine): void {
  it('starts matched, and probe binds the device with status 0', () => {
    expect(driverState(run(machine, []).snapshot)).toBe('matched');
    const { snapshot, effects } = run(machine, ['PROBE']);
    expect(driverState(snapshot)).toBe('running');
    expect(effects).toEqual([e('driver.probed', 0)]);
  });

  it('suspend while running returns 1, then the work item answers the pause with 0 and the device is down', () => {
    const { snapshot, effects } = run(machine, ['PROBE', 'SUSPEND']);
    expect(driverState(snapshot)).toBe('serverDown');
    expect(effects.slice(1)).toEqual([e('driver.suspended', 1), e('driver.pauseResponse', 0)]);
  });

  it('suspend while already down returns 1 and, by default, answers the pause again with 0', () => {
    const { snapshot, effects } = run(machine, ['PROBE', 'SUSPEND', 'SUSPEND']);
    expect(driverState(snapshot)).toBe('serverDown');
    expect(effects.slice(3)).toEqual([e('driver.suspended', 1), e('driver.pauseResponse', 0)]);
  });

  it('quirk pauseWhileDownUnanswered: a second suspend returns 1 and no pause response is ever sent', () => {
    const quirks = { pauseWhileDownUnanswered: true };
    const { snapshot, effects } = run(machine, ['PROBE', 'SUSPEND', 'SUSPEND'], { quirks });
    expect(driverState(snapshot)).toBe('serverDown');
    expect(effects.slice(3)).toEqual([e('driver.suspended', 1)]);
  });

  it('resume while down sets the channel ATTACHED before returning 1, and the device runs again', () => {
    const { snapshot, effects } = run(machine, ['PROBE', 'SUSPEND', 'RESUME']);
    expect(driverState(snapshot)).toBe('running');
    expect(effects.slice(3)).toEqual([e('channel.setClientStateAttached'), e('driver.resumed', 1)]);
  });

  it('resume while already running returns 1 and touches nothing', () => {
    const { snapshot, effects } = run(machine, ['PROBE', 'RESUME']);
    expect(driverState(snapshot)).toBe('running');
    expect(effects.slice(1)).toEqual([e('driver.resumed', 1)]);
  });

  it('while the serverdown work is queued: suspend returns 0, resume returns 0, the work then answers the pause', () => {
    const from = inServerChanging(machine);
    const busy = run(machine, ['SUSPEND', 'RESUME'], { from });
    expect(driverState(busy.snapshot)).toBe('serverChanging');
    expect(busy.effects).toEqual([e('driver.suspended', 0), e('driver.resumed', 0)]);
    const done = run(machine, ['SERVERDOWN_COMPLETE'], { from });
    expect(driverState(done.snapshot)).toBe('serverDown');
    expect(done.effects).toEqual([e('driver.pauseResponse', 0)]);
  });
}

/** Remove, entry points outside the bound states, and the driver as a running actor. */
function lifetimeTests(o: VirtpciDriverContractOptions): void {
  const { machine, module } = o;
  it('remove from every bound state reports once and ends final, deaf to all entry points', () => {
    const befores: DriverEventType[][] = [['PROBE'], ['PROBE', 'SUSPEND']];
    for (const before of befores) {
      const { snapshot, effects } = run(machine, [
        ...before,
        'REMOVE',
        'RESUME',
        'SUSPEND',
        'REMOVE',
      ]);
      expect(driverState(snapshot)).toBe('removed');
      expect(snapshot.status).toBe('done');
      expect(effects.filter((x) => x.type === 'driver.removed')).toHaveLength(1);
      expect(effects.at(-1)).toEqual(e('driver.removed'));
    }
    const changing = run(machine, ['REMOVE'], { from: inServerChanging(machine) });
    expect(driverState(changing.snapshot)).toBe('removed');
    expect(changing.effects).toEqual([e('driver.removed')]);
  });

  it('ignores every entry point before probe and counts interrupts only while running', () => {
    const early = run(machine, ['CHANNEL_INTERRUPT', 'SUSPEND', 'RESUME', 'REMOVE']);
    expect(driverState(early.snapshot)).toBe('matched');
    expect(early.effects).toEqual([]);
    const ticks = run(machine, [
      'PROBE',
      'CHANNEL_INTERRUPT',
      'SUSPEND',
      'CHANNEL_INTERRUPT',
      'RESUME',
      'CHANNEL_INTERRUPT',
    ]);
    expect(ticks.snapshot.context.channelInterruptCount).toBe(2);
  });

  it('runs as an actor under <partition>/<module>:<bus hex>:<dev hex> and emits the same effects', () => {
    const systemId = virtpciDriverSystemId(o.registration.module, INPUT);
    expect(systemId).toBe(`guest1/${module}:1:a`);
    const actor = createActor(machine, { input: INPUT, systemId });
    const effects: unknown[] = [];
    actor.on(
      '*',
      (x: VirtpciDriverEmitted) => void (CONTRACT_EFFECTS.has(x.type) && effects.push(x)),
    );
    actor.start();
    actor.send({ type: 'PROBE' });
    actor.send({ type: 'SUSPEND' });
    expect(actor.system.get(systemId)).toBe(actor);
    expect(effects).toEqual([
      e('driver.probed', 0),
      e('driver.suspended', 1),
      e('driver.pauseResponse', 0),
    ]);
  });
}

/** Reachable states, the JSON config, the registration. */
function shapeTests(o: VirtpciDriverContractOptions): void {
  const { machine, module } = o;
  it('graph: every state is reachable, serverChanging only from a resolved snapshot (the work item is one step)', () => {
    const events = [
      'PROBE',
      'SUSPEND',
      'RESUME',
      'REMOVE',
      'CHANNEL_INTERRUPT',
      ...(o.extraEvents ?? []),
    ];
    const options = {
      input: INPUT,
      events: events.map((type) => ({ type })),
      serializeState: (s: AnyMachineSnapshot) => JSON.stringify(s.value),
    };
    const fromStart = new Set(getShortestPaths(machine, options).map((p) => driverState(p.state)));
    const extra = o.extraStates ?? [];
    expect(fromStart).toEqual(new Set(['matched', 'running', 'serverDown', ...extra, 'removed']));
    const fromChanging = getShortestPaths(machine, {
      ...options,
      fromState: inServerChanging(machine),
    });
    const all = new Set([...fromStart, ...fromChanging.map((p) => driverState(p.state))]);
    expect(all).toEqual(new Set([...VIRTPCI_DRIVER_STATES, ...extra]));
    const removed = VIRTPCI_DRIVER_STATES.indexOf('removed');
    const leaves: string[] = [...VIRTPCI_DRIVER_STATES];
    leaves.splice(removed, 0, ...extra); // config order: a driver's own states come before removed
    expect(leafKeys(machine.root)).toEqual(leaves);
  });

  it('its config is JSON but for the context factory, and rebuilds the same state ids', () => {
    type Config = Parameters<typeof createMachine>[0];
    const json = JSON.parse(JSON.stringify(machine.config)) as Config;
    expect({ ...json, context: machine.config.context }).toEqual(machine.config);
    expect(stateIds(createMachine(json).root)).toEqual(stateIds(machine.root));
  });

  it(`registration: ${o.registration.name}, the ${o.registration.kind} channel type, fake PCI 0x1018 (unconfirmed)`, () => {
    expect(o.registration.module).toBe(module);
    expect(o.registration.pciVendorId).toBe(0x1018);
    expect(o.registration.pciVendorIdConfirmed).toBe(false);
    expect(o.registration.channelTypeGuid).toMatch(/^[0-9a-f-]{36}$/);
  });
}
