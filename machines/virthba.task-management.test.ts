// virthba's task management (spar-protocol.md §4.2, §7): the 45 s wait per request under an
// explicit timer id, and what ends it.

import { describe, expect, test } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { virthbaMachine } from './virthba.machine.js';
import type { VirthbaEvent } from './virthba.types.js';
import { done, hba, runEvents, scsi, tmf, VDEST } from './virthba.harness.js';
import { DID_RESET } from './virthba.logic.js';
import { AT, INPUT } from './virtpci-driver.contract.js';

describe('virthba IO path: task management (§4.2, §7)', () => {
  test('a task-management request waits 45 s from its insert under timer id taskmgmt.<slot>, then fails and frees its slot', () => {
    const [s0] = initialTransition(virthbaMachine, INPUT);
    const [s1] = transition(
      virthbaMachine,
      transition(virthbaMachine, s0, { type: 'PROBE' })[0],
      scsi(1),
    );
    const [, actions] = transition(virthbaMachine, s1, tmf(7));
    const raise = actions.find((a) => a.type === 'xstate.raise');
    expect(raise?.params).toEqual({
      event: { type: 'TASKMGMT_TIMEOUT', slot: 1, tag: 7 },
      id: 'taskmgmt.1',
      delay: 45_000,
    });
    const h = hba();
    h.send(tmf(7));
    expect(h.take()).toEqual([
      { type: 'channel.insertTaskMgmt', ...AT, slot: 0, tag: 7, tasktype: 1, vdest: VDEST },
    ]);
    h.clock.increment(44_999);
    expect(h.take()).toEqual([]);
    h.clock.increment(1);
    expect(h.take()).toEqual([{ type: 'taskmgmt.complete', ...AT, tag: 7, outcome: 'failed' }]);
    expect(h.table()).toEqual({});
    expect(h.ctx().counts.taskMgmtTimeouts).toBe(1);
  });

  test('a response is success whatever its result, and cancels the wait', () => {
    const h = hba();
    h.send(tmf(7), tmf(8));
    h.ring.push(
      { type: 'TASKMGMT_RESPONSE', handle: 1, result: 0, more: false },
      { type: 'TASKMGMT_RESPONSE', handle: 0, result: 2, more: false },
    );
    h.send({ type: 'CHANNEL_INTERRUPT' });
    h.clock.increment(45_000);
    expect(h.completions()).toEqual([
      { type: 'taskmgmt.complete', ...AT, tag: 8, outcome: 'success', result: 0 },
      { type: 'taskmgmt.complete', ...AT, tag: 7, outcome: 'success', result: 2 },
    ]);
    expect(h.ctx().counts.taskMgmtTimeouts).toBe(0);
  });

  test('a response, a failed insert, a pause and a remove each cancel the wait by its id taskmgmt.<slot>', () => {
    const cancels = (events: VirthbaEvent[], last: VirthbaEvent) => {
      const from = runEvents(events).snapshot;
      const [, actions] = transition(virthbaMachine, from, last);
      return (actions as readonly { type: string; params: unknown }[])
        .filter((a) => a.type === 'xstate.cancel')
        .map((a) => a.params);
    };
    const waiting: VirthbaEvent[] = [scsi(1), tmf(7)];
    expect(
      cancels(waiting, { type: 'TASKMGMT_RESPONSE', handle: 1, result: 0, more: false }),
    ).toEqual([{ sendId: 'taskmgmt.1' }]);
    expect(cancels(waiting, { type: 'INSERT_FAILED', slot: 1, tag: 7 })).toEqual([
      { sendId: 'taskmgmt.1' },
    ]);
    expect(cancels(waiting, { type: 'INSERT_FAILED', slot: 0, tag: 1 })).toEqual([]);
    expect(cancels(waiting, { type: 'REMOVE' })).toEqual([{ sendId: 'taskmgmt.1' }]);
    expect(cancels(waiting, { type: 'SUSPEND' })).toEqual([{ sendId: 'taskmgmt.1' }]);
  });

  test('a full table or a failed insert fails the request at once', () => {
    const full = hba({ maxPending: 1 });
    full.send(scsi(1), tmf(2));
    expect(full.completions()).toEqual([
      { type: 'taskmgmt.complete', ...AT, tag: 2, outcome: 'failed' },
    ]);
    const refused = hba({ insertOk: () => false });
    refused.send(tmf(3));
    expect(refused.completions()).toEqual([
      { type: 'taskmgmt.complete', ...AT, tag: 3, outcome: 'failed' },
    ]);
    expect(refused.table()).toEqual({});
    refused.clock.increment(45_000);
    expect(refused.completions()).toHaveLength(1);
    expect(refused.ctx().counts).toMatchObject({
      insertFailures: 1,
      taskMgmtFailed: 1,
      taskMgmtTimeouts: 0,
    });
  });

  test('a success completes the commands in its scope pending at its insert with DID_RESET, before itself; others keep their slots', () => {
    const other = { channel: 0, id: 2, lun: 0 };
    const h = hba();
    // 1: covered; 2: another target; 7: the abort; 3: inserted after the abort.
    h.send(scsi(1), { ...scsi(2), vdest: other } as VirthbaEvent, tmf(7), scsi(3));
    h.ring.push({ type: 'TASKMGMT_RESPONSE', handle: 2, result: 1, more: false });
    h.send({ type: 'CHANNEL_INTERRUPT' });
    expect(h.completions()).toEqual([
      done(1, DID_RESET << 16),
      { type: 'taskmgmt.complete', ...AT, tag: 7, outcome: 'success', result: 1 },
    ]);
    expect(Object.values(h.table()).sort()).toEqual([2, 3]);
    expect(h.ctx().counts.scsiResetByTaskMgmt).toBe(1);
  });

  test('a bus reset covers every target of its SCSI channel; a command answered before the success is not completed twice', () => {
    const other = { channel: 0, id: 2, lun: 0 };
    const h = hba();
    h.send(scsi(1), { ...scsi(2), vdest: other } as VirthbaEvent, {
      type: 'TASK_MGMT',
      tag: 7,
      tasktype: 2,
      vdest: VDEST,
    });
    h.ring.push(
      {
        type: 'SCSI_RESPONSE',
        handle: 0,
        linuxstat: 0,
        sense: null,
        noDiskResult: false,
        more: false,
      },
      { type: 'TASKMGMT_RESPONSE', handle: 2, result: 1, more: false },
    );
    h.send({ type: 'CHANNEL_INTERRUPT' });
    expect(h.completions()).toEqual([
      done(1),
      done(2, DID_RESET << 16),
      { type: 'taskmgmt.complete', ...AT, tag: 7, outcome: 'success', result: 1 },
    ]);
    expect(h.table()).toEqual({});
  });
});
