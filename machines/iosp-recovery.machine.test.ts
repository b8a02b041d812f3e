// iosp-recovery machine (spar-protocol.md §4.1, §4.8): IOSP down → standby for each of its devices,
// up → running; repeated reports change nothing; a failure during recovery pauses again.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import {
  iospRecoveryMachine,
  type IospRecoveryEmitted,
  type IospRecoveryEvent,
} from './iosp-recovery.machine.js';

const devices = [
  { guest: 'guest1', busNo: 2, devNo: 0, server: 'iosp0' },
  { guest: 'guest2', busNo: 2, devNo: 0, server: 'iosp0' },
  { guest: 'guest1', busNo: 2, devNo: 1, server: 'iosp1' },
];

function start() {
  const actor = createActor(iospRecoveryMachine, { input: { partition: 'cp', devices } });
  const sent: string[] = [];
  actor.on('cp.changeState', (e: Extract<IospRecoveryEmitted, { type: 'cp.changeState' }>) =>
    sent.push(`${e.guest} ${e.busNo}:${e.devNo} 0x${e.state.toString(16)}`),
  );
  actor.start();
  return { actor, sent };
}

describe('iosp-recovery machine', () => {
  test('down pauses exactly the devices the IOSP serves; up resumes them', () => {
    const h = start();
    h.actor.send({ type: 'IOSP_DOWN', iosp: 'iosp0' });
    expect(h.sent).toEqual(['guest1 2:0 0x73', 'guest2 2:0 0x73']);
    h.actor.send({ type: 'IOSP_UP', iosp: 'iosp0' });
    expect(h.sent.slice(2)).toEqual(['guest1 2:0 0xf7', 'guest2 2:0 0xf7']);
    const answer = (guest: string) =>
      h.actor.send({ type: 'CHANGE_ANSWERED', guest, busNo: 2, devNo: 0 });
    // The standbys' answers arrive first: the recovery is not complete until the runnings' have.
    answer('guest1');
    answer('guest2');
    answer('guest1');
    expect(h.actor.getSnapshot().context).toMatchObject({ recoveries: 0, resuming: ['iosp0'] });
    answer('guest2');
    expect(h.actor.getSnapshot().context).toMatchObject({
      recoveries: 1,
      failuresDuringRecovery: 0,
      resuming: [],
    });
  });

  test('repeated reports send nothing: a crash during the reboot, an up while up', () => {
    const h = start();
    h.actor.send({ type: 'IOSP_UP', iosp: 'iosp1' });
    h.actor.send({ type: 'IOSP_DOWN', iosp: 'iosp1' });
    h.actor.send({ type: 'IOSP_DOWN', iosp: 'iosp1' });
    h.actor.send({ type: 'IOSP_UP', iosp: 'iosp1' });
    h.actor.send({ type: 'IOSP_UP', iosp: 'iosp1' });
    expect(h.sent).toEqual(['guest1 2:1 0x73', 'guest1 2:1 0xf7']);
  });

  test('a second failure during recovery pauses again and is counted; the next up resumes', () => {
    const h = start();
    h.actor.send({ type: 'IOSP_DOWN', iosp: 'iosp1' });
    h.actor.send({ type: 'IOSP_UP', iosp: 'iosp1' });
    h.actor.send({ type: 'IOSP_DOWN', iosp: 'iosp1' });
    h.actor.send({ type: 'IOSP_UP', iosp: 'iosp1' });
    expect(h.sent).toEqual([
      'guest1 2:1 0x73',
      'guest1 2:1 0xf7',
      'guest1 2:1 0x73',
      'guest1 2:1 0xf7',
    ]);
    expect(h.actor.getSnapshot().context.failuresDuringRecovery).toBe(1);
  });

  test("the watchdog: a heartbeat that stops for the timeout pauses the IOSP's devices and asks for its reboot, once", () => {
    const clock = new SimulatedClock();
    const actor = createActor(iospRecoveryMachine, {
      input: {
        partition: 'cp',
        devices,
        watchdog: { periodMs: 100, timeoutMs: 300, rebootDownMs: 5 },
      },
      clock,
    });
    const effects: string[] = [];
    let beat = 0;
    actor.on('*', (e) => {
      if (e.type === 'watchdog.check')
        actor.send({ type: 'HEARTBEATS', counts: { iosp0: beat, iosp1: 7 } });
      else if (e.type === 'hypervisor.reboot') effects.push(`reboot ${e.iosp} ${e.downMs}`);
      else effects.push(`${e.guest} 0x${e.state.toString(16)}`);
    });
    actor.start();
    for (let t = 0; t < 10; t++) {
      beat++; // iosp0 keeps beating
      clock.increment(100);
    }
    // iosp1 stood still: after 3 unchanged checks it is hung.
    expect(effects).toEqual(['guest1 0x73', 'reboot iosp1 5']);
    expect(actor.getSnapshot().context).toMatchObject({
      hangsDetected: 1,
      iosps: { iosp1: 'down' },
    });
    actor.send({ type: 'IOSP_UP', iosp: 'iosp1' });
    expect(effects.at(-1)).toBe('guest1 0xf7');
  });

  test('the watchdog rests while every watched IOSP is down, and an IOSP back up is watched afresh (its old count forgotten)', () => {
    const clock = new SimulatedClock();
    const input = {
      partition: 'cp',
      devices,
      iosps: ['iosp0', 'iosp1'],
      watchdog: { periodMs: 100, timeoutMs: 300, rebootDownMs: 0 },
    };
    const actor = createActor(iospRecoveryMachine, { input, clock });
    let checks = 0;
    const reboots: string[] = [];
    actor.on('*', (e) => {
      if (e.type === 'watchdog.check') {
        checks++;
        actor.send({ type: 'HEARTBEATS', counts: { iosp0: 5, iosp1: 5 } }); // nobody beats
      } else if (e.type === 'hypervisor.reboot') reboots.push(e.iosp);
    });
    actor.start();
    actor.send({ type: 'IOSP_DOWN', iosp: 'iosp0' });
    actor.send({ type: 'IOSP_DOWN', iosp: 'iosp1' });
    expect(actor.getSnapshot().value).toBe('resting');
    clock.increment(60_000);
    expect(checks, 'a minute-long outage of every IOSP costs no check').toBe(0);
    actor.send({ type: 'IOSP_UP', iosp: 'iosp1' });
    expect(actor.getSnapshot().value).toBe('watching');
    for (let t = 0; t < 3; t++) clock.increment(100); // SimulatedClock fires one period per increment
    expect([checks, reboots], 'three checks: the first only records the count').toEqual([3, []]);
    clock.increment(100);
    expect(reboots).toEqual(['iosp1']);
    expect(actor.getSnapshot().value, 'iosp1 declared hung: nothing left to watch').toBe('resting');
  });

  test('graph: every state is reachable', () => {
    const events: IospRecoveryEvent[] = [
      { type: 'IOSP_DOWN', iosp: 'iosp0' },
      { type: 'IOSP_UP', iosp: 'iosp0' },
      { type: 'IOSP_DOWN', iosp: 'iosp1' },
    ];
    const paths = getShortestPaths(iospRecoveryMachine, {
      events,
      input: { partition: 'cp', devices },
      serializeState: (s) => JSON.stringify([s.value, s.context.iosps]),
    });
    expect(new Set(paths.map((p) => p.state.value))).toEqual(new Set(['watching', 'resting']));
  });
});

describe('iosp-recovery machine after a CP restart', () => {
  function restarted() {
    const input = { partition: 'cp', devices, restarted: true };
    const actor = createActor(iospRecoveryMachine, { input });
    const sent: string[] = [];
    actor.on('cp.changeState', (e: Extract<IospRecoveryEmitted, { type: 'cp.changeState' }>) =>
      sent.push(`${e.guest} ${e.busNo}:${e.devNo} 0x${e.state.toString(16)}`),
    );
    actor.start();
    return { actor, sent };
  }

  test("it waits for the IOSP states, then pauses a down IOSP's devices and cycles an up one's", () => {
    const h = restarted();
    expect(h.actor.getSnapshot().value).toBe('reconciling');
    h.actor.send({ type: 'IOSP_STATES', states: { iosp0: 'down', iosp1: 'up' } });
    expect(h.sent).toEqual([
      'guest1 2:0 0x73',
      'guest2 2:0 0x73',
      'guest1 2:1 0x73',
      'guest1 2:1 0xf7',
    ]);
    expect(h.actor.getSnapshot().value).toBe('watching');
    expect(h.actor.getSnapshot().context).toMatchObject({ iosps: { iosp0: 'down' } });
    // The down IOSP's up report, later, resumes its devices: the recovery in flight finishes.
    h.actor.send({ type: 'IOSP_UP', iosp: 'iosp0' });
    expect(h.sent.slice(4)).toEqual(['guest1 2:0 0xf7', 'guest2 2:0 0xf7']);
  });

  test('the cycled IOSP counts as a recovery once both of its requests are answered', () => {
    const h = restarted();
    h.actor.send({ type: 'IOSP_STATES', states: { iosp0: 'down', iosp1: 'up' } });
    const answer = () =>
      h.actor.send({ type: 'CHANGE_ANSWERED', guest: 'guest1', busNo: 2, devNo: 1 });
    answer();
    expect(h.actor.getSnapshot().context.recoveries).toBe(0);
    answer();
    expect(h.actor.getSnapshot().context).toMatchObject({ recoveries: 1, resuming: [] });
  });

  test('a first boot ignores IOSP states (it reconciles nothing: the CP before issue #14)', () => {
    const h = start();
    h.actor.send({ type: 'IOSP_STATES', states: { iosp0: 'down', iosp1: 'up' } });
    expect(h.sent).toEqual([]);
  });
});
