// Runner for the reset-budget property (STYLE §8) in the deterministic runtime, and the proof that
// it is not vacuous: over a fixed batch some request fails for its budget, some command bounces
// busy and the error handler escalates past the abort. `spar fuzz reset-budget` runs more.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { exercised, resetBudget, runResetBudgetCase } from './reset-budget.property.js';

describe('reset budget', () => {
  test("smoke: seven slow commands in a row exhaust the first request's budget: it fails once, the rest complete, every promise holds", {
    timeout: 120_000,
  }, () => {
    const c = {
      workload: { queueDepth: 1, ops: 6, writePercent: 50, maxBlocks: 2 },
      slow: { minMs: 31_000, spreadMs: 0, times: 7, fromSubmit: 1 },
      busy: null,
      rebootOnTaskMgmt: null,
      simSeed: 1,
    };
    const outcome = runResetBudgetCase(c, []);
    expect(outcome.violations, resetBudget.describe(c)).toEqual([]);
    expect(exercised(outcome).budgetFailed).toBe(1);
    expect(outcome.reports.get('guest1')?.resets['6']).toEqual({ budgetFailures: 1, otherEnds: 0 });
  });

  test('a deep queue against a held ring: commands bounce busy, then slow commands are reset once each; no bounced request fails for its budget (kills busy-counts-as-reset-retry)', {
    timeout: 300_000,
  }, () => {
    const c = {
      workload: { queueDepth: 70, ops: 90, writePercent: 50, maxBlocks: 2 },
      slow: { minMs: 31_000, spreadMs: 0, times: 80, fromSubmit: 1 },
      busy: { forMs: 30 },
      rebootOnTaskMgmt: null,
      simSeed: 1,
    };
    const outcome = runResetBudgetCase(c, []);
    expect(outcome.violations, resetBudget.describe(c)).toEqual([]);
    expect(exercised(outcome).busy).toBeGreaterThan(0);
    expect(outcome.trace.some((r) => r.event === 'hba.taskMgmt')).toBe(true);
  });

  test('an IOSP reboot right after an abort wakes the waiting abort and frees its slot (kills pause-leaves-task-management-waiting)', {
    timeout: 300_000,
  }, () => {
    const c = {
      workload: { queueDepth: 1, ops: 6, writePercent: 50, maxBlocks: 2 },
      slow: { minMs: 31_000, spreadMs: 0, times: 2, fromSubmit: 1 },
      busy: null,
      rebootOnTaskMgmt: { occurrence: 1, afterMs: 0, downMs: 50 },
      simSeed: 1,
    };
    const outcome = runResetBudgetCase(c, []);
    expect(outcome.violations, resetBudget.describe(c)).toEqual([]);
    expect(outcome.faults.some((f) => f.action === 'reboot' && f.atMs !== null)).toBe(true);
  });

  test('over a fixed batch every promise holds, some request fails for its budget and some command bounces busy (not vacuous)', {
    timeout: 600_000,
  }, () => {
    const batch = fc.sample(resetBudget.arbitrary, { seed: 1, numRuns: 8 });
    let budgetFailed = 0;
    let busy = 0;
    for (const c of batch) {
      const outcome = runResetBudgetCase(c, []);
      expect(outcome.violations, resetBudget.describe(c)).toEqual([]);
      const e = exercised(outcome);
      budgetFailed += e.budgetFailed;
      busy += e.busy;
    }
    expect(budgetFailed).toBeGreaterThan(0);
    expect(busy).toBeGreaterThan(0);
  });
});
