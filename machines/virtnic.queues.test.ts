// virtnic's two queues in front of the ring, against the fake host (virtnic.harness.ts): the qdisc
// (dev_queue_xmit holds frames while the driver's queue is stopped, drops beyond txqueuelen,
// flushes in order once the queue runs, is reset by the close path) and the OK_TO_WAIT control
// ring (spar-protocol.md §7: a full ring is retried every 10 ms, nothing overtakes a waiting
// control message, a re-initialised channel drops what waited for the dead ring).

import { describe, expect, test } from 'vitest';
import { transition } from 'xstate';
import {
  ACK,
  CLOSE,
  config,
  discarded,
  dropped,
  enbdis,
  freed,
  inserted,
  nic,
  OPEN,
  ofType,
  posted,
  queue,
  RESUME,
  runEvents,
  SUSPEND,
  txDone,
  types,
  xmit,
} from './virtnic.harness.js';
import { virtnicMachine } from './virtnic.machine.js';
import { CONTROL_RETRY_MS, QDISC_LIMIT } from './virtnic.types.js';

describe('virtnic qdisc (dev_queue_xmit in front of ndo_start_xmit)', () => {
  test('a window larger than the queue allows waits in the qdisc instead of being dropped, and goes in order once completions wake the queue', () => {
    const h = nic(); // max 3, upper 2, lower 1
    const fx = h.step(xmit(1), xmit(2), xmit(3), xmit(4));
    expect(fx).toEqual([inserted(1, 0), inserted(2, 1), queue(false)]);
    expect(h.held()).toEqual([3, 4]);
    expect(h.step(h.done(1))).toEqual([txDone(1), queue(true)]);
    // The run is net_tx_action's: later than the step that woke the queue, one frame per run.
    expect(h.flush()).toEqual([inserted(3, 0), queue(false)]);
    expect(h.held()).toEqual([4]);
    expect(h.step(h.done(2), h.done(3))).toEqual([txDone(2), queue(true), txDone(3)]);
    expect(h.flush()).toEqual([inserted(4, 0)]);
    expect(h.ctx().counts).toMatchObject({ txDropped: 0, qdiscDrops: 0 });
  });

  test('the woken queue schedules one QDISC_RUN under id qdiscRun, delayed 0 ms; an idle queue hands a frame within its own step', () => {
    const { snapshot: up } = runEvents([config(6), OPEN, ACK]);
    const [, direct] = transition(virtnicMachine, up, xmit(1));
    const raises = direct.filter((a) => a.type === 'xstate.raise').map((a) => a.params);
    expect(raises).toContainEqual(expect.objectContaining({ event: { type: 'QDISC_RUN' } }));
    expect(raises.every((p) => (p as { id?: string }).id !== 'qdiscRun')).toBe(true);
    const { snapshot: stopped } = runEvents([xmit(1), xmit(2), xmit(3)], up);
    expect(stopped.context.qdisc.map((f: { id: number }) => f.id)).toEqual([3]);
    const buf = stopped.context.xmits[0]?.buf as number;
    const [woken, waking] = transition(virtnicMachine, stopped, {
      type: 'XMIT_DONE',
      buf,
      result: 0,
      more: false,
    });
    expect(waking.filter((a) => a.type === 'xstate.raise').map((a) => a.params)).toContainEqual(
      expect.objectContaining({ id: 'qdiscRun', delay: 0, event: { type: 'QDISC_RUN' } }),
    );
    expect(woken.context).toMatchObject({ queueRunning: true, qdiscRunPending: true });
  });

  test('frames sent while older ones are held go behind them even when the queue already runs', () => {
    const h = nic();
    h.send(xmit(1), xmit(2), xmit(3));
    h.send(h.done(1));
    h.take();
    expect(h.step(xmit(4))).toEqual([]); // the run for 3 is pending: 4 waits behind it
    expect(h.held()).toEqual([3, 4]);
    expect(ofType(h.flush(), 'net.insertXmit').map((x) => x.id)).toEqual([3]);
  });

  test(`beyond ${QDISC_LIMIT} held frames (txqueuelen) the qdisc drops the new one, counted`, () => {
    const h = nic({ up: false });
    h.send(OPEN);
    h.take();
    const many = Array.from({ length: QDISC_LIMIT }, (_, i) => xmit(i));
    expect(h.step(...many, xmit(QDISC_LIMIT))).toEqual([dropped(QDISC_LIMIT, 'qdiscFull')]);
    expect(h.ctx().qdisc).toHaveLength(QDISC_LIMIT);
    expect(h.ctx().counts).toMatchObject({ qdiscDrops: 1, txDropped: 0 });
  });

  test('the close path resets the qdisc: its frames are discarded after the buffers are freed, and the pending run goes', () => {
    const h = nic({ numRcvBufs: 6 });
    h.send(xmit(1), xmit(2), xmit(3), xmit(4));
    h.send(h.done(1));
    h.take();
    expect(h.step(CLOSE)).toEqual([
      enbdis(0),
      queue(false),
      expect.objectContaining({ type: 'net.carrier', on: false }),
      discarded([2]),
      freed([0, 1, 2, 3, 4, 5]),
      discarded([3, 4]),
    ]);
    expect(h.ctx()).toMatchObject({
      qdisc: [],
      qdiscRunPending: false,
      counts: { qdiscPurged: 2 },
    });
    expect(h.flush()).toEqual([]);
  });

  test('a run goes on frame by frame through the mailbox until the queue stops again: one delayed run per wake-up', () => {
    const h = nic({ numRcvBufs: 30 }); // max 8, upper 7, lower 4
    h.send(...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((id) => xmit(id)));
    h.send(h.done(1), h.done(2));
    h.send(h.done(3)); // 4 outstanding: the queue wakes
    h.take();
    const scheduled = () => Object.keys(h.actor.system.getSnapshot()._scheduledEvents);
    expect(scheduled().filter((id) => id.endsWith('qdiscRun'))).toHaveLength(1);
    expect(h.flush()).toEqual([inserted(8, 0), inserted(9, 1), inserted(10, 2), queue(false)]);
    expect(h.held()).toEqual([11]);
    expect(scheduled().filter((id) => id.endsWith('qdiscRun'))).toHaveLength(0);
  });

  test('a flush hands one frame per run: a failed insert stops the queue before the next frame is handed', () => {
    let refuse = false;
    const h = nic({ numRcvBufs: 30, insertOk: () => !refuse }); // max 8, upper 7, lower 4
    h.send(...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((id) => xmit(id)));
    expect(h.held()).toEqual([8, 9]);
    h.send(h.done(1), h.done(2), h.done(3));
    h.take();
    refuse = true;
    expect(h.flush()).toEqual([inserted(8, 0), dropped(8, 'insertFailed'), queue(false)]);
    expect(h.held()).toEqual([9]);
  });
});

describe('virtnic control ring (§7 OK_TO_WAIT)', () => {
  test('a full ring makes ENBDIS wait: retried every 10 ms under id controlRetry, counted, and the posts made meanwhile go after it, in ring order', () => {
    let full = true;
    const h = nic({ numRcvBufs: 2, up: false, controlOk: () => !full });
    expect(types(h.step(OPEN))).toEqual(['net.postRcv', 'net.postRcv', 'net.enbdis']);
    expect(h.ctx().counts.controlInsertRetries).toBe(1);
    h.clock.increment(CONTROL_RETRY_MS - 1);
    expect(h.take()).toEqual([]);
    h.clock.increment(1);
    expect(types(h.take())).toEqual(['net.controlRetry']);
    expect(h.ctx().counts.controlInsertRetries).toBe(2);
    // A NET_RCV meanwhile: the repost waits behind the ENBDIS.
    expect(types(h.step(h.rcv(0)))).toEqual(['net.rxDropped']);
    full = false;
    h.clock.increment(CONTROL_RETRY_MS);
    const fx = h.take();
    expect(types(fx)).toEqual(['net.controlRetry', 'net.postRcv']);
    expect(fx[1]).toEqual(posted(0, h.bufOf(0)));
    expect(h.ctx()).toMatchObject({ ringWait: [], controlAttempt: null });
  });

  test('a later control message never overtakes a waiting one: the reset’s ENBDIS(1) and posts follow its ENBDIS(0)', () => {
    let full = false;
    const h = nic({ numRcvBufs: 2, controlOk: () => !full });
    h.send(xmit(1));
    h.take();
    full = true;
    h.clock.increment(5000); // the TX watchdog resets the interface
    expect(
      types(h.take()).filter((t) => t.startsWith('net.enbdis') || t === 'net.postRcv'),
    ).toEqual(['net.enbdis']);
    full = false;
    h.clock.increment(CONTROL_RETRY_MS);
    const fx = h.take();
    expect(types(fx)).toEqual(['net.controlRetry', 'net.postRcv', 'net.postRcv', 'net.enbdis']);
    expect(fx.at(-1)).toEqual(enbdis(1));
  });

  test('resume drops what waited for the dead ring and its retry; an answer to an attempt of the dead ring is only counted', () => {
    let full = false;
    const h = nic({ numRcvBufs: 2, controlOk: () => !full });
    full = true;
    // ENBDIS(0) into a full, dead ring.
    const stale = ofType(h.step(SUSPEND), 'net.enbdis')[0]?.seq ?? -1;
    expect(h.ctx().ringWait).toHaveLength(1);
    full = false;
    expect(types(h.step(RESUME))).toEqual([
      'channel.setClientStateAttached',
      'net.postRcv',
      'net.postRcv',
      'net.enbdis',
      'driver.resumed',
    ]);
    h.clock.increment(CONTROL_RETRY_MS * 10);
    expect(ofType(h.take(), 'net.controlRetry')).toEqual([]);
    h.send({ type: 'CONTROL_INSERTED', seq: stale });
    expect(h.ctx().counts.staleControlAnswers).toBe(1);
  });
});
