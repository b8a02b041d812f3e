// The block register's oracle: two writers on one disk, fed reads and final blocks that show an
// overwritten, future, foreign or torn version (spar-protocol.md §4.2 "Guarantee to the guest").

import { describe, expect, test } from 'vitest';
import {
  type BlockHistory,
  type BlockOp,
  registerFinalFindings,
  registerReadFindings,
} from './block-register.js';

const write = (version: number, startMs: number, endMs: number | null, ok = true): BlockOp => ({
  op: 'write',
  lba: 0,
  blocks: 1,
  version,
  startMs,
  endMs,
  ok: endMs === null ? null : ok,
  read: null,
});

const read = (got: number | null, startMs: number, endMs: number): BlockOp => ({
  op: 'read',
  lba: 0,
  blocks: 1,
  version: null,
  startMs,
  endMs,
  ok: true,
  read: [got],
});

// guest1 writes version 1 over [0, 10] and 3 over [20, 30]; guest2 writes 2 over [5, 15].
const writers = (...more: BlockOp[]): BlockHistory[] => [
  { writer: 'guest1', ops: [write(1, 0, 10), write(3, 20, 30)] },
  { writer: 'guest2', ops: [write(2, 5, 15), ...more] },
];

describe('block register', () => {
  test('smoke: reads of the last acknowledged write or a concurrent one keep the register', () => {
    const h = writers(read(1, 12, 14), read(2, 12, 14), read(3, 25, 26), read(2, 16, 18));
    expect(registerReadFindings(h)).toEqual([]);
    expect(registerFinalFindings(h, () => 3)).toEqual([]);
  });

  test('a read of a write overwritten before it started breaks the register', () => {
    // Version 1 was acknowledged at 10, version 3 started at 20 and was acknowledged at 30.
    expect(registerReadFindings(writers(read(1, 31, 32)))).toEqual([
      { reader: 'guest2', lba: 0, got: 1, atMs: 32 },
    ]);
  });

  test('a read of never-written data after an acknowledged write breaks the register', () => {
    expect(registerReadFindings(writers(read(0, 11, 12)))).toHaveLength(1);
    expect(registerReadFindings(writers(read(0, 1, 12))), 'concurrent with the first').toEqual([]);
  });

  test('a read of a write that had not started, or was never issued, breaks the register', () => {
    expect(registerReadFindings(writers(read(3, 16, 18)))).toHaveLength(1);
    expect(registerReadFindings(writers(read(9, 40, 41)))).toHaveLength(1);
    expect(registerReadFindings(writers(read(null, 40, 41))), 'torn').toHaveLength(1);
  });

  test('a failed or unanswered write may show at any time after it started', () => {
    const h: BlockHistory[] = [
      { writer: 'guest1', ops: [write(1, 0, 10), write(3, 20, 30, false), write(5, 40, null)] },
      { writer: 'guest2', ops: [read(3, 100, 101), read(5, 100, 101), read(1, 100, 101)] },
    ];
    // Reading 1 at 100 is allowed too: neither 3 nor 5 was acknowledged, so neither superseded it.
    expect(registerReadFindings(h)).toEqual([]);
    expect(registerFinalFindings(h, () => 1)).toEqual([]);
  });

  test('a block the run left holding an overwritten version lost an acknowledged write', () => {
    expect(registerFinalFindings(writers(), () => 1)).toEqual([
      { reader: null, lba: 0, got: 1, atMs: null },
    ]);
    expect(registerFinalFindings(writers(), () => 0)).toHaveLength(1);
    expect(
      registerFinalFindings(writers(), () => null),
      'torn',
    ).toHaveLength(1);
    // 2 and 3 overlap in no instant, but 2 ended at 15 and 3 started at 20: 2 is overwritten.
    expect(registerFinalFindings(writers(), () => 2)).toHaveLength(1);
  });

  test('only blocks with an acknowledged write are judged', () => {
    const h: BlockHistory[] = [{ writer: 'guest1', ops: [write(1, 0, 10, false)] }];
    expect(registerFinalFindings(h, () => 0)).toEqual([]);
  });
});
