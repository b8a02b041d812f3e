// The storage isolation oracle: fed scans that show another guest's disk, a disk at the wrong
// address, a missing shared disk and a served no-disk READ, each of which must be a finding.

import { describe, expect, test } from 'vitest';
import {
  answeredTargets,
  type ScannedTarget,
  storageIsolationFindings,
  storageIsolationText,
  type VhbaScan,
} from './storage-isolation.js';

const SHARED = new Map([[0, 'disk0']]);
const shared = (iosp: string) => (iosp === 'iosp0' ? SHARED : new Map<number, string>());
const scan = (...targets: ScannedTarget[]): VhbaScan[] => [{ iosp: 'iosp0', targets }];
const DISK0: ScannedTarget = { id: 0, inquiry: 'disk', serial: 'disk0' };
const EMPTY: ScannedTarget = { id: 1, inquiry: 'no-disk', read: 'no-disk' };

describe('storage isolation', () => {
  test('smoke: the shared disk at its address and no-disk answered no-disk keep the promise', () => {
    expect(storageIsolationFindings(scan(DISK0, EMPTY), shared)).toEqual([]);
    expect(answeredTargets(scan(DISK0, EMPTY))).toBe(2);
  });

  test('a disk not shared with the guest showing at an empty address breaks it', () => {
    const foreign: ScannedTarget = { id: 1, inquiry: 'disk', serial: 'disk1' };
    const found = storageIsolationFindings(scan(DISK0, foreign), shared);
    expect(found).toEqual([{ kind: 'foreign-disk', iosp: 'iosp0', id: 1, disk: 'disk1' }]);
    expect(storageIsolationText('guest2', found[0] as (typeof found)[number])).toBe(
      'guest2: iosp0 target 1 shows disk "disk1", which is not shared with it there',
    );
  });

  test('another disk at the shared disk’s address breaks it (the guest’s IO would reach it)', () => {
    const swapped: ScannedTarget = { id: 0, inquiry: 'disk', serial: 'disk1' };
    expect(storageIsolationFindings(scan(swapped), shared)).toEqual([
      { kind: 'foreign-disk', iosp: 'iosp0', id: 0, disk: 'disk1' },
    ]);
  });

  test('a READ served at an address with no disk breaks it, and so does a shared disk missing', () => {
    const served: ScannedTarget = { id: 0, inquiry: 'no-disk', read: 'served' };
    expect(storageIsolationFindings(scan(served), shared)).toEqual([
      { kind: 'missing-disk', iosp: 'iosp0', id: 0, disk: 'disk0' },
      { kind: 'no-disk-served', iosp: 'iosp0', id: 0 },
    ]);
  });

  test('a target that answered neither way is no finding, and counts as unanswered', () => {
    const lost: ScannedTarget = { id: 0, inquiry: 'lost' };
    expect(storageIsolationFindings(scan(lost), shared)).toEqual([]);
    expect(answeredTargets(scan(lost))).toBe(0);
  });
});
