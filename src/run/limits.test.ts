// The workers runtime's memory limit: a scenario within the machine's available memory is
// accepted, one beyond it is refused with the numbers that decide it and the way out.

import { describe, expect, test } from 'vitest';
import type { Config, PartitionConfig } from '../hypervisor/index.js';
import {
  currentMachine,
  type Machine,
  MAIN_THREAD_BYTES,
  WORKER_PARTITION_BYTES_BUILT,
  WORKER_PARTITION_BYTES_SOURCE,
  workersBytesNeeded,
  workersCapacity,
  workersPartitionLimit,
} from './limits.js';
import { loadShipped } from './testing/shipped.js';

const GIB = 1024 ** 3;
const shipped = loadShipped('iosp-reboot-storage').config;

/** The shipped storage scenario widened to `count` partitions (copies of its guest). */
function withPartitions(count: number): Config {
  const guest = shipped.partitions.find((p) => p.kind === 'guest') as PartitionConfig;
  const partitions = Array.from({ length: count }, (_, i) => ({
    ...guest,
    name: `guest${i}`,
    index: i,
  }));
  return { ...shipped, partitions };
}

/** This development VM as measured: 24 GiB, `freeGib` available, 2 CPUs. */
const vm = (freeGib: number): Machine => ({
  totalMemBytes: 24 * GIB,
  freeMemBytes: freeGib * GIB,
  cores: 2,
});

describe('workers capacity', () => {
  test('the shipped storage scenario fits on the development VM', () => {
    expect(workersCapacity(shipped, vm(22), 'source')).toEqual({ ok: true });
  });

  test('200 partitions with 6 GiB available are refused, and the reason names the count, the need, the cost each, what is available and the sim runtime', () => {
    const capacity = workersCapacity(withPartitions(200), vm(6), 'source');
    expect(capacity.ok).toBe(false);
    const reason = capacity.ok ? '' : capacity.reason;
    const needGb = (MAIN_THREAD_BYTES + 200 * WORKER_PARTITION_BYTES_SOURCE) / GIB;
    const eachMb = Math.round(WORKER_PARTITION_BYTES_SOURCE / 1024 ** 2);
    expect(reason).toContain('200 partitions need about');
    expect(reason).toContain(`${needGb.toFixed(1)} GB`);
    expect(reason).toContain(`≈${eachMb} MB each`);
    expect(reason).toContain('6.0 GB this machine has available (of 24.0 GB');
    expect(reason).toContain(`at most ${workersPartitionLimit(6 * GIB, 'source')} partitions fit`);
    expect(reason).toContain('--runtime sim');
    expect(reason).not.toContain('\n');
  });

  test('the limit is exact: as many partitions as fit are accepted, one more is refused', () => {
    for (const code of ['source', 'built'] as const) {
      const limit = workersPartitionLimit(6 * GIB, code);
      expect(limit).toBeGreaterThan(0);
      expect(workersBytesNeeded(limit, code)).toBeLessThanOrEqual(6 * GIB);
      expect(workersCapacity(withPartitions(limit), vm(6), code).ok, code).toBe(true);
      expect(workersCapacity(withPartitions(limit + 1), vm(6), code).ok, code).toBe(false);
    }
  });

  test('workers that load the build cost less than workers that load TypeScript through tsx', () => {
    expect(WORKER_PARTITION_BYTES_BUILT).toBeLessThan(WORKER_PARTITION_BYTES_SOURCE);
    const between = workersPartitionLimit(6 * GIB, 'source') + 1;
    expect(workersCapacity(withPartitions(between), vm(6), 'source').ok).toBe(false);
    expect(workersCapacity(withPartitions(between), vm(6), 'built').ok).toBe(true);
  });

  test('the limit rests on the memory available, not the total', () => {
    const config = withPartitions(100);
    expect(workersCapacity(config, vm(22), 'source').ok).toBe(true);
    expect(workersCapacity(config, vm(2), 'source').ok).toBe(false);
  });

  test('this machine reports available memory within its total and at least one CPU', () => {
    const machine = currentMachine();
    expect(machine.freeMemBytes).toBeGreaterThan(0);
    expect(machine.freeMemBytes).toBeLessThanOrEqual(machine.totalMemBytes);
    expect(machine.cores).toBeGreaterThanOrEqual(1);
  });
});
