// Runner for the ring-full property (STYLE §8); `spar fuzz ring-full` runs it with more. The
// mutation catalogue's `ring-full-check-off-by-one` is what it exists to kill (docs/testing.md).

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type RingFullCase, ringFull, runRingFullCase } from './ring-full.property.js';

const first = (seed: number): RingFullCase => {
  const [value] = fc.sample(ringFull.arbitrary, { seed, numRuns: 1 });
  if (value === undefined) throw new Error('fc.sample gave nothing');
  return value;
};

describe('ring-full', () => {
  test('smoke: a case 64 requests deep fills a vhba ring and loses nothing', () => {
    const c = { ...first(1), queueDepth: 64 };
    expect(runRingFullCase(c, []).violations, ringFull.describe(c)).toEqual([]);
  });

  test('for any storage case with queues deeper than a ring, a producer finds it full and nothing is lost or overwritten', () => {
    fc.assert(
      fc.property(ringFull.arbitrary, (value) => {
        expect(runRingFullCase(value, []).violations, ringFull.describe(value)).toEqual([]);
      }),
      { numRuns: ringFull.testRuns },
    );
  });

  test('cannot pass vacuously: a case whose queues fit in the ring fails ring-filled', () => {
    const c = { ...first(2), queueDepth: 1 };
    const v = runRingFullCase({ ...c, storage: { ...c.storage, faults: [] } }, []).violations;
    expect(v).toContain('ring-filled: no producer ever found a vhba ring full');
  });
});
