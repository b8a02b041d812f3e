// visorchipset's DEVICE_CHANGESTATE (spar-protocol.md §2.6, §2.10, §3.5): pause and resume answered
// after visorbus completes, one pending per device, paused (0x77) never answered, and para-hotplug.

import { describe, expect, test } from 'vitest';
import { CONTROLVM_ID as ID } from '../src/protocol/controlvm.js';
import { broughtUp, changeState, devCmd, failedWith, ok, start } from './visorchipset.harness.js';

describe('visorchipset machine', () => {
  test('pause and resume are answered after visorbus completes, carrying bus_no, dev_no and 0x73/0xF7', () => {
    const h = broughtUp((r) =>
      r.kind === 'pauseDevice' || r.kind === 'resumeDevice' ? 'hold' : 0,
    );
    const pause = changeState(1, 2, 0x73);
    h.poll(pause);
    expect(h.responseTo(pause)).toEqual([]);
    expect(h.held).toEqual([{ kind: 'pauseDevice', busNo: 1, devNo: 2 }]);
    h.release();
    const reply = { id: 0x204, busNo: 1, devNo: 2 };
    expect(h.responseTo(pause)).toEqual([
      { ...reply, messageHandle: pause.messageHandle, ...ok, state: 0x73 },
    ]);
    const resume = changeState(1, 2, 0xf7);
    h.poll(resume);
    h.release(-5); // a failing completion is answered with failed and the errno negated
    expect(h.responseTo(resume)).toEqual([
      { ...reply, messageHandle: resume.messageHandle, ...failedWith(5), state: 0xf7 },
    ]);
  });

  test('a second CHANGESTATE while one is pending gets EIO, and the first is still answered once', () => {
    const h = broughtUp((r) => (r.kind === 'pauseDevice' ? 'hold' : 0));
    const [first, second] = [changeState(1, 2, 0x73), changeState(1, 2, 0xf7)];
    h.poll(first, second);
    expect(h.responseTo(second)).toEqual([expect.objectContaining(failedWith(5))]);
    h.release();
    expect(h.responseTo(first)).toEqual([expect.objectContaining({ ...ok, state: 0x73 })]);
  });

  test('CHANGESTATE to paused (0x77) is never answered and leaves the device pending (EIO after)', () => {
    const h = broughtUp();
    const [paused, destroy] = [changeState(1, 2, 0x77), devCmd(ID.CONTROLVM_DEVICE_DESTROY, 1, 2)];
    h.poll(paused, destroy);
    h.clock.increment(60_000);
    expect(h.responseTo(paused)).toEqual([]);
    expect(
      h.effects.filter((e) => e.type === 'visorbus.request' && e.request.kind === 'pauseDevice'),
    ).toEqual([]);
    expect(h.responseTo(destroy)).toEqual([expect.objectContaining(failedWith(5))]);
  });

  test('para-hotplug enable is answered at once; a disable fails with 1400 exactly 2000 ms later', () => {
    const h = start();
    const [enable, disable] = [
      changeState(1, 0x0b, 0x73 | 0x02, true),
      changeState(1, 0x0b, 0x71, true),
    ];
    h.poll(enable, disable);
    const sentAt = h.clock.now();
    const reply = { id: 0x204, physDevice: true };
    expect(h.responseTo(enable)).toEqual([
      { ...reply, messageHandle: enable.messageHandle, ...ok, state: 0x73 },
    ]);
    const uevent = {
      type: 'chipset.uevent',
      kind: 'parahotplug',
      busNo: 1,
      device: 1,
      function: 3,
    };
    expect(h.effects.filter((e) => e.type === 'chipset.uevent')).toEqual([
      { ...uevent, requestId: 1, active: true },
      { ...uevent, requestId: 2, active: false },
    ]);
    h.clock.increment(1999);
    expect(h.responseTo(disable)).toEqual([]);
    h.clock.increment(1);
    expect(h.clock.now() - sentAt).toBe(2000);
    const timedOut = {
      ...reply,
      messageHandle: disable.messageHandle,
      ...failedWith(1400),
      state: 0x71,
    };
    expect(h.responseTo(disable)).toEqual([timedOut]);
    expect(h.actor.getSnapshot().context.parahotplug).toEqual([]);
  });
});
