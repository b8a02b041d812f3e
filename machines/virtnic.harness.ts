// The virtnic tests' fake partition host and event builders (spar-protocol.md §4.3 under Era A
// names). The host plays net-stack.ts: a fake ring whose posts and transmit inserts succeed
// silently unless told otherwise (POST_FAILED, XMIT_INSERT_FAILED), whose control inserts are
// answered CONTROL_INSERTED (or CONTROL_RING_FULL when told), and a response queue the drain
// removes from one message at a time, each answer saying whether more is left. `runEvents` steps
// the machine purely instead (nobody answers a control insert there).

import { expect } from 'vitest';
import {
  type AnyMachineSnapshot,
  createActor,
  initialTransition,
  SimulatedClock,
  transition,
} from 'xstate';
import type { FrameSpec } from '../src/kinds/vnic/ethernet.js';
import { virtnicMachine } from './virtnic.machine.js';
import { incarnationOf } from './virtnic.logic.js';
import type {
  RcvDest,
  VirtnicEmitted,
  VirtnicEvent,
  VirtnicInput,
  VirtnicQuirks,
  VirtnicResponseEvent,
} from './virtnic.types.js';
import { AT, INPUT } from './virtpci-driver.contract.js';
import { virtpciDriverSystemId } from './virtpci-driver.logic.js';

/** IO effects carry the partition as well as the device address. */
export const N = { partition: 'guest1', ...AT } as const;
export const UNIQUE = incarnationOf(AT.busNo, AT.devNo);
const event = (
  type: 'OPEN' | 'CLOSE' | 'SUSPEND' | 'RESUME' | 'REMOVE' | 'CHANNEL_INTERRUPT',
): VirtnicEvent => ({ type });
export const [OPEN, CLOSE, SUSPEND, RESUME, REMOVE, IRQ] = [
  event('OPEN'),
  event('CLOSE'),
  event('SUSPEND'),
  event('RESUME'),
  event('REMOVE'),
  event('CHANNEL_INTERRUPT'),
] as const;
export const ACK: VirtnicEvent = { type: 'ENBDIS_ACK', more: false };
/** The frame every test transmit carries (its contents do not matter to the driver). */
export const FRAME: FrameSpec = {
  kind: 'arp',
  op: 1,
  srcMac: 0x02_50_56_00_00_01,
  dstMac: 0xffff_ffff_ffff,
  senderMac: 0x02_50_56_00_00_01,
  senderIp: 0x0a_00_00_01,
  targetMac: 0,
  targetIp: 0x0a_00_00_02,
};
/** dev_queue_xmit of frame `id`, `len` bytes long. */
export const xmit = (id: number, len = 100): VirtnicEvent => ({
  type: 'XMIT',
  id,
  len,
  frame: FRAME,
});
export const status = (enable: number): VirtnicEvent => ({
  type: 'CONNECT_STATUS',
  enable,
  more: false,
});
export const config = (numRcvBufs: number): VirtnicEvent => ({
  type: 'CHANNEL_CONFIG',
  mac: 0x02_50_56_00_00_01,
  numRcvBufs,
  mtu: 1500,
});
export const rcvOf = (
  buf: number,
  rcvbufs = [buf],
  len = 100,
  dest: RcvDest = 'host',
): VirtnicEvent => ({ type: 'RCV', buf, rcvbufs, len, dest, more: false });
export const indexes = (n: number) => Array.from({ length: n }, (_, i) => i);
export const link = (carrier: boolean, awaitingEnbdisAck: boolean) => ({
  carrier,
  awaitingEnbdisAck,
});

// Expected effects.
export const queue = (running: boolean) => ({ type: 'net.txQueue', ...N, running });
export const carrier = (on: boolean) => ({ type: 'net.carrier', ...N, on });
export const enbdis = (enable: 0 | 1) => ({
  type: 'net.enbdis',
  ...N,
  enable,
  seq: expect.any(Number),
});
export const promisc = (enable: 0 | 0x100) => ({
  type: 'net.promisc',
  ...N,
  enable,
  seq: expect.any(Number),
});
export const dropped = (id: number, reason: string) => ({
  type: 'net.txDropped',
  ...N,
  id,
  reason,
});
export const rxDropped = (reason: string, len = 100) => ({
  type: 'net.rxDropped',
  ...N,
  reason,
  len,
});
export const deliver = (idx: number[], len = 100) => ({
  type: 'net.deliver',
  ...N,
  indexes: idx,
  len,
});
export const posted = (index: number, buf: number) => ({
  type: 'net.postRcv',
  ...N,
  index,
  buf,
  uniqueNum: UNIQUE,
});
export const inserted = (id: number, slot: number, len = 100) => ({
  type: 'net.insertXmit',
  ...N,
  id,
  buf: expect.any(Number),
  len,
  frame: FRAME,
  slot,
});
export const txDone = (id: number, ok = true) => ({ type: 'net.txDone', ...N, id, ok });
export const freed = (idx: number[]) => ({ type: 'net.buffersFreed', ...N, indexes: idx });
export const discarded = (ids: number[]) => ({ type: 'net.txDiscarded', ...N, ids });
export const types = (effects: readonly VirtnicEmitted[]) => effects.map((e) => e.type);
export const ofType = <T extends VirtnicEmitted['type']>(
  effects: readonly VirtnicEmitted[],
  type: T,
) => effects.filter((e): e is Extract<VirtnicEmitted, { type: T }> => e.type === type);

/** How the fake host answers. */
export interface HostOptions {
  readonly quirks?: Partial<VirtnicQuirks>;
  /** CHANNEL_CONFIG's numRcvBufs (default 6: max 3, upper 2, lower 1). */
  readonly numRcvBufs?: number;
  /** Open the interface and ack the enable (default true). */
  readonly up?: boolean;
  /** Whether the ring takes a post / a transmit (default: always); a refusal is answered at once. */
  readonly postOk?: (index: number) => boolean;
  readonly insertOk?: (slot: number) => boolean;
  /** Whether the ring takes a control message (default: always); answered either way. */
  readonly controlOk?: () => boolean;
  /** Whether the host answers removeResponse itself from `ring` (default true). */
  readonly autoDrain?: boolean;
}

/** A probed, configured virtnic actor on a simulated clock, with a fake host around it. */
export function nic(o: HostOptions = {}) {
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
    if (e.type === 'net.enbdis' || e.type === 'net.promisc' || e.type === 'net.controlRetry') {
      const full = o.controlOk?.() === false;
      actor.send({ type: full ? 'CONTROL_RING_FULL' : 'CONTROL_INSERTED', seq: e.seq });
    }
    if (e.type === 'channel.removeResponse' && o.autoDrain !== false) {
      const next = ring.shift();
      actor.send(
        next === undefined ? { type: 'RESPONSES_EMPTY' } : { ...next, more: ring.length > 0 },
      );
    }
  });
  actor.start();
  const send = (...events: VirtnicEvent[]) => {
    for (const e of events) actor.send(e);
  };
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
    step: (...events: VirtnicEvent[]) => {
      send(...events);
      return effects.splice(0);
    },
    /** Runs the delayed events due now (a qdisc run the queue's wake-up scheduled). */
    flush: () => {
      clock.increment(0);
      return effects.splice(0);
    },
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
    /** The ids the qdisc holds, oldest first. */
    held: () => ctx().qdisc.map((f) => f.id),
  };
  h.take();
  received.splice(0);
  return h;
}

/** Steps the machine purely (after PROBE) and collects the effects. */
export function runEvents(events: VirtnicEvent[], from?: AnyMachineSnapshot) {
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
export function emittedBy(snapshot: AnyMachineSnapshot, event: VirtnicEvent): VirtnicEmitted[] {
  const [, actions] = transition(virtnicMachine, snapshot, event);
  return (actions as readonly { type: string; params: unknown }[]).flatMap((a) =>
    a.type === 'xstate.emit' ? [(a.params as { event: VirtnicEmitted }).event] : [],
  );
}
