// The reset-budget oracle (reset-budget.ts): fed tallies that must pass and tallies that must fail.

import { describe, expect, test } from 'vitest';
import { budgetFailures, heldSlotFindings, resetBudgetFindings } from './reset-budget.js';

describe('reset budget', () => {
  test('smoke: requests within the budget that did not fail, and one that failed at budget + 1, pass', () => {
    const tally = {
      '0': { budgetFailures: 0, otherEnds: 40 },
      '5': { budgetFailures: 0, otherEnds: 2 },
      '6': { budgetFailures: 1, otherEnds: 0 },
    };
    expect(resetBudgetFindings(tally)).toEqual([]);
    expect(budgetFailures(tally)).toBe(1);
  });

  test('a request that failed for the budget within it is a finding (a busy counted as a reset)', () => {
    expect(resetBudgetFindings({ '2': { budgetFailures: 1, otherEnds: 3 } })).toEqual([
      '1 request(s) failed for the retry budget after 2 reset(s) (budget 5)',
    ]);
  });

  test('a request retried past its budget is a finding, whether it then failed or not', () => {
    expect(resetBudgetFindings({ '6': { budgetFailures: 0, otherEnds: 1 } })).toEqual([
      '1 request(s) took 6 resets and did not fail for the budget (5)',
    ]);
    expect(resetBudgetFindings({ '7': { budgetFailures: 1, otherEnds: 0 } })).toEqual([
      '1 request(s) took 7 resets, more than the budget (5) allows',
    ]);
    expect(resetBudgetFindings({ '3': { budgetFailures: 0, otherEnds: 1 } }, 2)).toHaveLength(1);
  });

  test('a vhba holding slots with no request live is a finding; one with live requests is not', () => {
    expect(
      heldSlotFindings([
        { held: 0, live: 0 },
        { held: 2, live: 1 },
      ]),
    ).toEqual([]);
    expect(heldSlotFindings([{ held: 1, live: 0 }])).toEqual([
      'vhba 0 holds 1 pending slot(s) with no request live',
    ]);
  });
});
