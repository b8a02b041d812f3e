// virtnic's IO path against the fake host (virtnic.harness.ts): the interface's open, thresholds
// and link (spar-protocol.md §4.3 Probe, Open, NET_CONNECT_STATUS), transmit and its completion
// (§4.3 Transmit, NET_XMIT_DONE), and the drain (§4.3 Polling → NAPI, §7).

import { describe, expect, test } from 'vitest';
import {
  ACK,
  CLOSE,
  carrier,
  config,
  dropped,
  emittedBy,
  enbdis,
  freed,
  IRQ,
  indexes,
  inserted,
  N,
  nic,
  OPEN,
  ofType,
  posted,
  queue,
  runEvents,
  rxDropped,
  status,
  SUSPEND,
  txDone,
  types,
  xmit,
} from './virtnic.harness.js';
import { flowThresholds } from './virtnic.logic.js';
import { virtnicMachine } from './virtnic.machine.js';
import type { VirtnicResponseEvent } from './virtnic.types.js';

describe('virtnic IO path: open, thresholds, link (§4.3 Probe, Open)', () => {
  test('smoke: open posts every receive buffer with the incarnation id, then ENBDIS(1); queue and carrier come up on the ack', () => {
    const h = nic({ numRcvBufs: 4, up: false });
    const fx = h.step(OPEN);
    const bufs = ofType(fx, 'net.postRcv').map((p) => p.buf);
    expect(fx).toEqual([...bufs.map((buf, index) => posted(index, buf)), enbdis(1)]);
    expect(new Set(bufs).size).toBe(4);
    expect(h.ctx()).toMatchObject({
      rcvbufs: bufs,
      enabled: true,
      enbdisAcked: false,
      awaitingEnbdisAck: true,
      carrier: false,
      queueRunning: false,
    });
    expect(h.step(ACK)).toEqual([queue(true), carrier(true)]);
    expect(h.ctx()).toMatchObject({ enbdisAcked: true, awaitingEnbdisAck: false });
  });

  test('thresholds follow max(3, n/3 − 2), max − 1, max/2, and numRcvBufs is clamped to 1..64', () => {
    const rows: [number, number, number, number][] = [
      [1, 3, 2, 1],
      [6, 3, 2, 1],
      [15, 3, 2, 1],
      [18, 4, 3, 2],
      [30, 8, 7, 4],
      [64, 19, 18, 9],
    ];
    for (const [n, maxOutstanding, upperThreshold, lowerThreshold] of rows) {
      expect(flowThresholds(n), `n=${n}`).toEqual({
        maxOutstanding,
        upperThreshold,
        lowerThreshold,
      });
    }
    const sized = (numRcvBufs: number) => {
      const c = runEvents([{ type: 'CHANNEL_CONFIG', mac: 1, numRcvBufs, mtu: 1e9 }]).snapshot
        .context;
      return [c.numRcvBufs, c.rcvbufs.length, c.maxOutstanding, c.xmits.length, c.mtu];
    };
    expect([30, 1e9, -5, Number.NaN].map(sized)).toEqual([
      [30, 30, 8, 8, 16384],
      [64, 64, 19, 19, 16384],
      [1, 1, 3, 3, 16384],
      [1, 1, 3, 3, 16384],
    ]);
  });

  test('OPEN before CHANNEL_CONFIG and CHANNEL_CONFIG or OPEN while open are ignored; an ack nobody awaits is only counted', () => {
    const early = runEvents([OPEN, config(4)]);
    expect(early.effects).toEqual([]);
    expect(early.snapshot.context.open).toBe(false);
    const h = nic({ numRcvBufs: 4 });
    expect(h.step(config(30), OPEN)).toEqual([]);
    expect(h.ctx().rcvbufs).toHaveLength(4);
    const closed = nic({ up: false });
    expect(closed.step(ACK)).toEqual([]);
    expect(closed.ctx()).toMatchObject({
      carrier: false,
      enbdisAcked: false,
      counts: { unexpectedEnbdisAcks: 1 },
    });
  });

  test('close sends ENBDIS(0), takes the link down and frees every buffer; its late ack or a CONNECT_STATUS does not bring the link back', () => {
    const h = nic({ numRcvBufs: 4 });
    expect(h.step(CLOSE)).toEqual([enbdis(0), queue(false), carrier(false), freed([0, 1, 2, 3])]);
    expect(h.step(ACK, status(1))).toEqual([]); // nor does a link-up from the IOSP (Choice)
    expect(h.ctx()).toMatchObject({ open: false, carrier: false, queueRunning: false });
    expect(h.step(OPEN, ACK).slice(-2)).toEqual([queue(true), carrier(true)]);
  });

  test('CONNECT_STATUS 0 stops the queue, drops the carrier and disables receive; 1 brings them back', () => {
    const h = nic();
    expect(h.step(status(0))).toEqual([queue(false), carrier(false)]);
    expect(h.ctx().enabled).toBe(false);
    // The frame waits in the qdisc while the queue is stopped (dev_queue_xmit never calls the
    // driver then), and goes once the queue runs again.
    expect(h.step(h.rcv(0), xmit(1)).filter((e) => e.type !== 'net.postRcv')).toEqual([
      rxDropped('notEnabled'),
    ]);
    expect(h.held()).toEqual([1]);
    expect(h.step(status(1))).toEqual([queue(true), carrier(true)]);
    expect(h.ctx().enabled).toBe(true);
    expect(h.flush()).toEqual([inserted(1, 0)]);
    expect(h.step(status(1))).toEqual([]);
  });

  test('completions while the link is lost do not wake the queue: it waits for CONNECT_STATUS 1 (Choice)', () => {
    const h = nic();
    h.send(xmit(1), xmit(2), status(0));
    expect(ofType([...h.take(), ...h.step(h.done(1), h.done(2))], 'net.txQueue')).toEqual([
      queue(false),
    ]);
    expect(h.ctx()).toMatchObject({ queueRunning: false, carrier: false });
    expect(h.step(status(1))).toEqual([queue(true), carrier(true)]);
  });
});

describe('virtnic IO path: transmit (§4.3 Transmit, NET_XMIT_DONE)', () => {
  test('a frame goes to a free slot with a fresh buf, its own length and its contents (the host pads to 60); XMIT_DONE reports it', () => {
    const h = nic({ numRcvBufs: 30 });
    const [a, b] = ofType(h.step(xmit(41, 14), xmit(42, 1500)), 'net.insertXmit');
    expect(a).toEqual(inserted(41, 0, 14));
    expect(b).toMatchObject({ id: 42, len: 1500, slot: 1 });
    expect(a?.buf).not.toBe(b?.buf);
    expect(h.ctx().counts.sentXmit).toBe(2);
    expect(h.step(h.done(42), h.done(41, 1))).toEqual([txDone(42), txDone(41, false)]);
    expect(h.ctx().counts).toMatchObject({ gotXmitDone: 2, xmitFail: 1 });
    expect(h.table()).toEqual({});
  });

  test('drop rules: runt (< 14 bytes) and max_outstanding (which also stops the queue); a stopped queue holds frames instead', () => {
    const h = nic({ up: false });
    h.send(OPEN);
    h.take();
    expect(h.step(xmit(1))).toEqual([]);
    expect(h.held()).toEqual([1]);
    expect(h.step(ACK)).toEqual([queue(true), carrier(true)]);
    expect(h.flush()).toEqual([inserted(1, 0)]);
    expect(h.step(xmit(2, 13), xmit(3, Number.NaN))).toEqual([
      dropped(2, 'runt'),
      dropped(3, 'runt'),
    ]);
    // max 3, upper 2: the second transmit stops the queue; CONNECT_STATUS(1) wakes it regardless.
    expect(h.step(xmit(4)).at(-1)).toEqual(queue(false));
    expect(h.step(status(1), xmit(6), status(1), xmit(7)).slice(-2)).toEqual([
      dropped(7, 'maxOutstanding'),
      queue(false),
    ]);
    expect(h.table()).toEqual({ 0: 1, 1: 4, 2: 6 });
    expect(h.ctx().counts).toMatchObject({ txDropped: 3, busyCnt: 0, rejectCount: 1, sentXmit: 3 });
  });

  test('a failed ring insert drops the frame, frees its slot and stops the queue', () => {
    const h = nic({ numRcvBufs: 30, insertOk: (slot) => slot !== 1 });
    expect(h.step(xmit(1), xmit(2)).slice(1)).toEqual([
      inserted(2, 1),
      dropped(2, 'insertFailed'),
      queue(false),
    ]);
    expect(h.table()).toEqual({ 0: 1 });
    expect(h.ctx().counts).toMatchObject({ sentXmit: 1, xmitInsertFailed: 1, txDropped: 1 });
    h.send({ type: 'XMIT_INSERT_FAILED', buf: 12345 });
    expect(h.ctx().counts.staleXmitInsertFailures).toBe(1);
  });

  test('while changing transmits drop as busy (the queue still runs); after the teardown they wait in the qdisc, which the resume flushes once the link is back', () => {
    const h = nic();
    const changing = virtnicMachine.resolveState({
      value: { serverAway: 'serverChanging' },
      context: h.ctx(),
    });
    expect(emittedBy(changing, xmit(9))).toEqual([dropped(9, 'serverDown')]);
    expect(h.step(SUSPEND, xmit(10)).at(-1)).toMatchObject({ type: 'driver.pauseResponse' });
    expect(h.held()).toEqual([10]);
  });

  test('the queue stops at the upper threshold and wakes at the lower one (30 buffers: max 8, upper 7, lower 4)', () => {
    const h = nic({ numRcvBufs: 30 });
    expect(ofType(h.step(...indexes(6).map((i) => xmit(i))), 'net.txQueue')).toEqual([]);
    expect(h.step(xmit(6)).at(-1)).toEqual(queue(false));
    expect(ofType(h.step(h.done(0), h.done(1)), 'net.txQueue')).toEqual([]);
    expect(h.step(h.done(2))).toEqual([txDone(2), queue(true)]);
    expect(h.ctx().counts).toMatchObject({ flowControlUpperHits: 1, flowControlLowerHits: 1 });
  });

  test('an XMIT_DONE for an unknown buf is counted and changes nothing', () => {
    const h = nic();
    h.send(xmit(1));
    h.take();
    expect(h.step({ type: 'XMIT_DONE', buf: 77, result: 0, more: false })).toEqual([]);
    expect(h.table()).toEqual({ 0: 1 });
    expect(h.ctx().counts).toMatchObject({ unknownXmitDone: 1, gotXmitDone: 0 });
  });
});

describe('virtnic IO path: drain (§4.3 Polling → NAPI, §7)', () => {
  test('a drain of N responses takes N + 1 events and handles each kind; an interrupt during a drain only counts', () => {
    const h = nic({ numRcvBufs: 30 });
    h.send(xmit(1));
    h.ring.push(
      ...([
        h.rcv(3),
        h.done(1),
        { type: 'OTHER_RESPONSE', more: false },
        status(1),
      ] as VirtnicResponseEvent[]),
    );
    h.take();
    h.takeReceived();
    const fx = h.step(IRQ);
    expect(h.takeReceived()).toEqual([
      'CHANNEL_INTERRUPT',
      'RCV',
      'XMIT_DONE',
      'OTHER_RESPONSE',
      'CONNECT_STATUS',
    ]);
    const remove = 'channel.removeResponse';
    expect(types(fx)).toEqual([
      remove,
      'net.deliver',
      'net.postRcv',
      remove,
      'net.txDone',
      remove,
      remove,
    ]);
    expect(h.ctx().draining).toBe(false);
    h.send(IRQ);
    expect(h.takeReceived()).toEqual(['CHANNEL_INTERRUPT', 'RESPONSES_EMPTY']);
    const manual = nic({ autoDrain: false });
    expect(manual.step(IRQ, IRQ)).toEqual([{ type: remove, ...N }]);
    expect(manual.ctx().channelInterruptCount).toBe(2);
  });
});
