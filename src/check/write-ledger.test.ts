// The write ledger's oracle: fed disks whose blocks hold older, later, torn or unreadable data
// against a workload's acknowledged versions (spar-protocol.md §4.2 "Guarantee to the guest").

import { describe, expect, test } from 'vitest';
import { err, ok } from '../base/result.js';
import {
  expectedBlock,
  type LbaMap,
  type LbaState,
  withLbaStates,
} from '../../machines/block-workload.logic.js';
import {
  type BlockInspector,
  keepsAckedWrite,
  lostAckedWrites,
  lostBlocks,
  staleReads,
  type WriteLedger,
} from './write-ledger.js';

const BLOCK_BYTES = 512;

/** A disk of `blocks` blocks; `versions` says which write each listed LBA holds. */
function disk(blocks: number, versions: Readonly<Record<number, number>>): BlockInspector {
  const bytes = new Uint8Array(blocks * BLOCK_BYTES);
  for (const [lba, version] of Object.entries(versions))
    bytes.set(expectedBlock(Number(lba), version, BLOCK_BYTES), Number(lba) * BLOCK_BYTES);
  return {
    inspect: (lba, count) =>
      lba + count > blocks
        ? err('out of range')
        : ok(bytes.slice(lba * BLOCK_BYTES, (lba + count) * BLOCK_BYTES)),
  };
}

/** A ledger on `disk0` with `states` per LBA. */
function ledger(states: Readonly<Record<number, LbaState>>, nextVersion = 10): WriteLedger {
  let lbas: LbaMap = {};
  for (const [lba, state] of Object.entries(states))
    lbas = withLbaStates(lbas, Number(lba), 1, () => state);
  return { name: 'disk0', lbas, nextVersion };
}

describe('write ledger', () => {
  test('smoke: a disk whose every block holds its last acknowledged write lost nothing', () => {
    const l = ledger({ 0: { acked: 3, possible: [] }, 5: { acked: 7, possible: [] } });
    expect(lostAckedWrites([l], new Map([['disk0', disk(8, { 0: 3, 5: 7 })]]))).toBe(0);
  });

  test('a block holding an older version than the acknowledged write lost it', () => {
    const l = ledger({ 0: { acked: 3, possible: [] }, 1: { acked: 4, possible: [] } });
    const d = disk(8, { 0: 2, 1: 4 });
    expect(lostBlocks(l, d)).toEqual([0]);
    expect(lostAckedWrites([l], new Map([['disk0', d]]))).toBe(1);
  });

  test('a block never written back (all zeros) lost its acknowledged write', () => {
    expect(lostBlocks(ledger({ 3: { acked: 1, possible: [] } }), disk(8, {}))).toEqual([3]);
  });

  test('a later write, in flight or failed but possible, keeps the acknowledged write', () => {
    const l = ledger({ 0: { acked: 3, possible: [5, 6] } });
    expect(lostBlocks(l, disk(8, { 0: 6 }))).toEqual([]);
    expect(lostBlocks(l, disk(8, { 0: 4 })), 'version 4 was never possible here').toEqual([0]);
  });

  test('a version the workload issued after its ledger was taken (≥ nextVersion) counts as later', () => {
    const l = ledger({ 0: { acked: 3, possible: [] } }, 8);
    expect(lostBlocks(l, disk(8, { 0: 8 }))).toEqual([]);
    expect(lostBlocks(l, disk(8, { 0: 7 }))).toEqual([0]);
  });

  test('a torn block or one written for another LBA lost the acknowledged write', () => {
    const l = ledger({ 1: { acked: 2, possible: [] } });
    const torn = expectedBlock(1, 2, BLOCK_BYTES);
    torn.set(expectedBlock(1, 1, BLOCK_BYTES).subarray(0, 8)); // its first word from write 1
    const tornDisk: BlockInspector = { inspect: () => ok(torn.slice()) };
    expect(lostBlocks(l, tornDisk)).toEqual([1]);
    const misdirected: BlockInspector = { inspect: () => ok(expectedBlock(2, 2, BLOCK_BYTES)) };
    expect(lostBlocks(l, misdirected), "LBA 2's write 2 is not LBA 1's").toEqual([1]);
  });

  test('a block the disk cannot show lost its acknowledged write', () => {
    expect(lostBlocks(ledger({ 9: { acked: 1, possible: [] } }), disk(8, {}))).toEqual([9]);
  });

  test('an LBA never acknowledged cannot lose anything, whatever the disk holds', () => {
    expect(keepsAckedWrite({ acked: 0, possible: [4] }, null, 5)).toBe(true);
    expect(lostBlocks(ledger({ 0: { acked: 0, possible: [1] } }), disk(8, {}))).toEqual([]);
  });

  test('a ledger whose disk is not given is skipped, the others counted', () => {
    const other = { ...ledger({ 0: { acked: 1, possible: [] } }), name: 'disk9' };
    const mine = ledger({ 0: { acked: 1, possible: [] } });
    expect(lostAckedWrites([other, mine], new Map([['disk0', disk(8, {})]]))).toBe(1);
  });

  test("stale reads count only for the disk's writer", () => {
    const w = { counts: { verifyFailures: 2 } };
    expect(staleReads(w, true)).toBe(2);
    expect(staleReads(w, false)).toBe(0);
    expect(staleReads({ counts: { verifyFailures: 0 } }, true)).toBe(0);
  });
});
