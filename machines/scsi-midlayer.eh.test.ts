// The SCSI midlayer's error handler (spar-protocol.md §4.2 "Error-handler"; rules in
// scsi-midlayer.eh.ts): a command at virthba past sd's 30 s timeout is aborted, escalated to LUN,
// bus and host reset while each step fails, and retried or failed exactly once, only after virthba
// gave the command back.

import { describe, expect, test } from 'vitest';
import type { ScsiMidlayerEvent } from './scsi-midlayer.types.js';
import { SD_MAX_RETRIES, SD_TIMEOUT_MS } from './scsi-midlayer.logic.js';
import {
  AT,
  busyFor,
  DID_RESET,
  doneWith,
  midlayer,
  origin,
  read,
  TARGET,
  write,
} from './scsi-midlayer.harness.js';

const tmfDone = (tag: number, outcome: 'success' | 'failed'): ScsiMidlayerEvent => ({
  type: 'TASKMGMT_COMPLETE',
  tag,
  outcome,
});
const tmf = (id: number, tag: number, tasktype: number) => ({
  type: 'hba.taskMgmt',
  ...AT,
  id,
  tag,
  tasktype,
  vdest: TARGET,
});

describe('scsi-midlayer error handler', () => {
  test('smoke: a command still at the HBA after 30 s is aborted; after the abort succeeds and virthba gives it back, it is retried once under a new tag', () => {
    const m = midlayer();
    m.send(write(1));
    m.clock.increment(SD_TIMEOUT_MS - 1);
    expect(m.take().map((e) => e.type)).toEqual(['hba.queue']);
    m.clock.increment(1);
    expect(m.take()).toEqual([tmf(1, 2, 1)]);
    m.send(tmfDone(2, 'success'));
    expect(m.take()).toEqual([]); // virthba still holds tag 1
    m.send(doneWith(1, DID_RESET));
    const [retry] = m.take();
    expect(retry).toMatchObject({ type: 'hba.queue', id: 1, tag: 3 });
    m.send(doneWith(3, 0));
    expect(m.dones()).toEqual([
      { type: 'request.done', ...AT, id: 1, origin: origin(1), ok: true },
    ]);
    expect(m.ctx().counts).toMatchObject({ commandTimeouts: 1, aborts: 1, resetRetries: 1 });
  });

  test('a completion before the timeout cancels it; a busy bounce re-arms it from the requeue', () => {
    const m = midlayer();
    m.send(read(1));
    m.clock.increment(10_000);
    m.send(busyFor(1));
    m.clock.increment(3 + SD_TIMEOUT_MS - 1);
    expect(m.take().filter((e) => e.type === 'hba.taskMgmt')).toEqual([]);
    m.send(doneWith(1, 0));
    m.clock.increment(SD_TIMEOUT_MS);
    expect(m.ctx().counts.commandTimeouts).toBe(0);
    expect(m.dones()).toHaveLength(1);
  });

  test('each failed step escalates: abort, LUN reset, bus reset, then host reset (nothing sent)', () => {
    const m = midlayer();
    m.send(read(1));
    m.clock.increment(SD_TIMEOUT_MS);
    m.send(tmfDone(2, 'failed'), tmfDone(3, 'failed'), tmfDone(4, 'failed'));
    expect(m.take().slice(1)).toEqual([tmf(1, 2, 1), tmf(1, 3, 3), tmf(1, 4, 2)]);
    expect(m.ctx().counts).toMatchObject({ aborts: 1, lunResets: 1, busResets: 1, hostResets: 1 });
    // After the host reset the command may still run at the IOSP: the midlayer waits for it.
    expect(m.ctx().requests[0]?.phase).toBe('eh');
    m.send(doneWith(1, 0));
    expect(m.take()).toMatchObject([{ type: 'hba.queue', id: 1, tag: 5 }]);
  });

  test('a request whose command times out past its budget fails once with retriesExhausted and DID_TIME_OUT', () => {
    const m = midlayer();
    m.send(read(1));
    for (let i = 0; i <= SD_MAX_RETRIES; i++) {
      m.clock.increment(SD_TIMEOUT_MS);
      const abort = m.take().find((e) => e.type === 'hba.taskMgmt');
      expect(abort).toBeDefined();
      const cmd = m.ctx().requests[0]?.tag ?? 0;
      m.send(doneWith(cmd, DID_RESET), tmfDone(abort?.tag ?? 0, 'success'));
    }
    expect(m.dones()).toEqual([
      {
        type: 'request.done',
        ...AT,
        id: 1,
        origin: origin(1),
        ok: false,
        reason: 'retriesExhausted',
        linuxstat: 0x03 << 16,
      },
    ]);
    expect(m.ctx().requests).toEqual([]);
    m.clock.increment(SD_TIMEOUT_MS);
    expect(m.dones()).toHaveLength(1);
  });

  test('while blocked, an error-handler retry parks; a task-management answer nobody awaits is counted, never acted on', () => {
    const m = midlayer();
    m.send(read(1));
    m.clock.increment(SD_TIMEOUT_MS);
    m.send({ type: 'HOST_BLOCKED' }, doneWith(1, DID_RESET), tmfDone(2, 'success'));
    expect(m.ctx().requests[0]).toMatchObject({ phase: 'parked', tag: 3, resetRetries: 1 });
    m.send(tmfDone(2, 'success'), tmfDone(99, 'failed'));
    expect(m.ctx().counts.unknownTaskMgmt).toBe(2);
    m.send({ type: 'HOST_UNBLOCKED' });
    m.clock.increment(3);
    expect(
      m
        .take()
        .filter((e) => e.type === 'hba.queue')
        .map((e) => e.tag),
    ).toEqual([1, 3]);
  });
});
