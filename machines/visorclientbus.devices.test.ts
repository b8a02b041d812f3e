// visorclientbus's device requests (spar-protocol.md §5.11, §3.5 Era A pause path): vhba and vnic
// creates, pauses, resumes and destroys go to uislib with their own error codes and quirks; other
// device types go to visorbus.

import { describe, expect, test } from 'vitest';
import { deviceKey } from './visorclientbus.logic.js';
import {
  GUEST_ADD_VHBA,
  GUEST_ADD_VNIC,
  GUEST_DEL_VHBA,
  GUEST_PAUSE_VHBA,
  GUEST_PAUSE_VNIC,
  GUEST_RESUME_VHBA,
  GUEST_RESUME_VNIC,
} from './visoruislib.logic.js';
import {
  createDevice,
  done,
  onDevice,
  start,
  VHBA,
  VNIC,
  withDevices,
} from './visorclientbus.harness.js';

describe('visorclientbus machine', () => {
  test('vhba/vnic device creates (GUID in any case) go to uislib with their kind; failures answer -3 (vhba) and -2 (vnic)', () => {
    const h = start(
      () => 0,
      () => -605,
    );
    h.request(createDevice(1, 2, VHBA.toUpperCase()));
    h.request(createDevice(1, 3, VNIC));
    expect(h.take()).toEqual([
      { type: 'uislib.inject', msg: { msgtype: GUEST_ADD_VHBA, kind: 'vhba', busNo: 1, devNo: 2 } },
      done('createDevice', -3),
      { type: 'uislib.inject', msg: { msgtype: GUEST_ADD_VNIC, kind: 'vnic', busNo: 1, devNo: 3 } },
      done('createDevice', -2, 1, 3),
    ]);
    expect(h.context().deviceTypes).toEqual({}); // a failed create is forgotten
  });

  test('other device types go to visorbus and its status passes through; visorbus never hears of vhba/vnic devices', () => {
    const h = withDevices(() => -19);
    h.request(onDevice('pauseDevice', 1, 4));
    h.request(onDevice('pauseDevice', 1, 9)); // never created here: visorbus decides (ENODEV)
    expect(h.take()).toEqual([
      { type: 'visorbus.forward', request: onDevice('pauseDevice', 1, 4) },
      done('pauseDevice', -19, 1, 4),
      { type: 'visorbus.forward', request: onDevice('pauseDevice', 1, 9) },
      done('pauseDevice', -19, 1, 9),
    ]);
    expect(h.context().deviceTypes).toEqual({ '1/2': 'vhba', '1/3': 'vnic', '1/4': 'other' });
  });

  test('an accepted vhba/vnic pause is not answered here (the driver answers later); a failed one is: vhba -605, vnic -1', () => {
    const h = withDevices(
      () => 0,
      (r) => (r.devNo === 2 ? 0 : -605),
    );
    h.request(onDevice('pauseDevice', 1, 2));
    h.request(onDevice('pauseDevice', 1, 3));
    expect(h.take()).toEqual([
      { type: 'uislib.inject', msg: { msgtype: GUEST_PAUSE_VHBA, busNo: 1, devNo: 2 } },
      { type: 'uislib.inject', msg: { msgtype: GUEST_PAUSE_VNIC, busNo: 1, devNo: 3 } },
      done('pauseDevice', -1, 1, 3),
    ]);
    expect(h.context().pending).toEqual([]);
    const failing = withDevices(
      () => 0,
      () => -605,
    );
    failing.request(onDevice('pauseDevice', 1, 2));
    expect(failing.dones()).toEqual([done('pauseDevice', -605)]);
  });

  test('quirk vhbaStateChangeRcPositive: a failed vhba pause/resume answers +605 (success on the wire); vnic stays -1', () => {
    const h = withDevices(
      () => 0,
      () => -605,
      { quirks: { vhbaStateChangeRcPositive: true } },
    );
    h.request(onDevice('pauseDevice', 1, 2));
    h.request(onDevice('resumeDevice', 1, 2));
    h.request(onDevice('resumeDevice', 1, 3));
    expect(h.dones()).toEqual([
      done('pauseDevice', 605),
      done('resumeDevice', 605),
      done('resumeDevice', -1, 1, 3),
    ]);
  });

  test("resume is answered with uislib's result at once: 0, or vhba -605 / vnic -1", () => {
    const h = withDevices(
      () => 0,
      (r) => (r.devNo === 2 ? 0 : -605),
    );
    h.request(onDevice('resumeDevice', 1, 2));
    h.request(onDevice('resumeDevice', 1, 3));
    expect(h.take()).toEqual([
      { type: 'uislib.inject', msg: { msgtype: GUEST_RESUME_VHBA, busNo: 1, devNo: 2 } },
      done('resumeDevice', 0),
      { type: 'uislib.inject', msg: { msgtype: GUEST_RESUME_VNIC, busNo: 1, devNo: 3 } },
      done('resumeDevice', -1, 1, 3),
    ]);
  });

  test('quirk vhbaResumeNoComplete: an accepted vhba resume still goes to uislib (GUEST_RESUME_VHBA) but is never answered; a failed vhba resume and a vnic resume still are', () => {
    const quirks = { vhbaResumeNoComplete: true };
    const h = withDevices(
      () => 0,
      () => 0,
      { quirks },
    );
    h.request(onDevice('resumeDevice', 1, 2));
    expect(h.take()).toEqual([
      { type: 'uislib.inject', msg: { msgtype: GUEST_RESUME_VHBA, busNo: 1, devNo: 2 } },
    ]);
    expect(h.context().pending, 'settled here: nothing left to answer it later').toEqual([]);
    h.request(onDevice('resumeDevice', 1, 3));
    expect(h.dones()).toEqual([done('resumeDevice', 0, 1, 3)]);
    const failing = withDevices(
      () => 0,
      () => -605,
      { quirks },
    );
    failing.request(onDevice('resumeDevice', 1, 2));
    expect(failing.dones()).toEqual([done('resumeDevice', -605)]);
    // Only the resume: pauses, destroys and bus requests of the same vhba are answered as before.
    h.take();
    h.request(onDevice('destroyDevice', 1, 2));
    expect(h.dones()).toEqual([done('destroyDevice', 0)]);
  });

  test('destroy of a vhba answers 0 whatever uislib said, and forgets the type (the next request goes to visorbus)', () => {
    const h = withDevices(
      () => -19,
      () => -605,
    );
    h.request(onDevice('destroyDevice', 1, 2));
    expect(h.take()).toEqual([
      { type: 'uislib.inject', msg: { msgtype: GUEST_DEL_VHBA, busNo: 1, devNo: 2 } },
      done('destroyDevice', 0),
    ]);
    expect(h.context().deviceTypes[deviceKey(1, 2)]).toBeUndefined();
    h.request(onDevice('pauseDevice', 1, 2));
    expect(h.take().map((e) => e.type)).toEqual(['visorbus.forward', 'visorchipset.done']);
  });
});
