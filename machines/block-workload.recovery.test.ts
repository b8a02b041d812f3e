// The block workload after its guest rebooted: it reads back every block its previous boot had
// acknowledged and checks it against that ledger before it goes on (spar-protocol.md §4.2).

import { describe, expect, test } from 'vitest';
import { createActor } from 'xstate';
import { workloadCompletionFindings } from '../src/check/completion-ledger.js';
import { expectedBlock, withLbaStates } from './block-workload.logic.js';
import { blockWorkloadMachine } from './block-workload.machine.js';
import type { BlockWorkloadEmitted, BlockWorkloadInput, LbaMap } from './block-workload.types.js';

const BLOCK = 64;

// Before the crash: LBA 2 acknowledged at version 3, LBA 5 at 4 with version 6 in flight, LBA 7
// written but never acknowledged (version 5 possible only).
let lbas: LbaMap = {};
lbas = withLbaStates(lbas, 2, 1, () => ({ acked: 3, possible: [] }));
lbas = withLbaStates(lbas, 5, 1, () => ({ acked: 4, possible: [6] }));
lbas = withLbaStates(lbas, 7, 1, () => ({ acked: 0, possible: [5] }));

function rebooted(ops = 1) {
  const input: BlockWorkloadInput = {
    ...{ partition: 'guest1', name: 'sda', queueDepth: 4, blocks: 16, blockSize: BLOCK, ops },
    ...{ writeFraction: { numerator: 1, denominator: 1 }, seedWords: [0, 0, 9] },
    recovered: { lbas, nextVersion: 7 },
  };
  const actor = createActor(blockWorkloadMachine, { input });
  const effects: BlockWorkloadEmitted[] = [];
  actor.on('*', (e) => effects.push(e));
  actor.start();
  actor.send({ type: 'START' });
  const read = (id: number, lba: number, version: number) =>
    actor.send({ type: 'REQUEST_DONE', id, ok: true, data: expectedBlock(lba, version, BLOCK) });
  return { actor, effects, read, ctx: () => actor.getSnapshot().context };
}

describe('block-workload after a reboot', () => {
  test('smoke: it reads back each acknowledged block first, then writes on from nextVersion', () => {
    const w = rebooted();
    const submits = w.effects.filter((e) => e.type === 'workload.submit');
    expect(submits.map((e) => [e.id, e.op, e.lba, e.version])).toEqual([
      [1, 'read', 2, null],
      [2, 'read', 5, null],
      [0, 'write', 9, 7],
    ]);
  });

  test('a block holding its acknowledged write, or a write in flight at the crash, verifies', () => {
    const w = rebooted();
    w.read(1, 2, 3);
    w.read(2, 5, 6);
    w.actor.send({ type: 'REQUEST_DONE', id: 0, ok: true });
    expect(w.ctx().counts).toMatchObject({ recoveryReads: 2, verified: 2, verifyFailures: 0 });
    expect(w.actor.getSnapshot().value).toBe('finished');
    const counts = w.ctx().counts;
    expect(workloadCompletionFindings({ name: 'sda', finished: true, counts }, 1)).toEqual([]);
  });

  test('a block that lost its acknowledged write before the crash fails verification', () => {
    const w = rebooted();
    w.read(1, 2, 2); // older than the acknowledged 3
    w.read(2, 5, 4);
    const failed = w.effects.filter((e) => e.type === 'workload.verified' && !e.ok);
    expect(failed).toEqual([
      {
        type: 'workload.verified',
        ...{ name: 'sda', id: 1, ok: false },
        mismatch: { lba: 2, got: 2, allowed: [3] },
      },
    ]);
    expect(w.ctx().counts.verifyFailures).toBe(1);
  });

  test("the recovered ledger is the workload's own: the final write ledger judges it", () => {
    const w = rebooted(0);
    expect(w.ctx().lbas).toBe(lbas);
    expect(w.ctx().toVerify).toEqual([]); // both read-backs issued at START
    expect(w.ctx().nextVersion).toBe(7);
  });
});
