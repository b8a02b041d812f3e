// visorbus's pause and resume (spar-protocol.md §3.5): each answered exactly once whatever order
// the driver's return and its completion come in, EBUSY while one is running, and nothing at all
// for a device with no driver bound.

import { describe, expect, test } from 'vitest';
import {
  call,
  createBus,
  createDevice,
  done,
  onDevice,
  start,
  UNKNOWN,
  visorhba,
  withBoundDevice,
} from './visorbus.harness.js';
import { defined } from './testing/defined.js';

describe('visorbus machine', () => {
  test.each([
    { how: 'completes with -5', policy: { complete: -5 }, status: -5 },
    { how: 'does not start it (returns -16)', policy: { started: -16 }, status: -16 },
    { how: 'completes, then returns -5', policy: { completeFirst: true, started: -5 }, status: 0 },
  ])('a pause is answered exactly once when the driver $how, with status $status', (c) => {
    const h = withBoundDevice(c.policy);
    h.request(onDevice('pauseDevice'));
    h.send({ type: 'DRIVER_STATE_COMPLETE', busNo: 1, devNo: 2, status: 0 }); // a late, extra one
    expect(h.take()).toEqual([call('driver.pause'), done('pauseDevice', c.status)]);
    expect(h.device()?.pausing).toBe(false);
    expect(h.actor.getSnapshot().context.spuriousCompletions).toBe(1);
  });

  test('a second pause while pausing gets EBUSY, and the first is still answered once', () => {
    const h = withBoundDevice({ complete: 'later' });
    h.request(onDevice('pauseDevice'));
    h.request(onDevice('pauseDevice'));
    h.request(onDevice('resumeDevice'));
    const busy = [done('pauseDevice', -16), done('resumeDevice', -16)];
    expect(h.take()).toEqual([call('driver.pause'), ...busy]);
    h.answer(defined(h.pending.splice(0)[0]), {});
    expect(h.take()).toEqual([done('pauseDevice', 0)]);
  });

  test('resume rewrites the device record before calling driver.resume, then answers the completion', () => {
    const h = withBoundDevice();
    h.request(onDevice('resumeDevice'));
    expect(h.take()).toEqual([
      { type: 'vbus.write', busNo: 1, record: 'device', devNo: 2, drvname: 'visorhba' },
      call('driver.resume'),
      done('resumeDevice', 0),
    ]);
  });

  test('pause or resume with no driver bound produces nothing at all: no done and no driver call', () => {
    const h = start([visorhba], { probe: -19 }); // the channel check stays out until answered
    h.request(createBus(1));
    h.request(createDevice(1, 1, UNKNOWN)); // no driver matches
    h.request(createDevice(1, 2));
    h.take();
    for (const devNo of [1, 2]) {
      h.request(onDevice('pauseDevice', 1, devNo));
      h.request(onDevice('resumeDevice', 1, devNo));
    }
    expect(h.take()).toEqual([]);
    h.answer(defined(h.pending.splice(0)[0]), { check: true }); // then the probe fails
    h.take();
    h.request(onDevice('pauseDevice'));
    expect(h.take()).toEqual([]);
  });
});
