// virtpci's device adds (spar-protocol.md §5.12, §5.7, §3.6): the server wait, ATTACHED, the
// probe and the records, and every way an add fails.

import { describe, expect, test } from 'vitest';
import { SERVER_WAIT_INTERVAL_MS } from './virtpci.logic.js';
import {
  GUEST_ADD_VBUS as ADD_VBUS,
  GUEST_ADD_VHBA as ADD_VHBA,
  GUEST_ADD_VNIC as ADD_VNIC,
  GUEST_DEL_VHBA as DEL_VHBA,
  GUEST_PAUSE_VHBA as PAUSE_VHBA,
} from './visoruislib.logic.js';
import {
  addVbus,
  addVhba,
  addVnic,
  ALL,
  done,
  MAC,
  onDevice,
  start,
  WWNN,
} from './virtpci.harness.js';
import { defined } from './testing/defined.js';

describe('virtpci machine', () => {
  test('add vhba: server ready → ATTACHED → probe virthba → vHBA record by uisvirthba (then chipset/bus rewritten) → done 0', () => {
    const h = start(ALL);
    h.send(addVbus(1));
    h.take();
    h.send(addVhba(1, 10, WWNN.toUpperCase()));
    const at = { busNo: 1, devNo: 10 };
    expect(h.take()).toEqual([
      { type: 'channel.readServerState', ...at },
      { type: 'channel.setClientStateAttached', ...at },
      { type: 'driver.probe', driver: 'virthba', ...at },
      { type: 'vbus.write', ...at, record: 'device', devtype: 'vHBA', drvname: 'uisvirthba' },
      { type: 'vbus.write', busNo: 1, record: 'chipset', devtype: 'chipset', drvname: 'uislib' },
      { type: 'vbus.write', busNo: 1, record: 'bus', devtype: 'clientbus', drvname: 'virtpci' },
      done(ADD_VHBA, 0),
    ]);
    expect(h.device()).toMatchObject({
      name: '1:a',
      kind: 'vhba',
      identity: WWNN,
      phase: 'bound',
      msgtype: null,
    });
    expect(h.slot()).toEqual({ kind: 'vhba', state: 'present' });
  });

  test('add vnic probes virtnic and records a vNIC by uisvirtnic', () => {
    const h = start(ALL);
    h.send(addVbus(2));
    h.send(addVnic(2, 0));
    expect(h.effects).toContainEqual({
      type: 'driver.probe',
      driver: 'virtnic',
      busNo: 2,
      devNo: 0,
    });
    expect(h.effects).toContainEqual({
      type: 'vbus.write',
      busNo: 2,
      devNo: 0,
      record: 'device',
      devtype: 'vNIC',
      drvname: 'uisvirtnic',
    });
    expect(h.dones().at(-1)).toEqual(done(ADD_VNIC, 0, 2, 0));
  });

  test('add device: -500 on a missing bus, -202 when devNo >= devCount, -1 while the slot is being added', () => {
    const h = start({}); // reads stay unanswered: the first add keeps its slot reserved
    h.send(addVhba(1, 0));
    h.send(addVbus(1, 4));
    h.send(addVhba(1, 4));
    h.send(addVhba(1, 3));
    h.send(addVnic(1, 3));
    expect(h.dones()).toEqual([
      done(ADD_VHBA, -500, 1, 0),
      done(ADD_VBUS, 0, 1, null),
      done(ADD_VHBA, -202, 1, 4),
      done(ADD_VNIC, -1, 1, 3),
    ]);
    expect(h.effects.filter((e) => e.type === 'channel.readServerState')).toHaveLength(1);
  });

  test('the server wait reads srv_state every 1000 ms under the explicit id serverWait.<bus>.<dev> until READY', () => {
    const h = start({ ready: (n) => n >= 4, probe: 0 });
    h.send(addVbus(1));
    h.send(addVhba(1, 10));
    expect(h.reads.get('1/10')).toBe(1);
    const scheduled = Object.values(h.actor.system.getSnapshot()._scheduledEvents);
    expect(scheduled.map((s) => [s.id, s.delay])).toEqual([
      ['serverWait.1.10', SERVER_WAIT_INTERVAL_MS],
    ]);
    h.advance(999);
    expect(h.reads.get('1/10')).toBe(1);
    h.advance(1);
    expect(h.reads.get('1/10')).toBe(2);
    h.advance(2000);
    expect(h.reads.get('1/10')).toBe(4);
    expect(h.device()?.phase).toBe('bound');
    expect(h.dones().at(-1)).toEqual(done(ADD_VHBA, 0));
    h.advance(10_000);
    expect(h.reads.get('1/10')).toBe(4); // no timer left behind
  });

  test('a channel never READY fails the add with -605 after 120 reads and 120 s, frees the slot, never probes', () => {
    const h = start({ ready: () => false, probe: 0 });
    h.send(addVbus(1));
    h.send(addVhba(1, 10));
    h.advance(119_999);
    expect(h.reads.get('1/10')).toBe(120);
    expect(h.dones().filter((e) => e.msgtype === ADD_VHBA)).toEqual([]);
    h.advance(1);
    expect(h.dones().filter((e) => e.msgtype === ADD_VHBA)).toEqual([done(ADD_VHBA, -605)]);
    expect(
      h.effects.some(
        (e) => e.type === 'driver.probe' || e.type === 'channel.setClientStateAttached',
      ),
    ).toBe(false);
    expect([h.device(), h.slot()]).toEqual([undefined, undefined]);
    h.advance(60_000);
    expect(h.reads.get('1/10')).toBe(120);
  });

  test('a duplicate WWNN (any case, any bus) or MAC is rejected with -605 after the server wait, and the slot is freed', () => {
    const h = start(ALL);
    h.send(addVbus(1));
    h.send(addVbus(2));
    h.send(addVhba(1, 10));
    h.send(addVhba(2, 3, WWNN.toUpperCase()));
    h.send(addVnic(1, 1));
    h.send(addVnic(1, 2, MAC.toUpperCase()));
    h.send(addVnic(1, 4, '00:16:3e:00:00:02'));
    const adds = h.dones().filter((e) => e.msgtype !== ADD_VBUS);
    expect(adds.map((e) => e.status)).toEqual([0, -605, 0, -605, 0]);
    expect([h.slot(2, 3), h.slot(1, 2)]).toEqual([undefined, undefined]);
    expect(h.effects.filter((e) => e.type === 'driver.probe')).toHaveLength(3);
  });

  test('of two adds with one WWNN waiting together, the first to see READY binds and the second is the duplicate', () => {
    const h = start({ probe: 0 });
    h.send(addVbus(1));
    h.send(addVhba(1, 1));
    h.send(addVhba(1, 2));
    const [first, second] = h.pending.splice(0);
    h.answer(defined(second), { ready: () => true });
    h.answer(defined(first), { ready: () => true });
    expect(h.dones().filter((e) => e.msgtype === ADD_VHBA)).toEqual([
      done(ADD_VHBA, 0, 1, 2),
      done(ADD_VHBA, -605, 1, 1),
    ]);
  });

  test('a failed probe still answers 0 (device_register succeeds) and leaves the device unbound, without a device record', () => {
    const h = start({ ...ALL, probe: -19 });
    h.send(addVbus(1));
    h.send(addVhba(1, 10));
    expect(h.dones().at(-1)).toEqual(done(ADD_VHBA, 0));
    expect(h.device()?.phase).toBe('unbound');
    expect(h.effects.some((e) => e.type === 'vbus.write' && e.record === 'device')).toBe(false);
    h.take();
    h.send(onDevice(PAUSE_VHBA));
    h.send(onDevice(DEL_VHBA));
    expect(h.take()).toEqual([done(PAUSE_VHBA, -605), done(DEL_VHBA, 0)]);
    expect([h.device(), h.slot()]).toEqual([undefined, undefined]);
  });
});
