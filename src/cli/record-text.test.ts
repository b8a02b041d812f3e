import { describe, expect, test } from 'vitest';
import type { TraceRecord } from '../partition/environment.js';
import type { FaultRecord } from '../run/faults.js';
import { readableDetail, readableEvent, statusMeaning } from './record-text.js';

const record = (over: Partial<TraceRecord> & { text?: string }): TraceRecord => {
  const { text, ...rest } = over;
  return {
    atMs: 0,
    partition: 'guest1',
    actor: 'guest1/visorchipset',
    event: 'controlvm.respond',
    state: '"running"',
    ...(text === undefined ? {} : { detail: { text } }),
    ...rest,
  };
};

const fault = (over: Partial<FaultRecord>): FaultRecord => ({
  index: 0,
  action: 'crash',
  partition: 'guest1',
  atMs: 0,
  refused: null,
  ...over,
});

describe('record-text', () => {
  test('smoke: a delayed transition reads as the delay that elapsed, not as an XState id', () => {
    expect(readableEvent('xstate.after.rebootDelay.rebooting')).toBe(
      'after rebootDelay (rebooting)',
    );
  });

  test("XState's other internal events read as words; other events stay as recorded", () => {
    expect(readableEvent('xstate.after.pollInterval')).toBe('after pollInterval');
    expect(readableEvent('xstate.after.watchdog.cp.recovery.waiting')).toBe(
      'after watchdog (cp.recovery.waiting)',
    );
    expect(readableEvent('xstate.init')).toBe('start');
    expect(readableEvent('xstate.stop')).toBe('stop');
    expect(readableEvent('xstate.done.actor.guest1/visorbus')).toBe('guest1/visorbus done');
    expect(readableEvent('xstate.error.actor.guest1/visorbus')).toBe('guest1/visorbus failed');
    expect(readableEvent('xstate.done.state.lifecycle.up')).toBe('lifecycle.up finished');
    expect(readableEvent('xstate.something.new')).toBe('something new');
    for (const e of ['CRASH', 'controlvm.send', 'cp.guestFailed']) expect(readableEvent(e)).toBe(e);
  });

  test('a failed completion status prints its name from the reference; success stays bare', () => {
    const r = record({ text: 'CONTROLVM_BUS_CONFIGURE handle=3 status=22' });
    expect(readableDetail(r)).toBe('CONTROLVM_BUS_CONFIGURE handle=3 status=22 (EINVAL)');
    const ok = record({ text: 'CONTROLVM_BUS_CREATE handle=2 status=0' });
    expect(readableDetail(ok)).toBe('CONTROLVM_BUS_CREATE handle=2 status=0');
  });

  test('statuses: negated errnos, CONTROLVM_RESP codes, numbers with two names, unnamed ones', () => {
    expect(statusMeaning('visorchipset.done', -19)).toBe('ENODEV');
    expect(statusMeaning('controlvm.respond', 4)).toBe('CONTROLVM_RESP_ID_UNKNOWN');
    expect(statusMeaning('uislib.done', -605)).toBe('CONTROLVM_RESP_VIRTPCI_DRIVER_CALLBACK_ERROR');
    expect(statusMeaning('controlvm.respond', 5)).toBe(
      'EIO or CONTROLVM_RESP_ID_INVALID_FOR_CLIENT',
    );
    expect(statusMeaning('controlvm.respond', 1)).toBe('CONTROLVM_RESP_ALREADY_DONE');
    expect(statusMeaning('controlvm.respond', 7)).toBe('not named by the reference');
  });

  test("a driver's pause and resume return 1 when done and 0 when a state change was under way", () => {
    expect(statusMeaning('driver.suspended', 1)).toBe('done');
    expect(statusMeaning('driver.resumed', 0)).toBe('refused: a state change was under way');
    const r = record({ event: 'driver.suspended', text: 'vbus2:dev0 status=1' });
    expect(readableDetail(r)).toBe('vbus2:dev0 status=1 (done)');
  });

  test("the lifecycle record of an injected fault says so; one the fault did not cause doesn't", () => {
    const crash = record({
      actor: 'guest1/lifecycle',
      event: 'CRASH',
      atMs: 20.5,
      text: 'crashed',
    });
    const faults = [fault({ atMs: 20 })];
    expect(readableDetail(crash, faults)).toBe('crashed — injected fault 0');
    expect(readableDetail(crash, [])).toBe('crashed');
    // A reboot the CP's watchdog asked for, long after an injected reboot.
    const reboot = record({ actor: 'iosp0/lifecycle', partition: 'iosp0', event: 'REBOOT' });
    const injected = [fault({ action: 'reboot', partition: 'iosp0', atMs: 0 })];
    expect(readableDetail({ ...reboot, atMs: 0 }, injected)).toBe('— injected fault 0');
    expect(readableDetail({ ...reboot, atMs: 1100 }, injected)).toBe('');
    // Two injected reboots: each record finds its own fault.
    const two = [...injected, fault({ index: 1, action: 'reboot', partition: 'iosp0', atMs: 40 })];
    expect(readableDetail({ ...reboot, atMs: 40 }, two)).toBe('— injected fault 1');
  });

  test('a failure on a partition an injected fault hit reads as its consequence', () => {
    const faults = [fault({ atMs: 0 }), fault({ index: 1, action: 'reboot', atMs: 200 })];
    const failed = record({
      actor: 'cp/command-partition',
      partition: 'cp',
      event: 'cp.guestFailed',
      atMs: 301,
      text: 'guest=guest1',
    });
    expect(readableDetail(failed, faults)).toBe(
      'guest=guest1 — after injected faults 0 (crash), 1 (reboot) on guest1',
    );
    const answer = record({ atMs: 301, text: 'CONTROLVM_BUS_CONFIGURE handle=3 status=22' });
    expect(readableDetail(answer, faults)).toBe(
      'CONTROLVM_BUS_CONFIGURE handle=3 status=22 (EINVAL) — after injected faults 0 (crash), 1 (reboot) on guest1',
    );
    // Not before the fault, not for another partition, not for success.
    expect(readableDetail({ ...failed, atMs: 0 }, [fault({ atMs: 10 })])).toBe('guest=guest1');
    expect(readableDetail(failed, [fault({ partition: 'guest2' })])).toBe('guest=guest1');
    const fine = record({ atMs: 301, text: 'CONTROLVM_BUS_CONFIGURE handle=3 status=0' });
    expect(readableDetail(fine, faults)).toBe('CONTROLVM_BUS_CONFIGURE handle=3 status=0');
  });

  test('a refused or unfired fault explains nothing', () => {
    const crash = record({ actor: 'guest1/lifecycle', event: 'CRASH', text: 'crashed' });
    expect(readableDetail(crash, [fault({ refused: 'partition is off' })])).toBe('crashed');
    expect(readableDetail(crash, [fault({ atMs: null })])).toBe('crashed');
  });
});
