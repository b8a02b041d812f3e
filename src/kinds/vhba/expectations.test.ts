// The vhba expectations fed hand-built observations that must fail: a disk whose every request
// failed with nothing injected (the 4096-byte disk), requests left unanswered past the
// bound, a read of data older than an acknowledged write on a shared disk.

import { describe, expect, test } from 'vitest';
import type { Observation } from '../../run/observation.js';
import { loadShipped } from '../../run/testing/shipped.js';
import { VHBA_EXPECTATIONS } from './expectations.js';
import { type IoStats, NO_IO } from './report.js';

const { config } = loadShipped('iosp-reboot-storage');

// One guest's IO at the end of a 15 s run whose last fault healed at 400 ms.
function observed(io: Partial<IoStats>, healedAtMs: number | null = 400): Observation {
  const guest1: IoStats = {
    ...NO_IO,
    ...{ submitted: 100, completed: 100, succeeded: 100, workloads: 1, finished: 1 },
    atMs: 15_000,
    ...io,
  };
  return {
    config,
    states: { cp: 'running', iosp0: 'running', guest1: 'running' },
    cpOutcomes: [],
    cpContext: null,
    guests: {},
    faultsHealedAtMs: healedAtMs,
    io: { guest1 },
  } as unknown as Observation;
}

const judge = (name: string, o: Observation) => {
  const e = VHBA_EXPECTATIONS[name];
  if (e === undefined) throw new Error(`no expectation ${name}`);
  return e.judge(o);
};

describe('vhba expectations', () => {
  test('smoke: a run whose requests all succeeded once passes', () => {
    expect(judge('exactly-once-completion', observed({})).ok).toBe(true);
    expect(judge('no-lost-writes', observed({})).ok).toBe(true);
  });

  test('every request failing with no disk error or spent budget is an unexplained failure', () => {
    const allFailed = { succeeded: 0, failed: 100 };
    const verdict = judge('exactly-once-completion', observed(allFailed));
    expect(verdict.ok).toBe(false);
    expect(verdict.detail).toContain('guest1: 100 request(s) failed, but disk errors');
    const explained = observed({ ...allFailed, diskErrors: 100 });
    expect(judge('exactly-once-completion', explained).ok, 'each failure a medium error').toBe(
      true,
    );
  });

  test('a request unanswered for the whole bound after the last fault healed never completed', () => {
    const stuck = {
      completed: 97,
      succeeded: 97,
      finished: 0,
      outstandingSinceMs: [200, 210, 220],
    };
    const late = observed({ ...stuck, atMs: 40_000 });
    const verdict = judge('exactly-once-completion', late);
    expect(verdict.ok).toBe(false);
    expect(verdict.detail).toContain(
      '3 request(s) never completed, the oldest submitted at 200 ms',
    );
    expect(judge('exactly-once-completion', observed(stuck)).ok, 'legitimately outstanding').toBe(
      true,
    );
  });

  test('a stale read on a shared disk loses a write', () => {
    const verdict = judge('no-lost-writes', observed({ staleReads: 2 }));
    expect(verdict).toMatchObject({ ok: false });
    expect(verdict.detail).toBe('guest1: 2 read(s) returned data older than an acknowledged write');
  });
});
