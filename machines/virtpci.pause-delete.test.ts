// virtpci's pause, resume and deletes of bound devices and buses (spar-protocol.md §5.12, §3.6,
// §3.7), the table errors they share, and the destroyDeviceUsesBusNo quirk.

import { describe, expect, test } from 'vitest';
import {
  GUEST_DEL_ALL_VBUSES as DEL_ALL_VBUSES,
  GUEST_DEL_ALL_VHBAS as DEL_ALL_VHBAS,
  GUEST_DEL_VBUS as DEL_VBUS,
  GUEST_DEL_VHBA as DEL_VHBA,
  GUEST_PAUSE_VHBA as PAUSE_VHBA,
  GUEST_PAUSE_VNIC as PAUSE_VNIC,
  GUEST_RESUME_VHBA as RESUME_VHBA,
} from './visoruislib.logic.js';
import { addVhba, addVnic, ALL, done, onDevice, withVhba } from './virtpci.harness.js';
import { defined } from './testing/defined.js';

describe('virtpci machine', () => {
  test('pause calls suspend and answers 0 on 1, -605 on 0; the device is bound again either way', () => {
    const h = withVhba({ ...ALL, suspend: undefined });
    h.send(onDevice(PAUSE_VHBA));
    expect(h.take()).toEqual([{ type: 'driver.suspend', driver: 'virthba', busNo: 1, devNo: 10 }]);
    expect(h.device()).toMatchObject({ phase: 'suspending', msgtype: PAUSE_VHBA });
    h.answer(defined(h.pending.shift()), { suspend: 1 });
    h.send(onDevice(PAUSE_VHBA));
    h.answer(defined(h.pending.shift()), { suspend: 0 });
    expect(h.dones()).toEqual([done(PAUSE_VHBA, 0), done(PAUSE_VHBA, -605)]);
    expect(h.device()?.phase).toBe('bound');
  });

  test('pause/resume/destroy table errors: -500 missing bus, -501 devNo >= devCount, -1 no device; a wrong kind is -605', () => {
    const h = withVhba();
    h.send(onDevice(PAUSE_VHBA, 9, 0));
    h.send(onDevice(RESUME_VHBA, 1, 16));
    h.send(onDevice(DEL_VHBA, 1, 11));
    h.send(onDevice(PAUSE_VNIC, 1, 10));
    expect(h.take()).toEqual([
      done(PAUSE_VHBA, -500, 9, 0),
      done(RESUME_VHBA, -501, 1, 16),
      done(DEL_VHBA, -1, 1, 11),
      done(PAUSE_VNIC, -605),
    ]);
  });

  test('a request for a device busy with another driver call is -605, and the first call is still answered once', () => {
    const h = withVhba({ ...ALL, suspend: undefined });
    h.send(onDevice(PAUSE_VHBA));
    h.send(onDevice(RESUME_VHBA));
    h.answer(defined(h.pending.shift()), { suspend: 1 });
    expect(h.dones()).toEqual([done(RESUME_VHBA, -605), done(PAUSE_VHBA, 0)]);
  });

  test('resume rewrites the device, chipset and bus records before calling resume; 1 → 0, 0 → -605', () => {
    const h = withVhba({ ...ALL, resume: 0 });
    h.send(onDevice(RESUME_VHBA));
    expect(h.take().map((e) => (e.type === 'vbus.write' ? `write ${e.record}` : e.type))).toEqual([
      'write device',
      'write chipset',
      'write bus',
      'driver.resume',
      'uislib.done',
    ]);
    expect(h.dones()).toEqual([]);
    h.send(onDevice(RESUME_VHBA));
    expect(h.dones()).toEqual([done(RESUME_VHBA, -605)]);
  });

  test('delete vhba calls remove and answers 0 only after the driver removed; the slot is then free', () => {
    const h = withVhba({ ...ALL, remove: undefined });
    h.send(onDevice(DEL_VHBA));
    expect(h.take()).toEqual([{ type: 'driver.remove', driver: 'virthba', busNo: 1, devNo: 10 }]);
    expect(h.slot()).toEqual({ kind: 'vhba', state: 'present' });
    h.answer(defined(h.pending.shift()), {});
    expect(h.take()).toEqual([done(DEL_VHBA, 0)]);
    expect([h.device(), h.slot()]).toEqual([undefined, undefined]);
  });

  test('delete vbus: -700 while a device is attached, 0 once it is gone, -1 when already gone', () => {
    const h = withVhba();
    h.send({ msgtype: DEL_VBUS, busNo: 1 });
    h.send(onDevice(DEL_VHBA));
    h.send({ msgtype: DEL_VBUS, busNo: 1 });
    h.send({ msgtype: DEL_VBUS, busNo: 1 });
    expect(h.dones()).toEqual([
      done(DEL_VBUS, -700, 1, null),
      done(DEL_VHBA, 0),
      done(DEL_VBUS, 0, 1, null),
      done(DEL_VBUS, -1, 1, null),
    ]);
  });

  test('delete all vhbas removes every vhba of the bus (not its vnics) at once; delete all vbuses empties everything', () => {
    const h = withVhba();
    h.send(addVhba(1, 11, '5001438001234568'));
    h.send(addVnic(1, 12));
    h.take();
    h.send({ msgtype: DEL_ALL_VHBAS, busNo: 1 });
    const removes = h.take();
    expect(
      removes
        .filter((e) => e.type === 'driver.remove')
        .map((e) => 'devNo' in e && e.devNo)
        .sort(),
    ).toEqual([10, 11]);
    expect(removes.at(-1)).toEqual(done(DEL_ALL_VHBAS, 0, 1, null));
    expect(Object.keys(h.actor.getSnapshot().context.devices)).toEqual(['1/12']);
    expect([h.slot(1, 10), h.slot(1, 12)?.state]).toEqual([undefined, 'present']);
    h.send({ msgtype: DEL_ALL_VBUSES, busNo: 0 });
    expect(h.take()).toEqual([
      { type: 'driver.remove', driver: 'virtnic', busNo: 1, devNo: 12 },
      done(DEL_ALL_VBUSES, 0, 0, null),
    ]);
    expect(h.actor.getSnapshot().context).toMatchObject({ devices: {}, table: { buses: {} } });
    expect(h.actor.getSnapshot().context.strayAnswers).toBe(3); // the three DRIVER_REMOVED came after
  });

  test('delete all fails -605 on a missing bus or while a device in scope is busy, and changes nothing', () => {
    const h = withVhba({ ...ALL, suspend: undefined });
    h.send({ msgtype: DEL_ALL_VHBAS, busNo: 5 });
    h.send(onDevice(PAUSE_VHBA));
    h.send({ msgtype: DEL_ALL_VBUSES, busNo: 1 });
    expect(h.dones()).toEqual([
      done(DEL_ALL_VHBAS, -605, 5, null),
      done(DEL_ALL_VBUSES, -605, 1, null),
    ]);
    expect(h.device()?.phase).toBe('suspending');
  });

  test('quirk destroyDeviceUsesBusNo: deleting 1/10 looks at slot 1/1, answers -1, leaves 1/10 bound, and the bus then cannot go (-700)', () => {
    const h = withVhba(ALL, { quirks: { destroyDeviceUsesBusNo: true } });
    h.send(onDevice(DEL_VHBA));
    h.send({ msgtype: DEL_VBUS, busNo: 1 });
    expect(h.dones()).toEqual([done(DEL_VHBA, -1), done(DEL_VBUS, -700, 1, null)]);
    expect(h.device()?.phase).toBe('bound');
    expect(h.effects.some((e) => e.type === 'driver.remove')).toBe(false);
  });
});
