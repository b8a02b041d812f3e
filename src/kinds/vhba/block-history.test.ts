// A workload's timed history and its disk's writers (spar-protocol.md §4.2): who takes which
// versions on a shared disk, and what the recorder keeps of each request.

import { describe, expect, test } from 'vitest';
import { expectedBlock } from '../../../machines/block-workload.logic.js';
import { loadShipped } from '../../run/testing/shipped.js';
import { BlockHistoryRecorder, hasSeveralWorkloads, writerSlot } from './block-history.js';

describe('block history', () => {
  test("smoke: the two-writers scenario's guests are writers 0 and 1 of disk0", () => {
    const { config } = loadShipped('two-writers');
    expect(writerSlot(config, 'disk0', 'guest1')).toEqual({ index: 0, count: 2 });
    expect(writerSlot(config, 'disk0', 'guest2')).toEqual({ index: 1, count: 2 });
    expect(hasSeveralWorkloads(config, 'disk0')).toBe(true);
  });

  test('a lone writer keeps versions 1, 2, … and no history', () => {
    const { config } = loadShipped('iosp-reboot-storage');
    expect(writerSlot(config, 'disk0', 'guest1')).toEqual({ index: 0, count: 1 });
    expect(hasSeveralWorkloads(config, 'disk0')).toBe(false);
  });

  test('the recorder keeps each request from submission to answer, and what a read showed', () => {
    const h = new BlockHistoryRecorder(512, true);
    h.submitted(0, 1, { op: 'write', lba: 3, blocks: 1, version: 5 });
    h.submitted(1, 2, { op: 'read', lba: 3, blocks: 1, version: null });
    h.submitted(2, 4, { op: 'read', lba: 0, blocks: 1, version: null });
    h.answered(0, 6, true, undefined);
    h.answered(1, 7, true, expectedBlock(3, 5, 512));
    h.answered(9, 8, true, undefined); // not outstanding: ignored
    expect(h.outstandingSinceMs()).toEqual([4]);
    expect(h.history().map((op) => [op.startMs, op.endMs, op.ok, op.read])).toEqual([
      [1, 6, true, null],
      [2, 7, true, [5]],
      [4, null, null, null],
    ]);
  });

  test('without a history it still knows what is outstanding', () => {
    const h = new BlockHistoryRecorder(512, false);
    h.submitted(0, 10, { op: 'read', lba: 0, blocks: 1, version: null });
    h.submitted(1, 11, { op: 'read', lba: 0, blocks: 1, version: null });
    h.answered(0, 12, false, undefined);
    expect(h.outstandingSinceMs()).toEqual([11]);
    expect(h.history()).toEqual([]);
  });
});
