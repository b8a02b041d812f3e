// block-workload machine (the "no lost write" check of spar-protocol.md §4.2 "Guarantee to the
// guest", §4.8), first alone against a scripted device, then the whole guest storage stack —
// workload → scsi-midlayer → virthba — against a small in-memory IOSP, through an IOSP outage.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { blockWorkloadMachine } from './block-workload.machine.js';
import {
  LBA_CHUNK,
  lbaEntries,
  withLbaStates,
  blockVersions,
  blockWorkloadSystemId,
  expectedBlock,
  versionsOf,
} from './block-workload.logic.js';
import type {
  LbaMap,
  BlockWorkloadEmitted,
  BlockWorkloadEvent,
  BlockWorkloadInput,
} from './block-workload.types.js';
import { scsiMidlayerMachine } from './scsi-midlayer.machine.js';
import type { BlockBuffer, ScsiMidlayerEmitted } from './scsi-midlayer.types.js';
import { virthbaMachine } from './virthba.machine.js';
import type { VirthbaEmitted, VirthbaQuirks, VirthbaResponseEvent } from './virthba.types.js';

const HALF = { numerator: 1, denominator: 2 };

/** The bytes a read of `versions.length` blocks from `lba` returns; null is a torn block. */
function bytesOf(lba: number, versions: readonly (number | null)[], blockSize: number): Uint8Array {
  const data = new Uint8Array(versions.length * blockSize);
  versions.forEach((v, i) => {
    const block = v === null ? torn(blockSize) : expectedBlock(lba + i, v, blockSize);
    data.set(block, i * blockSize);
  });
  return data;
}

/** A block whose words disagree: no version of any LBA. */
const torn = (blockSize: number) => Uint8Array.from({ length: blockSize }, (_, i) => i + 1);
/** Seed words for one request: op (even → write at 1/2), length − 1, LBA. */
const req = (op: 'w' | 'r', lba: number, blocks = 1) => [op === 'w' ? 0 : 1, blocks - 1, lba];
const BASE: BlockWorkloadInput = {
  partition: 'guest1',
  name: 'sda',
  queueDepth: 1,
  blocks: 16,
  blockSize: 64,
  ops: 1,
  writeFraction: HALF,
  seedWords: [1, 0, 0],
};

/** A workload actor with its effects recorded; `done(id, versions?)` answers a request. */
function workload(input: Partial<BlockWorkloadInput>) {
  const full = { ...BASE, ...input };
  const actor = createActor(blockWorkloadMachine, {
    input: full,
    systemId: blockWorkloadSystemId(full),
  });
  const effects: BlockWorkloadEmitted[] = [];
  actor.on('*', (e) => effects.push(e));
  actor.start();
  const send = (e: BlockWorkloadEvent) => actor.send(e);
  return {
    actor,
    effects,
    send,
    take: () => effects.splice(0),
    /** Answers request `id`; a read's `versions` become the bytes it returns (null: torn). */
    done: (id: number, versions?: (number | null)[], ok = true) => {
      const lba = actor.getSnapshot().context.inFlight.find((r) => r.id === id)?.lba ?? 0;
      const data = versions === undefined ? undefined : bytesOf(lba, versions, full.blockSize);
      send(
        data === undefined
          ? { type: 'REQUEST_DONE', id, ok }
          : { type: 'REQUEST_DONE', id, ok, data },
      );
    },
    ctx: () => actor.getSnapshot().context,
  };
}
const submit = (
  id: number,
  op: 'read' | 'write',
  lba: number,
  blocks: number,
  version: number | null,
) => ({ type: 'workload.submit', name: 'sda', id, op, lba, blocks, blockSize: 64, version });

describe('block-workload data pattern', () => {
  test('a block holds lba·2^20 + version in every little-endian word; zeros are version 0', () => {
    const block = expectedBlock(3, 5, 16);
    expect([...block]).toEqual([5, 0, 0x30, 0, 0, 0, 0, 0, 5, 0, 0x30, 0, 0, 0, 0, 0]);
    expect(versionsOf(block)).toBe(5);
    expect(versionsOf(block, 3)).toBe(5);
    expect(versionsOf(block, 4)).toBeNull();
    expect(versionsOf(new Uint8Array(16))).toBe(0);
    const torn = new Uint8Array(block);
    torn[8] = 6;
    expect(versionsOf(torn)).toBeNull();
    const data = new Uint8Array([
      ...expectedBlock(7, 2, 16),
      ...new Uint8Array(16),
      ...expectedBlock(7, 2, 16),
    ]);
    expect(blockVersions(data, 7, 3, 16)).toEqual([2, 0, null]);
  });

  test('the largest LBA and version round-trip exactly; a block torn only in a high half-word is refused', () => {
    const lba = 2 ** 44 - 1;
    const version = 2 ** 20 - 1;
    const block = expectedBlock(lba, version, 32);
    expect(versionsOf(block, lba)).toBe(version);
    expect(versionsOf(block, lba - 1)).toBeNull();
    const torn = new Uint8Array(block);
    torn[31] = (torn[31] ?? 0) ^ 0x80; // the last word's top byte
    expect(versionsOf(torn)).toBeNull();
  });
});

describe('block-workload per-LBA map', () => {
  test('writes across chunk boundaries land on the right LBAs, copy only the chunks they touch, and read back in LBA order', () => {
    const put = (map: LbaMap, lba: number, blocks: number, acked: number) =>
      withLbaStates(map, lba, blocks, () => ({ acked, possible: [] }));
    const a = put({}, LBA_CHUNK - 2, 4, 7); // two chunks
    const b = put(a, 5 * LBA_CHUNK + 1, 1, 9);
    expect(Object.keys(b).sort()).toEqual(['0', '1', '5']);
    expect(b['0']).toBe(a['0']); // untouched chunk shared
    expect(lbaEntries(b).map(([lba, s]) => [lba, s.acked])).toEqual([
      [LBA_CHUNK - 2, 7],
      [LBA_CHUNK - 1, 7],
      [LBA_CHUNK, 7],
      [LBA_CHUNK + 1, 7],
      [5 * LBA_CHUNK + 1, 9],
    ]);
    const appended = withLbaStates(b, LBA_CHUNK - 1, 2, (s, lba) => ({
      acked: s.acked,
      possible: [...s.possible, lba],
    }));
    expect(lbaEntries(appended).slice(1, 3)).toEqual([
      [LBA_CHUNK - 1, { acked: 7, possible: [LBA_CHUNK - 1] }],
      [LBA_CHUNK, { acked: 7, possible: [LBA_CHUNK] }],
    ]);
    expect(lbaEntries(a)).toHaveLength(4); // the map written earlier is unchanged
  });
});

describe('block-workload machine', () => {
  test('smoke: START issues up to queueDepth requests drawn from the seed words, under <partition>/block-workload:<name>', () => {
    const w = workload({
      queueDepth: 2,
      ops: 3,
      seedWords: [...req('w', 4, 2), ...req('r', 9, 3), ...req('w', 0)],
    });
    expect(w.actor.system.get('guest1/block-workload:sda')).toBe(w.actor);
    expect(w.take()).toEqual([]);
    w.send({ type: 'START' });
    expect(w.take()).toEqual([submit(0, 'write', 4, 2, 1), submit(1, 'read', 9, 3, null)]);
    w.done(0);
    expect(w.take()).toEqual([
      { type: 'workload.done', name: 'sda', id: 0, ok: true },
      submit(2, 'write', 0, 1, 2),
    ]);
    expect(w.actor.getSnapshot().value).toBe('draining');
  });

  test('never more than queueDepth outstanding; every op answered once; finished once, with the totals', () => {
    const seedWords = Array.from({ length: 90 }, (_, i) => (i * 7919 + 13) % 1000);
    const w = workload({ queueDepth: 4, ops: 30, seedWords, blocks: 64 });
    const disk = new Map<number, number>();
    const outstanding: {
      id: number;
      op: string;
      lba: number;
      blocks: number;
      version: number | null;
    }[] = [];
    let maxOutstanding = 0;
    w.actor.on('workload.submit', (e) => {
      outstanding.push(e);
      maxOutstanding = Math.max(maxOutstanding, outstanding.length);
    });
    w.send({ type: 'START' });
    for (let step = 0; outstanding.length > 0; step++) {
      const [r] = outstanding.splice((step * 3) % outstanding.length, 1);
      if (r === undefined) break;
      const lbas = Array.from({ length: r.blocks }, (_, i) => r.lba + i);
      const { version } = r;
      if (version !== null) for (const l of lbas) disk.set(l, version);
      w.done(r.id, r.version === null ? lbas.map((l) => disk.get(l) ?? 0) : undefined);
    }
    expect(maxOutstanding).toBe(4);
    const dones = w.effects.filter((e) => e.type === 'workload.done').map((e) => e.id);
    expect(dones.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(w.effects.filter((e) => e.type === 'workload.verified' && !e.ok)).toEqual([]);
    expect(w.effects.filter((e) => e.type === 'workload.finished')).toEqual([
      { type: 'workload.finished', name: 'sda', ops: 30, failed: 0, verifyFailures: 0 },
    ]);
    expect(w.actor.getSnapshot().value).toBe('finished');
  });

  test('a write that meets a write in flight is issued as a read of the same range', () => {
    const w = workload({ queueDepth: 2, ops: 2, seedWords: [...req('w', 2, 2), ...req('w', 3)] });
    w.send({ type: 'START' });
    expect(w.take()).toEqual([submit(0, 'write', 2, 2, 1), submit(1, 'read', 3, 1, null)]);
    expect(w.ctx().counts.writesDeferredToReads).toBe(1);
  });

  test('no lost write: after a write is acknowledged, a read showing the older version fails verification', () => {
    const w = workload({ ops: 3, seedWords: [...req('w', 3), ...req('r', 3), ...req('r', 3)] });
    w.send({ type: 'START' });
    w.done(0);
    w.done(1, [1]);
    w.done(2, [0]);
    const verified = w.effects.filter((e) => e.type === 'workload.verified');
    expect(verified).toEqual([
      { type: 'workload.verified', name: 'sda', id: 1, ok: true },
      {
        type: 'workload.verified',
        name: 'sda',
        id: 2,
        ok: false,
        mismatch: { lba: 3, got: 0, allowed: [1] },
      },
    ]);
    expect(w.effects.at(-1)).toEqual({
      type: 'workload.finished',
      name: 'sda',
      ops: 3,
      failed: 0,
      verifyFailures: 1,
    });
  });

  test('a read concurrent with a write may show the old or the new version, but nothing else', () => {
    for (const [order, got, ok] of [
      ['rw', 0, true],
      ['rw', 1, true],
      ['wr', 1, true],
      ['wr', 0, true],
      ['wr', 2, false],
      ['rw', null, false],
    ] as const) {
      const seedWords =
        order === 'rw' ? [...req('r', 5), ...req('w', 5)] : [...req('w', 5), ...req('r', 5)];
      const w = workload({ queueDepth: 2, ops: 2, seedWords });
      w.send({ type: 'START' });
      w.done(order === 'rw' ? 0 : 1, [got]);
      expect(w.effects.find((e) => e.type === 'workload.verified')?.ok, `${order} ${got}`).toBe(ok);
    }
  });

  test('a failed write stays possible until a later write is acknowledged', () => {
    const seedWords = [...req('w', 1), ...req('r', 1), ...req('w', 1), ...req('r', 1)];
    const w = workload({ ops: 4, seedWords });
    w.send({ type: 'START' });
    w.done(0, undefined, false);
    w.done(1, [1]);
    w.done(2);
    w.done(3, [1]);
    const verified = w.effects.filter((e) => e.type === 'workload.verified').map((e) => e.ok);
    expect(verified).toEqual([true, false]);
    expect(w.effects.at(-1)).toMatchObject({
      type: 'workload.finished',
      failed: 1,
      verifyFailures: 1,
    });
  });

  test('unknown or repeated answers are counted and change nothing; zero ops finish at START', () => {
    const w = workload({ ops: 1 });
    w.done(0);
    w.send({ type: 'START' });
    w.done(0, [0]);
    w.done(0, [0]);
    expect(w.ctx().counts).toMatchObject({ unknownDones: 2, succeeded: 1 });
    expect(w.effects.filter((e) => e.type === 'workload.done')).toHaveLength(1);
    const none = workload({ ops: 0, seedWords: [] });
    none.send({ type: 'START' });
    expect(none.take()).toEqual([
      { type: 'workload.finished', name: 'sda', ops: 0, failed: 0, verifyFailures: 0 },
    ]);
  });

  test('graph: idle, running, draining and finished are all reachable', () => {
    const input = { ...BASE, ops: 2, writeFraction: { numerator: 0, denominator: 1 } };
    const paths = getShortestPaths(blockWorkloadMachine, {
      input,
      events: [
        { type: 'START' },
        { type: 'REQUEST_DONE', id: 0, ok: true, data: new Uint8Array(BASE.blockSize) },
        { type: 'REQUEST_DONE', id: 1, ok: true, data: new Uint8Array(BASE.blockSize) },
      ],
      serializeState: (s) => JSON.stringify([s.value, s.context.inFlight.map((r) => r.id)]),
    });
    const states = ['idle', 'running', 'draining', 'finished'];
    expect(new Set(paths.map((p) => p.state.value))).toEqual(new Set(states));
    expect(Object.keys(blockWorkloadMachine.root.states)).toEqual(states);
  });
});

/**
 * The guest storage stack on one clock: workload → midlayer → virthba, and a fake IOSP that
 * executes up to two commands per tick from queue 0 onto an in-memory disk and answers on
 * queue 1. An outage pauses virthba and re-initialises both queues (§4.8 steps 1–4). Each request
 * carries its buffer down and its data back, as storage-stack.ts moves them: nothing here joins
 * a completion to its request by id.
 */
function storageStack(o: { quirks?: Partial<VirthbaQuirks>; ops: number }) {
  const BS = 64;
  const at = { partition: 'guest1', busNo: 1, devNo: 0 };
  const clock = new SimulatedClock();
  const seedWords = Array.from({ length: 3 * o.ops }, (_, i) => (i * 2654435761) % 4093);
  const wl = createActor(blockWorkloadMachine, {
    clock,
    input: { ...BASE, queueDepth: 8, blocks: 32, blockSize: BS, ops: o.ops, seedWords },
  });
  const ml = createActor(scsiMidlayerMachine, { clock, input: at });
  const hba = createActor(virthbaMachine, {
    clock,
    input: { ...at, ...(o.quirks === undefined ? {} : { quirks: o.quirks }) },
  });
  const disk = new Map<number, Uint8Array>();
  /** The DMA buffer of each pending slot, as the IOSP left it. */
  const dma = new Map<number, Uint8Array>();
  let nextId = 1;
  let queue0: { slot: number; buffer: BlockBuffer }[] = [];
  const queue1: VirthbaResponseEvent[] = [];
  const wlEffects: BlockWorkloadEmitted[] = [];
  wl.on('*', (e) => {
    wlEffects.push(e);
    if (e.type !== 'workload.submit') return;
    const { op, lba, blocks, blockSize, version } = e;
    const origin = { workload: e.name, id: e.id };
    const target = { channel: 0, id: 0, lun: 0 };
    ml.send({ type: 'REQUEST', id: nextId++, op, lba, blocks, blockSize, version, target, origin });
  });
  ml.on('*', (e: ScsiMidlayerEmitted) => {
    if (e.type === 'hba.queue') {
      const { tag, cdb, dataDir, bufflen, vdest, buffer } = e;
      hba.send({ type: 'SCSI_QUEUE', tag, cdb, dataDir, bufflen, vdest, buffer });
      return;
    }
    const data = e.ok ? e.data : undefined;
    const done = { type: 'REQUEST_DONE', id: e.origin.id, ok: e.ok } as const;
    wl.send(data === undefined ? done : { ...done, data });
  });
  hba.on('*', (e: VirthbaEmitted) => {
    // Inserts always succeed, so they are not answered (storage-stack.ts answers only failures).
    if (e.type === 'channel.insertScsi') queue0.push({ slot: e.slot, buffer: e.buffer });
    if (e.type === 'channel.removeResponse') {
      const next = queue1.shift();
      hba.send(
        next === undefined ? { type: 'RESPONSES_EMPTY' } : { ...next, more: queue1.length > 0 },
      );
    }
    if (e.type !== 'scsi.complete') return;
    if (e.outcome === 'busy') {
      ml.send({ type: 'SCSI_COMPLETE', tag: e.tag, outcome: 'busy' });
      return;
    }
    const { tag, linuxstat, sense, noDiskResult, slot, buffer } = e;
    const data = linuxstat === 0 && buffer.version === null ? dma.get(slot) : undefined;
    const read = data === undefined ? {} : { data };
    ml.send({
      type: 'SCSI_COMPLETE',
      tag,
      outcome: 'done',
      linuxstat,
      sense,
      noDiskResult,
      ...read,
    });
  });
  const execute = ({ slot, buffer }: { slot: number; buffer: BlockBuffer }) => {
    const lbas = Array.from({ length: buffer.blocks }, (_, i) => buffer.lba + i);
    const { version } = buffer;
    if (version !== null) for (const l of lbas) disk.set(l, expectedBlock(l, version, BS));
    else
      dma.set(slot, new Uint8Array(lbas.flatMap((l) => [...(disk.get(l) ?? new Uint8Array(BS))])));
    queue1.push({
      type: 'SCSI_RESPONSE',
      handle: slot,
      linuxstat: 0,
      sense: null,
      noDiskResult: false,
      more: false,
    });
  };
  for (const actor of [hba, ml, wl]) actor.start();
  hba.send({ type: 'PROBE' });
  wl.send({ type: 'START' });
  return {
    wl,
    ml,
    hba,
    wlEffects,
    queue1,
    tick: (n = 1) => {
      for (let i = 0; i < n; i++) {
        clock.increment(1);
        queue0.splice(0, 2).forEach(execute);
        hba.send({ type: 'CHANNEL_INTERRUPT' });
      }
    },
    /** The IOSP goes away (after executing what it had) and comes back with empty queues. */
    outage: () => {
      queue0.splice(0).forEach(execute);
      hba.send({ type: 'SUSPEND' });
      queue0 = [];
      queue1.splice(0);
      hba.send({ type: 'RESUME' });
    },
  };
}

describe('guest storage stack through an IOSP outage (workload → scsi-midlayer → virthba)', () => {
  test('every request completes exactly once and every read verifies, although the outage reset commands in flight', () => {
    const s = storageStack({ ops: 60 });
    s.tick(3);
    s.outage();
    s.tick(100);
    expect(s.hba.getSnapshot().context.counts.scsiResetOnPause).toBeGreaterThan(0);
    expect(s.ml.getSnapshot().context.counts).toMatchObject({
      resetRetries: s.hba.getSnapshot().context.counts.scsiResetOnPause,
      duplicateCompletions: 0,
    });
    expect(s.wlEffects.filter((e) => e.type === 'workload.done')).toHaveLength(60);
    expect(s.wlEffects.at(-1)).toEqual({
      type: 'workload.finished',
      name: 'sda',
      ops: 60,
      failed: 0,
      verifyFailures: 0,
    });
  });

  test('canary losePendingOnPause: one request never completes and the workload never finishes', () => {
    const s = storageStack({ ops: 60, quirks: { losePendingOnPause: true } });
    s.tick(3);
    s.outage();
    s.tick(1000);
    expect(s.wl.getSnapshot().value).not.toBe('finished');
    expect(s.ml.getSnapshot().context.requests).toHaveLength(1);
  });

  test('canary doubleCompleteOnResume: a replayed response completes a command twice; the midlayer counts it, the workload sees one answer', () => {
    const s = storageStack({ ops: 60, quirks: { doubleCompleteOnResume: true } });
    s.tick(3);
    const pendingSlot = s.hba.getSnapshot().context.slots.findIndex((x) => x !== null);
    s.outage();
    s.queue1.push({
      type: 'SCSI_RESPONSE',
      handle: pendingSlot,
      linuxstat: 0,
      sense: null,
      noDiskResult: false,
      more: false,
    });
    s.tick(100);
    expect(s.ml.getSnapshot().context.counts.duplicateCompletions).toBe(1);
    expect(s.wlEffects.filter((e) => e.type === 'workload.done')).toHaveLength(60);
    expect(s.wlEffects.at(-1)).toMatchObject({
      type: 'workload.finished',
      failed: 0,
      verifyFailures: 0,
    });
  });
});
