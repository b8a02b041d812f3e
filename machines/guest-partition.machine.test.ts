// guest-partition machine (spar-protocol.md §6 driver set, §3.4 probe/remove): which modules exist
// as child actors, with which systemIds, through a guest's life.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import { createActor, SimulatedClock, type AnyActorRef } from 'xstate';
import { guestPartitionMachine, type GuestPartitionEvent } from './guest-partition.machine.js';
import { VISORNOOP_DRIVER } from './visornoop.machine.js';

const input = {
  partition: 'guest1',
  jiffyMs: 1,
  visorbusDrivers: [VISORNOOP_DRIVER],
  clientBus: false,
};
const NOOP_ID = 'guest1/visornoop:vbus1:dev0';
const probe: GuestPartitionEvent = {
  type: 'PROBE_DRIVER',
  module: 'visornoop',
  systemId: NOOP_ID,
  busNo: 1,
  devNo: 0,
};

function start() {
  const actor = createActor(guestPartitionMachine, {
    input,
    clock: new SimulatedClock(),
    systemId: 'guest1/guest-partition',
  });
  actor.start();
  const children = () => Object.keys(actor.getSnapshot().children).sort();
  return { actor, children, get: (id: string) => actor.system.get(id) as AnyActorRef | undefined };
}

describe('guest-partition machine', () => {
  test('loading spawns visorbus and visorchipset with systemIds partition/module, visorbus given the driver set', () => {
    const g = start();
    expect(g.actor.getSnapshot().value).toBe('loading');
    expect(g.children()).toEqual(['guest1/visorbus', 'guest1/visorchipset']);
    expect(g.get('guest1/visorbus')?.getSnapshot().context.drivers).toEqual([VISORNOOP_DRIVER]);
    expect(g.get('guest1/visorchipset')?.getSnapshot().context.jiffyMs).toBe(1);
  });

  test('a probe spawns one driver actor per device, findable by systemId; remove stops it and frees the name', () => {
    const g = start();
    g.actor.send({ type: 'MODULES_LOADED' });
    g.actor.send(probe);
    g.actor.send(probe); // a second probe of the same device is ignored
    expect(g.children()).toEqual(['guest1/visorbus', 'guest1/visorchipset', NOOP_ID]);
    expect(g.get(NOOP_ID)?.getSnapshot().context).toMatchObject({ busNo: 1, devNo: 0 });
    expect(g.actor.getSnapshot().context).toMatchObject({ boundDrivers: [NOOP_ID], probes: 1 });
    g.actor.send({ type: 'DRIVER_GONE', systemId: NOOP_ID });
    expect(g.children()).toEqual(['guest1/visorbus', 'guest1/visorchipset']);
    expect(g.get(NOOP_ID)).toBeUndefined();
    expect(g.actor.getSnapshot().context).toMatchObject({ boundDrivers: [], removals: 1 });
    g.actor.send(probe); // the device can be created and probed again
    expect(g.get(NOOP_ID)).toBeDefined();
  });

  test('probes before the modules are connected are not taken: no driver runs before its bus', () => {
    const g = start();
    g.actor.send(probe);
    expect(g.children()).toEqual(['guest1/visorbus', 'guest1/visorchipset']);
  });

  test('CHIPSET_READY online and offline are recorded; STOP stops every module', () => {
    const g = start();
    g.actor.send({ type: 'MODULES_LOADED' });
    g.actor.send({ type: 'CHIPSET_ONLINE', online: true });
    expect(g.actor.getSnapshot().context.online).toBe(true);
    g.actor.send(probe);
    const chipset = g.get('guest1/visorchipset');
    g.actor.send({ type: 'STOP' });
    expect(g.actor.getSnapshot().status).toBe('done');
    expect(chipset?.getSnapshot().status).toBe('stopped');
  });

  test('graph: every state is reachable', () => {
    const events: GuestPartitionEvent[] = [{ type: 'MODULES_LOADED' }, probe, { type: 'STOP' }];
    const paths = getShortestPaths(guestPartitionMachine, {
      events,
      input,
      serializeState: (s) => JSON.stringify(s.value),
    });
    const reached = new Set(paths.map((p) => p.state.value));
    expect(reached).toEqual(new Set(Object.keys(guestPartitionMachine.root.states)));
  });

  test('with the Era A client bus, visorclientbus and virtpci are loaded too, and a virthba actor can be probed', () => {
    const actor = createActor(guestPartitionMachine, {
      input: { ...input, clientBus: true },
      clock: new SimulatedClock(),
    });
    actor.start();
    expect(Object.keys(actor.getSnapshot().children).sort()).toEqual([
      'guest1/virtpci',
      'guest1/visorbus',
      'guest1/visorchipset',
      'guest1/visorclientbus',
    ]);
    actor.send({ type: 'MODULES_LOADED' });
    actor.send({
      type: 'PROBE_DRIVER',
      module: 'virthba',
      systemId: 'guest1/virthba:1:0',
      busNo: 1,
      devNo: 0,
    });
    expect(actor.system.get('guest1/virthba:1:0')?.getSnapshot().value).toBe('matched');
  });
});
