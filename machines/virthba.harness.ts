// The virthba tests' fake partition host and event builders (spar-protocol.md §4.2 under Era A
// names). The host plays storage-stack.ts: a fake ring whose inserts succeed silently unless told
// otherwise (INSERT_FAILED), and a response queue the drain removes from one message at a time,
// each answer saying whether more is left. `runEvents` steps the machine purely instead.

import { expect } from 'vitest';
import {
  createActor,
  initialTransition,
  SimulatedClock,
  transition,
  type AnyMachineSnapshot,
} from 'xstate';
import { virthbaMachine } from './virthba.machine.js';
import type {
  VirthbaEmitted,
  VirthbaEvent,
  VirthbaInput,
  VirthbaQuirks,
  VirthbaResponseEvent,
} from './virthba.types.js';
import { AT, INPUT } from './virtpci-driver.contract.js';
import { virtpciDriverSystemId } from './virtpci-driver.logic.js';

/** The SCSI address every test command goes to. */
export const VDEST = { channel: 0, id: 1, lun: 0 };
/** Tag t's data buffer: one 512-byte block at LBA 8, to read. */
export const bufferOf = (_tag: number) => ({ lba: 8, blocks: 1, blockSize: 512, version: null });
/** READ(10) of one block at LBA 8: the CDB every test command carries. */
export const READ10 = [0x28, 0, 0, 0, 0, 8, 0, 0, 1, 0];
/** SCSI_QUEUE of READ10 under `tag`. */
export const scsi = (tag: number): VirthbaEvent => ({
  type: 'SCSI_QUEUE',
  tag,
  cdb: READ10,
  dataDir: 2,
  bufflen: 512,
  vdest: VDEST,
  buffer: bufferOf(tag),
});
/** TASK_MGMT (abort task) under `tag`. */
export const tmf = (tag: number): VirthbaEvent => ({
  type: 'TASK_MGMT',
  tag,
  tasktype: 1,
  vdest: VDEST,
});
/** A SCSI response; the fake host sets `more` when it hands one out of its ring. */
export const response = (handle: number, linuxstat = 0): VirthbaResponseEvent => ({
  type: 'SCSI_RESPONSE',
  handle,
  linuxstat,
  sense: null,
  noDiskResult: false,
  more: false,
});
/** Tag `tag`'s completion; the slot it held is any (the table tests check slots themselves). */
export const done = (tag: number, linuxstat = 0) => ({
  type: 'scsi.complete',
  ...AT,
  tag,
  outcome: 'done',
  linuxstat,
  sense: null,
  noDiskResult: false,
  slot: expect.any(Number),
  buffer: bufferOf(tag),
});
/** Tag `tag` answered busy (SCSI_MLQUEUE_DEVICE_BUSY): the midlayer requeues it. */
export const busy = (tag: number) => ({ type: 'scsi.complete', ...AT, tag, outcome: 'busy' });

/** How the fake host around {@link hba} behaves. */
export interface HostOptions {
  readonly quirks?: Partial<VirthbaQuirks>;
  readonly maxPending?: number;
  /** Whether the ring takes an insert (default: always); a refused one is answered INSERT_FAILED. */
  readonly insertOk?: (slot: number) => boolean;
  /** Whether the host answers removeResponse itself (default true). */
  readonly autoDrain?: boolean;
}

/** A probed virthba actor on a simulated clock, with a fake host around it. */
export function hba(options: HostOptions = {}) {
  const clock = new SimulatedClock();
  const input: VirthbaInput = {
    ...INPUT,
    ...(options.quirks === undefined ? {} : { quirks: options.quirks }),
    ...(options.maxPending === undefined ? {} : { maxPending: options.maxPending }),
  };
  const systemId = virtpciDriverSystemId('virthba', INPUT);
  /** The types of the events the actor received from outside (mailbox events, not raised ones). */
  const received: string[] = [];
  const inspect = (e: { type: string; actorRef?: unknown; event?: { type: string } }) => {
    if (e.type === '@xstate.event' && e.actorRef === actor && e.event !== undefined)
      received.push(e.event.type);
  };
  const actor = createActor(virthbaMachine, { input, clock, systemId, inspect });
  const effects: VirthbaEmitted[] = [];
  /** queue 1: what the IOSP answered and the driver has not removed yet. */
  const ring: VirthbaResponseEvent[] = [];
  actor.on('*', (e) => {
    effects.push(e);
    if (
      (e.type === 'channel.insertScsi' || e.type === 'channel.insertTaskMgmt') &&
      options.insertOk?.(e.slot) === false
    ) {
      actor.send({ type: 'INSERT_FAILED', slot: e.slot, tag: e.tag });
    }
    if (e.type === 'channel.removeResponse' && options.autoDrain !== false) {
      const next = ring.shift();
      actor.send(
        next === undefined ? { type: 'RESPONSES_EMPTY' } : { ...next, more: ring.length > 0 },
      );
    }
  });
  actor.start();
  actor.send({ type: 'PROBE' });
  effects.splice(0);
  received.splice(0);
  const ctx = () => actor.getSnapshot().context;
  return {
    actor,
    clock,
    effects,
    ring,
    ctx,
    send: (...events: VirthbaEvent[]) => {
      for (const e of events) actor.send(e);
    },
    /** The effects since the last call. */
    take: () => effects.splice(0),
    /** The types of the events received since the last call. */
    takeReceived: () => received.splice(0),
    /** Slot index → tag of the occupied slots. */
    table: () =>
      Object.fromEntries(ctx().slots.flatMap((s, i) => (s === null ? [] : [[i, s.tag]]))),
    completions: () =>
      effects.filter((e) => e.type === 'scsi.complete' || e.type === 'taskmgmt.complete'),
  };
}

/** Steps the machine purely (after PROBE unless told otherwise) and collects the IO effects. */
export function runEvents(
  events: VirthbaEvent[],
  o: { probe?: boolean; from?: AnyMachineSnapshot } = {},
) {
  let snapshot = o.from ?? initialTransition(virthbaMachine, INPUT)[0];
  if (o.from === undefined && o.probe !== false)
    snapshot = transition(virthbaMachine, snapshot, { type: 'PROBE' })[0];
  const effects: VirthbaEmitted[] = [];
  for (const event of events) {
    const [next, actions] = transition(virthbaMachine, snapshot, event);
    snapshot = next;
    for (const a of actions as readonly { type: string; params: unknown }[]) {
      if (a.type === 'xstate.emit') effects.push((a.params as { event: VirthbaEmitted }).event);
    }
  }
  return { snapshot, effects };
}

/** A snapshot resting in serverChanging after `events` were taken while running. */
export function resolvedChanging(events: VirthbaEvent[]): AnyMachineSnapshot {
  const { snapshot } = runEvents(events);
  const value = { serverAway: 'serverChanging' };
  return virthbaMachine.resolveState({ value, context: snapshot.context });
}
