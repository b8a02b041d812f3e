// block-workload's pure rules (spar-protocol.md §4.2 "Guarantee to the guest", §4.8): the data
// pattern that lets a read name the version it saw, and the per-LBA map the checks keep.

import { describe, expect, test } from 'vitest';
import {
  initialWorkloadContext,
  issueNext,
  LBA_CHUNK,
  lbaEntries,
  withLbaStates,
  blockVersions,
  expectedBlock,
  versionsOf,
} from './block-workload.logic.js';
import type { LbaMap } from './block-workload.types.js';

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

describe('block-workload versions', () => {
  test('writer k of n writes versions k + 1, k + 1 + n, …: two writers of one disk never share one', () => {
    const versions = (firstVersion: number, versionStep: number) => {
      let c = initialWorkloadContext({
        ...{ partition: 'guest1', name: 'disk0', queueDepth: 4, blocks: 64, blockSize: 512 },
        ...{ ops: 4, writeFraction: { numerator: 1, denominator: 1 }, seedWords: [0, 0, 1, 2] },
        ...{ firstVersion, versionStep },
      });
      const out: (number | null)[] = [];
      for (let i = 0; i < 4; i++) {
        const step = issueNext(c);
        c = step.context;
        if (step.effect.type === 'workload.submit') out.push(step.effect.version);
      }
      return out.filter((v) => v !== null);
    };
    const one = versions(1, 2);
    const two = versions(2, 2);
    expect(one.length, 'writes were issued').toBeGreaterThan(0);
    expect(one.every((v) => v % 2 === 1)).toBe(true);
    expect(two.every((v) => v % 2 === 0)).toBe(true);
    expect(versions(1, 1)[0], 'a lone writer starts at 1').toBe(1);
  });
});
