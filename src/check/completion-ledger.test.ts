// The completion ledger's oracle: fed duplicate completions, requests never completed, answers for
// unknown requests, short finishes and failures nothing explains (spar-protocol.md §4.2, §4.6).

import { describe, expect, test } from 'vitest';
import { SD_MAX_RETRIES } from '../../machines/scsi-midlayer.logic.js';
import {
  COMPLETION_BOUND_MS,
  type CompletionTotals,
  completionFindings,
  completionText,
  diskErrorsBound,
  exhaustedRetryBudgets,
  failureAccounting,
  overdueRequests,
  type WorkloadCompletion,
  workloadCompletionFindings,
} from './completion-ledger.js';

const totals = (over: Partial<CompletionTotals> = {}): CompletionTotals => ({
  submitted: 100,
  completed: 100,
  failed: 0,
  retried: 0,
  duplicateCompletions: 0,
  workloads: 2,
  finished: 2,
  ...over,
});

const workload = (
  over: Partial<WorkloadCompletion['counts']> = {},
  finished = true,
): WorkloadCompletion => ({
  name: 'disk0',
  finished,
  counts: { submitted: 50, succeeded: 48, failed: 2, unknownDones: 0, ...over },
});

describe('completion ledger', () => {
  test('smoke: every submitted request completed once, and the workload did all it planned', () => {
    expect(completionFindings(totals())).toEqual([]);
    expect(workloadCompletionFindings(workload(), 50)).toEqual([]);
    expect(failureAccounting(totals(), 0)).toBeNull();
  });

  test('a duplicate completion breaks exactly-once', () => {
    expect(completionFindings(totals({ duplicateCompletions: 1 }))).toEqual([
      { kind: 'duplicate-completion', count: 1 },
    ]);
  });

  test('a request never completed breaks exactly-once once every workload finished', () => {
    expect(completionFindings(totals({ completed: 97 }))).toEqual([
      { kind: 'never-completed', missing: 3, submitted: 100 },
    ]);
    expect(completionFindings(totals({ completed: 97, finished: 1 })), 'still running').toEqual([]);
  });

  test('an answer for a request that was not outstanding breaks exactly-once', () => {
    expect(workloadCompletionFindings(workload({ unknownDones: 2 }, false), 50)).toEqual([
      { kind: 'unknown-answer', workload: 'disk0', count: 2 },
    ]);
  });

  test('a finished workload must have submitted what it planned and completed all it submitted', () => {
    expect(workloadCompletionFindings(workload({ submitted: 49 }), 50)).toEqual([
      { kind: 'incomplete-finish', workload: 'disk0', submitted: 49, planned: 50, completed: 50 },
    ]);
    expect(workloadCompletionFindings(workload({ succeeded: 47 }), 50)).toEqual([
      { kind: 'incomplete-finish', workload: 'disk0', submitted: 50, planned: 50, completed: 49 },
    ]);
    expect(workloadCompletionFindings(workload({}, true), undefined)).toHaveLength(1);
    expect(
      workloadCompletionFindings(workload({ submitted: 49 }, false), 50),
      'unfinished',
    ).toEqual([]);
  });

  test('failures are explained only by disk errors and exhausted retry budgets', () => {
    const retried = 2 * SD_MAX_RETRIES + 1;
    expect(exhaustedRetryBudgets(retried)).toBe(2);
    expect(failureAccounting(totals({ failed: 5, retried }), 3)).toBeNull();
    expect(failureAccounting(totals({ failed: 6, retried }), 3)).toEqual({
      kind: 'unexplained-failure',
      failed: 6,
      diskErrors: 3,
      exhaustedBudgets: 2,
      retried,
    });
    expect(failureAccounting(totals({ failed: 1 }), 0), 'a failure with no cause').not.toBeNull();
  });

  test("the disk-error bound counts every operation a fired fault could fail, on this guest's disks only", () => {
    const fired = [
      { disk: 'disk0', times: 2 },
      { disk: 'disk1', times: 3 },
      { disk: 'disk0', times: 1 },
    ];
    expect(diskErrorsBound(fired, ['disk0'])).toBe(3);
    expect(diskErrorsBound(fired, ['disk2'])).toBe(0);
  });

  test('a request unanswered at the end past the bound since its submission never completed', () => {
    const end = 50_000;
    expect(overdueRequests([19_999, 30_000, 45_000], end, null)).toEqual({
      kind: 'overdue',
      count: 1,
      oldestMs: 19_999,
      boundMs: COMPLETION_BOUND_MS,
    });
    expect(overdueRequests([20_001, 45_000], end, null), 'within the bound').toBeNull();
    expect(overdueRequests([], end, null), 'nothing outstanding').toBeNull();
  });

  test('the bound starts again when the last fault healed (the stated outage)', () => {
    expect(overdueRequests([100], 40_000, 15_000), 'healed 25 s before the end').toBeNull();
    expect(overdueRequests([100], 40_000, 5_000)).toMatchObject({ kind: 'overdue', count: 1 });
    expect(overdueRequests([100], 500, 0, 300), 'a stated bound').toMatchObject({ count: 1 });
  });

  test('each finding reads as one line naming the guest', () => {
    const overdue = overdueRequests([31.366], 40_000, 300);
    expect(overdue).not.toBeNull();
    if (overdue === null) return;
    expect(completionText('guest1', overdue)).toBe(
      'guest1: 1 request(s) never completed, the oldest submitted at 31.366 ms, outstanding past the 30000 ms bound',
    );
    const unexplained = failureAccounting(totals({ failed: 4 }), 0);
    expect(unexplained).not.toBeNull();
    if (unexplained === null) return;
    expect(completionText('guest2', unexplained)).toMatch(/^guest2: 4 request\(s\) failed, but/);
  });
});
