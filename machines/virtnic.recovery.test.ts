// virtnic across an IOSP outage and its own resets, against the fake host (virtnic.harness.ts):
// pause, resume and remove (spar-protocol.md §4.3 Pause/Resume, §4.7, §4.8), the TX watchdog
// (§4.3 TX timeout, §7), and the seeded recovery bug xmitAfterTeardown (the fuzzer's canary).

import { describe, expect, test } from 'vitest';
import { transition } from 'xstate';
import {
  ACK,
  CLOSE,
  carrier,
  config,
  discarded,
  enbdis,
  freed,
  indexes,
  inserted,
  nic,
  OPEN,
  ofType,
  promisc,
  queue,
  REMOVE,
  RESUME,
  rcvOf,
  runEvents,
  rxDropped,
  deliver,
  status,
  SUSPEND,
  txDone,
  types,
  xmit,
} from './virtnic.harness.js';
import { virtnicMachine } from './virtnic.machine.js';
import { AT } from './virtpci-driver.contract.js';

describe('virtnic pause, resume and remove (§4.3 Pause/Resume, §4.7, §4.8)', () => {
  test('pause sends ENBDIS(0) into the dead ring, takes the link down, discards transmits, frees buffers, then answers', () => {
    const h = nic({ numRcvBufs: 30 });
    h.send(xmit(1), xmit(2));
    h.send(h.done(1), xmit(3));
    h.take();
    expect(h.step(SUSPEND)).toEqual([
      { type: 'driver.suspended', ...AT, status: 1 },
      enbdis(0),
      queue(false),
      carrier(false),
      discarded([3, 2]),
      freed(indexes(30)),
      { type: 'driver.pauseResponse', ...AT, status: 0 },
    ]);
    expect(h.ctx().counts).toMatchObject({ sentXmit: 0, gotXmitDone: 0, txDiscarded: 2 });
    expect(h.ctx().rcvbufs.every((b) => b === null)).toBe(true);
    expect(h.step(rcvOf(1), ACK, { type: 'CHANNEL_INTERRUPT' })).toEqual([]);
    expect(h.ctx().counts.abandonedResponses).toBe(2);
  });

  test('resume attaches, posts fresh buffers and ENBDIS(1), answers 1 at once; the carrier comes only with the ack', () => {
    const h = nic({ numRcvBufs: 4 });
    const before = indexes(4).map(h.bufOf);
    h.send(SUSPEND);
    h.take();
    const fx = h.step(RESUME);
    expect(types(fx)).toEqual([
      'channel.setClientStateAttached',
      ...new Array<string>(4).fill('net.postRcv'),
      'net.enbdis',
      'driver.resumed',
    ]);
    expect(fx.at(-1)).toEqual({ type: 'driver.resumed', ...AT, status: 1 });
    expect(ofType(fx, 'net.postRcv').some((p) => before.includes(p.buf))).toBe(false);
    expect(h.ctx()).toMatchObject({ carrier: false, queueRunning: false, awaitingEnbdisAck: true });
    expect(h.step(xmit(1))).toEqual([]);
    expect(h.step(ACK)).toEqual([queue(true), carrier(true)]);
    expect(h.flush()).toEqual([inserted(1, 0)]);
  });

  test('a buffer posted before a pause is never delivered: a stale NET_RCV naming it after the resume is dropped', () => {
    const h = nic({ numRcvBufs: 4 });
    const stale = h.rcv(0);
    h.send(SUSPEND, RESUME, ACK);
    h.take();
    expect(h.step(stale)).toEqual([rxDropped('badRcvBuf')]);
    expect(h.step(h.rcv(0))[0]).toEqual(deliver([0]));
  });

  test('OPEN and CLOSE while down only record IFF_UP: resume reopens an interface opened meanwhile, not one closed meanwhile', () => {
    const opened = nic({ numRcvBufs: 2, up: false });
    expect(ofType(opened.step(SUSPEND, OPEN), 'net.postRcv')).toEqual([]);
    expect(types(opened.step(RESUME))).toContain('net.enbdis');
    expect(opened.ctx()).toMatchObject({ open: true, awaitingEnbdisAck: true });
    const closed = nic({ numRcvBufs: 2, quirks: { xmitAfterTeardown: true } });
    closed.send(xmit(3), SUSPEND);
    closed.take();
    expect(closed.step(CLOSE)).toEqual([queue(false), discarded([3])]);
    expect(types(closed.step(RESUME))).toEqual([
      'channel.setClientStateAttached',
      'driver.resumed',
    ]);
  });

  test('promiscuous mode set while down is re-sent after the resume ENBDIS(1)', () => {
    const h = nic({ numRcvBufs: 1 });
    h.send(SUSPEND, { type: 'SET_PROMISC', on: true });
    h.take();
    const fx = h.step(RESUME);
    const control = fx.filter((e) => e.type === 'net.enbdis' || e.type === 'net.promisc');
    expect(control).toEqual([enbdis(1), promisc(0x100)]);
  });

  test('remove closes the interface (ENBDIS(0), link down, transmits discarded, buffers freed) before reporting removed', () => {
    const h = nic({ numRcvBufs: 4 });
    h.send(xmit(5));
    h.take();
    const removed = { type: 'driver.removed', ...AT };
    expect(h.step(REMOVE)).toEqual([
      enbdis(0),
      queue(false),
      carrier(false),
      discarded([5]),
      freed([0, 1, 2, 3]),
      removed,
    ]);
    expect(h.actor.getSnapshot().status).toBe('done');
    const down = nic();
    down.send(SUSPEND);
    down.take();
    expect(down.step(REMOVE)).toEqual([removed]);
  });
});

describe('virtnic TX watchdog (§4.3 TX timeout, §7)', () => {
  test('5 s of virtual time without transmit progress resets the interface; the link returns on the ack of the new ENBDIS(1)', () => {
    const h = nic();
    h.send(xmit(1));
    h.take();
    h.clock.increment(4999);
    expect(h.take()).toEqual([]);
    h.clock.increment(1);
    const fx = h.take();
    const reset = [
      'net.enbdis',
      'net.txQueue',
      'net.carrier',
      'net.txDiscarded',
      'net.buffersFreed',
      ...new Array<string>(6).fill('net.postRcv'),
      'net.enbdis',
    ];
    expect(types(fx)).toEqual(reset);
    expect([fx[0], fx.at(-1)]).toEqual([enbdis(0), enbdis(1)]);
    expect(h.ctx().counts.txTimeouts).toBe(1);
    expect(h.step(ACK)).toEqual([]); // the ack of ENBDIS(0)
    expect(h.step(ACK)).toEqual([queue(true), carrier(true)]);
    h.clock.increment(60_000);
    expect(h.ctx().counts.txTimeouts).toBe(1);
  });

  test('progress restarts the 5 s; completing everything stops the watchdog', () => {
    const h = nic({ numRcvBufs: 30 });
    h.send(xmit(1));
    h.clock.increment(3000);
    h.send(xmit(2));
    h.clock.increment(4999);
    expect(h.ctx().counts.txTimeouts).toBe(0);
    h.send(h.done(1), h.done(2));
    h.clock.increment(60_000);
    expect(h.ctx()).toMatchObject({ txWatchdogArmed: false, counts: { txTimeouts: 0 } });
  });

  test('a queue stopped by a failed insert with nothing outstanding is reset too (dev_watchdog condition)', () => {
    const h = nic({ insertOk: () => false });
    h.send(xmit(1));
    h.clock.increment(5000);
    expect(h.ctx().counts.txTimeouts).toBe(1);
  });

  test('no reset while down, or while the link is lost behind the IOSP', () => {
    for (const cut of [SUSPEND, status(0)]) {
      const h = nic();
      h.send(xmit(1), cut);
      h.clock.increment(60_000);
      expect(h.ctx().counts.txTimeouts, cut.type).toBe(0);
    }
  });

  test('the watchdog is a delayed TX_TIMEOUT under id txWatchdog, cancelled by the last completion', () => {
    type Action = { type: string; params: unknown };
    const paramsOf = (actions: readonly Action[], type: string) =>
      actions.filter((a) => a.type === type).map((a) => a.params);
    const { snapshot } = runEvents([config(30), OPEN, ACK]);
    const [armed, arming] = transition(virtnicMachine, snapshot, xmit(1));
    const delayed = paramsOf(arming, 'xstate.raise').filter(
      (p) => (p as { delay?: unknown }).delay !== undefined,
    );
    expect(delayed).toMatchObject([
      { id: 'txWatchdog', delay: 5000, event: { type: 'TX_TIMEOUT' } },
    ]);
    const buf = armed.context.xmits[0]?.buf as number;
    const [, stopping] = transition(virtnicMachine, armed, {
      type: 'XMIT_DONE',
      buf,
      result: 0,
      more: false,
    });
    expect(paramsOf(stopping, 'xstate.cancel')).toEqual([{ sendId: 'txWatchdog' }]);
  });
});

describe('virtnic seeded recovery bug xmitAfterTeardown (quirk; canary for the fuzzer)', () => {
  test('with the quirk the pause keeps the transmit list, accepts transmits while down and resume re-sends them with new bufs; without it nothing is re-sent', () => {
    for (const on of [false, true]) {
      const h = nic({ numRcvBufs: 30, quirks: { xmitAfterTeardown: on } });
      const first = ofType(h.step(xmit(7)), 'net.insertXmit')[0]?.buf;
      const pause = types(h.step(SUSPEND));
      expect(pause.includes('net.txDiscarded'), `on=${on}`).toBe(!on);
      expect(pause.includes('net.txQueue')).toBe(!on);
      expect(pause.includes('net.carrier')).toBe(true);
      const down = h.step(xmit(8));
      if (on) expect(down[0]).toMatchObject({ type: 'net.insertXmit', id: 8, slot: 1 });
      else expect([down, h.held()]).toEqual([[], [8]]); // held until the link is back
      const again = ofType(h.step(RESUME), 'net.insertXmit');
      expect(again.map(({ id, slot }) => ({ id, slot }))).toEqual(
        on
          ? [
              { id: 7, slot: 0 },
              { id: 8, slot: 1 },
            ]
          : [],
      );
      if (!on) continue;
      expect(again[0]?.buf).not.toBe(first);
      h.send(ACK);
      expect(h.step(h.done(7)).at(-1)).toEqual(txDone(7));
    }
  });

  test('without the quirk no transmit is ever inserted twice: a frame queued during the outage goes once, after the link is back', () => {
    const h = nic({ numRcvBufs: 30 });
    const fx = [...h.step(xmit(7), SUSPEND, xmit(8), RESUME, ACK), ...h.flush()];
    expect(ofType(fx, 'net.insertXmit').map((x) => x.id)).toEqual([7, 8]);
    expect(ofType(fx, 'net.txDiscarded')).toEqual([discarded([7])]);
  });
});
