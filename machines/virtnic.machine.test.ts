// virtnic machine (spar-protocol.md §4.7 control plane, §4.3 IO path under Era A names). The shared
// virtpci driver contract, then what is virtnic's own: its registration, the interface and link
// state, transmit and receive, the TX watchdog, pause/resume and the xmitAfterTeardown quirk. The
// IO tests play the partition host: a fake ring whose posts and inserts succeed silently unless
// told otherwise (POST_FAILED, XMIT_INSERT_FAILED), and a response queue the drain removes from one
// message at a time, each answer saying whether more is left.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import {
  createActor,
  initialTransition,
  SimulatedClock,
  transition,
  type AnyMachineSnapshot,
} from 'xstate';
import { VIRTNIC_DRIVER, virtnicMachine } from './virtnic.machine.js';
import {
  flowThresholds,
  incarnationOf,
  type RcvDest,
  type VirtnicEmitted,
  type VirtnicEvent,
  type VirtnicInput,
  type VirtnicQuirks,
  type VirtnicResponseEvent,
} from './virtnic.logic.js';
import {
  AT,
  describeVirtpciDriverContract,
  INPUT,
  inServerChanging,
  run,
} from './virtpci-driver.contract.js';
import { virtpciDriverSystemId, VIRTPCI_DRIVER_STATES } from './virtpci-driver.logic.js';
import { VNIC_CHANNEL } from '../src/kinds/vnic/channel.js';

describeVirtpciDriverContract({
  module: 'virtnic',
  machine: virtnicMachine,
  registration: VIRTNIC_DRIVER,
  extraEvents: ['ENBDIS_ACK'],
});

/** IO effects carry the partition as well as the device address. */
const N = { partition: 'guest1', ...AT } as const;
const UNIQUE = incarnationOf(AT.busNo, AT.devNo);
const event = (
  type: 'OPEN' | 'CLOSE' | 'SUSPEND' | 'RESUME' | 'REMOVE' | 'CHANNEL_INTERRUPT',
): VirtnicEvent => ({ type });
const [OPEN, CLOSE, SUSPEND, RESUME, REMOVE, IRQ] = [
  event('OPEN'),
  event('CLOSE'),
  event('SUSPEND'),
  event('RESUME'),
  event('REMOVE'),
  event('CHANNEL_INTERRUPT'),
] as const;
const ACK: VirtnicEvent = { type: 'ENBDIS_ACK', more: false };
const xmit = (id: number, len = 100): VirtnicEvent => ({ type: 'XMIT', id, len });
const status = (enable: number): VirtnicEvent => ({ type: 'CONNECT_STATUS', enable, more: false });
const config = (numRcvBufs: number): VirtnicEvent => ({
  type: 'CHANNEL_CONFIG',
  mac: 0x02_50_56_00_00_01,
  numRcvBufs,
  mtu: 1500,
});
const rcvOf = (buf: number, rcvbufs = [buf], len = 100, dest: RcvDest = 'host'): VirtnicEvent => ({
  type: 'RCV',
  buf,
  rcvbufs,
  len,
  dest,
  more: false,
});
const indexes = (n: number) => Array.from({ length: n }, (_, i) => i);
const link = (carrier: boolean, awaitingEnbdisAck: boolean) => ({ carrier, awaitingEnbdisAck });
// Expected effects.
const queue = (running: boolean) => ({ type: 'net.txQueue', ...N, running });
const carrier = (on: boolean) => ({ type: 'net.carrier', ...N, on });
const enbdis = (enable: 0 | 1) => ({ type: 'net.enbdis', ...N, enable });
const dropped = (id: number, reason: string) => ({ type: 'net.txDropped', ...N, id, reason });
const rxDropped = (reason: string, len = 100) => ({ type: 'net.rxDropped', ...N, reason, len });
const deliver = (idx: number[], len = 100) => ({ type: 'net.deliver', ...N, indexes: idx, len });
const posted = (index: number, buf: number) => ({
  type: 'net.postRcv',
  ...N,
  index,
  buf,
  uniqueNum: UNIQUE,
});
const txDone = (id: number, ok = true) => ({ type: 'net.txDone', ...N, id, ok });
const freed = (idx: number[]) => ({ type: 'net.buffersFreed', ...N, indexes: idx });
const discarded = (ids: number[]) => ({ type: 'net.txDiscarded', ...N, ids });
const types = (effects: readonly VirtnicEmitted[]) => effects.map((e) => e.type);
const ofType = <T extends VirtnicEmitted['type']>(effects: readonly VirtnicEmitted[], type: T) =>
  effects.filter((e): e is Extract<VirtnicEmitted, { type: T }> => e.type === type);

describe('virtnic machine', () => {
  test('registers as uisvirtnic for the vnic channel type with fake PCI device 0x1018:0xAB00', () => {
    expect(VIRTNIC_DRIVER).toMatchObject({
      name: 'uisvirtnic',
      kind: 'vnic',
      channelTypeGuid: VNIC_CHANNEL.guid,
      pciDeviceId: 0xab00,
      virtpciDevtype: 1,
      devtype: 'vNIC',
    });
  });

  test('serverup of an open interface waits for the ENBDIS ack before the carrier comes on; serverdown drops it', () => {
    const steps: [VirtnicEvent[], ReturnType<typeof link>][] = [
      [[], link(false, false)],
      [[ACK], link(false, false)], // nothing awaited: ignored
      [[config(4), OPEN], link(false, true)],
      [[config(4), OPEN, ACK], link(true, false)],
      [[config(4), OPEN, ACK, SUSPEND], link(false, false)],
      [[config(4), OPEN, ACK, SUSPEND, RESUME], link(false, true)],
      [[config(4), OPEN, ACK, SUSPEND, RESUME, ACK], link(true, false)],
      // A configured interface that was never opened comes back closed (Choice, see resumeStep).
      [[config(4), SUSPEND, RESUME], link(false, false)],
    ];
    for (const [events, expected] of steps) {
      expect(runEvents(events).snapshot.context, events.map((e) => e.type).join()).toMatchObject(
        expected,
      );
    }
  });

  test('an ack that arrives while down is abandoned, and the pause stays answered exactly once', () => {
    const { snapshot, effects } = run(virtnicMachine, ['PROBE', 'SUSPEND', 'ENBDIS_ACK']);
    expect(snapshot.value).toBe('serverDown');
    expect(snapshot.context).toMatchObject({
      ...link(false, false),
      counts: { abandonedResponses: 1 },
    });
    expect(effects.filter((e) => e.type === 'driver.pauseResponse')).toEqual([
      { type: 'driver.pauseResponse', ...AT, status: 0 },
    ]);
  });

  test('a serverdown while the resume ack is still awaited cancels the wait: the late ack leaves the carrier off', () => {
    const { snapshot } = runEvents([config(4), OPEN, ACK, SUSPEND, RESUME, SUSPEND, ACK]);
    expect(snapshot.value).toBe('serverDown');
    expect(snapshot.context).toMatchObject(link(false, false));
  });

  test('resume while the serverdown work is queued returns 0 even with the virthba quirk on (virtnic tests "changing" first)', () => {
    const from = inServerChanging(virtnicMachine, { resumeWhileServerdownPending: true });
    const { snapshot, effects } = run(virtnicMachine, ['RESUME'], { from });
    expect(snapshot.value).toBe('serverChanging');
    expect(effects).toEqual([{ type: 'driver.resumed', ...AT, status: 0 }]);
  });

  test('the default quirks are off, the watchdog is 5 s, and the context is plain data', () => {
    const { context } = runEvents([config(8), OPEN, ACK, xmit(1)]).snapshot;
    expect(context.quirks).toEqual({
      pauseWhileDownUnanswered: false,
      resumeWhileServerdownPending: false,
      xmitAfterTeardown: false,
    });
    expect(context.txTimeoutMs).toBe(5000);
    expect(JSON.parse(JSON.stringify(context))).toEqual(context);
  });
});

interface HostOptions {
  readonly quirks?: Partial<VirtnicQuirks>;
  /** CHANNEL_CONFIG's numRcvBufs (default 6: max 3, upper 2, lower 1). */
  readonly numRcvBufs?: number;
  /** Open the interface and ack the enable (default true). */
  readonly up?: boolean;
  /** Whether the ring takes a post / a transmit (default: always); a refusal is answered at once. */
  readonly postOk?: (index: number) => boolean;
  readonly insertOk?: (slot: number) => boolean;
  /** Whether the host answers removeResponse itself from `ring` (default true). */
  readonly autoDrain?: boolean;
}

/** A probed, configured virtnic actor on a simulated clock, with a fake host around it. */
function nic(o: HostOptions = {}) {
  const clock = new SimulatedClock();
  const input: VirtnicInput = { ...INPUT, ...(o.quirks === undefined ? {} : { quirks: o.quirks }) };
  /** The types of the events the actor received from outside (mailbox events, not raised ones). */
  const received: string[] = [];
  const inspect = (e: { type: string; actorRef?: unknown; event?: { type: string } }) => {
    if (e.type === '@xstate.event' && e.actorRef === actor && e.event !== undefined)
      received.push(e.event.type);
  };
  const actor = createActor(virtnicMachine, {
    input,
    clock,
    systemId: virtpciDriverSystemId('virtnic', INPUT),
    inspect,
  });
  const effects: VirtnicEmitted[] = [];
  /** queue 1: what the IOSP answered and the driver has not removed yet. */
  const ring: VirtnicResponseEvent[] = [];
  actor.on('*', (e) => {
    effects.push(e);
    if (e.type === 'net.postRcv' && o.postOk?.(e.index) === false)
      actor.send({ type: 'POST_FAILED', index: e.index, buf: e.buf });
    if (e.type === 'net.insertXmit' && o.insertOk?.(e.slot) === false)
      actor.send({ type: 'XMIT_INSERT_FAILED', buf: e.buf });
    if (e.type === 'channel.removeResponse' && o.autoDrain !== false) {
      const next = ring.shift();
      actor.send(
        next === undefined ? { type: 'RESPONSES_EMPTY' } : { ...next, more: ring.length > 0 },
      );
    }
  });
  actor.start();
  const send = (...events: VirtnicEvent[]) => events.forEach((e) => actor.send(e));
  send({ type: 'PROBE' }, config(o.numRcvBufs ?? 6), ...(o.up === false ? [] : [OPEN, ACK]));
  const ctx = () => actor.getSnapshot().context;
  const h = {
    actor,
    clock,
    effects,
    ring,
    ctx,
    send,
    /** The effects since the last call. */
    take: () => effects.splice(0),
    /** Sends `events` (built before any is sent) and returns the effects since the last take. */
    step: (...events: VirtnicEvent[]) => (send(...events), effects.splice(0)),
    takeReceived: () => received.splice(0),
    /** The buf currently posted for receive buffer `index`. */
    bufOf: (index: number) => ctx().rcvbufs[index] as number,
    /** A one-buffer NET_RCV for buffer `index`. */
    rcv: (index: number, dest: RcvDest = 'host', len = 100) =>
      rcvOf(h.bufOf(index), undefined, len, dest),
    /** The NET_XMIT_DONE for listed transmit `id`. */
    done: (id: number, result = 0): VirtnicEvent => ({
      type: 'XMIT_DONE',
      buf: ctx().xmits.find((x) => x?.id === id)?.buf as number,
      result,
      more: false,
    }),
    /** Listed transmits, slot → id. */
    table: () =>
      Object.fromEntries(ctx().xmits.flatMap((x, slot) => (x === null ? [] : [[slot, x.id]]))),
  };
  h.take();
  received.splice(0);
  return h;
}

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
    expect(h.step(h.rcv(0), xmit(1)).filter((e) => e.type !== 'net.postRcv')).toEqual([
      rxDropped('notEnabled'),
      dropped(1, 'queueStopped'),
    ]);
    expect(h.step(status(1))).toEqual([queue(true), carrier(true)]);
    expect(h.ctx().enabled).toBe(true);
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
  test('a frame goes to a free slot with a fresh buf and its own length (the host pads to 60); XMIT_DONE reports it', () => {
    const h = nic({ numRcvBufs: 30 });
    const [a, b] = ofType(h.step(xmit(41, 14), xmit(42, 1500)), 'net.insertXmit');
    expect(a).toEqual({ type: 'net.insertXmit', ...N, id: 41, buf: a?.buf, len: 14, slot: 0 });
    expect(b).toMatchObject({ id: 42, len: 1500, slot: 1 });
    expect(a?.buf).not.toBe(b?.buf);
    expect(h.ctx().counts.sentXmit).toBe(2);
    expect(h.step(h.done(42), h.done(41, 1))).toEqual([txDone(42), txDone(41, false)]);
    expect(h.ctx().counts).toMatchObject({ gotXmitDone: 2, xmitFail: 1 });
    expect(h.table()).toEqual({});
  });

  test('drop rules: queue stopped, runt (< 14 bytes), and max_outstanding (which also stops the queue)', () => {
    const h = nic({ up: false });
    h.send(OPEN);
    h.take();
    expect(h.step(xmit(1))).toEqual([dropped(1, 'queueStopped')]);
    expect(h.step(ACK, xmit(2, 13), xmit(3, Number.NaN)).slice(2)).toEqual([
      dropped(2, 'runt'),
      dropped(3, 'runt'),
    ]);
    // max 3, upper 2: the second transmit stops the queue; CONNECT_STATUS(1) wakes it regardless.
    expect(h.step(xmit(4), xmit(5)).at(-1)).toEqual(queue(false));
    expect(h.step(status(1), xmit(6), status(1), xmit(7)).slice(-2)).toEqual([
      dropped(7, 'maxOutstanding'),
      queue(false),
    ]);
    expect(h.table()).toEqual({ 0: 4, 1: 5, 2: 6 });
    expect(h.ctx().counts).toMatchObject({ txDropped: 4, busyCnt: 1, rejectCount: 1, sentXmit: 3 });
  });

  test('a failed ring insert drops the frame, frees its slot and stops the queue', () => {
    const h = nic({ numRcvBufs: 30, insertOk: (slot) => slot !== 1 });
    expect(h.step(xmit(1), xmit(2)).slice(1)).toEqual([
      { type: 'net.insertXmit', ...N, id: 2, buf: expect.any(Number), len: 100, slot: 1 },
      dropped(2, 'insertFailed'),
      queue(false),
    ]);
    expect(h.table()).toEqual({ 0: 1 });
    expect(h.ctx().counts).toMatchObject({ sentXmit: 1, xmitInsertFailed: 1, txDropped: 1 });
    h.send({ type: 'XMIT_INSERT_FAILED', buf: 12345 });
    expect(h.ctx().counts.staleXmitInsertFailures).toBe(1);
  });

  test('while changing or down transmits drop as busy: serverDown while the queue still runs, queueStopped after the teardown', () => {
    const h = nic();
    const changing = virtnicMachine.resolveState({ value: 'serverChanging', context: h.ctx() });
    expect(emittedBy(changing, xmit(9))).toEqual([dropped(9, 'serverDown')]);
    expect(h.step(SUSPEND, xmit(10)).at(-1)).toEqual(dropped(10, 'queueStopped'));
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

describe('virtnic IO path: receive (§4.3 NET_RCV, repost rule)', () => {
  test('an accepted frame is delivered from its buffer, then the buffer is reposted with a fresh buf', () => {
    const h = nic({ numRcvBufs: 4 });
    const old = h.bufOf(0);
    expect(h.step(h.rcv(0, 'host', 60))).toEqual([deliver([0], 60), posted(0, h.bufOf(0))]);
    expect(h.bufOf(0)).not.toBe(old);
    expect(h.ctx().counts).toMatchObject({
      gotRcv: 1,
      rxPackets: 1,
      rxBytes: 60,
      foundRepostRcvbufCnt: 1,
    });
  });

  test('filter: host and broadcast always; multicast and other only when promiscuous; PROMISC sent only on change', () => {
    const h = nic({ numRcvBufs: 4 });
    const fate = (dest: RcvDest) => h.step(h.rcv(0, dest))[0]?.type;
    expect((['host', 'broadcast', 'multicast', 'other'] as const).map(fate)).toEqual([
      'net.deliver',
      'net.deliver',
      'net.rxDropped',
      'net.rxDropped',
    ]);
    expect(h.ctx().counts.nRcvPacketsNotAccepted).toBe(2);
    expect(h.step({ type: 'SET_PROMISC', on: true }, { type: 'SET_PROMISC', on: true })).toEqual([
      { type: 'net.promisc', ...N, enable: 0x100 },
    ]);
    expect([fate('multicast'), fate('other')]).toEqual(['net.deliver', 'net.deliver']);
    expect(h.step({ type: 'SET_PROMISC', on: false })).toEqual([
      { type: 'net.promisc', ...N, enable: 0 },
    ]);
  });

  test('a chained frame is delivered in chain order; bad lengths and chains are dropped but their buffers reposted', () => {
    const h = nic({ numRcvBufs: 4 });
    const chain = (len: number, idx: number[], head = idx[0] ?? 0) =>
      rcvOf(h.bufOf(head), idx.map(h.bufOf), len);
    expect(
      h.step(chain(5000, [2, 0])).map((e) => (e.type === 'net.postRcv' ? e.index : e)),
    ).toEqual([deliver([2, 0], 5000), 2, 0]);
    // Built when sent: every repost changes the bufs.
    const cases: [() => VirtnicEvent, string, number][] = [
      [() => chain(5000, [1]), 'badChain', 5000], // > 4032 needs at least two buffers
      [() => chain(100, [1, 3]), 'badChain', 100], // ≤ 4032 needs exactly one
      [() => chain(100, [1], 3), 'badChain', 100], // rcvbuf[0] must be net.buf
      [() => chain(13, [1]), 'badLength', 13],
      [() => chain(5 * 4032 + 1, [0, 1, 2, 3]), 'badLength', 5 * 4032 + 1],
    ];
    for (const [build, reason, len] of cases) {
      const before = h.bufOf(1);
      const fx = h.step(build());
      expect(fx[0], reason).toEqual(rxDropped(reason, len));
      expect(ofType(fx, 'net.deliver')).toEqual([]);
      expect(h.bufOf(1)).not.toBe(before);
    }
  });

  test('before the enable is acked a frame is dropped and its buffer recycled with a fresh post', () => {
    const h = nic({ numRcvBufs: 4, up: false });
    h.send(OPEN);
    h.take();
    const old = h.bufOf(1);
    expect(h.step(h.rcv(1))).toEqual([rxDropped('notEnabled'), posted(1, h.bufOf(1))]);
    expect(h.bufOf(1)).not.toBe(old);
  });

  test('a buffer the table does not hold is never delivered: counted bad_rcv_buf / n_repost_deficit, only owned ones reposted', () => {
    const h = nic({ numRcvBufs: 4 });
    expect(h.step(rcvOf(999))).toEqual([rxDropped('badRcvBuf')]);
    expect(h.ctx().counts).toMatchObject({ badRcvBuf: 1, nRepostDeficit: 1 });
    const fx = h.step(rcvOf(h.bufOf(0), [h.bufOf(0), 999], 5000));
    expect(fx.map((e) => (e.type === 'net.postRcv' ? e.index : e.type))).toEqual([
      'net.rxDropped',
      0,
    ]);
    expect(h.ctx().counts).toMatchObject({ badRcvBuf: 1, nRepostDeficit: 2 });
  });

  test('a failed post leaves the buffer with the guest; the first drain after the ack posts it again', () => {
    let refuse = true;
    const h = nic({ numRcvBufs: 4, up: false, postOk: (index) => !(index === 2 && refuse) });
    h.send(OPEN);
    refuse = false;
    expect(h.ctx()).toMatchObject({
      rcvbufs: [expect.any(Number), expect.any(Number), null, expect.any(Number)],
      counts: { sentPost: 3, sentPostFailed: 1 },
    });
    expect(ofType(h.step(IRQ), 'net.postRcv').filter((p) => p.index === 2)).toHaveLength(1); // open's only: not acked yet
    h.send(ACK);
    h.take();
    expect(types(h.step(IRQ))).toEqual(['net.postRcv', 'channel.removeResponse']);
    expect(h.ctx()).toMatchObject({
      rcvbufs: { 2: expect.any(Number) },
      counts: { extraRcvbufsSent: 1 },
    });
    h.send(
      { type: 'POST_FAILED', index: 2, buf: 1 },
      { type: 'POST_FAILED', index: 64, buf: h.bufOf(0) },
    );
    expect(h.ctx().counts.stalePostFailures).toBe(2);
  });

  test('every post and transmit gets a buf never used before in the actor life, across reposts, pause, resume and reset', () => {
    const h = nic({ numRcvBufs: 4 });
    h.send(h.rcv(0));
    h.send(h.rcv(0), xmit(1), SUSPEND, RESUME, ACK, xmit(2));
    h.clock.increment(5000);
    h.send(CLOSE, OPEN);
    expect(h.ctx().counts.txTimeouts).toBe(1);
    const bufs = h.effects.flatMap((e) =>
      e.type === 'net.postRcv' || e.type === 'net.insertXmit' ? [e.buf] : [],
    );
    expect(bufs.length).toBe(2 + 1 + 4 + 1 + 4 + 4);
    expect(new Set(bufs).size).toBe(bufs.length);
    expect(bufs.every((b) => Number.isSafeInteger(b))).toBe(true);
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
    expect(h.step(rcvOf(1), ACK, IRQ)).toEqual([]);
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
    expect(h.step(xmit(1))).toEqual([dropped(1, 'queueStopped')]);
    expect(h.step(ACK)).toEqual([queue(true), carrier(true)]);
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
    expect(h.step(RESUME).slice(2, 4)).toEqual([
      enbdis(1),
      { type: 'net.promisc', ...N, enable: 0x100 },
    ]);
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
    expect(paramsOf(arming, 'xstate.raise')).toMatchObject([
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
      expect(h.step(xmit(8))[0]).toMatchObject(
        on ? { type: 'net.insertXmit', id: 8, slot: 1 } : dropped(8, 'queueStopped'),
      );
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
});

describe('virtnic graph', () => {
  test('with IO events too, every state is reachable and the IO path adds no state', () => {
    const events: VirtnicEvent[] = [
      { type: 'PROBE' },
      SUSPEND,
      RESUME,
      REMOVE,
      config(1),
      OPEN,
      CLOSE,
      ACK,
      xmit(1),
      status(0),
      IRQ,
      { type: 'RESPONSES_EMPTY' },
    ];
    const serializeState = (s: AnyMachineSnapshot) => {
      const c = s.context as {
        open: boolean;
        carrier: boolean;
        queueRunning: boolean;
        enbdisAcksOwed: number;
        xmits: unknown[];
      };
      return JSON.stringify([
        s.value,
        c.open,
        c.carrier,
        c.queueRunning,
        c.enbdisAcksOwed,
        c.xmits.filter((x) => x !== null).length,
      ]);
    };
    const options = { input: INPUT, events, serializeState };
    const paths = getShortestPaths(virtnicMachine, options);
    const reached = new Set(paths.map((p) => p.state.value));
    expect(reached).toEqual(new Set(['matched', 'running', 'serverDown', 'removed']));
    const changing = virtnicMachine.resolveState({
      value: 'serverChanging',
      context: runEvents([]).snapshot.context,
    });
    const fromChanging = getShortestPaths(virtnicMachine, { ...options, fromState: changing });
    expect(new Set([...reached, ...fromChanging.map((p) => p.state.value)])).toEqual(
      new Set(VIRTPCI_DRIVER_STATES),
    );
    // The queue never runs without the carrier (default quirks), in any state reached.
    for (const p of paths)
      expect(
        !(p.state.context.queueRunning && !p.state.context.carrier),
        serializeState(p.state),
      ).toBe(true);
  });
});

/** Steps the machine purely (after PROBE) and collects the effects. */
function runEvents(events: VirtnicEvent[], from?: AnyMachineSnapshot) {
  let snapshot =
    from ??
    transition(virtnicMachine, initialTransition(virtnicMachine, INPUT)[0], { type: 'PROBE' })[0];
  const effects: VirtnicEmitted[] = [];
  for (const event of events) {
    effects.push(...emittedBy(snapshot, event));
    snapshot = transition(virtnicMachine, snapshot, event)[0];
  }
  return { snapshot, effects };
}

/** The effects `event` makes the machine emit from `snapshot`. */
function emittedBy(snapshot: AnyMachineSnapshot, event: VirtnicEvent): VirtnicEmitted[] {
  const [, actions] = transition(virtnicMachine, snapshot, event);
  return (actions as readonly { type: string; params: unknown }[]).flatMap((a) =>
    a.type === 'xstate.emit' ? [(a.params as { event: VirtnicEmitted }).event] : [],
  );
}
