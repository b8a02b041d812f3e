// visorchipset machine (spar-protocol.md §2.5, §2.6, §2.10, §3.5): bring-up, the commands answered
// at once, the response flags, the one-response property and the graph. The §2.6 error rows are in
// visorchipset.errors.test.ts, CHANGESTATE in visorchipset.changestate.test.ts, the poll cadence
// in visorchipset.polling.test.ts; the harness (the test plays the partition host and visorbus)
// is visorchipset.harness.ts.

import { getShortestPaths } from '@xstate/graph';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  encodeControlvmResponse,
  type ControlvmCommand,
} from '../src/protocol/controlvm-command.js';
import { CONTROLVM_ID as ID } from '../src/protocol/controlvm.js';
import { visorchipsetMachine } from './visorchipset.machine.js';
import type { VisorchipsetEvent } from './visorchipset.types.js';
import {
  broughtUp,
  busCmd,
  changeState,
  chipsetInit,
  cmd,
  devCmd,
  failedWith,
  INPUT,
  JIFFY_MS,
  ok,
  start,
} from './visorchipset.harness.js';

describe('visorchipset machine', () => {
  test('smoke: starts uninitialized and waiting, and polls after one jiffy', () => {
    const h = start();
    expect(h.actor.getSnapshot().value).toEqual({ controlvm: 'waiting', chipset: 'uninitialized' });
    h.clock.increment(JIFFY_MS);
    expect(h.effects).toEqual([{ type: 'controlvm.poll' }]);
    expect(h.actor.getSnapshot().value).toEqual({
      controlvm: 'draining',
      chipset: 'uninitialized',
    });
  });

  test('bring-up: CHIPSET_INIT, BUS_CREATE, BUS_CONFIGURE, DEVICE_CREATE are each answered once with success', () => {
    const h = start();
    const init = chipsetInit(0x6);
    const steps = [
      init,
      busCmd(ID.CONTROLVM_BUS_CREATE, 1),
      busCmd(ID.CONTROLVM_BUS_CONFIGURE, 1),
      devCmd(ID.CONTROLVM_DEVICE_CREATE, 1, 2),
    ];
    h.poll(...steps);
    for (const s of steps)
      expect(h.responseTo(s)).toEqual([expect.objectContaining({ id: s.id, ...ok })]);
    expect(h.responseTo(init)[0]?.features).toBe(0x3); // PARA_HOTPLUG kept, 0x4 dropped, REPLY added
    const requests = h.effects.flatMap((e) =>
      e.type === 'visorbus.request' ? [e.request.kind] : [],
    );
    expect(requests).toEqual(['createBus', 'createDevice']);
    const snapshot = h.actor.getSnapshot();
    expect(snapshot.value).toEqual({ controlvm: 'waiting', chipset: 'initialized' });
    expect(snapshot.context.devices['1/2']).toMatchObject({ created: true, pendingRequest: null });
    expect(JSON.parse(JSON.stringify(snapshot.context))).toEqual(snapshot.context);
  });

  test('BUS_CREATE is answered only once visorbus registered the bus; later commands wait their turn', () => {
    const h = start(() => 'hold');
    const [create, configure] = [
      busCmd(ID.CONTROLVM_BUS_CREATE, 1),
      busCmd(ID.CONTROLVM_BUS_CONFIGURE, 1),
    ];
    h.poll(create, configure);
    expect(h.responses()).toEqual([]);
    expect(h.actor.getSnapshot().value).toMatchObject({ controlvm: 'blocked' });
    h.release();
    expect(h.responses().map((r) => r.messageHandle)).toEqual([
      create.messageHandle,
      configure.messageHandle,
    ]);
    expect(h.actor.getSnapshot().value).toMatchObject({ controlvm: 'waiting' });
  });

  test('BUS_DESTROY and DEVICE_DESTROY answer success before visorbus hears of them', () => {
    const h = broughtUp();
    h.effects.length = 0;
    h.poll(devCmd(ID.CONTROLVM_DEVICE_DESTROY, 1, 2), busCmd(ID.CONTROLVM_BUS_DESTROY, 1));
    const order = h.effects.flatMap((e) => {
      if (e.type === 'controlvm.respond') return [e.response.failed ? 'failed' : 'ok'];
      return e.type === 'visorbus.request' ? [e.request.kind] : [];
    });
    expect(order).toEqual(['ok', 'destroyDevice', 'ok', 'destroyBus']);
  });

  test.each([
    [ID.CONTROLVM_CHIPSET_READY, 'online'],
    [ID.CONTROLVM_CHIPSET_SELFTEST, 'selftest'],
    [ID.CONTROLVM_CHIPSET_STOP, 'offline'],
  ] as const)('chipset id %i raises the %s uevent and answers success at once', (id, kind) => {
    const h = start();
    const command = cmd(id);
    h.poll(command);
    expect(h.effects).toContainEqual({ type: 'chipset.uevent', kind });
    expect(h.responseTo(command)).toEqual([expect.objectContaining(ok)]);
  });

  test('DEVICE_CONFIGURE answers success without looking for the device', () => {
    const h = start();
    const command = devCmd(ID.CONTROLVM_DEVICE_CONFIGURE, 7, 7);
    h.poll(command);
    expect(h.responseTo(command)).toEqual([expect.objectContaining(ok)]);
  });

  test('a test_message is neither processed nor answered', () => {
    const h = start();
    const create = busCmd(ID.CONTROLVM_BUS_CREATE, 1, { testMessage: true });
    const unknown = cmd(0xdead, undefined, { testMessage: true });
    const device = devCmd(ID.CONTROLVM_DEVICE_CREATE, 1, 2);
    h.poll(create, unknown, device);
    expect(h.responseTo(create)).toEqual([]);
    expect(h.responseTo(unknown)).toEqual([]);
    expect(h.responseTo(device)).toEqual([expect.objectContaining(failedWith(19))]); // no bus 1
  });

  test('a command without response_expected is processed but not answered', () => {
    const h = start();
    const quiet = busCmd(ID.CONTROLVM_BUS_CREATE, 1, { responseExpected: false });
    const again = busCmd(ID.CONTROLVM_BUS_CREATE, 1);
    h.poll(quiet, again);
    expect(h.responseTo(quiet)).toEqual([]);
    expect(h.responseTo(again)).toEqual([expect.objectContaining(failedWith(17))]);
  });

  test('property: with visorbus answering every request, each command expecting a response gets exactly one', () => {
    // Creates and CHANGESTATE weighted up so devices exist often enough to reach EIO and EBUSY.
    const lifecycle = [
      0x101, 0x101, 0x201, 0x201, 0x201, 0x204, 0x204, 0x204, 0x204, 0x202, 0x102, 0x104, 0x203,
    ];
    const chipset = [0x301, 0x302, 0x304, 0x305];
    const unknown = [0x105, 0x206, 0x221, 0x303, 0x000, 0x999];
    const command = fc.record({
      id: fc.constantFrom(...lifecycle, ...chipset, ...unknown),
      busNo: fc.integer({ min: 0, max: 1 }),
      devNo: fc.integer({ min: 0, max: 1 }),
      state: fc.oneof(fc.constantFrom(0xf7, 0x73, 0x77), fc.integer({ min: 0, max: 0xffff })),
      physDevice: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      responseExpected: fc.integer({ min: 0, max: 3 }).map((n) => n !== 0),
      testMessage: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    });
    const batches = fc.array(fc.array(command, { maxLength: 10 }), { minLength: 1, maxLength: 10 });
    // Which visorbus requests are answered only after the poll (true) rather than at once.
    const late = fc.array(fc.boolean(), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(batches, late, fc.boolean(), (polls, lateness, withBringUp) => {
        let n = 0;
        const h = start(() => (lateness[n++ % lateness.length] ? 'hold' : 0));
        // Half the runs start from bus 0 with devices 0/0 and 0/1, so CHANGESTATE finds devices.
        const bringUp = [busCmd(0x101, 0), devCmd(0x201, 0, 0), devCmd(0x201, 0, 1)];
        const sent: ControlvmCommand[] = [];
        for (const [i, poll] of polls.entries()) {
          const commands = poll.map((c) =>
            c.id === 0x204
              ? changeState(c.busNo, c.devNo, c.state, c.physDevice, c)
              : devCmd(c.id, c.busNo, c.devNo, c),
          );
          if (i === 0 && withBringUp) commands.unshift(...bringUp);
          sent.push(...commands);
          h.poll(...commands);
          h.release();
        }
        h.clock.increment(2000); // every para-hotplug disable expires
        let answered = 0;
        for (const c of sent) {
          const count = h.responseTo(c).length;
          answered += count;
          const p = c.packet;
          const ignoredState =
            p.kind === 'device_change_state' &&
            !p.physDevice &&
            [0x04, 0x80].includes(p.state & 0x84);
          if (!c.flags.responseExpected || c.flags.testMessage)
            expect(count, JSON.stringify(c)).toBe(0);
          else if (ignoredState) expect(count, JSON.stringify(c)).toBeLessThanOrEqual(1);
          else expect(count, JSON.stringify(c)).toBe(1);
        }
        expect(h.responses()).toHaveLength(answered); // nothing answers a handle never sent
        for (const r of h.responses()) expect(encodeControlvmResponse(r)).toHaveLength(128);
      }),
      { numRuns: 300 },
    );
  });

  test('graph: every state of both regions is reachable', () => {
    // The poll timer's event, named by the waiting state's explicit id.
    const pollTimer = {
      type: 'xstate.after.pollInterval.controlvmPollWait',
    } as unknown as VisorchipsetEvent;
    const paths = getShortestPaths(visorchipsetMachine, {
      input: INPUT,
      events: [
        pollTimer,
        { type: 'CONTROLVM_COMMAND', command: chipsetInit() },
        { type: 'CONTROLVM_COMMAND', command: busCmd(ID.CONTROLVM_BUS_CREATE, 1) },
        { type: 'VISORBUS_DONE', kind: 'createBus', busNo: 1, status: 0 },
        { type: 'POLL_DONE', commands: 1 },
      ],
      serializeState: (s) => JSON.stringify(s.value),
    });
    const leaves = (value: object) =>
      Object.entries(value).map(([region, leaf]) => `${region}.${String(leaf)}`);
    const reached = new Set(paths.flatMap((p) => leaves(p.state.value)));
    const all = Object.entries(visorchipsetMachine.root.states).flatMap(([region, node]) =>
      Object.keys(node.states).map((leaf) => `${region}.${leaf}`),
    );
    expect(all.sort()).toEqual([
      'chipset.initialized',
      'chipset.uninitialized',
      'controlvm.blocked',
      'controlvm.draining',
      'controlvm.waiting',
    ]);
    expect([...reached].sort()).toEqual(all);
  });
});
