// block-workload machine (spar-protocol.md §4.2 "Guarantee to the guest", §4.8), alone against a
// scripted device: queue depth, verification of every read, and the totals. Its pure rules are in
// block-workload.logic.test.ts; the whole guest storage stack through an IOSP outage is in
// block-workload.storage-stack.test.ts.

import { getShortestPaths } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import { createActor } from 'xstate';
import { blockWorkloadMachine } from './block-workload.machine.js';
import { blockWorkloadSystemId, expectedBlock } from './block-workload.logic.js';
import type {
  BlockWorkloadEmitted,
  BlockWorkloadEvent,
  BlockWorkloadInput,
} from './block-workload.types.js';

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
